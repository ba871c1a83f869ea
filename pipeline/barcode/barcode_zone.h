// Where the profile's barcode zone lies on a page: millimetres in the summary
// sheet's frame to page pixels. The one place that mapping is made, so that
// form registration can hand in its transform.
#pragma once

#include <opencv2/core.hpp>

#include "pipeline/profile.h"

namespace scangate {

// Until a page is registered to the form, the zone is placed in page
// coordinates and widened by this much on every side: the sheet may sit a
// few millimetres off on the glass, or be cropped by the scanner.
constexpr double kBarcodeZoneMarginMm = 12;

// The profile's barcode zone: the barcode rule's own, else the form's
// barcode zone; empty when the profile has neither.
BarcodeRule::Zone BarcodeZoneMm(const Profile& profile);

// The zone in page pixels, clipped to the page; empty when the zone is empty
// or the dpi unknown. `page_from_mm` (form registration: page pixel =
// page_from_mm * (x_mm, y_mm, 1)) places it exactly, with a small margin;
// without it the page is taken as the form at `dpi`, with
// kBarcodeZoneMarginMm around.
cv::Rect BarcodeZoneOnPage(const BarcodeRule::Zone& zone, double dpi, cv::Size page,
                           const cv::Matx23d* page_from_mm = nullptr);

}  // namespace scangate
