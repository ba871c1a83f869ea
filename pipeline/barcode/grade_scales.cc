// See grade_scales.h.
#include "pipeline/barcode/grade_scales.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "pipeline/barcode/barcode_grade.h"

namespace scangate {
namespace grading {

// Reflectance 0..1 at a point (bilinear), or -1 outside the image.
float Reflectance(const cv::Mat& g, cv::Point2f p) {
  if (!(p.x >= 0 && p.y >= 0 && p.x <= g.cols - 1 && p.y <= g.rows - 1)) return -1;
  int x = std::min(static_cast<int>(p.x), g.cols - 2),
      y = std::min(static_cast<int>(p.y), g.rows - 2);
  if (g.cols < 2 || g.rows < 2) return g.at<uint8_t>(0, 0) / 255.0f;
  float fx = p.x - x, fy = p.y - y;
  const uint8_t* r0 = g.ptr<uint8_t>(y) + x;
  const uint8_t* r1 = g.ptr<uint8_t>(y + 1) + x;
  float v = (r0[0] * (1 - fx) + r0[1] * fx) * (1 - fy) + (r1[0] * (1 - fx) + r1[1] * fx) * fy;
  return v / 255.0f;
}


// In hundredths of a degree, in (-180, 180]; y runs down the screen.
double OrientationOf(cv::Point2f u) {
  double degrees = std::round(std::atan2(-u.y, u.x) * 18000 / kPi) / 100;
  return degrees <= -180 ? degrees + 360 : degrees + 0.0;  // + 0.0: no "-0"
}

}  // namespace grading

std::string GradeLetter(double value) {
  return value >= 3.5 ? "A" : value >= 2.5 ? "B" : value >= 1.5 ? "C" : value >= 0.5 ? "D" : "F";
}

}  // namespace scangate
