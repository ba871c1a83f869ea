// Skew: the angle of the page's text lines and rulings.
#pragma once

#include "ink.h"
#include "measurements.h"

namespace scangate {

// Positive degrees: content rotated counter-clockwise as seen on screen.
// Searches +-15 degrees. Confidence is low (below 0.3) on pages with too
// little line structure to tell: blank or nearly blank pages, photos.
SkewMeasure MeasureSkew(const InkMap& ink);

}  // namespace scangate
