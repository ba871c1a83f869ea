// See summary_sheet.h.
#include "pipeline/sheet/summary_sheet.h"

#include <cmath>

#include "pipeline/sheet/field_fill.h"
#include "pipeline/sheet/form_registration.h"
#include "pipeline/sheet/form_zone.h"
#include "pipeline/sheet/seal.h"
#include "pipeline/sheet/signature.h"

namespace scangate {
namespace {

// Page around each zone that comes along with it: entries overrun their
// boxes a little, stamps more; around a signature box stamps are looked for.
constexpr double kFieldMarginMm = 1, kSignatureMarginMm = 12, kSealMarginMm = 4.5;

// A page skew this sure is taken as the sheet's rotation (skew.h: its
// confidence falls where the page has too little line structure to tell).
constexpr double kTrustedSkewConfidence = 0.5;

// The corners of `z` on the page: top-left, top-right, bottom-right,
// bottom-left in the form's frame, in page pixels.
std::vector<int> ZoneCorners(const double (&page_from_mm)[6], const FormZone& z) {
  const double xs[4] = {z.x_mm, z.x_mm + z.width_mm, z.x_mm + z.width_mm, z.x_mm};
  const double ys[4] = {z.y_mm, z.y_mm, z.y_mm + z.height_mm, z.y_mm + z.height_mm};
  std::vector<int> corners;
  for (int i = 0; i < 4; ++i) {
    const double* m = page_from_mm;
    corners.push_back(int(std::lround(m[0] * xs[i] + m[1] * ys[i] + m[2])));
    corners.push_back(int(std::lround(m[3] * xs[i] + m[4] * ys[i] + m[5])));
  }
  return corners;
}

// Measures are pushed in the form's zone order (MeasureSummarySheet); a
// page-wide signature comes after them and matches no zone.
template <typename Measures>
void Place(const double (&fit)[6], const std::vector<FormZone>& zones, Measures& measures,
           std::string (*name_of)(const typename Measures::value_type&)) {
  for (std::size_t i = 0; i < measures.size() && i < zones.size(); ++i)
    if (name_of(measures[i]) == zones[i].name) measures[i].corners = ZoneCorners(fit, zones[i]);
}

}  // namespace

void PlaceFormZones(const SummaryFormRule& form, PageVerdict& v) {
  const double(&fit)[6] = v.registration.page_from_mm;
  bool placed = false;
  for (double m : fit) placed = placed || m != 0;
  if (!placed) return;
  Place(fit, form.fields, v.fields, +[](const FieldMeasure& f) { return f.name; });
  Place(fit, form.signatures, v.signatures, +[](const SignatureMeasure& s) { return s.zone; });
  Place(fit, form.seals, v.seals, +[](const SealMeasure& s) { return s.zone; });
}

void MeasureSummarySheet(const PageImage& page, const InkMap& ink, const SummaryFormRule& form,
                         PageVerdict& v) {
  if (!form.blank) return;
  RegistrationHints hints;
  // The page's skew, measured on the same ink map, when it is sure of it.
  if (v.skew.confidence >= kTrustedSkewConfidence) hints.skew_degrees = v.skew.degrees;
  hints.min_score = form.min_registration_score;
  const FormFit fit = RegisterForm(ink, *form.blank, hints);
  v.registration = fit.measure;
  for (int i = 0; i < 6; ++i) v.registration.page_from_mm[i] = fit.page_from_mm(i / 3, i % 3);
  if (fit.measure.score < form.min_registration_score) return;
  for (const FormZone& z : form.fields)
    v.fields.push_back(MeasureField(CutZone(page, ink, fit, *form.blank, z, kFieldMarginMm, false), z));
  for (const FormZone& z : form.signatures)
    v.signatures.push_back(
        MeasureSignature(CutZone(page, ink, fit, *form.blank, z, kSignatureMarginMm), z));
  for (const FormZone& z : form.seals)
    v.seals.push_back(MeasureSeal(CutZone(page, ink, fit, *form.blank, z, kSealMarginMm), z));
}

}  // namespace scangate
