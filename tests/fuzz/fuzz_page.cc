// libFuzzer target over what a client can send: any bytes through decoding
// and every check, as the engine runs them, under each kind of profile. A
// crash, a sanitizer report or a page without a verdict is a finding.
//
// Input: an optional first byte choosing the profile, then the file. A first
// byte below kProfiles chooses (0: image checks only, 1: the pension-claim
// summary-sheet form, so registration, fields, signatures and seals run; 2:
// a signature required anywhere on each page) and is not part of the file.
// No image format begins so (every magic number starts at 0x42 or above),
// so a plain image file is judged whole under profile 0: seeds made before
// the selector keep working.
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <span>
#include <string>

#include "pipeline/sheet/form_registration.h"
#include "pipeline/judge.h"

namespace {

constexpr std::uint8_t kProfiles = 3;

scangate::Profile ImageChecksOnly() {
  scangate::Profile p;
  p.barcode.formats = {"Code128", "QRCode", "DataMatrix"};
  return p;
}

// profiles/pension-claim.textproto, built here: the fuzz build has the
// pipeline only, not the server's profile loader.
scangate::Profile PensionClaim() {
  scangate::Profile p = ImageChecksOnly();
  p.name = "pension-claim";
  p.barcode.formats = {"Code128"};
  p.barcode.payload_pattern = scangate::Pattern("SI[0-9]{13}");
  p.barcode.required = true;
  p.barcode.min_grade = scangate::Grade::kC;
  p.barcode.min_x_dimension_mm = 0.25;
  p.barcode.max_x_dimension_mm = 0.6;
  p.barcode.orientations_degrees = {0, 180};
  p.barcode.quiet_zone_required = true;
  scangate::SummaryFormRule form;
  auto zone = [](const char* name, double x, double y, double w, double h) {
    return scangate::FormZone{name, "", x, y, w, h};
  };
  form.fields = {zone("applicant_name", 21.5, 58.5, 80, 12),
                 zone("citizen_id", 108.5, 58.5, 80, 12),
                 zone("social_security_card", 21.5, 82.5, 80, 12),
                 zone("phone", 108.5, 82.5, 80, 12),
                 zone("address", 21.5, 106.5, 80, 12),
                 zone("bank_name", 108.5, 106.5, 80, 12),
                 zone("bank_account", 21.5, 130.5, 80, 12),
                 zone("benefit_type", 108.5, 130.5, 80, 12)};
  form.signatures = {zone("applicant_signature", 21.5, 158.5, 97, 28),
                     zone("clerk_signature", 21.5, 198.5, 97, 20)};
  form.seals = {zone("office_seal", 127.5, 158.5, 61, 60)};
  form.barcode = zone("transaction_barcode", 116, 8, 78, 30);
  const std::string path = std::string(SCANGATE_SOURCE_DIR) + "/profiles/forms/pension-claim.png";
  const cv::Mat blank = cv::imread(path, cv::IMREAD_GRAYSCALE);
  scangate::Expected<std::shared_ptr<const scangate::FormTemplate>> prepared =
      blank.empty() ? scangate::Error{"cannot be read"}
                    : scangate::PrepareFormTemplate(blank, form);
  if (prepared.ok()) form.blank = std::move(prepared.value());
  if (!form.blank) {
    std::fprintf(stderr, "fuzz_page: cannot prepare the form %s: %s\n", path.c_str(),
                 prepared.ok() ? "" : prepared.error().message.c_str());
    std::abort();
  }
  p.form = std::move(form);
  return p;
}

scangate::Profile SignedPageWide() {
  scangate::Profile p = ImageChecksOnly();
  p.name = "signed-page-wide";
  p.min_dpi = 150;
  p.max_skew_degrees = 2;
  p.page_signature.required = true;
  return p;
}

const scangate::Profile& FuzzProfile(std::uint8_t which) {
  static const scangate::Profile profiles[kProfiles] = {ImageChecksOnly(), PensionClaim(),
                                                        SignedPageWide()};
  return profiles[which];
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  FuzzProfile(0);  // loads the form once, before the first input is timed
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> file(data, size);
  std::uint8_t which = 0;
  if (size > 0 && data[0] < kProfiles) {
    which = data[0];
    file = file.subspan(1);
  }
  scangate::JudgeOptions options;
  // Small pages keep the fuzzer fast; the limits themselves are exercised.
  options.limits.max_pixels = 4'000'000;
  options.limits.max_frames = 8;
  auto verdicts = scangate::JudgeFile(file, "fuzz", FuzzProfile(which), options);
  if (verdicts.empty()) std::abort();
  for (const auto& v : verdicts)
    if (v.decision == scangate::Decision::kReject && v.reasons.empty()) std::abort();
  return 0;
}
