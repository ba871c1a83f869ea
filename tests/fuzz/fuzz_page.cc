// libFuzzer target over what a client can send: any bytes through decoding
// and every check, as the engine runs them. A crash, a sanitizer report or a
// page without a verdict is a finding.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "judge.h"

namespace {

const scangate::Profile& FuzzProfile() {
  static const scangate::Profile profile = [] {
    scangate::Profile p;
    p.barcode.formats = {"Code128", "QRCode", "DataMatrix"};
    return p;
  }();
  return profile;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  scangate::JudgeOptions options;
  // Small pages keep the fuzzer fast; the limits themselves are exercised.
  options.limits.max_pixels = 4'000'000;
  options.limits.max_frames = 8;
  auto verdicts = scangate::JudgeFile(std::span(data, size), "fuzz", FuzzProfile(), options);
  if (verdicts.empty()) std::abort();
  for (const auto& v : verdicts)
    if (v.decision == scangate::Decision::kReject && v.reasons.empty()) std::abort();
  return 0;
}
