// The thresholds a page and a batch are judged against (one profile per
// business type). Plain values: the server and the CLI load them from
// profile files; the pipeline never parses files itself.
#pragma once

#include <string>
#include <vector>

namespace scangate {

struct BarcodeRule {
  // ZXing format names ("Code128", "QRCode", ...); empty means every format.
  std::vector<std::string> formats;
  // ECMAScript regex the transaction barcode must match in full; empty: any.
  std::string payload_pattern;
  // A batch needs a page carrying a matching barcode (the summary sheet).
  bool required = false;
};

struct Profile {
  std::string name = "default";
  // Content hash of the profile's definition, recorded with every verdict.
  std::string version = "builtin";
  std::string description;
  unsigned min_pages = 1;
  unsigned max_pages = 0;  // 0: no upper limit
  // DA/T 31 allows no less than 200 dpi for text.
  double min_dpi = 200;
  double max_skew_degrees = 1.0;
  // Midway between "sharp" (sigma <= 0.8 px at 300 dpi) and "blurred"
  // (sigma >= 2.0 px, disk r >= 3 px, motion >= 7 px).
  double max_blur_sigma = 1.4;
  // A page whose blurred tiles cover this share of the text area is blurred.
  double max_blurred_area_ratio = 0.25;
  double blank_max_ink_ratio = 0.002;
  // Skew is only judged when the estimate is at least this sure.
  double min_skew_confidence = 0.3;
  BarcodeRule barcode;
  std::string retention = "10y";
};

}  // namespace scangate
