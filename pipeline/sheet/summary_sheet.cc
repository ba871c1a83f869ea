// See summary_sheet.h.
#include "pipeline/sheet/summary_sheet.h"

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

}  // namespace

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
