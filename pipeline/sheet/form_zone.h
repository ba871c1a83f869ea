// A zone of the registered form cut out of the page, in the form's own frame
// at kZoneDpi: what the field, signature and seal checks read. The form's own
// printing is known there, so what was added to the sheet is too.
#pragma once

#include <opencv2/core.hpp>

#include "pipeline/sheet/form_registration.h"
#include "pipeline/image/ink.h"
#include "pipeline/decode/page_image.h"
#include "pipeline/profile.h"

namespace scangate {

struct ZoneImage {
  double px_per_mm = kZoneDpi / 25.4;
  // The zone itself within the rasters below (they carry a margin around it).
  cv::Rect zone;
  // 0 paper .. 255 black, against the paper around each pixel.
  cv::Mat darkness;
  // 255 where the page is inked.
  cv::Mat ink;
  // 255 where the blank form prints (rulings, labels), grown by the
  // registration tolerance.
  cv::Mat print;
  // Ink the form does not explain: what was written, signed or stamped.
  cv::Mat added;
  // Colour pages: 255 where the added ink is seal red. Empty on gray and
  // 1-bit pages.
  cv::Mat red;
};

// `margin_mm` of the page around the zone comes along: writing and stamps
// overrun their boxes. `colour`: fill `red` too, on a colour page.
ZoneImage CutZone(const PageImage& page, const InkMap& ink, const FormFit& fit,
                  const FormTemplate& form, const FormZone& zone, double margin_mm,
                  bool colour = true);

}  // namespace scangate
