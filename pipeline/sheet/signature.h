// Signature present: handwritten strokes in a signature box — not a stamp
// alone, not a straight pen line, not a tick, not printed text.
#pragma once

#include <opencv2/core.hpp>

#include "pipeline/sheet/form_zone.h"
#include "pipeline/measurements.h"
#include "pipeline/profile.h"
#include "pipeline/sheet/seal.h"

namespace scangate {

// What the signature score rests on, for benches and diagnostics.
struct StrokeFeatures {
  double length_mm = 0;   // total stroke length (half the strokes' outline)
  double extent_mm = 0;   // the wider side of the strokes' bounding box
  double complexity = 0;  // length over extent: a tick ~1.7, writing 3+
  // Share of the strokes' edge direction within a few degrees of the page
  // axes: type ~0.6, handwriting ~0.3.
  double axis_alignment = 0;
  // Share of the edge strength in the two strongest directions (15-degree
  // bins, each with half its neighbours): a tick or a line ~0.8, type ~0.6,
  // handwriting ~0.3-0.5.
  double focus = 0;
  // Share of the strokes' coherent direction within 3 degrees of the axes.
  double upright = 0;
  // Letters (runs of inked columns at least 1.5 mm high), and the share of
  // them whose top and bottom are level with the median's: type ~0.8+.
  int letters = 0;
  double level_letters = 0;
  double letter_height_mm = 0;  // median letter height
  // Median letter width over its height: type's letters stand apart (~0.5-1),
  // cursive joins a word into one run (2+).
  double letter_aspect = 0;
  // Stroke width over letter height: type ~0.08-0.1, a pen's signature less.
  double weight = 0;
  bool stamp_removed = false;
  StampOutline stamp;  // the best stamp outline found in the box
  // How far the outline's centre lies outside the box, mm (0 inside).
  double stamp_off_box_mm = 0;
};

// `strokes`: 255 where ink was added to the paper; `darkness` the page's
// darkness over the same area (for edge directions); `px_per_mm` of both.
StrokeFeatures MeasureStrokes(const cv::Mat& strokes, const cv::Mat& darkness, double px_per_mm);
// 0..1: how much the strokes look typeset (upright, heavy, small letters).
double PrintLikeness(const StrokeFeatures& f);
double HandwritingScore(const StrokeFeatures& f);

SignatureMeasure MeasureSignature(const ZoneImage& zone, const FormZone& box,
                                  StrokeFeatures* features = nullptr);

}  // namespace scangate
