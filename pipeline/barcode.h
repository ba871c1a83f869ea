// Barcode reading: every barcode ZXing finds on the page, format and text.
#pragma once

#include <opencv2/core.hpp>

#include "measurements.h"
#include "profile.h"

namespace scangate {

// Reads the barcodes on an 8-bit gray page. Never aborts the process, whatever
// the pixels (Debian's ZXing 1.4 asserts on some inputs: see barcode.cc).
BarcodeMeasures ReadPageBarcodes(const cv::Mat& gray, const BarcodeRule& rule);

}  // namespace scangate
