// What each check measures. The verdict is derived from these and the profile
// in one place (verdict.h); checks never decide accept/reject themselves.
#pragma once

#include <string>
#include <vector>

namespace scangate {

struct BlurMeasure {
  // Edge spread as a Gaussian sigma in pixels, normalised to 300 dpi.
  double sigma_300dpi = 0;
  // Share of text-bearing tiles whose own spread is above the limit.
  double blurred_area_ratio = 0;
  bool applicable = false;
};

struct SkewMeasure {
  // Positive: content rotated counter-clockwise as seen on screen.
  double degrees = 0;
  // 0..1; low where the page has too little line structure to tell.
  double confidence = 0;
};

struct BlankMeasure {
  // Share of the page area covered by ink, after noise removal.
  double ink_ratio = 0;
  // Area of the largest ink mark, as a share of the page.
  double largest_mark_ratio = 0;
};

struct ResolutionMeasure {
  double dpi = 0;
  bool inferred = false;
  // Paper size the page matched when inferring ("A4", ...), else empty.
  std::string paper;
};

struct BarcodeMeasure {
  std::string format;  // ZXing's name: "Code128", "QRCode", ...
  std::string text;    // UTF-8
  double orientation_degrees = 0;
  // Corner points in page pixels: top-left, top-right, bottom-right, bottom-left.
  int corners[8] = {0, 0, 0, 0, 0, 0, 0, 0};
};

using BarcodeMeasures = std::vector<BarcodeMeasure>;

}  // namespace scangate
