// See verdict.h: the one place thresholds turn measurements into decisions.
#include "pipeline/verdict.h"

#include "pipeline/barcode/barcode.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace scangate {
namespace {

template <class... Args>
std::string Format(const char* fmt, Args... args) {
  char text[200];
  std::snprintf(text, sizeof text, fmt, args...);
  return text;
}

// The summary sheet: the page is the form when it registers well enough;
// then every field, signature and seal box must hold what it should. In
// page-wide signature mode, every counted page must be signed.
void DecideSummarySheet(PageVerdict& v, const Profile& profile) {
  v.summary_sheet = false;
  if (profile.form && v.registration.attempted) {
    const SummaryFormRule& form = *profile.form;
    v.summary_sheet = v.registration.score >= form.min_registration_score;
    for (FieldMeasure& f : v.fields) {
      f.filled = f.ink_ratio >= form.min_field_ink_ratio;
      if (v.summary_sheet && !f.filled)
        v.reasons.push_back({ReasonCode::kSummaryFieldMissing,
                             Format("field %s is empty: %.2f%% of it inked, %.2f%% needed",
                                    f.name.c_str(), f.ink_ratio * 100, form.min_field_ink_ratio * 100),
                             f.name, std::nullopt});
    }
    for (SignatureMeasure& s : v.signatures) {
      s.present = s.score >= form.min_signature_score;
      if (v.summary_sheet && !s.present)
        v.reasons.push_back({ReasonCode::kSignatureMissing,
                             Format("no handwritten signature in %s (score %.2f, %.2f needed)",
                                    s.zone.c_str(), s.score, form.min_signature_score),
                             s.zone, std::nullopt});
    }
    for (SealMeasure& s : v.seals) {
      s.present = s.score >= form.min_seal_score;
      if (v.summary_sheet && !s.present)
        v.reasons.push_back({ReasonCode::kSealMissing,
                             Format("no stamp in %s (score %.2f, %.2f needed)", s.zone.c_str(),
                                    s.score, form.min_seal_score),
                             s.zone, std::nullopt});
    }
  }
  if (profile.page_signature.required) {
    for (SignatureMeasure& s : v.signatures) {
      if (s.zone != "page") continue;
      s.present = s.score >= profile.page_signature.min_score;
      if (!s.present && !v.is_blank)
        v.reasons.push_back({ReasonCode::kSignatureMissing,
                             Format("no handwritten signature on the page (score %.2f, %.2f needed)",
                                    s.score, profile.page_signature.min_score),
                             "page", std::nullopt});
    }
  }
}

// The transaction barcode. A page carrying a code the rule accepts is (also)
// the summary sheet, and that code must meet what the counter's barcode
// guns need; a page known otherwise to be the summary sheet (it registers to
// the form) must carry one (BarcodeAbsence says why it does not).
void DecideTransactionBarcode(PageVerdict& v, const Profile& profile) {
  const BarcodeRule& rule = profile.barcode;
  for (const BarcodeMeasure& code : v.barcodes) {
    if (!RuleAccepts(rule, code)) continue;  // never an unreadable bar field
    v.transaction_id = code.text;
    // On a page read as turned, the code's direction is judged on the page
    // turned upright: the page's own turn is PAGE_TURNED's to report.
    BarcodeMeasure upright = code;
    if (v.orientation.confidence >= profile.min_orientation_confidence)
      upright.orientation_degrees = std::remainder(code.orientation_degrees - v.orientation.degrees, 360.0);
    const std::string shortfalls = BarcodeShortfalls(upright, rule);
    if (!shortfalls.empty())
      v.reasons.push_back({ReasonCode::kBarcodeQuality,
                           code.format + " \"" + code.text + "\" falls short: " + shortfalls,
                           "barcode", std::nullopt});
    return;
  }
  if (v.summary_sheet) {
    if (std::optional<Reason> absent = BarcodeAbsence(v, rule)) v.reasons.push_back(*absent);
  } else if (rule.first_page_is_summary_sheet && !v.is_blank) {
    v.transaction_absence = BarcodeAbsence(v, rule);
  }
}

const char* TurnName(int degrees) {
  switch (degrees) {
    case 90: return "on its side (lines run bottom to top)";
    case 180: return "upside down";
    case 270: return "on its side (lines run top to bottom)";
  }
  return "upright";
}

// Orientation, and no silent accept: a page that holds enough lines or
// edges to be measured, yet whose skew or orientation was not measured with
// confidence, says so and is rejected (it may be turned or skewed beyond
// what was measured). Pages with less (a photo, an ID card, a short note)
// only report low confidence. Called for pages that are not blank.
void DecideAngles(PageVerdict& v, const Profile& profile) {
  v.accepted_turned = false;
  const OrientationMeasure& o = v.orientation;
  const bool content = o.lines >= profile.uncertain_min_lines ||
                       v.skew.points >= profile.uncertain_min_skew_points;
  if (o.confidence >= profile.min_orientation_confidence && o.degrees != 0) {
    if (profile.accept_turned_pages)
      v.accepted_turned = true;
    else
      v.reasons.push_back({ReasonCode::kPageTurned,
                           Format("the page is %s: turn it %d degrees clockwise to read it "
                                  "(confidence %.2f)",
                                  TurnName(o.degrees), o.degrees, o.confidence),
                           "", std::nullopt});
  }
  if (content && v.skew.confidence < profile.min_skew_confidence)
    v.reasons.push_back({ReasonCode::kSkewUncertain,
                         Format("the page has lines (%d edge points) but its skew could not be "
                                "measured with confidence (%.2f, %.2f needed)",
                                v.skew.points, v.skew.confidence, profile.min_skew_confidence),
                         "", std::nullopt});
  if (o.lines >= profile.uncertain_min_lines && o.confidence < profile.min_orientation_confidence)
    v.reasons.push_back({ReasonCode::kOrientationUncertain,
                         Format("the page has %d lines of text but which way up they read could "
                                "not be told with confidence (%.2f, %.2f needed; best guess: %s)",
                                o.lines, o.confidence, profile.min_orientation_confidence,
                                TurnName(o.degrees)),
                         "", std::nullopt});
}

}  // namespace

void DecidePage(PageVerdict& v, const Profile& profile) {
  v.reasons.clear();
  v.transaction_id.clear();
  v.profile = profile.name;
  v.profile_version = profile.version;
  if (v.error_kind) {
    v.decision = Decision::kReject;
    v.reasons.push_back({*v.error_kind == PageErrorKind::kInternal ? ReasonCode::kInternalError
                                                                   : ReasonCode::kDecodeError,
                         v.error, "", std::nullopt});
    return;
  }
  // A page scanned with the lamp off or the lid open has no ink against its
  // black "paper": it would pass for a blank back. It is a page, unreadable.
  v.too_dark = v.blank.bright_level < profile.dark_page_max_level &&
               v.blank.bright_level - v.blank.dark_level < profile.dark_page_max_contrast;
  v.is_blank = !v.too_dark && v.blank.ink_ratio < profile.blank_max_ink_ratio;
  if (v.too_dark)
    v.reasons.push_back({ReasonCode::kPageTooDark,
                         Format("the page is too dark to read: its brightest tones reach gray "
                                "%.0f of 255 (%.0f needed) and its tones span %.0f levels (%.0f "
                                "needed)",
                                v.blank.bright_level, profile.dark_page_max_level,
                                v.blank.bright_level - v.blank.dark_level,
                                profile.dark_page_max_contrast),
                         "", std::nullopt});
  // Blurred: the page's text as a whole, or one connected region of it
  // (a lifted corner, a strip off the glass, one field), out of focus.
  v.blurred = v.blur.applicable && (v.blur.sigma_300dpi > profile.max_blur_sigma ||
                                    v.blur.blurred_region_ratio >= profile.max_blurred_area_ratio);

  if (v.resolution.dpi > 0 && v.resolution.dpi + 0.5 < profile.min_dpi)
    v.reasons.push_back({ReasonCode::kLowResolution,
                         Format("%.0f dpi is below the minimum of %.0f dpi", v.resolution.dpi,
                                profile.min_dpi),
                         "", std::nullopt});
  // A blank page (a duplex back) has nothing to be blurred or skewed.
  if (!v.is_blank) {
    if (v.blurred)
      v.reasons.push_back(
          {ReasonCode::kBlurred,
           Format("edge spread %.2f px at 300 dpi (limit %.2f); %.0f%% of the text area blurred, "
                  "%.0f%% in one region (limit %.0f%%)",
                  v.blur.sigma_300dpi, profile.max_blur_sigma, v.blur.blurred_area_ratio * 100,
                  v.blur.blurred_region_ratio * 100, profile.max_blurred_area_ratio * 100),
           "", std::nullopt});
    if (v.skew.confidence >= profile.min_skew_confidence &&
        std::abs(v.skew.degrees) > profile.max_skew_degrees)
      v.reasons.push_back({ReasonCode::kSkewed,
                           Format("skew %.2f degrees exceeds the limit of %.2f", v.skew.degrees,
                                  profile.max_skew_degrees),
                           "", std::nullopt});
    DecideAngles(v, profile);
  }
  DecideSummarySheet(v, profile);
  DecideTransactionBarcode(v, profile);  // after: it reads v.summary_sheet
  v.decision = AnyRejects(v.reasons) ? Decision::kReject : Decision::kAccept;
}

std::string BarcodeShortfalls(const BarcodeMeasure& code, const BarcodeRule& rule) {
  std::string out;
  auto add = [&](const std::string& what) { out += (out.empty() ? "" : "; ") + what; };
  // Grades order A (best) to F; an ungraded code counts as F.
  const Grade grade = code.quality.grade == Grade::kNone ? Grade::kF : code.quality.grade;
  if (rule.min_grade && grade > *rule.min_grade) {
    std::string limit;
    const BarcodeGrade& q = code.quality;
    const char* by = GradeParameterName(q.limited_by);
    switch (q.limited_by) {
      case GradeParameter::kNone: break;
      case GradeParameter::kDecode: limit = Format(" (%s)", by); break;
      case GradeParameter::kSymbolContrast: limit = Format(" (%s %.2f)", by, q.symbol_contrast); break;
      case GradeParameter::kMinReflectance: limit = Format(" (%s %.2f)", by, q.min_reflectance); break;
      case GradeParameter::kMinEdgeContrast: limit = Format(" (%s %.2f)", by, q.min_edge_contrast); break;
      case GradeParameter::kModulation: limit = Format(" (%s %.2f)", by, q.modulation); break;
      case GradeParameter::kDefects: limit = Format(" (%s %.2f)", by, q.defects); break;
      case GradeParameter::kDecodability: limit = Format(" (%s %.2f)", by, q.decodability); break;
    }
    add(Format("grade %s (%.1f) below %s", GradeName(grade), q.grade_value,
               GradeName(*rule.min_grade)) +
        limit);
  }
  if (code.x_dimension_mm > 0) {
    if (rule.min_x_dimension_mm > 0 && code.x_dimension_mm < rule.min_x_dimension_mm)
      add(Format("X-dimension %.3f mm below %.3f mm", code.x_dimension_mm,
                 rule.min_x_dimension_mm));
    if (rule.max_x_dimension_mm > 0 && code.x_dimension_mm > rule.max_x_dimension_mm)
      add(Format("X-dimension %.3f mm above %.3f mm", code.x_dimension_mm,
                 rule.max_x_dimension_mm));
  }
  if (!rule.orientations_degrees.empty()) {
    bool allowed = false;
    std::string list;
    for (double a : rule.orientations_degrees) {
      double off = std::fmod(std::abs(code.orientation_degrees - a), 360.0);
      allowed = allowed || std::min(off, 360 - off) <= rule.orientation_tolerance_degrees;
      list += (list.empty() ? "" : ", ") + Format("%.0f", a);
    }
    if (!allowed)
      add(Format("orientation %.0f degrees, allowed %s (+/- %.0f)", code.orientation_degrees,
                 list.c_str(), rule.orientation_tolerance_degrees));
  }
  if (rule.quiet_zone_required && !code.quiet_zone_ok)
    add(Format("quiet zone %.1f modules, short of what %s needs", code.quiet_zone_modules,
               code.format.c_str()));
  if (rule.min_bar_height_mm > 0 && code.bar_height_mm > 0 &&
      code.bar_height_mm < rule.min_bar_height_mm)
    add(Format("bar height %.1f mm below %.1f mm", code.bar_height_mm, rule.min_bar_height_mm));
  return out;
}

std::optional<Reason> BarcodeAbsence(const PageVerdict& v, const BarcodeRule& rule) {
  std::string decoded, unreadable;
  int decoded_count = 0;
  for (const BarcodeMeasure& b : v.barcodes) {
    if (RuleAccepts(rule, b)) return std::nullopt;
    if (b.unreadable) {
      if (unreadable.empty())
        unreadable =
            Format("bars at (%d, %d) px decode as nothing (symbol contrast %.2f, modulation %.2f)",
                   (b.corners[0] + b.corners[4]) / 2, (b.corners[1] + b.corners[5]) / 2,
                   b.quality.symbol_contrast, b.quality.modulation);
    } else if (decoded_count++ < 3) {
      // A payload past the patterns' bound matches none; it is named, not copied whole.
      const std::string text =
          b.text.size() > Pattern::kMaxTextBytes
              ? b.text.substr(0, 32) + "...\" (" + std::to_string(b.text.size()) +
                    " bytes; patterns apply to at most " +
                    std::to_string(Pattern::kMaxTextBytes) + ")"
              : b.text + "\"";
      decoded += (decoded.empty() ? "" : ", ") + b.format + " \"" + text;
    }
  }
  if (!decoded.empty())
    return Reason{ReasonCode::kBarcodePayload,
                  "no barcode matches the transaction pattern" +
                      (rule.payload_pattern.empty() ? std::string()
                                                    : " " + rule.payload_pattern.source()) +
                      ": read " + decoded,
                  "barcode", std::nullopt};
  if (!unreadable.empty())
    return Reason{ReasonCode::kBarcodeUnreadable, "transaction barcode unreadable: " + unreadable,
                  "barcode", std::nullopt};
  return Reason{ReasonCode::kBarcodeMissing, "no barcode on the summary sheet", "barcode",
                std::nullopt};
}

PageVerdict ErrorVerdict(const PageError& error, ReasonCode code) {
  PageVerdict v;
  v.error = error.message;
  v.error_kind = error.kind;
  v.decision = Decision::kReject;
  v.reasons.push_back({code, error.message, "", std::nullopt});
  return v;
}

}  // namespace scangate
