// The summary sheet: registers the profile's form on a page and, where the
// page is that form, measures every field, signature box and seal box.
#pragma once

#include "pipeline/image/ink.h"
#include "pipeline/decode/page_image.h"
#include "pipeline/profile.h"
#include "pipeline/verdict.h"

namespace scangate {

// Sets `verdict.registration`, and `fields`, `signatures` and `seals` when
// the registration score reaches the form's threshold. Needs `form.blank`.
void MeasureSummarySheet(const PageImage& page, const InkMap& ink, const SummaryFormRule& form,
                         PageVerdict& verdict);

}  // namespace scangate
