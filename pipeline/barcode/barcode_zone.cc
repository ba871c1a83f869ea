// See barcode_zone.h.
#include "pipeline/barcode/barcode_zone.h"

#include <algorithm>
#include <cmath>

namespace scangate {

BarcodeRule::Zone BarcodeZoneMm(const Profile& profile) {
  if (!profile.barcode.zone.empty()) return profile.barcode.zone;
  if (profile.form) {
    const FormZone& z = profile.form->barcode;
    return {z.x_mm, z.y_mm, z.width_mm, z.height_mm};
  }
  return {};
}

cv::Rect BarcodeZoneOnPage(const BarcodeRule::Zone& zone, double dpi, cv::Size page,
                           const cv::Matx23d* page_from_mm) {
  if (zone.empty() || page.width <= 0 || page.height <= 0) return {};
  // A registered page is placed to a millimetre or two; an unregistered one
  // only as well as the sheet lay on the glass.
  const double margin_mm = page_from_mm ? 3 : kBarcodeZoneMarginMm;
  const double x0 = zone.x_mm - margin_mm, y0 = zone.y_mm - margin_mm;
  const double x1 = zone.x_mm + zone.width_mm + margin_mm;
  const double y1 = zone.y_mm + zone.height_mm + margin_mm;
  double left = 0, top = 0, right = 0, bottom = 0;
  if (page_from_mm) {
    // The bounding box of the mapped corners (the form may be rotated).
    const cv::Matx23d& t = *page_from_mm;
    left = top = 1e18, right = bottom = -1e18;
    for (double x : {x0, x1}) {
      for (double y : {y0, y1}) {
        double px = t(0, 0) * x + t(0, 1) * y + t(0, 2);
        double py = t(1, 0) * x + t(1, 1) * y + t(1, 2);
        left = std::min(left, px), right = std::max(right, px);
        top = std::min(top, py), bottom = std::max(bottom, py);
      }
    }
  } else {
    if (!(dpi > 0)) return {};
    const double px_per_mm = dpi / 25.4;
    left = x0 * px_per_mm, top = y0 * px_per_mm;
    right = x1 * px_per_mm, bottom = y1 * px_per_mm;
  }
  const cv::Rect wanted(cv::Point(int(std::floor(left)), int(std::floor(top))),
                        cv::Point(int(std::ceil(right)), int(std::ceil(bottom))));
  return wanted & cv::Rect(0, 0, page.width, page.height);
}

}  // namespace scangate
