// The page's ink at a working resolution: what skew and blank both read.
#pragma once

#include <opencv2/core.hpp>

namespace scangate {

struct InkMap {
  // 255 where ink, at `dpi` (downsampled from the page).
  cv::Mat mask;
  double dpi = 0;
  // Scale from page pixels to mask pixels.
  double scale = 1;
};

// Downsamples to about `target_dpi` and marks pixels clearly darker than the
// paper around them; dark scanner borders touching the image edge are removed.
InkMap FindInk(const cv::Mat& gray, double page_dpi, double target_dpi);

}  // namespace scangate
