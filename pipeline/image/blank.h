// Blank pages (duplex backs): the ink of the page's marks, after specks,
// shadows, borders and filing holes are left out; and the page's tones, for
// a page that is not blank but dark (a lamp that failed, an open lid).
#pragma once

#include "pipeline/image/ink.h"
#include "pipeline/measurements.h"

namespace scangate {

BlankMeasure MeasureBlank(const InkMap& ink);

}  // namespace scangate
