// What each check measures. The verdict is derived from these and the profile
// in one place (verdict.h); checks never decide accept/reject themselves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scangate {

struct BlurMeasure {
  // Edge spread as a Gaussian sigma in pixels, normalised to 300 dpi: the
  // spread that a quarter of the text area reaches or exceeds.
  double sigma_300dpi = 0;
  // Share of the text area (12.5-mm cells holding ink) whose spread is above
  // the limit.
  double blurred_area_ratio = 0;
  // Share of the text area in the largest connected blurred region (text
  // cells over the limit, a gap of up to two cells between, and the border
  // cells touching them): one piece of the page out of focus, a lifted
  // corner, a strip off the glass, one field.
  double blurred_region_ratio = 0;
  bool applicable = false;
  // Diagnostics: text cells measured.
  int text_cells = 0;
};

struct SkewMeasure {
  // Positive: content rotated counter-clockwise as seen on screen.
  double degrees = 0;
  // 0..1; low where the page has too little line structure to tell.
  double confidence = 0;
  // Diagnostics: edge points the estimate rests on, and how far the score
  // at the angle found stands above the score a few degrees off.
  int points = 0;
  double peak_ratio = 1;
};

// Which way up the content reads (orientation.h).
struct OrientationMeasure {
  // 0, 90, 180 or 270: how far the page must be turned clockwise to read
  // upright (90: the lines run bottom to top, 180: upside down).
  int degrees = 0;
  // 0..1; low where the page has too few text lines to tell.
  double confidence = 0;
  // Diagnostics: the line pieces read (a text line counts once per 40-mm
  // strip it crosses: about four across A4), how much more sharply the rows
  // than the columns stand out (above 1: the lines run along the skew's
  // axis), and each cue's vote for the upright side of that axis (-1..1).
  int lines = 0;
  double axis_ratio = 1;
  double ascender_vote = 0, alignment_vote = 0;
};

struct BlankMeasure {
  // Share of the page area covered by ink, after noise removal.
  double ink_ratio = 0;
  // Area of the largest ink mark, as a share of the page.
  double largest_mark_ratio = 0;
  // The page's tones, gray 0..255, its outer 5 mm left out: the level only
  // 0.1% of the page is brighter than, and the level only 0.1% is darker
  // than. A lamp that failed or an open lid leaves both low and close.
  double bright_level = 255;
  double dark_level = 0;
};

struct ResolutionMeasure {
  double dpi = 0;
  bool inferred = false;
  // Paper size the page matched when inferring ("A4", ...), else empty.
  std::string paper;
};

// Print quality in the spirit of ISO/IEC 15416 (linear codes: the mean over
// ten scan reflectance profiles) and ISO/IEC 15415 (2-D codes: one image).
// Reflectances are 0..1 of the scanner's white (gray / 255).
// A print-quality grade: A best, F failing; kNone where not graded.
enum class Grade : std::uint8_t { kNone, kA, kB, kC, kD, kF };
// The parameter that set a grade (ISO/IEC 15416 / 15415 names on the wire).
enum class GradeParameter : std::uint8_t {
  kNone,  // grade A: nothing limits it
  kDecode,
  kMinReflectance,
  kSymbolContrast,
  kMinEdgeContrast,
  kModulation,
  kDefects,
  kDecodability,
};

// "A".."F" ("" for kNone), and back: nullopt for anything else.
const char* GradeName(Grade grade);
std::optional<Grade> GradeFromName(std::string_view name);
// "symbol_contrast", ... ("" for kNone), and back.
const char* GradeParameterName(GradeParameter parameter);
GradeParameter GradeParameterFromName(std::string_view name);
// The grade of a grade value (ISO: A >= 3.5, B >= 2.5, C >= 1.5, D >= 0.5).
Grade GradeOfValue(double value);

struct BarcodeGrade {
  Grade grade = Grade::kNone;
  double grade_value = 0;  // 0..4 (A = 4): the mean of the scan grades
  double symbol_contrast = 0;    // Rmax - Rmin
  double min_reflectance = 0;    // Rmin
  double min_edge_contrast = 0;  // linear: the weakest bar/space pair (2-D: 0)
  double modulation = 0;         // linear: ECmin / SC; 2-D: module separation
  double defects = 0;            // linear: the worst element non-uniformity / SC
  double decodability = 0;       // linear: margin of the reference decode; 2-D: 1
  int scans = 0;                 // profiles graded
  GradeParameter limited_by = GradeParameter::kNone;  // what set the grade; kNone for A
};

struct BarcodeMeasure {
  std::string format;  // ZXing's name: "Code128", "QRCode", ...; empty if unreadable
  std::string text;    // UTF-8
  // Reading direction against the page's x axis, degrees, positive
  // counter-clockwise on screen (the skew convention): 0 reads left to
  // right, 90 bottom to top, 180 upside down.
  double orientation_degrees = 0;
  // Corner points in page pixels: top-left, top-right, bottom-right, bottom-left.
  int corners[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  BarcodeGrade quality;
  double x_dimension_mm = 0;  // narrow module width; 0 when the dpi is unknown
  double x_dimension_px = 0;
  double bar_height_mm = 0;   // linear codes
  // The narrower quiet zone, in modules (linear: before the first bar or
  // after the last; 2-D: around the symbol), and whether both reach what
  // the symbology requires.
  double quiet_zone_modules = 0;
  bool quiet_zone_ok = false;
  // A barcode-like region (bars) that nothing decoded: format and text empty.
  bool unreadable = false;
  // Read by the zone-first search (the profile's barcode zone).
  bool found_in_zone = false;
};

using BarcodeMeasures = std::vector<BarcodeMeasure>;

// Where the profile's summary-sheet form lies on the page (form_registration.h).
struct RegistrationMeasure {
  bool attempted = false;  // the profile has a form
  // 0..1: the form's printing found on the page and the page's printing
  // explained by the form, at the best fit.
  double score = 0;
  double degrees = 0;  // positive: form rotated counter-clockwise on screen
  double scale = 1;
  double x_mm = 0, y_mm = 0;  // the form's top-left corner on the page
  // The fit: page pixel (x, y) = [m0 m1 m2; m3 m4 m5] * (x_mm, y_mm, 1) for a
  // point of the form's frame, e.g. to find the barcode zone on the page.
  double page_from_mm[6] = {0, 0, 0, 0, 0, 0};
};

// One required field of the summary sheet (field_fill.h).
struct FieldMeasure {
  std::string name;
  // Share of the field's area covered by writing beyond the form's printing.
  double ink_ratio = 0;
  bool filled = false;  // set by DecidePage
  // The zone's corners on the page (ZoneCorners); empty where not placed.
  std::vector<int> corners;
};

// One signature box, or the whole page in page-wide mode (signature.h).
struct SignatureMeasure {
  std::string zone;
  double score = 0;  // 0..1: how surely handwritten strokes are there
  bool present = false;  // set by DecidePage
  // The zone's corners on the page (ZoneCorners); empty where not placed.
  std::vector<int> corners;
};

// One seal box (seal.h).
struct SealMeasure {
  std::string zone;
  double score = 0;  // 0..1: how surely a stamp is there
  bool present = false;  // set by DecidePage
  // The zone's corners on the page (ZoneCorners); empty where not placed.
  std::vector<int> corners;
};

}  // namespace scangate
