// A decoded page: pixels plus what the file said about them.
#pragma once

#include <opencv2/core.hpp>

namespace scangate {

enum class ColorMode { kBilevel, kGray, kColor };

struct PageImage {
  // 8-bit gray view of the page, always set: every check reads it.
  cv::Mat gray;
  // 8-bit BGR, set only when the file holds colour.
  cv::Mat color;
  ColorMode color_mode = ColorMode::kGray;
  // Resolution from the file's metadata; 0 when the file carries none.
  double file_dpi_x = 0;
  double file_dpi_y = 0;
};

}  // namespace scangate
