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

Grade GradeOfValue(double value) {
  return value >= 3.5   ? Grade::kA
         : value >= 2.5 ? Grade::kB
         : value >= 1.5 ? Grade::kC
         : value >= 0.5 ? Grade::kD
                        : Grade::kF;
}

namespace {
constexpr const char* kGradeNames[] = {"", "A", "B", "C", "D", "F"};
constexpr const char* kParameterNames[] = {"",
                                           "decode",
                                           "min_reflectance",
                                           "symbol_contrast",
                                           "min_edge_contrast",
                                           "modulation",
                                           "defects",
                                           "decodability"};
}  // namespace

const char* GradeName(Grade grade) { return kGradeNames[static_cast<int>(grade)]; }

std::optional<Grade> GradeFromName(std::string_view name) {
  for (int g = 0; g < int(std::size(kGradeNames)); ++g)
    if (name == kGradeNames[g]) return static_cast<Grade>(g);
  return std::nullopt;
}

const char* GradeParameterName(GradeParameter parameter) {
  return kParameterNames[static_cast<int>(parameter)];
}

GradeParameter GradeParameterFromName(std::string_view name) {
  for (int p = 0; p < int(std::size(kParameterNames)); ++p)
    if (name == kParameterNames[p]) return static_cast<GradeParameter>(p);
  return GradeParameter::kNone;
}

}  // namespace scangate
