// Barcode reading: the barcodes on a page, format and text, each graded for
// print quality (barcode_grade.h); the profile's barcode zone first.
#pragma once

#include <opencv2/core.hpp>

#include "pipeline/measurements.h"
#include "pipeline/profile.h"

namespace scangate {

struct BarcodeSearch {
  // Page resolution: sizes in millimetres; 0 when unknown.
  double dpi = 0;
  // Where the profile's barcode zone lies, page pixels (barcode_zone.h);
  // empty: the whole page at once. A code the rule accepts found there ends
  // the search; otherwise the whole page is read.
  cv::Rect zone;
  // The page is not where the profile expects its code: a page that does
  // not register as the profile's form. Its zone is not searched on its
  // own (it would only repeat part of the page's search), and the page is
  // read as a zone's fallback is, quickly (barcode.cc).
  bool not_the_form = false;
  // When no code the rule accepts decodes, also report bar fields nothing
  // decoded (BarcodeMeasure::unreadable), in the zone or else on the page.
  bool report_unreadable = false;
};

// Reads the barcodes on an 8-bit page (gray, BGR or BGRA), decoded codes
// first, top to bottom. Never aborts the process, whatever the pixels
// (Debian's ZXing 1.4 asserts on some inputs: see barcode.cc).
BarcodeMeasures ReadPageBarcodes(const cv::Mat& page, const BarcodeRule& rule,
                                 const BarcodeSearch& search = {});

// True when `code` is one the rule accepts as the transaction barcode: a
// format it names (any, when it names none) and a payload matching its
// pattern in full.
bool RuleAccepts(const BarcodeRule& rule, const BarcodeMeasure& code);

}  // namespace scangate
