// Blur: how far edges are smeared, as the sigma of an equivalent Gaussian.
#pragma once

#include <opencv2/core.hpp>

#include "measurements.h"

namespace scangate {

struct BlurOptions {
  // Spread above which a tile counts as blurred (sigma, px at 300 dpi).
  double max_sigma_300dpi = 1.4;
};

// Measures the page's edge spread, overall and per tile. `dpi` scales the
// result to 300 dpi so that one threshold serves every scan resolution.
BlurMeasure MeasureBlur(const cv::Mat& gray, double dpi, bool bilevel, const BlurOptions& options);

}  // namespace scangate
