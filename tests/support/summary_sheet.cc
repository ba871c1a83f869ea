// The summary sheet (a transaction's processing slip): the printed form with
// its Code 128, and what the counter adds by hand: field entries, the
// applicant's signature and the office's red seal.
#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "tests/support/synthetic_page.h"
#include "tests/support/typesetting.h"

namespace scangate::synth {
namespace {

constexpr double kPaperW = 210, kPaperH = 297;
// Code 128 as business-system printers set it: 0.33 mm modules, 12 mm bars,
// right-aligned on the right margin.
constexpr double kModuleMm = 0.33, kBarsHeightMm = 12, kBarsRightMm = 190, kBarsTopMm = 14;
// A printed box's label takes its top this many mm; the writing area is below.
constexpr double kLabelBandMm = 6.5, kInsetMm = 1.5;

struct PrintedBox {
  double x, y, w, h;
  BoxMm WritingArea() const {
    return {x + kInsetMm, y + kLabelBandMm, w - 2 * kInsetMm, h - kLabelBandMm - kInsetMm};
  }
};

const PrintedBox kSignatureBox{20, 162, 100, 45};
const PrintedBox kSealBox{130, 162, 60, 55};
PrintedBox FieldBox(std::size_t i) { return {i % 2 ? 107.0 : 20.0, 62.0 + 24.0 * (i / 2), 83, 20}; }

using Stroke = std::vector<cv::Point>;

// Handwriting without an alphabet: each letter is one turn of a trochoid (a
// pen moving forward while circling), so strokes join, loop and slant like
// cursive. Letters vary in width and height; some rise as ascenders, some
// drop as descenders, some get an i-dot. One stroke per word.
std::vector<Stroke> Handwriting(cv::RNG& rng, cv::Point2d start, double width_px,
                                double x_height_px, double slant, double loopiness) {
  std::vector<Stroke> strokes;
  double x = start.x, base = start.y;
  const double end = start.x + width_px;
  while (x < end) {
    Stroke word;
    Stroke dots;
    int letters = rng.uniform(3, 9);
    double drift = rng.uniform(-0.04, 0.04);  // hand-drawn baselines wander
    for (int l = 0; l < letters && x < end; ++l) {
      double w = x_height_px * rng.uniform(0.45, 0.85);
      int kind = rng.uniform(0, 10);
      double h = x_height_px * (kind < 2 ? rng.uniform(1.8, 2.4) : rng.uniform(0.8, 1.1));
      double depth = kind == 2 ? x_height_px * rng.uniform(0.7, 1.0) : 0;
      double loop = rng.uniform(0.10, 0.30) * loopiness;  // above 1/(2 pi) the turn loops
      constexpr int kSteps = 18;
      for (int s = 0; s < kSteps; ++s) {
        double t = 2 * CV_PI * s / kSteps;
        double rise = (1 - std::cos(t)) / 2;
        double y = base - (depth > 0 ? -depth * rise : h * rise);
        double px = x + w * s / kSteps - loop * w * std::sin(t) + slant * (base - y);
        word.push_back({cvRound(px), cvRound(y)});
      }
      if (kind == 3 && rng.uniform(0, 2) == 0)
        dots.push_back({cvRound(x + w / 2 + slant * 1.6 * x_height_px),
                        cvRound(base - 1.6 * x_height_px)});
      x += w;
      base += drift * w;
    }
    word.push_back({cvRound(x + x_height_px * 0.3), cvRound(base - x_height_px * 0.3)});  // exit tail
    strokes.push_back(std::move(word));
    for (const cv::Point& d : dots) strokes.push_back({d, d + cv::Point(1, 0)});
    x += x_height_px * rng.uniform(0.9, 1.5);
  }
  return strokes;
}

void Ink(cv::Mat& page, const std::vector<Stroke>& strokes, cv::Scalar ink, int thickness) {
  cv::polylines(page, strokes, false, ink, thickness, cv::LINE_AA);
}

// A signature: larger, looser, more slanted handwriting and a flourish under it.
void Sign(cv::Mat& page, cv::RNG& rng, const Sheet& sheet, const BoxMm& area, cv::Scalar ink) {
  cv::Point2d start = sheet.At(area.x + rng.uniform(6.0, 16.0), area.y + area.height * 0.62);
  double width = sheet.px_per_mm * rng.uniform(40.0, 58.0);
  std::vector<Stroke> strokes =
      Handwriting(rng, start, width, sheet.px_per_mm * rng.uniform(4.5, 6.0), 0.45, 1.6);
  Stroke flourish;
  double dip = sheet.px_per_mm * rng.uniform(3.0, 6.0);
  for (int i = 0; i <= 40; ++i) {
    double t = i / 40.0;
    flourish.push_back({cvRound(start.x - sheet.px_per_mm * 3 + t * (width + sheet.px_per_mm * 8)),
                        cvRound(start.y + dip * 4 * t * (1 - t) - t * dip * 0.6 + dip * 0.2)});
  }
  strokes.push_back(std::move(flourish));
  Ink(page, strokes, ink, std::max(1, sheet.Px(0.45)));
}

// Characters set along an arc of a seal, tops facing outward.
void ArcText(cv::Mat& mask, const std::string& text, cv::Point2d centre, double radius,
             double from_deg, double to_deg, const Typeface& type) {
  const int side = 4 * TextWidth(type, "W");
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ' ') continue;
    double at = from_deg + (to_deg - from_deg) * (i + 0.5) / text.size();
    double rad = at * CV_PI / 180;
    cv::Point2d pos = centre + radius * cv::Point2d(std::cos(rad), std::sin(rad));
    cv::Mat glyph(side, side, CV_8UC1, cv::Scalar(0));
    std::string ch(1, text[i]);
    int baseline = 0;
    cv::Size size = cv::getTextSize(ch, type.face, type.scale, type.thickness, &baseline);
    cv::putText(glyph, ch, {(side - size.width) / 2, (side + size.height) / 2}, type.face,
                type.scale, cv::Scalar(255), type.thickness, cv::LINE_AA);
    // Screen angles run clockwise (y down); the top of the circle is 270.
    cv::Mat turn = cv::getRotationMatrix2D({side / 2.0f, side / 2.0f}, 270 - at, 1.0);
    cv::warpAffine(glyph, glyph, turn, glyph.size());
    cv::Rect place(cvRound(pos.x) - side / 2, cvRound(pos.y) - side / 2, side, side);
    cv::Rect clipped = place & cv::Rect(0, 0, mask.cols, mask.rows);
    cv::Mat dst = mask(clipped);
    cv::max(dst, glyph(clipped - place.tl()), dst);
  }
}

// A round office seal in red ink, pressed at a slight angle with uneven ink,
// blended like ink: it darkens what is under it and never covers print.
void Seal(cv::Mat& page, cv::RNG& rng, const Sheet& sheet, cv::Point2d centre_px) {
  const double radius = sheet.px_per_mm * 20;
  const int side = 2 * cvRound(radius) + sheet.Px(4);
  const cv::Point2d c(side / 2.0, side / 2.0);
  cv::Mat mask(side, side, CV_8UC1, cv::Scalar(0));
  cv::circle(mask, c, cvRound(radius - sheet.px_per_mm * 0.6), cv::Scalar(255), sheet.Px(1.2),
             cv::LINE_AA);
  std::vector<cv::Point> star;
  for (int i = 0; i < 10; ++i) {
    double a = CV_PI / 2 + i * CV_PI / 5, r = sheet.px_per_mm * (i % 2 ? 2.6 : 6.8);
    star.push_back({cvRound(c.x + r * std::cos(a)), cvRound(c.y - r * std::sin(a))});
  }
  cv::fillPoly(mask, std::vector<Stroke>{star}, cv::Scalar(255), cv::LINE_AA);
  const Typeface arc = MakeTypeface(sheet, cv::FONT_HERSHEY_DUPLEX, 3.4, 0.42);
  ArcText(mask, "SOCIAL INSURANCE CENTRE", c, radius - sheet.px_per_mm * 4.6, 160, 380, arc);
  const Typeface centre_text = MakeTypeface(sheet, cv::FONT_HERSHEY_DUPLEX, 2.3, 0.32);
  int w = TextWidth(centre_text, "OFFICIAL SEAL");
  cv::putText(mask, "OFFICIAL SEAL", {cvRound(c.x) - w / 2, cvRound(c.y + sheet.px_per_mm * 12)},
              centre_text.face, centre_text.scale, cv::Scalar(255), centre_text.thickness,
              cv::LINE_AA);
  cv::Mat turn = cv::getRotationMatrix2D(c, rng.uniform(-15.0, 15.0), 1.0);
  cv::warpAffine(mask, mask, turn, mask.size());

  // Uneven ink: blotchy texture, and one side pressed lighter than the other.
  cv::Mat texture(side, side, CV_32FC1);
  rng.fill(texture, cv::RNG::UNIFORM, 0.0, 1.0);
  cv::GaussianBlur(texture, texture, cv::Size(), sheet.px_per_mm * 0.5);
  cv::normalize(texture, texture, 0.5, 1.0, cv::NORM_MINMAX);
  const double light_side = rng.uniform(0.0, 2 * CV_PI);
  const cv::Vec3f ink(45, 40, 205);  // BGR seal red
  cv::Rect place(cvRound(centre_px.x) - side / 2, cvRound(centre_px.y) - side / 2, side, side);
  cv::Rect clipped = place & cv::Rect(0, 0, page.cols, page.rows);
  for (int y = clipped.y; y < clipped.br().y; ++y) {
    for (int x = clipped.x; x < clipped.br().x; ++x) {
      int my = y - place.y, mx = x - place.x;
      float coverage = mask.at<std::uint8_t>(my, mx) / 255.0f;
      if (coverage == 0) continue;
      double side_angle = std::atan2(my - c.y, mx - c.x) - light_side;
      float alpha = coverage * texture.at<float>(my, mx) * float(0.8 + 0.15 * std::cos(side_angle));
      cv::Vec3b& px = page.at<cv::Vec3b>(y, x);
      for (int k = 0; k < 3; ++k) px[k] = cv::saturate_cast<std::uint8_t>(px[k] * (1 - alpha * (1 - ink[k] / 255)));
    }
  }
}

void PrintBox(cv::Mat& page, const Sheet& sheet, const PrintedBox& box, const std::string& label,
              const Typeface& type) {
  cv::Point tl = sheet.At(box.x, box.y), br = sheet.At(box.x + box.w, box.y + box.h);
  Rule(page, tl, {br.x, tl.y}, sheet, 0.3);
  Rule(page, {tl.x, br.y}, br, sheet, 0.3);
  Rule(page, tl, {tl.x, br.y}, sheet, 0.3);
  Rule(page, {br.x, tl.y}, br, sheet, 0.3);
  Print(page, label, sheet.At(box.x + kInsetMm + 0.5, box.y + 4.2), type);
}

}  // namespace

const SummaryLayout& SummarySheetLayout() {
  static const SummaryLayout layout = [] {
    SummaryLayout l;
    l.barcode = {110, 10, 84, 26};
    l.field_labels = {"Applicant name", "Citizen ID number", "Business type", "Contact telephone",
                      "Residential address", "Bank account", "Documents received", "Clerk remarks"};
    for (std::size_t i = 0; i < l.field_labels.size(); ++i) l.fields.push_back(FieldBox(i).WritingArea());
    l.signature = kSignatureBox.WritingArea();
    l.seal = kSealBox.WritingArea();
    return l;
  }();
  return layout;
}

void DrawCode128(cv::Mat& page, const std::string& text, cv::Point top_left, double module_px,
                 int height_px) {
  // Margin 0 and width 0: one matrix column per module, scaled here so that
  // fractional module sizes keep their average width.
  ZXing::BitMatrix modules =
      ZXing::MultiFormatWriter(ZXing::BarcodeFormat::Code128).setMargin(0).encode(text, 0, 1);
  const int n = modules.width();
  auto edge = [&](int m) { return top_left.x + cvRound(m * module_px); };
  const cv::Rect page_rect(0, 0, page.cols, page.rows);
  cv::Rect zone(edge(-10), top_left.y, edge(n + 10) - edge(-10), height_px);
  cv::rectangle(page, zone & page_rect, kPaper, cv::FILLED);
  for (int m = 0; m < n;) {
    if (!modules.get(m, 0)) {
      ++m;
      continue;
    }
    int run = m;
    while (run < n && modules.get(run, 0)) ++run;
    cv::Rect bar(edge(m), top_left.y, edge(run) - edge(m), height_px);
    cv::rectangle(page, bar & page_rect, cv::Scalar::all(15), cv::FILLED);
    m = run;
  }
}

cv::Mat SummarySheet(const SummarySpec& spec) {
  const Sheet sheet(spec.dpi);
  cv::RNG rng(spec.seed);
  const SummaryLayout& layout = SummarySheetLayout();
  cv::Mat page = sheet.Blank(kPaperW, kPaperH, CV_8UC3);
  const Typeface small = MakeTypeface(sheet, cv::FONT_HERSHEY_SIMPLEX, 2.4, 0.2);
  const Typeface body = MakeTypeface(sheet, cv::FONT_HERSHEY_COMPLEX, 3.0, 0.22);
  const Typeface bold = MakeTypeface(sheet, cv::FONT_HERSHEY_DUPLEX, 3.2, 0.3);
  const Typeface title = MakeTypeface(sheet, cv::FONT_HERSHEY_TRIPLEX, 5.4, 0.5);
  const int right = sheet.Px(190);

  // What the business system prints.
  Print(page, "Municipal Social Insurance Service Centre", sheet.At(20, 18), small);
  // Whole pixels per module, as printers and scanners at common dpi give.
  const double module_px = std::max(1.0, std::round(kModuleMm * sheet.px_per_mm));
  const int modules = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::Code128)
                          .setMargin(0)
                          .encode(spec.transaction_number, 0, 1)
                          .width();
  const cv::Point bars(sheet.Px(kBarsRightMm) - cvRound(modules * module_px), sheet.Px(kBarsTopMm));
  // The title gives way to the barcode's quiet zone, with room to spare.
  const std::string heading = "BUSINESS PROCESSING SLIP";
  const int title_room = bars.x - cvRound(10 * module_px) - sheet.Px(3) - sheet.Px(20);
  Print(page, heading, sheet.At(20, 30), Fitted(title, heading, title_room));
  Print(page, "Transaction summary sheet - file first in the batch", sheet.At(20, 37), small);
  DrawCode128(page, spec.transaction_number, bars, module_px, sheet.Px(kBarsHeightMm));
  const Typeface digits = MakeTypeface(sheet, cv::FONT_HERSHEY_SIMPLEX, 2.8, 0.25);
  PrintCentred(page, spec.transaction_number, bars.x + cvRound(modules * module_px / 2),
               sheet.Px(kBarsTopMm + kBarsHeightMm + 4), digits);
  Rule(page, sheet.At(20, 42), sheet.At(190, 42), sheet, 0.5);
  const int counter = rng.uniform(1, 20), clerk = rng.uniform(1000, 9999);
  Print(page, "Business:  Old-age pension claim", sheet.At(20, 49), body);
  PrintRight(page, "Counter " + std::to_string(counter) + "   Clerk " + std::to_string(clerk),
             right, sheet.Px(49), body);
  Print(page, "Accepted:  2026-11-27 10:42", sheet.At(20, 55.5), body);
  PrintRight(page, "Supporting pages: " + std::to_string(rng.uniform(2, 8)), right, sheet.Px(55.5),
             body);
  for (std::size_t i = 0; i < layout.fields.size(); ++i)
    PrintBox(page, sheet, FieldBox(i), layout.field_labels[i], small);
  PrintBox(page, sheet, kSignatureBox, "Applicant signature", small);
  PrintBox(page, sheet, kSealBox, "Office seal", small);
  Print(page, "Notes", sheet.At(20, 232), bold);
  const char* notes[] = {
      "1. The applicant confirms that the information above and the attached documents are true.",
      "2. This slip and the scanned documents form one archive batch; do not separate them.",
      "3. Field entries must be legible; corrections must be initialled by the clerk."};
  for (int i = 0; i < 3; ++i) Print(page, notes[i], sheet.At(20, 239 + 6 * i), small);
  Rule(page, sheet.At(20, 272), sheet.At(190, 272), sheet, 0.2);
  Print(page, "Printed by the SIS business system  2026-11-27 10:42:13", sheet.At(20, 277), small);
  PrintRight(page, "page 1/1", right, sheet.Px(277), small);

  // What the counter adds by hand: blue or black ballpoint.
  const cv::Scalar blue(150, 65, 30), black(45, 40, 40);
  for (std::size_t i = 0; i < layout.fields.size(); ++i) {
    if (i < spec.filled.size() && !spec.filled[i]) continue;
    const BoxMm& area = layout.fields[i];
    cv::Point2d start = sheet.At(area.x + rng.uniform(2.0, 5.0), area.y + area.height - 3.5);
    double width = sheet.px_per_mm * area.width * rng.uniform(0.35, 0.75);
    Ink(page, Handwriting(rng, start, width, sheet.px_per_mm * 2.4, 0.25, 1.0),
        rng.uniform(0, 3) ? blue : black, std::max(1, sheet.Px(0.35)));
  }
  if (spec.signed_by_applicant) Sign(page, rng, sheet, layout.signature, rng.uniform(0, 2) ? blue : black);
  if (spec.sealed) {
    const BoxMm& area = layout.seal;
    Seal(page, rng, sheet,
         sheet.At(area.x + area.width / 2 + rng.uniform(-2.0, 2.0),
                  area.y + area.height / 2 + rng.uniform(-1.5, 1.5)));
  }
  if (!spec.colour) cv::cvtColor(page, page, cv::COLOR_BGR2GRAY);
  return page;
}

}  // namespace scangate::synth
