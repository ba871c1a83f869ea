// Skew: the angle of the page's text lines and rulings.
#pragma once

#include "ink.h"
#include "measurements.h"

namespace scangate {

// Positive degrees: content rotated counter-clockwise as seen on screen.
// Searches +-15 degrees.
SkewMeasure MeasureSkew(const InkMap& ink);

}  // namespace scangate
