// Effective resolution: the file's own dpi when plausible, else inferred from
// the paper sizes counters scan.
#pragma once

#include "pipeline/measurements.h"
#include "pipeline/decode/page_image.h"

namespace scangate {

ResolutionMeasure MeasureResolution(int width_px, int height_px, double file_dpi_x,
                                    double file_dpi_y);

}  // namespace scangate
