// The bundled summary-sheet forms (profiles/forms/*.png), as the business
// system prints them, and the way counters fill them in: handwriting in
// varied pens, signatures, stamps of several shapes and inks, and the stray
// marks a complete-looking sheet can carry. The truth of a filled sheet is
// the FormFill it was made from.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "tests/support/synthetic_page.h"

namespace scangate::synth {

// A writing area, signature box or seal box of a form.
struct FormZoneMm {
  std::string name;   // as in the profile, e.g. "applicant_name"
  std::string label;  // the printed label (Chinese)
  BoxMm area;         // where the writing goes, mm from the form's top-left
};

struct FormDesign {
  std::string name;  // the profile's name, e.g. "pension-claim"
  double width_mm = 210, height_mm = 297;
  std::vector<FormZoneMm> fields;
  std::vector<FormZoneMm> signatures;
  std::vector<FormZoneMm> seals;
  BoxMm barcode;  // the Code 128, its quiet zones and its digits
};

// "pension-claim" and "enrolment-change".
const std::vector<FormDesign>& BundledForms();
const FormDesign& BundledForm(const std::string& name);

// The blank form (no barcode, nothing written): the profile's template.
// 8-bit gray.
cv::Mat BlankForm(const FormDesign& form, double dpi);
// The form as printed for one transaction: the blank form plus the Code 128
// of `transaction` and its digits. BGR.
cv::Mat PrintedForm(const FormDesign& form, double dpi, const std::string& transaction);

// The profile's `form { ... }` block for the design, in protobuf text format.
std::string FormTextproto(const FormDesign& form, const std::string& template_image);

// What a counter puts in a field.
enum class FieldEntry {
  kWritten,     // handwriting, from two characters to a long line
  kEmpty,
  kStrayDot,    // a pen dot or speck
  kStrayTick,   // a short tick or dash, as when the pen slipped
  kSmudge,      // a faint grey smear over the label and the box's edge
};

// What is in a signature box.
enum class SignatureEntry {
  kSigned,       // a handwritten signature (Chinese name or cursive)
  kEmpty,
  kTick,         // a check mark
  kRuledLine,    // a straight pen line across the box
  kPrintedText,  // a typed name or printed note, no handwriting
  kStampOnly,    // a name stamp or a seal, no handwriting
  kStrayDot,
};

enum class StampShape { kRound, kOval, kSquare };

struct StampStyle {
  StampShape shape = StampShape::kRound;
  cv::Scalar ink = cv::Scalar(45, 40, 205);  // BGR
  double size_mm = 42;   // diameter, or side
  double strength = 1;   // 0.5: faint
  bool partial = false;  // one side barely inked
  double degrees = 0;
};

// What is in a seal box.
enum class SealEntry {
  kStamped,
  kEmpty,
  kSignatureOnly,  // someone signed in the seal box
  kPrintedText,
  kTick,
};

struct FormFill {
  std::uint32_t seed = 1;
  std::vector<FieldEntry> fields;           // one per form field
  std::vector<SignatureEntry> signatures;   // one per signature box
  std::vector<SealEntry> seals;             // one per seal box
  StampStyle stamp;                         // for kStamped
  // A signed box gets the stamp pressed over its signature too (as offices
  // stamp over the clerk's name): index into signatures, or -1.
  int stamp_over_signature = -1;
  // Stamps are pressed off-centre, overlapping the box's label and edge.
  double stamp_offset_mm = 0;
  // A stamped seal box is signed before it is stamped (otherwise one in four).
  bool signed_in_seal_box = false;
};

// Fills a PrintedForm at `dpi` in place. BGR.
void FillForm(cv::Mat& page, const FormDesign& form, double dpi, const FormFill& fill);

// A random fill for the corpus: `complete` gives a sheet a clerk would accept;
// otherwise one to three defects.
FormFill RandomFill(const FormDesign& form, std::uint32_t seed, bool complete);

// A sheet a clerk would accept, as tests and the sample batch need one: the
// form printed for `transaction`, every field written, both boxes signed and
// the office's round red seal in its box. BGR, or 8-bit gray.
cv::Mat CompletedSheet(const std::string& form, double dpi, const std::string& transaction,
                       std::uint32_t seed = 1, bool colour = true);

// Chinese text in the bundled font (WenQuanYi Zen Hei), `height_px` the em
// height, the em box's top-left at `origin`.
void PrintChinese(cv::Mat& page, const std::string& text, cv::Point origin, int height_px,
                  cv::Scalar ink);
int ChineseWidth(const std::string& text, int height_px);

// Handwritten signatures of every style, for the page-wide signature check's
// training pages and tests: a Chinese name (one or two), trochoid cursive, a
// Latin name or its initials in a warped script hand, a zigzag scrawl, a row
// of loops.
enum class SignatureStyle { kChineseName, kCursive, kLatinName, kInitials, kScrawl, kLoops, kCount };
const char* SignatureStyleName(SignatureStyle style);
// Signs `page` (BGR or 8-bit gray) with the writing's left end and vertical
// middle at `left_mid` (page pixels); `height_mm` the letters' height;
// `underline` adds a flourish or line beneath; `pen_mm` the pen's width (0:
// a random ballpoint or gel pen). Returns the inked box, clipped to the page.
cv::Rect SignAt(cv::Mat& page, double dpi, cv::Point left_mid, double height_mm, SignatureStyle style,
                bool underline, double pen_mm, cv::RNG& rng);
// Presses a stamp of `style` centred at `centre` (page pixels) on a BGR or
// gray page.
void PressStamp(cv::Mat& page, double dpi, cv::Point centre, const StampStyle& style, cv::RNG& rng);

}  // namespace scangate::synth
