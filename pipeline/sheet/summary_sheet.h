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

// Sets each measured field's, signature box's and seal box's `corners`: the
// form zone's corners mapped onto the page by `verdict.registration`'s fit
// (page_from_mm), as the screen at the counter outlines them. Called once
// the fit is final (a sheet fed turned has its fit mapped back to the page).
void PlaceFormZones(const SummaryFormRule& form, PageVerdict& verdict);

}  // namespace scangate
