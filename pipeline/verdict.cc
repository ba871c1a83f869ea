// See verdict.h: the one place thresholds turn measurements into decisions.
#include "verdict.h"

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

}  // namespace

void DecidePage(PageVerdict& v, const Profile& profile) {
  v.reasons.clear();
  v.profile = profile.name;
  v.profile_version = profile.version;
  if (v.error_kind) {
    v.decision = Decision::kReject;
    v.reasons.push_back({*v.error_kind == PageErrorKind::kInternal ? ReasonCode::kInternalError
                                                                   : ReasonCode::kDecodeError,
                         v.error, "", std::nullopt});
    return;
  }
  v.is_blank = v.blank.ink_ratio < profile.blank_max_ink_ratio;
  v.blurred = v.blur.applicable && (v.blur.sigma_300dpi > profile.max_blur_sigma ||
                                    v.blur.blurred_area_ratio >= profile.max_blurred_area_ratio);

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
           Format("edge spread %.2f px at 300 dpi (limit %.2f); %.0f%% of the text area blurred",
                  v.blur.sigma_300dpi, profile.max_blur_sigma, v.blur.blurred_area_ratio * 100),
           "", std::nullopt});
    if (v.skew.confidence >= profile.min_skew_confidence &&
        std::abs(v.skew.degrees) > profile.max_skew_degrees)
      v.reasons.push_back({ReasonCode::kSkewed,
                           Format("skew %.2f degrees exceeds the limit of %.2f", v.skew.degrees,
                                  profile.max_skew_degrees),
                           "", std::nullopt});
  }
  v.decision = v.reasons.empty() ? Decision::kAccept : Decision::kReject;
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
