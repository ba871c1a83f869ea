// Orientation: which way up the page's content reads (0, 90, 180, 270
// degrees, as the content must be turned clockwise to read upright), from
// the ink's text lines once the skew is known.
#pragma once

#include "pipeline/image/ink.h"
#include "pipeline/measurements.h"

namespace scangate {

// `skew_degrees`: the page's skew (skew.h, within +-45 degrees), at which
// the lines are read. Confidence is low (below 0.3) where there are too few
// text lines to tell: blank pages, photos, a line or two of print.
OrientationMeasure MeasureOrientation(const InkMap& ink, double skew_degrees);

}  // namespace scangate
