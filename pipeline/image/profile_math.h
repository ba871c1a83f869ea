// Sampling and statistics on intensity profiles, shared by the checks that
// read lines of pixels (barcode reading, locating and grading; blur).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace scangate {

// The gray level at (x, y) of an 8-bit image, bilinear between the four
// pixels around the point, or `outside` where those four are not all in the
// image.
inline float BilinearGray(const cv::Mat& g, float x, float y, float outside) {
  const int ix = static_cast<int>(std::floor(x)), iy = static_cast<int>(std::floor(y));
  if (ix < 0 || iy < 0 || ix + 1 >= g.cols || iy + 1 >= g.rows) return outside;
  const float fx = x - float(ix), fy = y - float(iy);
  const std::uint8_t* r0 = g.ptr<std::uint8_t>(iy) + ix;
  const std::uint8_t* r1 = g.ptr<std::uint8_t>(iy + 1) + ix;
  return (r0[0] * (1 - fx) + r0[1] * fx) * (1 - fy) + (r1[0] * (1 - fx) + r1[1] * fx) * fy;
}

// Pearson correlation of two profiles over their common length: 1 when one
// is the other's shape, 0 when unrelated. A profile whose variance per
// sample is `flat` or less has no shape to compare and correlates 0 (by
// default: flat but for rounding; a caller may ask for more).
inline double Correlation(const std::vector<float>& a, const std::vector<float>& b,
                          double flat = 1e-9) {
  const std::size_t n = std::min(a.size(), b.size());
  if (n == 0) return 0;
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (std::size_t i = 0; i < n; ++i)
    sa += a[i], sb += b[i], saa += a[i] * a[i], sbb += b[i] * b[i], sab += a[i] * b[i];
  const double count = static_cast<double>(n);
  const double va = saa - sa * sa / count, vb = sbb - sb * sb / count;
  if (va <= flat * count || vb <= flat * count) return 0;
  return (sab - sa * sb / count) / std::sqrt(va * vb);
}

// The median (the upper one of an even count); T{} for none.
template <class T>
T Median(std::vector<T> v) {
  if (v.empty()) return T{};
  auto mid = v.begin() + std::ptrdiff_t(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

}  // namespace scangate
