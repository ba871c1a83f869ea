// See summary_corpus.h.
#include "bench/summary/summary_corpus.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "tests/support/synthetic_page.h"

namespace scangate::summary_corpus {
namespace {

const char* ModeName(Mode m) {
  return m == Mode::kColour ? "colour" : m == Mode::kGray ? "gray" : "bilevel";
}

std::vector<std::string> Scans(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (dir.empty()) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".tif" && !e.path().filename().string().starts_with("form"))
      out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// How the page went through the printer and the scanner.
void PickScan(cv::RNG& rng, Recipe& r) {
  const int d = rng.uniform(0, 20);
  r.dpi = d < 5 ? 200 : d < 14 ? 300 : d < 17 ? 400 : 600;
  const int spread = rng.uniform(0, 10);
  const double max_deg = spread < 6 ? 2 : spread < 9 ? 5 : 10;
  r.degrees = rng.uniform(-max_deg, max_deg);
  r.scale = rng.uniform(0.95, 1.05);
  r.shift_x_mm = rng.uniform(-15.0, 15.0);
  r.shift_y_mm = rng.uniform(-15.0, 15.0);
  const int m = rng.uniform(0, 20);
  r.mode = m < 8 ? Mode::kColour : m < 15 ? Mode::kGray : Mode::kBilevel;
  r.blur_sigma_300 = rng.uniform(0, 2) ? rng.uniform(0.0, 1.1) : 0;
  r.noise_sigma = rng.uniform(0, 3) ? rng.uniform(0.0, 8.0) : 0;
  r.lighting = rng.uniform(0, 10) < 3 ? rng.uniform(0.72, 0.95) : 1;
  r.colour_cast = r.mode != Mode::kBilevel && rng.uniform(0, 10) < 3;
  // Black-and-white mode: the scanner evens out its lamp first, and its
  // threshold keeps red seals (gray ~90 when fully inked) on the page.
  r.bilevel_threshold = rng.uniform(175, 201);
  if (r.mode == Mode::kBilevel) r.lighting = std::max(r.lighting, 0.92);
  if (r.mode == Mode::kBilevel) r.encoding = Encoding::kTiffG4;
  else if (r.mode == Mode::kColour) r.encoding = rng.uniform(0, 5) ? Encoding::kJpeg : Encoding::kPng;
  else r.encoding = rng.uniform(0, 5) < 3 ? Encoding::kJpeg : Encoding::kPng;
  r.jpeg_quality = rng.uniform(60, 96);
}

cv::Mat OtherPage(const Recipe& r, const std::string& scans_dir) {
  synth::PageSpec spec;
  spec.dpi = r.dpi;
  spec.seed = r.seed;
  cv::Mat page;
  if (r.other == "text") {
    page = synth::TextPage(spec);
  } else if (r.other == "table") {
    spec.form_lines = 8;
    spec.table_rows = 12;
    spec.text_lines = 12;
    page = synth::TextPage(spec);
  } else if (r.other == "idcard") {
    page = synth::IdCardCopy(spec);
  } else if (r.other == "blank") {
    page = synth::BlankBack(spec);
  } else if (r.other == "old-slip") {
    synth::SummarySpec s;
    s.dpi = r.dpi;
    s.seed = r.seed;
    page = synth::SummarySheet(s);
  } else if (r.other.starts_with("scan:")) {
    page = cv::imread(scans_dir + "/" + r.other.substr(5), cv::IMREAD_GRAYSCALE);
    // The scans are 300 dpi: bring them to the recipe's.
    if (!page.empty() && r.dpi != 300) cv::resize(page, page, cv::Size(), r.dpi / 300, r.dpi / 300, cv::INTER_AREA);
  }
  if (page.empty()) page = synth::BlankBack(spec);
  if (page.channels() == 1) cv::cvtColor(page, page, cv::COLOR_GRAY2BGR);
  return page;
}

// Print and scan: the sheet placed on the page turned, scaled and shifted,
// then light, colour, blur, noise and the scanner's colour mode.
cv::Mat PrintAndScan(const cv::Mat& sheet, const Recipe& r, cv::RNG& rng) {
  const double px_per_mm = r.dpi / 25.4;
  const cv::Point2f centre(sheet.cols / 2.0f, sheet.rows / 2.0f);
  cv::Mat m = cv::getRotationMatrix2D(centre, r.degrees, r.scale);
  m.at<double>(0, 2) += r.shift_x_mm * px_per_mm;
  m.at<double>(1, 2) += r.shift_y_mm * px_per_mm;
  cv::Mat page;
  cv::warpAffine(sheet, page, m, sheet.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                 cv::Scalar::all(255));
  if (r.lighting < 1 || r.colour_cast) {
    const double a = rng.uniform(0.0, 2 * CV_PI);
    const cv::Vec3d cast = r.colour_cast ? cv::Vec3d(rng.uniform(0.86, 1.0), rng.uniform(0.92, 1.0),
                                                     rng.uniform(0.95, 1.0))
                                         : cv::Vec3d(1, 1, 1);
    const double ux = std::cos(a) / page.cols, uy = std::sin(a) / page.rows;
    const double lo = std::min(0.0, ux * page.cols) + std::min(0.0, uy * page.rows);
    const double hi = std::max(0.0, ux * page.cols) + std::max(0.0, uy * page.rows);
    for (int y = 0; y < page.rows; ++y) {
      cv::Vec3b* row = page.ptr<cv::Vec3b>(y);
      for (int x = 0; x < page.cols; ++x) {
        const double t = (ux * x + uy * y - lo) / std::max(1e-9, hi - lo);
        const double light = 1 - (1 - r.lighting) * t;
        for (int k = 0; k < 3; ++k) row[x][k] = cv::saturate_cast<std::uint8_t>(row[x][k] * light * cast[k]);
      }
    }
  }
  if (r.blur_sigma_300 > 0.05) page = synth::GaussianBlur(page, r.blur_sigma_300 * r.dpi / 300);
  if (r.noise_sigma > 0.5) page = synth::AddNoise(page, r.noise_sigma, r.seed);
  if (r.mode != Mode::kColour) cv::cvtColor(page, page, cv::COLOR_BGR2GRAY);
  if (r.mode == Mode::kBilevel) page = synth::ToBilevel(page, r.bilevel_threshold);
  return page;
}

}  // namespace

const char* EntryName(synth::FieldEntry e) {
  using E = synth::FieldEntry;
  switch (e) {
    case E::kWritten: return "written";
    case E::kEmpty: return "empty";
    case E::kStrayDot: return "dot";
    case E::kStrayTick: return "dash";
    case E::kSmudge: return "smudge";
  }
  return "?";
}

const char* EntryName(synth::SignatureEntry e) {
  using E = synth::SignatureEntry;
  switch (e) {
    case E::kSigned: return "signed";
    case E::kEmpty: return "empty";
    case E::kTick: return "tick";
    case E::kRuledLine: return "line";
    case E::kPrintedText: return "printed";
    case E::kStampOnly: return "stamp";
    case E::kStrayDot: return "dot";
  }
  return "?";
}

const char* EntryName(synth::SealEntry e) {
  using E = synth::SealEntry;
  switch (e) {
    case E::kStamped: return "stamped";
    case E::kEmpty: return "empty";
    case E::kSignatureOnly: return "signature";
    case E::kPrintedText: return "printed";
    case E::kTick: return "tick";
  }
  return "?";
}

std::vector<Recipe> Plan(int sheets_per_form, int others, std::uint32_t seed,
                         const std::string& scans_dir) {
  cv::RNG rng(seed);
  std::vector<Recipe> out;
  char name[64];
  for (const synth::FormDesign& form : synth::BundledForms())
    for (int i = 0; i < sheets_per_form; ++i) {
      Recipe r;
      r.seed = seed * 100003u + std::uint32_t(out.size());
      r.form = form.name;
      // A third complete, as counters hand most sheets in; the rest with one
      // to three defects.
      r.complete = rng.uniform(0, 3) == 0;
      r.fill = synth::RandomFill(form, r.seed, r.complete);
      std::snprintf(name, sizeof name, "%s-%04d", form.name.c_str(), i);
      r.name = name;
      std::snprintf(name, sizeof name, "SI2026%09u", unsigned(r.seed % 1000000000u));
      r.transaction = name;
      PickScan(rng, r);
      if (r.mode == Mode::kBilevel) {
        // A faint stamp does not survive a black-and-white scanner's
        // threshold at all: on 1-bit pages stamps are pressed firmly, and
        // faint ones are left to gray and colour scans.
        r.fill.stamp.strength = std::max(r.fill.stamp.strength, 0.8);
        r.bilevel_threshold = std::max(r.bilevel_threshold, 185);
      }
      out.push_back(r);
    }
  const std::vector<std::string> scans = Scans(scans_dir);
  for (int i = 0; i < others; ++i) {
    Recipe r;
    r.seed = seed * 100003u + std::uint32_t(out.size());
    const int kind = i % 6;
    r.other = kind == 0 ? "text" : kind == 1 ? "table" : kind == 2 ? "idcard" : kind == 3 ? "old-slip"
              : kind == 4 && !scans.empty() ? "scan:" + scans[(i / 6) % scans.size()]
                                            : (i % 12 == 5 ? "blank" : "table");
    std::snprintf(name, sizeof name, "other-%04d", i);
    r.name = name;
    PickScan(rng, r);
    out.push_back(r);
  }
  return out;
}

std::string Render(const Recipe& r, const std::string& scans_dir, std::string& extension) {
  cv::RNG rng(r.seed ^ 0x5eed);
  cv::Mat sheet;
  if (!r.form.empty()) {
    const synth::FormDesign& form = synth::BundledForm(r.form);
    sheet = synth::PrintedForm(form, r.dpi, r.transaction);
    synth::FillForm(sheet, form, r.dpi, r.fill);
  } else {
    sheet = OtherPage(r, scans_dir);
  }
  const cv::Mat page = PrintAndScan(sheet, r, rng);
  switch (r.encoding) {
    case Encoding::kJpeg: extension = ".jpg"; return synth::EncodeJpeg(page, r.jpeg_quality, r.dpi);
    case Encoding::kPng: extension = ".png"; return synth::EncodePng(page, r.dpi);
    case Encoding::kTiffG4: extension = ".tif"; return synth::EncodeTiffG4(page, r.dpi);
  }
  return {};
}

std::string TruthText(const Recipe& r) {
  std::ostringstream out;
  out << "form=" << (r.form.empty() ? "none" : r.form) << "\n";
  if (!r.other.empty()) out << "other=" << r.other << "\n";
  if (!r.form.empty()) {
    const synth::FormDesign& form = synth::BundledForm(r.form);
    out << "complete=" << (r.complete ? 1 : 0) << "\n";
    for (std::size_t i = 0; i < form.fields.size(); ++i)
      out << "field." << form.fields[i].name << "=" << EntryName(r.fill.fields[i]) << "\n";
    for (std::size_t i = 0; i < form.signatures.size(); ++i)
      out << "signature." << form.signatures[i].name << "=" << EntryName(r.fill.signatures[i]) << "\n";
    for (std::size_t i = 0; i < form.seals.size(); ++i)
      out << "seal." << form.seals[i].name << "=" << EntryName(r.fill.seals[i]) << "\n";
    const synth::StampStyle& s = r.fill.stamp;
    out << "stamp=" << (s.shape == synth::StampShape::kRound ? "round" : s.shape == synth::StampShape::kOval ? "oval" : "square")
        << " size_mm " << s.size_mm << " strength " << s.strength << " partial " << s.partial
        << " ink " << s.ink[2] << "," << s.ink[1] << "," << s.ink[0] << "\n";
    out << "stamp_over_signature=" << r.fill.stamp_over_signature << "\n";
    out << "transaction=" << r.transaction << "\n";
  }
  out << "dpi=" << r.dpi << "\ndegrees=" << r.degrees << "\nscale=" << r.scale
      << "\nshift_x_mm=" << r.shift_x_mm << "\nshift_y_mm=" << r.shift_y_mm
      << "\nmode=" << ModeName(r.mode) << "\nblur_sigma_300=" << r.blur_sigma_300
      << "\nnoise_sigma=" << r.noise_sigma << "\nlighting=" << r.lighting
      << "\ncolour_cast=" << r.colour_cast << "\nbilevel_threshold=" << r.bilevel_threshold
      << "\njpeg_quality=" << (r.encoding == Encoding::kJpeg ? r.jpeg_quality : 0) << "\n";
  return out.str();
}

std::map<std::string, std::string> ParseTruth(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

}  // namespace scangate::summary_corpus
