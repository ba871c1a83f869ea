// Field filled: the share of a summary-sheet field's writing area covered by
// ink the blank form does not print.
#pragma once

#include "pipeline/sheet/form_zone.h"
#include "pipeline/measurements.h"
#include "pipeline/profile.h"

namespace scangate {

// Specks of noise are left out and a stray dot adds almost nothing; a
// written entry covers a few per cent.
FieldMeasure MeasureField(const ZoneImage& zone, const FormZone& field);

}  // namespace scangate
