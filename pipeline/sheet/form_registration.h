// Form registration: finds the profile's printed summary-sheet form on a page
// and maps the form's frame (millimetres from its top-left) onto page pixels.
// A page that is not this form scores low and is not registered.
#pragma once

#include <memory>
#include <optional>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "common/result.h"
#include "pipeline/image/ink.h"
#include "pipeline/measurements.h"
#include "pipeline/profile.h"

namespace scangate {

// Registration works on the form's printing at this resolution; zone
// decisions read the page at kZoneDpi in the form's frame.
constexpr double kRegistrationDpi = 50;
constexpr double kZoneDpi = 100;

// The blank form, prepared once per profile.
struct FormTemplate {
  double width_mm = 210, height_mm = 297;
  // At kRegistrationDpi: the form's darkness (0 paper .. 255 black), its
  // printing outside the barcode zone, that printing grown by a pixel, and
  // where page ink is expected to be the form's (not a zone).
  cv::Mat darkness;
  std::vector<cv::Point> print_points;
  cv::Mat print_near;
  cv::Mat judged;
  // Line structure: row sums of horizontal rulings, column sums of vertical
  // ones (kRegistrationDpi).
  std::vector<float> row_lines, col_lines;
  // Points on the form's rulings, mm: on horizontal rulings (whose y they
  // fix) and on vertical ones (whose x they fix). The fit snaps to them.
  std::vector<cv::Point2d> on_rows, on_cols;
  // At kZoneDpi: 255 where the blank form prints, grown by the registration
  // tolerance, so that box lines and labels never count as writing.
  cv::Mat zone_print;
};

// `blank` is the blank form as 8-bit gray (or BGR), `rule.width_mm` wide.
// The error says why the image cannot serve as a template.
Expected<std::shared_ptr<const FormTemplate>> PrepareFormTemplate(const cv::Mat& blank,
                                                                 const SummaryFormRule& rule);

// The best fit of the form on the page.
struct FormFit {
  RegistrationMeasure measure;
  // Page pixel (full resolution) = page_from_mm * (x_mm, y_mm, 1).
  cv::Matx23d page_from_mm = cv::Matx23d::zeros();
};

// What the page's other checks already know, so registration need not
// measure it again.
struct RegistrationHints {
  // The page's skew (skew.h), when measured with confidence: the form is
  // printed straight on its sheet, so the sheet's rotation is the form's.
  std::optional<double> skew_degrees;
  // Below this score the fit is not used (the page is not the form): it is
  // not refined.
  double min_score = 0;
};

// `ink` is the page's ink map (its coarse image is what is read).
FormFit RegisterForm(const InkMap& ink, const FormTemplate& form,
                     const RegistrationHints& hints = {});

// 0 where the paper is, 255 for black: each pixel of 8-bit gray against the
// brightest pixel within `window_mm`, so uneven lighting and tinted paper
// read as paper.
cv::Mat Darkness(const cv::Mat& gray, double dpi, double window_mm);

}  // namespace scangate
