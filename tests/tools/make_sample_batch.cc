// `scangate-sample-batch OUTDIR`: writes the sample batch the README demo
// checks. Four pages a counter would accept, two it must reject.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/summary_forms.h"
#include "tests/support/synthetic_page.h"

namespace {

namespace synth = scangate::synth;
constexpr double kDpi = 300;

struct SampleFile {
  const char* name;
  const char* what;
  std::function<std::string()> encode;
};

synth::PageSpec Certificate(std::uint32_t seed) {
  synth::PageSpec spec;
  spec.seed = seed;
  spec.text_lines = 30;
  return spec;
}

}  // namespace

int main(int argc, char** argv) {
  const char* usage =
      "usage: scangate-sample-batch OUTDIR\n"
      "  writes the README demo's sample batch into OUTDIR (created if missing):\n"
      "  six pages, four a counter would accept and two it must reject\n";
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(usage, stdout);
    return 0;
  }
  // An option is never a folder name: `--hepl` is a mistake, not a folder.
  if (argc != 2 || argv[1][0] == '-') {
    std::fputs(usage, stderr);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    std::fprintf(stderr, "scangate-sample-batch: %s: %s\n", argv[1], error.message().c_str());
    return 1;
  }

  const std::vector<SampleFile> batch = {
      {"01-summary-sheet.jpg", "summary sheet (the pension claim's form), colour", [] {
         return synth::EncodeJpeg(synth::CompletedSheet("pension-claim", kDpi, "SI2026112700042"), 90,
                                  kDpi);
       }},
      {"02-application-form.jpg", "application form, gray JPEG", [] {
         synth::PageSpec spec;
         spec.seed = 2;
         spec.form_lines = 6;
         spec.table_rows = 5;
         spec.text_lines = 18;
         return synth::EncodeJpeg(synth::TextPage(spec), 85, kDpi);
       }},
      {"03-id-card-copy.tif", "ID card copy, black-and-white G4", [] {
         synth::PageSpec spec;
         spec.seed = 3;
         return synth::EncodeTiffG4(synth::ToBilevel(synth::IdCardCopy(spec)), kDpi);
       }},
      {"04-blank-back.png", "blank duplex back", [] {
         synth::PageSpec spec;
         spec.seed = 4;
         return synth::EncodePng(synth::BlankBack(spec), kDpi);
       }},
      {"05-certificate-skewed.jpg", "certificate, 3 degrees skew (reject)", [] {
         return synth::EncodeJpeg(synth::Rotate(synth::TextPage(Certificate(5)), 3.0), 85, kDpi);
       }},
      {"06-certificate-blurred.jpg", "certificate, defocused sigma 3 (reject)", [] {
         return synth::EncodeJpeg(synth::GaussianBlur(synth::TextPage(Certificate(6)), 3.0), 85,
                                  kDpi);
       }},
  };

  for (const SampleFile& file : batch) {
    const std::string bytes = file.encode();
    const std::filesystem::path path = dir / file.name;
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    out.close();
    if (!out) {
      std::fprintf(stderr, "scangate-sample-batch: cannot write %s\n", path.c_str());
      return 1;
    }
    std::printf("%-28s %8zu bytes  %s\n", path.c_str(), bytes.size(), file.what);
  }
  return 0;
}
