// Where linear barcodes may be on a page, readable or not: fields of many
// parallel edges close together, at any angle. Lets the reader straighten a
// code ZXing would not find at its angle, and tells an unreadable barcode from
// no barcode at all.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

namespace scangate {

struct BarField {
  cv::Point2f center;  // pixels of the image searched
  // Direction across the bars (the reading direction, up to 180 degrees),
  // radians in image coordinates (y down).
  float angle = 0;
  float length = 0;  // extent across the bars, pixels
  float height = 0;  // extent along the bars, pixels
  int blocks = 0;    // bar-like blocks in the field: how sure it is
  // Set by ConfirmBars: bar edges across the field (on its middle line),
  // how far along the bars their pattern holds (pixels), and whether that
  // makes it printed bars rather than text, rules or strokes.
  int edges = 0;
  float bar_height = 0;
  // Mean difference of the bands along the bars from their mean, over the
  // bars' contrast: printed bars are even, text and strokes are not.
  float unevenness = 0;
  bool confirmed = false;
};

// Bar fields on an 8-bit gray image, strongest first. `dpi` sizes the blocks
// searched (2.7 mm); 0 sizes them from the image.
std::vector<BarField> FindBarFields(const cv::Mat& gray, double dpi);

// Whether `field` (found on `gray`) holds printed bars: many bar edges side
// by side whose pattern stays the same a long way along the bars. Fills the
// field's edges, bar_height and confirmed.
void ConfirmBars(const cv::Mat& gray, double dpi, BarField& field);

}  // namespace scangate
