// The summary sheet: registers the profile's form on a page and, where the
// page is that form, measures every field, signature box and seal box.
#pragma once

#include "ink.h"
#include "page_image.h"
#include "profile.h"
#include "verdict.h"

namespace scangate {

// Sets `verdict.registration`, and `fields`, `signatures` and `seals` when
// the registration score reaches the form's threshold. Needs `form.blank`.
void MeasureSummarySheet(const PageImage& page, const InkMap& ink, const SummaryFormRule& form,
                         PageVerdict& verdict);

}  // namespace scangate
