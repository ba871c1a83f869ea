// Blank pages (duplex backs): ink coverage after noise is removed.
#pragma once

#include "ink.h"
#include "measurements.h"

namespace scangate {

BlankMeasure MeasureBlank(const InkMap& ink);

}  // namespace scangate
