// The thresholds a page and a batch are judged against (one profile per
// business type). Plain values: the server and the CLI load them from
// profile files; the pipeline never parses files itself.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "pipeline/measurements.h"
#include "pipeline/pattern.h"

namespace scangate {

// Barcode formats a rule wants, compiled from ZXing's names ("Code128",
// "QRCode", ...) when the profile is loaded: a set of ZXing::BarcodeFormat
// flags. Empty: every format.
class BarcodeFormatSet {
 public:
  BarcodeFormatSet() = default;
  // For code and tests that name formats they know; an unknown name adds
  // nothing (a profile's names go through Parse).
  BarcodeFormatSet(std::initializer_list<std::string> names);
  // The error names the first name ZXing does not know.
  static Expected<BarcodeFormatSet> Parse(const std::vector<std::string>& names);

  bool empty() const { return flags_ == 0; }
  // ZXing::BarcodeFormat flags, or'ed; 0 when empty.
  std::uint32_t flags() const { return flags_; }
  // Whether a code ZXing reported as `format` (its name) is wanted.
  bool Wants(std::string_view format) const;

 private:
  std::uint32_t flags_ = 0;
};

struct BarcodeRule {
  BarcodeFormatSet formats;
  // What the transaction barcode's payload must match in full (RE2 syntax,
  // compiled when the profile is loaded); empty: any payload.
  Pattern payload_pattern;
  // A batch needs a page carrying a matching barcode (the summary sheet).
  bool required = false;

  // Where the summary sheet prints the barcode, mm in the form's frame; read
  // first (barcode_zone.h). Empty: the whole page only.
  struct Zone {
    double x_mm = 0, y_mm = 0, width_mm = 0, height_mm = 0;
    bool empty() const { return width_mm <= 0 || height_mm <= 0; }
  };
  Zone zone;
  // What the counter's barcode guns need from the transaction barcode; a code
  // that decodes but falls short is BARCODE_QUALITY. 0 / empty: not judged.
  double min_x_dimension_mm = 0;
  double max_x_dimension_mm = 0;
  // Reading directions allowed (measurements.h: 0 left to right, 90 bottom
  // to top, ...), each give or take the tolerance.
  std::vector<double> orientations_degrees;
  double orientation_tolerance_degrees = 10;
  std::optional<Grade> min_grade;  // A..D; none: any grade
  bool quiet_zone_required = false;
  double min_bar_height_mm = 0;
  // The capturing group of payload_pattern that carries the batch's page
  // count (1 for the first); 0: the payload carries none (batch.cc).
  unsigned page_count_group = 0;
  // The batch's first page (readable, not blank) is its summary sheet and
  // must carry the transaction barcode (batch.cc).
  bool first_page_is_summary_sheet = false;
};

// A rectangle on the summary sheet, millimetres from the printed form's
// top-left corner: the frame the form's zones are written in.
struct FormZone {
  std::string name;   // named in reasons, e.g. "applicant_name"
  std::string label;  // the printed label, for people
  double x_mm = 0, y_mm = 0, width_mm = 0, height_mm = 0;
};

// The blank form prepared for registration (form_registration.h).
struct FormTemplate;

// The summary sheet's printed form, the zones a complete sheet fills, and the
// thresholds its decisions use.
struct SummaryFormRule {
  double width_mm = 210, height_mm = 297;
  std::vector<FormZone> fields;
  std::vector<FormZone> signatures;
  std::vector<FormZone> seals;
  FormZone barcode;  // printed per sheet: left out of registration
  // Calibrated on the summary-sheet corpus (bench/summary_bench.cc).
  double min_registration_score = 0.6;
  double min_field_ink_ratio = 0.005;
  double min_signature_score = 0.5;
  double min_seal_score = 0.5;
  // The blank form, prepared once when the profile is loaded.
  std::shared_ptr<const FormTemplate> blank;
};

// Repair before reject (pipeline/repair.h): what the server may correct
// itself instead of asking for a rescan. Everything off by default: a
// profile without a repair rule judges pages as they came.
struct RepairRule {
  bool turn_upright = false;
  // Deskew pages skewed beyond max_skew_degrees up to this many degrees; 0: none.
  double deskew_up_to_degrees = 0;
  bool crop_borders = false;
  bool despeckle = false;  // 1-bit pages only
  // Gray and colour archive copies as JPEG at this quality; 0: lossless PNG.
  int jpeg_quality = 0;
  bool any() const {
    return turn_upright || deskew_up_to_degrees > 0 || crop_borders || despeckle;
  }
};

// Page-wide signature mode: no form; a counted page must be signed somewhere.
struct PageSignatureRule {
  bool required = false;
  double min_score = 0.5;
};

struct Profile {
  std::string name = "default";
  // Content hash of the profile's definition, recorded with every verdict.
  std::string version = "builtin";
  std::string description;
  unsigned min_pages = 1;
  unsigned max_pages = 0;  // 0: no upper limit
  // DA/T 31 allows no less than 200 dpi for text.
  double min_dpi = 200;
  double max_skew_degrees = 1.0;
  // Edge spread (sigma, px at 300 dpi) above which text counts as blurred.
  // The classes are sharp (sigma <= 0.8 on top of the scanner's own
  // ~0.5) and blurred (sigma >= 2.0, disk r >= 3, motion >= 7 px); on the
  // image-check corpora sharp pages read up to ~1.7 (JPEG at 150-200 dpi
  // adds its own smear) and blurred ones from ~1.9, so the limit sits between.
  double max_blur_sigma = 1.8;
  // A page with one connected region of blurred cells covering this share
  // of its text area is blurred (BlurMeasure::blurred_region_ratio): a
  // quarter of the page, a strip along an edge, one field of a form.
  double max_blurred_area_ratio = 0.10;
  // Darkness-weighted ink of the page's marks (dust, shadows, holes left
  // out), as a share of the page. Calibrated on the image-check corpus:
  // blank backs with artefacts stay below 6e-5, one short printed line or a
  // signature alone starts near 1.4e-4.
  double blank_max_ink_ratio = 9e-5;
  // A page too dark to read (PAGE_TOO_DARK, never blank): even its brightest
  // tones (BlankMeasure.bright_level) below dark_page_max_level and all its
  // tones within dark_page_max_contrast of each other. Paper, even grey
  // recycled or tinted, reflects well over 40% (gray 100); legible print on
  // it spans far more than 48 gray levels, while the sensor noise of a black
  // scan, read on the 75-150 dpi working image, spans 10 to 30 (a black
  // 200-dpi page under noise of sigma 4 spans 12). 0 disables.
  double dark_page_max_level = 100;
  double dark_page_max_contrast = 48;
  // Skew is only judged when the estimate is at least this sure.
  double min_skew_confidence = 0.3;
  // Orientation (orientation.h) is only judged when at least this sure: a
  // page read as turned is PAGE_TURNED, unless the archive turns pages
  // itself (accept_turned_pages: the verdict then says it accepted one).
  double min_orientation_confidence = 0.5;
  bool accept_turned_pages = false;
  // No silent accept: a page with this many line pieces of text
  // (OrientationMeasure::lines: about fifteen full lines across A4) or edge
  // points (skew.h) holds enough to be measured, and an angle it
  // cannot measure with confidence is SKEW_UNCERTAIN or
  // ORIENTATION_UNCERTAIN, both rejecting. Fewer (a photo, a short note, an
  // ID card copy) report low confidence and are never rejected for it; a
  // blank page never is.
  int uncertain_min_lines = 60;
  int uncertain_min_skew_points = 4000;
  BarcodeRule barcode;
  std::string retention = "10y";
  // Set when the profile has a summary-sheet form.
  std::optional<SummaryFormRule> form;
  PageSignatureRule page_signature;
  RepairRule repair;
};

}  // namespace scangate
