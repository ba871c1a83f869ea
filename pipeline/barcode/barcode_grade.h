// Print quality of a decoded barcode as a barcode gun would meet it: a grade
// A-F in the spirit of ISO/IEC 15416 (linear codes, from scan reflectance
// profiles) and ISO/IEC 15415 (2-D codes, from one image of the symbol), with
// the X-dimension, bar height, orientation and quiet zones.
#pragma once

#include <cmath>
#include <string>

#include <opencv2/core.hpp>

#include "pipeline/measurements.h"

namespace scangate {

// Where a linear symbol lies on the page. The reading direction is `u`; the
// bars run along `v` from `lo` to `hi`. `start` and `length` place the first
// bar's leading edge and the last bar's trailing edge along `u`; skewed bars
// (a parallelogram) move that start by `shift_lo` / `shift_hi` at the ends.
struct LinearSymbolFrame {
  cv::Point2f start, u, v;
  float length = 0;
  float lo = 0, hi = 0, shift_lo = 0, shift_hi = 0;

  float ShiftAt(float across) const {
    if (hi - lo < 1e-3f) return (shift_lo + shift_hi) / 2;
    return shift_lo + (shift_hi - shift_lo) * (across - lo) / (hi - lo);
  }
  cv::Point2f At(float along, float across, float shift) const {
    return start + u * (along + shift) + v * across;
  }
  cv::Point2f Center() const { return At(length / 2, (lo + hi) / 2, (shift_lo + shift_hi) / 2); }
  float Radius() const { return std::hypot(length, hi - lo) / 2; }
};

// Grades a decoded linear symbol from ten scan profiles across its bars and
// fills `m`'s quality, X-dimension, bar height, quiet zone and orientation.
// Uses m.format and m.text to know the symbol's ideal bars. `px_per_mm` 0
// (dpi unknown) leaves the sizes in millimetres at 0.
void GradeLinearSymbol(const cv::Mat& gray, const LinearSymbolFrame& frame, double px_per_mm,
                       BarcodeMeasure& m);

// Grades a decoded 2-D symbol whose outer corners are in m.corners (top-left,
// top-right, bottom-right, bottom-left in reading orientation).
void GradeMatrixSymbol(const cv::Mat& gray, double px_per_mm, BarcodeMeasure& m);

}  // namespace scangate
