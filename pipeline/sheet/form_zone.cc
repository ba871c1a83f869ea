// See form_zone.h. The gray comes from the ink map's fine image (100-200
// dpi), so a zone costs the same at any scan resolution; colour, where the
// page has it, from the full-resolution page shrunk once around the zone.
#include "pipeline/sheet/form_zone.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace scangate {
namespace {

// A quarter darker than the paper around it, as FindInk counts ink, less a
// little: thin ballpoint lines lose contrast when shrunk to kZoneDpi.
constexpr int kInkDarkness = 56;
// The paper level is the brightest pixel within this: wider than any pen
// stroke, narrow enough to follow uneven lighting.
constexpr double kPaperWindowMm = 2.5;
// Seal red: red above the brighter of green and blue by this much (0..255).
constexpr int kRedExcess = 40;

// Maps zone raster pixels to the pixels of an image `scale` times the page.
// A pixel's centre is at index + 0.5 in every raster: zone pixel u lies at
// x0 + (u + 0.5) / px_per_mm mm, and image index = (page index + 0.5) *
// scale - 0.5.
cv::Matx23d ImageFromZone(const cv::Matx23d& page_from_mm, double x0_mm, double y0_mm,
                          double px_per_mm, double scale) {
  const cv::Matx23d& a = page_from_mm;
  const double h = 0.5 / px_per_mm;
  return cv::Matx23d(a(0, 0) / px_per_mm * scale, a(0, 1) / px_per_mm * scale,
                     (a(0, 0) * (x0_mm + h) + a(0, 1) * (y0_mm + h) + a(0, 2) + 0.5) * scale - 0.5,
                     a(1, 0) / px_per_mm * scale, a(1, 1) / px_per_mm * scale,
                     (a(1, 0) * (x0_mm + h) + a(1, 1) * (y0_mm + h) + a(1, 2) + 0.5) * scale - 0.5);
}

// Seal-red pixels of the zone, sampled straight from the full-resolution
// colour page: a red stamp's lines are a millimetre wide, so one sample per
// zone pixel finds them without averaging the page down first.
cv::Mat RedMask(const cv::Mat& colour, const cv::Matx23d& page_from_zone, cv::Size size) {
  cv::Mat zone;
  cv::warpAffine(colour, zone, page_from_zone, size, cv::INTER_NEAREST | cv::WARP_INVERSE_MAP,
                 cv::BORDER_REPLICATE);
  cv::Mat red(size, CV_8U);
  for (int y = 0; y < size.height; ++y) {
    const cv::Vec3b* in = zone.ptr<cv::Vec3b>(y);
    std::uint8_t* out = red.ptr<std::uint8_t>(y);
    for (int x = 0; x < size.width; ++x)
      out[x] = int(in[x][2]) - std::max(in[x][0], in[x][1]) >= kRedExcess ? 255 : 0;
  }
  return red;
}

}  // namespace

ZoneImage CutZone(const PageImage& page, const InkMap& ink, const FormFit& fit,
                  const FormTemplate& form, const FormZone& zone, double margin_mm, bool colour) {
  ZoneImage z;
  const double ppm = z.px_per_mm;
  const double x0 = zone.x_mm - margin_mm, y0 = zone.y_mm - margin_mm;
  const cv::Size size(std::max(1, int(std::lround((zone.width_mm + 2 * margin_mm) * ppm))),
                      std::max(1, int(std::lround((zone.height_mm + 2 * margin_mm) * ppm))));
  const int m = int(std::lround(margin_mm * ppm));
  z.zone = cv::Rect(m, m, int(std::lround(zone.width_mm * ppm)), int(std::lround(zone.height_mm * ppm))) &
           cv::Rect({}, size);

  cv::Mat gray;
  cv::warpAffine(ink.fine, gray, ImageFromZone(fit.page_from_mm, x0, y0, ppm, ink.fine_scale), size,
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  z.darkness = Darkness(gray, kZoneDpi, kPaperWindowMm);
  z.ink = z.darkness >= kInkDarkness;

  // The blank form's printing over the same area (nothing beyond its edges).
  z.print = cv::Mat(size, CV_8U, cv::Scalar(0));
  const cv::Rect at(int(std::lround(x0 * ppm)), int(std::lround(y0 * ppm)), size.width, size.height);
  const cv::Rect inside = at & cv::Rect({}, form.zone_print.size());
  if (!inside.empty()) form.zone_print(inside).copyTo(z.print(inside - at.tl()));
  z.added = z.ink & ~z.print;

  if (colour && !page.color.empty())
    z.red = RedMask(page.color, ImageFromZone(fit.page_from_mm, x0, y0, ppm, 1.0), size);
  return z;
}

}  // namespace scangate
