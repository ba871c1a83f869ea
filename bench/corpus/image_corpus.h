// A labelled corpus for the image checks (skew, blur, blank, resolution):
// real scans and synthetic pages, degraded the way counter scanners degrade
// them, each with its truth. Deterministic from a seed; pages are rendered on
// demand so that a bench can stream a thousand of them in bounded memory.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace scangate::corpus {

enum class Content {
  kTextPage,      // synthetic: body text under headings
  kFormPage,      // synthetic: form lines and a ruled table
  kSparsePage,    // synthetic: a title and a few lines
  kIdCard,        // synthetic: ID card copy
  kSummarySheet,  // synthetic: colour processing slip with seal
  kScan,          // a real scan from the shared data
  kBlank,         // a blank back with scanner artefacts
  kShortLine,     // blank but for one short line of print
  kSignature,     // blank but for a handwritten signature
  kChinesePage,   // synthetic: Chinese body text under a title
  kChineseForm,   // synthetic: Chinese form or certificate: labels, table, red seal
};
enum class Color { kGray, kColor, kBilevel };
enum class BlurKind { kNone, kGaussian, kDefocus, kMotion };
enum class Encoding { kPng, kPngNoDpi, kJpeg, kTiffG4 };
// Where a partial blur lies; kWhole for the whole page. kTop..kRight: the
// half of the text beyond its median line; kQuarter: one quadrant of the
// text's extent (a lifted corner); kStrip: the bottom 15 % of the page or
// of the text's extent (an edge off the glass); kBox: one field or block of
// the text's extent, a third to all of its width and a tenth to a quarter
// of its height (a fold, a smudge on the glass over one field of a form).
enum class BlurRegion { kWhole, kTop, kBottom, kLeft, kRight, kQuarter, kStrip, kBox };

// Artefacts of a scanner and of paper. Bit flags.
enum Artefact : unsigned {
  kDust = 1u << 0,
  kEdgeShadow = 1u << 1,
  kPunchHoles = 1u << 2,
  kShowThrough = 1u << 3,
  kBlackBands = 1u << 4,     // black scanner border bands along some edges
  kDarkBackground = 1u << 5, // rotated on a black lid: corners come in black
  kPaperTexture = 1u << 6,
  kHalftonePhoto = 1u << 7,
  kContonePhoto = 1u << 8,
};

// How one page is made.
struct Recipe {
  std::uint32_t seed = 1;
  Content content = Content::kTextPage;
  std::string scan;  // file name under the scans folder, for kScan
  double paper_width_mm = 210, paper_height_mm = 297;
  double dpi = 300;
  double rotation_degrees = 0;  // applied; positive = counter-clockwise on screen
  // The sheet laid on the glass a quarter turn (or more) round before it is
  // rotated: 0, 90, 180 or 270, how far the scan must be turned clockwise
  // to read upright (its content turned counter-clockwise by as much).
  int turn_degrees = 0;
  BlurKind blur = BlurKind::kNone;
  // Gaussian sigma, defocus disk radius or motion length, in px at 300 dpi.
  double blur_amount = 0;
  double motion_degrees = 0;
  BlurRegion blur_region = BlurRegion::kWhole;
  double noise_sigma = 0;  // gray levels
  unsigned artefacts = 0;
  Color color = Color::kGray;
  Encoding encoding = Encoding::kPng;
  int jpeg_quality = 90;
};

enum class BlurClass { kSharp, kBlurred, kNotApplicable, kUnlabelled };
const char* BlurClassName(BlurClass c);

// What the checks should find. Known-ness is explicit: a scan whose own skew
// is uncertain carries no skew truth.
struct Truth {
  bool skew_known = false;
  double skew_degrees = 0;
  // Pages with text or rulings: which way up (Recipe::turn_degrees).
  bool orientation_known = false;
  int orientation_degrees = 0;
  BlurClass blur = BlurClass::kUnlabelled;
  // Share of the page's text that lies in the blurred region (1: whole page).
  // Blurred from 10 % of the text up; sharp below 3 %; between, unlabelled.
  double blurred_text_share = 0;
  bool blank_known = false;
  bool blank = false;
  double dpi = 300;
  bool dpi_in_file = true;
};

struct CorpusPage {
  std::string name;  // file name, extension included
  Recipe recipe;
  Truth truth;
  std::string bytes;  // the encoded file
};

// The real scans and their own skew, read from the shared data folder.
class ScanLibrary {
 public:
  // `scans_dir` holds the scans and inherent_skew.csv; empty: no scans.
  explicit ScanLibrary(std::string scans_dir);
  bool available() const { return !files_.empty(); }
  // Scans usable as content, with whether their own skew is trusted.
  const std::vector<std::string>& files() const { return files_; }
  bool SkewKnown(const std::string& file) const;
  double InherentSkew(const std::string& file) const;
  // 8-bit gray at the scan's own 300 dpi; cached.
  cv::Mat Load(const std::string& file) const;

 private:
  std::string dir_;
  std::vector<std::string> files_;
  std::map<std::string, double> skew_;
  std::map<std::string, bool> skew_known_;
  mutable std::mutex mu_;
  mutable std::map<std::string, cv::Mat> cache_;
};

struct CorpusOptions {
  std::uint32_t seed = 1;
  int content_pages = 640;
  int blank_pages = 220;
  int near_blank_pages = 220;
  // Pages turned by 90/180/270 degrees and skewed up to 45, after the rest
  // (the orientation set; the pages above are upright within 15 degrees).
  int turned_pages = 360;
};

// The plan of a corpus: recipes and truth known before rendering.
class ImageCorpus {
 public:
  ImageCorpus(const CorpusOptions& options, std::shared_ptr<const ScanLibrary> scans);
  std::size_t size() const { return plan_.size(); }
  const Recipe& recipe(std::size_t i) const { return plan_[i]; }
  std::string Name(std::size_t i) const;
  CorpusPage Make(std::size_t i) const;

 private:
  std::vector<Recipe> plan_;
  std::shared_ptr<const ScanLibrary> scans_;
};

// Renders one recipe. Truth comes with it (the blurred share of text is only
// known once the page is drawn).
CorpusPage RenderPage(const Recipe& recipe, const ScanLibrary& scans, const std::string& name);

// The truth file written beside a corpus folder: one row per file.
std::string TruthCsvHeader();
std::string TruthCsvRow(const CorpusPage& page);
// Reads a truth file back; `bytes` of each page stays empty.
std::vector<CorpusPage> ReadTruthCsv(const std::string& path);

// A 1-bit page made from a real scan, for the 1-bit legibility check: the
// scan as the printed page, turned `degrees`, blurred by a Gaussian of
// `sigma_px` (px at 300 dpi: the scanner's own optics, 0.3-0.8, for a clean
// page; 2 and more for one out of focus), sensor noise of `noise` gray
// levels, resampled to `dpi`, thresholded at `threshold` and written as G4.
struct BilevelRecipe {
  std::uint32_t seed = 1;
  double sigma_px = 0.5, noise = 3, degrees = 0, dpi = 300;
  int threshold = 150;
};
std::string BilevelFromScan(const cv::Mat& scan300, const BilevelRecipe& r);

const char* ContentName(Content c);
const char* ColorName(Color c);
const char* BlurKindName(BlurKind k);
const char* EncodingName(Encoding e);

}  // namespace scangate::corpus
