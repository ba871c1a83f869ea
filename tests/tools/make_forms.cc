// `scangate-make-forms PROFILES_DIR`: writes the bundled summary-sheet forms'
// blank templates to PROFILES_DIR/forms/NAME.png and prints each profile's
// `form { ... }` block (zones in millimetres) for its .textproto.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "tests/support/summary_forms.h"

namespace {

// Enough for registration (50 dpi) and zone decisions (100 dpi); small
// enough to commit.
constexpr double kTemplateDpi = 150;

}  // namespace

int main(int argc, char** argv) {
  const char* usage =
      "usage: scangate-make-forms PROFILES_DIR\n"
      "  writes the bundled forms' blank templates to PROFILES_DIR/forms/NAME.png and\n"
      "  prints each profile's form { ... } block\n";
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (argc != 2 || argv[1][0] == '-') {  // an option is never a folder name
    std::fputs(usage, stderr);
    return 2;
  }
  namespace synth = scangate::synth;
  const std::filesystem::path forms = std::filesystem::path(argv[1]) / "forms";
  std::error_code error;
  std::filesystem::create_directories(forms, error);
  if (error) {
    std::fprintf(stderr, "scangate-make-forms: %s: %s\n", forms.c_str(), error.message().c_str());
    return 1;
  }
  for (const synth::FormDesign& design : synth::BundledForms()) {
    const std::filesystem::path png = forms / (design.name + ".png");
    // 1-bit-like gray: a PNG of a printed form compresses best with few levels.
    const cv::Mat blank = synth::BlankForm(design, kTemplateDpi);
    if (!cv::imwrite(png.string(), blank, {cv::IMWRITE_PNG_COMPRESSION, 9})) {
      std::fprintf(stderr, "scangate-make-forms: cannot write %s\n", png.c_str());
      return 1;
    }
    std::printf("# %s\n%s\n", png.c_str(),
                synth::FormTextproto(design, "forms/" + design.name + ".png").c_str());
  }
  return 0;
}
