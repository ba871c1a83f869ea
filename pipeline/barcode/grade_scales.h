// Internal to the graders (barcode_grade_linear.cc, barcode_grade_matrix.cc):
// the ISO/IEC 15416 and 15415 grade scales, and the image sampling both use.
#pragma once

#include <opencv2/core.hpp>

namespace scangate::grading {

constexpr float kPi = 3.14159265358979f;

// ---------------------------------------------------------------- grade scales

struct Scale {
  double a, b, c, d;
  bool higher_is_better = true;
};

inline double GradeOn(double value, const Scale& s) {
  if (s.higher_is_better) {
    return value >= s.a ? 4 : value >= s.b ? 3 : value >= s.c ? 2 : value >= s.d ? 1 : 0;
  }
  return value <= s.a ? 4 : value <= s.b ? 3 : value <= s.c ? 2 : value <= s.d ? 1 : 0;
}

// ISO/IEC 15416 and 15415 thresholds.
constexpr Scale kSymbolContrast{0.70, 0.55, 0.40, 0.20};
constexpr Scale kLinearModulation{0.70, 0.60, 0.50, 0.40};
constexpr Scale kDefects{0.15, 0.20, 0.25, 0.30, false};
constexpr Scale kDecodability{0.62, 0.50, 0.37, 0.25};
constexpr Scale kMatrixModulation{0.50, 0.40, 0.30, 0.20};
constexpr double kMinEdgeContrast = 0.15;

// ------------------------------------------------------------------ sampling

// Reflectance 0..1 at a point (bilinear), or -1 outside the image.
float Reflectance(const cv::Mat& g, cv::Point2f p);

// In hundredths of a degree, in (-180, 180]; y runs down the screen.
double OrientationOf(cv::Point2f u);

}  // namespace scangate::grading
