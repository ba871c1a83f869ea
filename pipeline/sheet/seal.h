// Seal present: a stamp in a seal box, found by its closed outline (round,
// oval or square ring) — by shape alone on gray and 1-bit pages, in the
// seal-red ink first on colour pages. A signature has no closed outline.
#pragma once

#include <opencv2/core.hpp>

#include "pipeline/sheet/form_zone.h"
#include "pipeline/measurements.h"
#include "pipeline/profile.h"

namespace scangate {

// A stamp's outline: a closed curve around a centre, inked in most
// directions, with little ink just outside it.
struct StampOutline {
  double score = 0;          // 0..1
  cv::Point2d centre;        // pixels of the mask searched
  double radius_mm = 0;      // mean distance of the outline from the centre
  double max_radius_mm = 0;  // its farthest point
  double coverage = 0;       // share of directions where the outline is inked
  double longest = 0;        // the longest inked arc, share of the turn
  double residual_mm = 0;    // off a circle, oval or square, where inked
  double clear_outside = 0;  // share of directions with paper just outside
  // The longest smooth stretch of the outermost ink around the centre, share
  // of the turn, and its mean radius: a stamp's outline inked on one side.
  double arc = 0, arc_mm = 0;
  // The same, going on under pen strokes that cross it and run on outside
  // (a signature written across the seal), for up to a tenth of the turn;
  // round office seals only (radius from 15 mm).
  double crossed_arc = 0;
};

// Searches `ink` (255 where inked, `px_per_mm`) for the best outline whose
// mean radius lies within [min_radius_mm, max_radius_mm].
StampOutline FindStampOutline(const cv::Mat& ink, double px_per_mm, double min_radius_mm,
                              double max_radius_mm);

// 0..1: the outline's score, or the smooth outer arc's for a stamp inked on
// one side only, whichever is higher. `through_strokes` lets the arc go on
// under strokes crossing it: right in a seal box, where the clerk signs
// across the seal; too lenient where a stamp is to be told from a signature
// it would take away.
double SealScore(const StampOutline& outline, bool through_strokes = false);

// `outline`, when given, receives the outline the score rests on.
SealMeasure MeasureSeal(const ZoneImage& zone, const FormZone& seal, StampOutline* outline = nullptr);

}  // namespace scangate
