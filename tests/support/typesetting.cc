// See typesetting.h.
#include "tests/support/typesetting.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace scangate::synth {

Typeface MakeTypeface(const Sheet& sheet, int hershey_face, double size_mm, double stroke_mm) {
  Typeface type;
  type.face = hershey_face;
  type.thickness = std::max(1, sheet.Px(stroke_mm));
  type.scale = cv::getFontScaleFromHeight(hershey_face, sheet.Px(size_mm), type.thickness);
  return type;
}

int TextWidth(const Typeface& type, const std::string& text) {
  int baseline = 0;
  return cv::getTextSize(text, type.face, type.scale, type.thickness, &baseline).width;
}

Typeface Fitted(Typeface type, const std::string& text, int width_px) {
  while (type.scale > 0.05 && TextWidth(type, text) > width_px) type.scale *= 0.95;
  return type;
}

void Print(cv::Mat& page, const std::string& text, cv::Point baseline_left, const Typeface& type,
           cv::Scalar ink) {
  // Anti-aliased: a scanner sees toner edges as gray ramps, not hard steps.
  cv::putText(page, text, baseline_left, type.face, type.scale, ink, type.thickness, cv::LINE_AA);
}

void PrintCentred(cv::Mat& page, const std::string& text, int centre_x, int baseline_y,
                  const Typeface& type, cv::Scalar ink) {
  Print(page, text, {centre_x - TextWidth(type, text) / 2, baseline_y}, type, ink);
}

void PrintRight(cv::Mat& page, const std::string& text, int right_x, int baseline_y,
                const Typeface& type, cv::Scalar ink) {
  Print(page, text, {right_x - TextWidth(type, text), baseline_y}, type, ink);
}

void Rule(cv::Mat& page, cv::Point from, cv::Point to, const Sheet& sheet, double stroke_mm) {
  // A filled rectangle keeps the stroke exactly as thick as asked; cv::line
  // rounds the caps and thickens short rules.
  int t = std::max(1, sheet.Px(stroke_mm));
  cv::Rect r = from.y == to.y ? cv::Rect(std::min(from.x, to.x), from.y - t / 2,
                                         std::abs(to.x - from.x) + 1, t)
                              : cv::Rect(from.x - t / 2, std::min(from.y, to.y), t,
                                         std::abs(to.y - from.y) + 1);
  cv::rectangle(page, r & cv::Rect(0, 0, page.cols, page.rows), kToner, cv::FILLED);
}

}  // namespace scangate::synth
