// See ink.h. Local (not global) paper level: uneven lighting and colour casts
// must not turn a page grey; a fixed contrast floor keeps show-through out.
#include "ink.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace scangate {
namespace {

// Ink is at least this much darker than the paper around it (of 255).
constexpr int kMinInkContrast = 60;

}  // namespace

InkMap FindInk(const cv::Mat& gray, double page_dpi, double target_dpi) {
  InkMap ink;
  const double dpi = page_dpi > 0 ? page_dpi : 300;
  ink.scale = std::min(1.0, target_dpi / dpi);
  ink.dpi = dpi * ink.scale;
  cv::Mat small;
  if (ink.scale < 1.0)
    cv::resize(gray, small, cv::Size(), ink.scale, ink.scale, cv::INTER_AREA);
  else
    small = gray;

  // Paper level: a wide max-filter then blur follows the paper under the ink.
  cv::Mat paper;
  int k = std::max(3, int(ink.dpi / 6) | 1);  // ~4 mm, wider than strokes
  cv::dilate(small, paper, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(k, k)));
  cv::blur(paper, paper, cv::Size(k, k));
  cv::Mat contrast;
  cv::subtract(paper, small, contrast);
  cv::threshold(contrast, ink.mask, kMinInkContrast - 1, 255, cv::THRESH_BINARY);

  // Scanner borders and a dark background are dark from the edge inwards:
  // flood them away from every edge pixel that is dark in absolute terms.
  cv::Mat dark;
  cv::threshold(small, dark, 80, 255, cv::THRESH_BINARY_INV);
  cv::Mat border = cv::Mat::zeros(dark.rows + 2, dark.cols + 2, CV_8U);
  auto flood = [&](int x, int y) {
    if (dark.at<std::uint8_t>(y, x) && !border.at<std::uint8_t>(y + 1, x + 1))
      cv::floodFill(dark, border, cv::Point(x, y), 0, nullptr, 0, 0,
                    4 | cv::FLOODFILL_MASK_ONLY | (255 << 8));
  };
  for (int x = 0; x < dark.cols; ++x) {
    flood(x, 0);
    flood(x, dark.rows - 1);
  }
  for (int y = 0; y < dark.rows; ++y) {
    flood(0, y);
    flood(dark.cols - 1, y);
  }
  ink.mask.setTo(0, border(cv::Rect(1, 1, dark.cols, dark.rows)));
  return ink;
}

}  // namespace scangate
