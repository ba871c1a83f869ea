// libFuzzer target over what a profiles folder can hold: any bytes as a
// profile file's text, through the load-and-validate path a reload takes
// (parsing, numbers, ranges, structure, patterns compiled by RE2, the form's
// template read from the folder), then the compiled patterns applied to
// text as a page's barcodes would be. A crash, a sanitizer report, a refusal
// without a reason or an accepted profile that breaks a limit is a finding.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pipeline/barcode/barcode.h"
#include "wire/profile_store.h"

namespace {

// Inside the bundled profiles folder, so that its forms/ can be named.
const std::string& FuzzPath() {
  static const std::string path = std::string(SCANGATE_PROFILES_DIR) + "/fuzz.textproto";
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  scangate::Expected<scangate::LoadedProfile> result =
      scangate::ProfileStore::LoadText(FuzzPath(), text);
  if (!result.ok()) {
    if (result.error().message.empty()) std::abort();
    return 0;
  }
  const scangate::LoadedProfile& loaded = result.value();
  const scangate::Profile& p = *loaded.profile;
  if (!std::isfinite(p.min_dpi) || !std::isfinite(p.max_skew_degrees) ||
      !std::isfinite(p.max_blur_sigma) || !p.barcode.payload_pattern.ok() || !loaded.categories ||
      !loaded.categories->problem().empty() || (p.form && !p.form->blank))
    std::abort();
  // The compiled patterns against the input itself, as a barcode's text.
  scangate::BarcodeMeasure code;
  code.format = "QRCode";
  code.text.assign(text.substr(0, 4096));
  (void)scangate::RuleAccepts(p.barcode, code);
  scangate::v1::PageVerdict page;
  auto* barcode = page.add_barcodes();
  barcode->set_format("QRCode");
  barcode->set_text(code.text);
  loaded.categories->Classify(page, "", "", nullptr);
  return 0;
}
