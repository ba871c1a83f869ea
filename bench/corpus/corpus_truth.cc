// The shared real scans with their own skew, and the truth file written
// beside a corpus folder (one CSV row per page file).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <stdexcept>

#include "bench/corpus/image_corpus.h"

namespace scangate::corpus {
namespace {

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    else if (c == ',' && !quoted) cells.push_back(std::move(cell)), cell.clear();
    else if (c != '\r') cell += c;
  }
  cells.push_back(cell);
  return cells;
}

// Scans usable as page content: full pages at 300 dpi. The two small form
// crops and the 75-dpi colour page are not pages a counter scans.
bool UsableScan(const std::string& name) {
  return name.ends_with(".tif") && !name.starts_with("form");
}

template <class E, std::size_t N>
E Parse(const std::string& text, const E (&values)[N], const char* (*name)(E)) {
  for (E v : values)
    if (text == name(v)) return v;
  throw std::runtime_error("truth file: unknown value '" + text + "'");
}

}  // namespace

ScanLibrary::ScanLibrary(std::string scans_dir) : dir_(std::move(scans_dir)) {
  if (dir_.empty()) return;
  std::ifstream csv(dir_ + "/inherent_skew.csv");
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) {
    auto cells = SplitCsv(line);
    if (cells.size() < 3 || !UsableScan(cells[0])) continue;
    if (!std::filesystem::exists(dir_ + "/" + cells[0])) continue;
    files_.push_back(cells[0]);
    skew_[cells[0]] = std::stod(cells[1]);
    // Only where two independent estimators agree is a scan's own skew a
    // truth. A "one method" row is not enough either: tickets.tif holds
    // lottery tickets laid down each at its own angle.
    skew_known_[cells[0]] = cells[2].starts_with("two methods agree");
  }
  std::sort(files_.begin(), files_.end());
}

bool ScanLibrary::SkewKnown(const std::string& file) const {
  auto it = skew_known_.find(file);
  return it != skew_known_.end() && it->second;
}

double ScanLibrary::InherentSkew(const std::string& file) const {
  auto it = skew_.find(file);
  return it == skew_.end() ? 0 : it->second;
}

cv::Mat ScanLibrary::Load(const std::string& file) const {
  std::lock_guard lock(mu_);
  auto it = cache_.find(file);
  if (it != cache_.end()) return it->second;
  cv::Mat gray = cv::imread(dir_ + "/" + file, cv::IMREAD_GRAYSCALE);
  if (gray.empty()) throw std::runtime_error("cannot read scan " + dir_ + "/" + file);
  cache_[file] = gray;
  return gray;
}

std::string TruthCsvHeader() {
  return "file,content,scan,dpi,dpi_in_file,color,encoding,jpeg_quality,rotation_degrees,"
         "skew_known,skew_degrees,blur_kind,blur_amount_300dpi,motion_degrees,blur_region,"
         "blurred_text_share,blur_class,noise_sigma,artefacts,blank_known,blank,seed,"
         "turn_degrees,orientation_known";
}

std::string TruthCsvRow(const CorpusPage& p) {
  const Recipe& r = p.recipe;
  const Truth& t = p.truth;
  char row[600];
  std::snprintf(row, sizeof row,
                "%s,%s,%s,%.0f,%d,%s,%s,%d,%.4f,%d,%.4f,%s,%.3f,%.1f,%d,%.3f,%s,%.2f,%u,%d,%d,%u,%d,%d",
                p.name.c_str(), ContentName(r.content), r.scan.c_str(), t.dpi, int(t.dpi_in_file),
                ColorName(r.color), EncodingName(r.encoding), r.jpeg_quality, r.rotation_degrees,
                int(t.skew_known), t.skew_degrees, BlurKindName(r.blur), r.blur_amount,
                r.motion_degrees, int(r.blur_region), t.blurred_text_share,
                BlurClassName(t.blur), r.noise_sigma, r.artefacts, int(t.blank_known),
                int(t.blank), r.seed, r.turn_degrees, int(t.orientation_known));
  return row;
}

std::vector<CorpusPage> ReadTruthCsv(const std::string& path) {
  static const Content contents[] = {Content::kTextPage, Content::kFormPage, Content::kSparsePage,
                                     Content::kIdCard,   Content::kSummarySheet, Content::kScan,
                                     Content::kBlank,    Content::kShortLine,  Content::kSignature,
                                     Content::kChinesePage, Content::kChineseForm};
  static const Color colors[] = {Color::kGray, Color::kColor, Color::kBilevel};
  static const Encoding encodings[] = {Encoding::kPng, Encoding::kPngNoDpi, Encoding::kJpeg,
                                       Encoding::kTiffG4};
  static const BlurKind kinds[] = {BlurKind::kNone, BlurKind::kGaussian, BlurKind::kDefocus,
                                   BlurKind::kMotion};
  static const BlurClass classes[] = {BlurClass::kSharp, BlurClass::kBlurred,
                                      BlurClass::kNotApplicable, BlurClass::kUnlabelled};
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string line;
  std::getline(in, line);
  std::vector<CorpusPage> pages;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto c = SplitCsv(line);
    if (c.size() < 22) throw std::runtime_error("truth file: short row: " + line);
    CorpusPage p;
    Recipe& r = p.recipe;
    Truth& t = p.truth;
    p.name = c[0];
    r.content = Parse(c[1], contents, ContentName);
    r.scan = c[2];
    t.dpi = r.dpi = std::stod(c[3]);
    t.dpi_in_file = c[4] == "1";
    r.color = Parse(c[5], colors, ColorName);
    r.encoding = Parse(c[6], encodings, EncodingName);
    r.jpeg_quality = std::stoi(c[7]);
    r.rotation_degrees = std::stod(c[8]);
    t.skew_known = c[9] == "1";
    t.skew_degrees = std::stod(c[10]);
    r.blur = Parse(c[11], kinds, BlurKindName);
    r.blur_amount = std::stod(c[12]);
    r.motion_degrees = std::stod(c[13]);
    r.blur_region = BlurRegion(std::stoi(c[14]));
    t.blurred_text_share = std::stod(c[15]);
    t.blur = Parse(c[16], classes, BlurClassName);
    r.noise_sigma = std::stod(c[17]);
    r.artefacts = unsigned(std::stoul(c[18]));
    t.blank_known = c[19] == "1";
    t.blank = c[20] == "1";
    r.seed = std::uint32_t(std::stoul(c[21]));
    // Files written before the orientation set: every page upright.
    if (c.size() >= 24) {
      r.turn_degrees = std::stoi(c[22]);
      t.orientation_known = c[23] == "1";
      t.orientation_degrees = r.turn_degrees;
    }
    pages.push_back(std::move(p));
  }
  return pages;
}

}  // namespace scangate::corpus
