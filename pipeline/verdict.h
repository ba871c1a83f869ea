// Page verdicts: every check's measurement, and the decision derived from
// them and the profile in one place (DecidePage).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/measurements.h"
#include "pipeline/page_error.h"
#include "pipeline/decode/page_image.h"
#include "pipeline/profile.h"

namespace scangate {

enum class Decision { kAccept, kReject };

// Numbers match scangate.v1.ReasonCode: they are stored in the ledger.
enum class ReasonCode {
  kDecodeError = 1,
  kLowResolution = 2,
  kBlurred = 3,
  kSkewed = 4,
  kBarcodeMissing = 5,
  kBarcodeUnreadable = 6,
  kBarcodePayload = 7,
  kBarcodeQuality = 8,
  kSummaryFieldMissing = 9,
  kSignatureMissing = 10,
  kSealMissing = 11,
  kPageCount = 12,
  kSummarySheetMissing = 13,
  kInternalError = 14,
  kBatchIncomplete = 15,
  // Set by the batch rules on the wire records, never by a check.
  kCategoryCount = 16,
  kCategoryMissing = 17,
  kDuplicatePage = 18,
  kPageTooDark = 19,
  kPageTurned = 20,
  kSkewUncertain = 21,
  kOrientationUncertain = 22,
};

struct Reason {
  ReasonCode code;
  std::string detail;
  std::string zone;
  std::optional<std::uint32_t> page;  // batch reasons: the page concerned
  std::string waived_by = {};         // the operator who waived it: it no longer rejects
  std::string waiver_note = {};
};

// Whether any of `reasons` still rejects (none waived by the clerk).
inline bool AnyRejects(const std::vector<Reason>& reasons) {
  for (const Reason& r : reasons)
    if (r.waived_by.empty()) return true;
  return false;
}

// Seconds spent per stage, for the bench and the metrics.
struct CheckTimes {
  double decode = 0, resolution = 0, ink = 0, skew = 0, blank = 0, blur = 0, barcode = 0;
  double orientation = 0;
  double summary = 0;  // form registration and every zone decision
  double repair = 0;   // making the repaired page and its archive copy, and judging it again
};

// What the server did to a page it repaired (pipeline/repair.h) before
// judging it again; the verdict's measurements are the repaired page's.
struct RepairRecord {
  int turned_degrees = 0;       // turned clockwise by this (90, 180, 270), or 0
  double deskewed_degrees = 0;  // the skew levelled (rotated clockwise by this), or 0
  // Cropped from each side, millimetres at the page's dpi.
  double cropped_left_mm = 0, cropped_top_mm = 0, cropped_right_mm = 0, cropped_bottom_mm = 0;
  int specks_removed = 0;
  // For people: "turned 180 degrees", "deskewed 2.31 degrees", "cropped 14 mm left".
  std::vector<std::string> done;
  // The reasons the page as scanned had (none for an accepted page that was
  // only cropped or cleaned).
  std::vector<Reason> original_reasons;
  // The original's measurements, for the quality figures.
  double original_skew_degrees = 0;
  double original_blur_sigma = 0;
  int original_width = 0, original_height = 0;
  // The archive copy: the repaired page encoded (1-bit: G4 TIFF; gray and
  // colour: JPEG or PNG), its SHA-256 (hex) and media type. The bytes go to
  // the station with the verdict; the server keeps none.
  std::string archive_copy;
  std::string archive_sha256;
  std::string archive_media_type;
};

struct PageVerdict {
  std::string source;
  std::uint32_t page_index = 0;
  std::uint32_t frame = 0;
  Decision decision = Decision::kReject;
  std::vector<Reason> reasons;
  // The text of the first readable barcode the profile's rule accepts;
  // empty when none (DecidePage sets it).
  std::string transaction_id;
  // Why the page carries no transaction barcode, where the profile takes
  // the batch's first page as its summary sheet (BarcodeRule::
  // first_page_is_summary_sheet) and this page did not register to a form
  // (a registered sheet says so in its reasons): the batch rules name it
  // on the batch's first page. Not one of the page's own reasons.
  std::optional<Reason> transaction_absence;
  std::string error;  // set when the page could not be read or judged
  std::optional<PageErrorKind> error_kind;
  std::string sha256;
  int width = 0, height = 0;
  ColorMode color_mode = ColorMode::kGray;
  ResolutionMeasure resolution;
  BlurMeasure blur;
  bool blurred = false;
  SkewMeasure skew;
  OrientationMeasure orientation;
  // The page is not upright, and the profile accepts turned pages
  // (Profile::accept_turned_pages): said here instead of a reason.
  bool accepted_turned = false;
  BlankMeasure blank;
  bool is_blank = false;
  bool too_dark = false;  // dark almost everywhere, nothing legible: never blank
  BarcodeMeasures barcodes;
  // The summary sheet. `summary_sheet` says this page is the batch's summary
  // sheet; DecidePage sets it when the page registers to the profile's form
  // (registration.score >= the form's threshold). Batch rules read it.
  RegistrationMeasure registration;
  bool summary_sheet = false;
  std::vector<FieldMeasure> fields;
  std::vector<SignatureMeasure> signatures;  // boxes, or "page" in page-wide mode
  std::vector<SealMeasure> seals;
  std::string profile;
  std::string profile_version;
  double judge_seconds = 0;
  CheckTimes times;
  // Set when the page was repaired and the repaired page is what was judged
  // (Profile::repair): its measurements above are the repaired page's.
  std::optional<RepairRecord> repair;
};

// Sets decision, reasons and the derived flags from the measurements.
void DecidePage(PageVerdict& verdict, const Profile& profile);

// A verdict for a page that could not be read or judged.
PageVerdict ErrorVerdict(const PageError& error, ReasonCode code);

// What a decoded transaction barcode lacks against the rule's requirements
// (grade, X-dimension, orientation, quiet zone, bar height), each with its
// measurement; empty when it meets them all.
std::string BarcodeShortfalls(const BarcodeMeasure& code, const BarcodeRule& rule);

// Why a page that must carry the transaction barcode does not: nothing
// barcode-like (BARCODE_MISSING), bars nothing decodes (BARCODE_UNREADABLE),
// or codes whose payload the rule refuses (BARCODE_PAYLOAD). None when the
// page carries a code the rule accepts.
std::optional<Reason> BarcodeAbsence(const PageVerdict& page, const BarcodeRule& rule);

}  // namespace scangate
