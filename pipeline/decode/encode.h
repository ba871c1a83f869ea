// Encoding pages into files that carry their dpi the way scanners write it:
// the archive copy of a repaired page (pipeline/repair.h), and the test and
// bench generators' pages. Nothing touches the disk.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "common/result.h"

namespace scangate {

// True when `page` is 8-bit gray holding only 0 and 255 (a 1-bit page).
bool IsBilevel(const cv::Mat& page);

// PNG (zlib at `level`, 0..9) with a pHYs chunk: lossless, gray or BGR.
Expected<std::string> EncodePngFile(const cv::Mat& page, double dpi, int level = 6);
// Baseline JPEG (optimised Huffman tables) with the JFIF density in dpi.
Expected<std::string> EncodeJpegFile(const cv::Mat& page, int quality, double dpi);
// TIFF, one directory per page: 1-bit pages (IsBilevel) as CCITT G4,
// min-is-white, others as deflated 8-bit gray or RGB.
Expected<std::string> EncodeTiffFile(const std::vector<cv::Mat>& pages, double dpi);

}  // namespace scangate
