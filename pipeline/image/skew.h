// Skew: the angle of the page's text lines and rulings.
#pragma once

#include "pipeline/image/ink.h"
#include "pipeline/measurements.h"

namespace scangate {

// Positive degrees: content rotated counter-clockwise as seen on screen.
// Measures within +-45 degrees of the page's line axis (orientation.h tells
// the quarter turn): beyond 12 degrees the search runs around the axis
// its ink's gradients line up on. Confidence is low (below 0.3) on pages with too
// little line structure to tell: blank or nearly blank pages, photos.
// `blur`, when the blur check has run: where the page's text is not sharp,
// a heavy blur may have sheared or shifted the edges the angle rests on,
// and the ink's mass checks them. Without it the edges stand alone.
SkewMeasure MeasureSkew(const InkMap& ink, const BlurMeasure* blur = nullptr);

// The precise search alone, over +-15 degrees.
SkewMeasure MeasureSkewInRange(const InkMap& ink, const BlurMeasure* blur = nullptr);

}  // namespace scangate
