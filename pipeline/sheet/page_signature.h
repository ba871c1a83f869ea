// Page-wide signature: whether a page bears a handwritten signature anywhere
// (profiles without a form: "this page must be signed").
#pragma once

#include "pipeline/image/ink.h"
#include "pipeline/measurements.h"

namespace scangate {

// Zone "page"; score 0..1.
SignatureMeasure MeasurePageSignature(const InkMap& ink);

}  // namespace scangate
