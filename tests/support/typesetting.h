// Printing on a synthetic page: millimetre geometry and Hershey-font text,
// shared by the page kinds in this folder. Not part of the synth API.
#pragma once

#include <opencv2/core.hpp>
#include <string>

namespace scangate::synth {

// Toner and paper as a laser printer leaves them: not quite black, white.
inline const cv::Scalar kToner = cv::Scalar::all(28);
inline const cv::Scalar kPaper = cv::Scalar::all(255);

// Millimetres on paper to pixels at one dpi.
struct Sheet {
  double px_per_mm;
  explicit Sheet(double dpi) : px_per_mm(dpi / 25.4) {}
  int Px(double mm) const { return cvRound(mm * px_per_mm); }
  cv::Point At(double x_mm, double y_mm) const { return {Px(x_mm), Px(y_mm)}; }
  cv::Rect Box(double x_mm, double y_mm, double w_mm, double h_mm) const {
    return {Px(x_mm), Px(y_mm), Px(w_mm), Px(h_mm)};
  }
  // A white page of that paper size.
  cv::Mat Blank(double width_mm, double height_mm, int type) const {
    return cv::Mat(Px(height_mm), Px(width_mm), type, kPaper);
  }
};

// A Hershey face at a size given on paper. `size_mm` spans cap height plus
// descender, so lines of one size set solid at about 1.2 x size_mm.
struct Typeface {
  int face = 0;
  double scale = 1;
  int thickness = 1;
};
Typeface MakeTypeface(const Sheet& sheet, int hershey_face, double size_mm, double stroke_mm);

int TextWidth(const Typeface& type, const std::string& text);
// `type`, made smaller if needed so that `text` is at most `width_px` wide.
Typeface Fitted(Typeface type, const std::string& text, int width_px);
// `baseline_left` is where the text's baseline starts.
void Print(cv::Mat& page, const std::string& text, cv::Point baseline_left, const Typeface& type,
           cv::Scalar ink = kToner);
void PrintCentred(cv::Mat& page, const std::string& text, int centre_x, int baseline_y,
                  const Typeface& type, cv::Scalar ink = kToner);
void PrintRight(cv::Mat& page, const std::string& text, int right_x, int baseline_y,
                const Typeface& type, cv::Scalar ink = kToner);
// A horizontal or vertical printed rule `stroke_mm` thick.
void Rule(cv::Mat& page, cv::Point from, cv::Point to, const Sheet& sheet, double stroke_mm = 0.25);

}  // namespace scangate::synth
