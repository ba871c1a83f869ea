// Blur: how far the edges of the text are smeared, as the sigma of an
// equivalent Gaussian, over the page and tile by tile (a document camera
// focused on one half blurs the other).
#pragma once

#include <opencv2/core.hpp>

#include "pipeline/image/ink.h"
#include "pipeline/measurements.h"

namespace scangate {

struct BlurOptions {
  // Spread above which a tile counts as blurred (sigma, px at 300 dpi).
  double max_sigma_300dpi = 1.8;
};

// `gray` is the page at full resolution, `ink` its working maps (where the
// text is), `dpi` its resolution: results are scaled to 300 dpi so that one
// threshold serves every scan resolution. 1-bit pages have no gray ramps
// left to measure: the check reports itself not applicable.
BlurMeasure MeasureBlur(const cv::Mat& gray, const InkMap& ink, double dpi, bool bilevel,
                        const BlurOptions& options);

}  // namespace scangate
