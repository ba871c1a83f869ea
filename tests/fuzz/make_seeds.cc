// Writes the fuzzer's seed corpus: one small page of each format we read, and
// completed summary sheets behind the byte that picks fuzz_page's form
// profile (1) or its page-wide signature profile (2); see fuzz_page.cc.
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/support/summary_forms.h"
#include "tests/support/synthetic_page.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  scangate::synth::PageSpec spec;
  spec.width_mm = 60;
  spec.height_mm = 80;
  spec.dpi = 100;
  spec.margin_mm = 5;
  spec.text_lines = 6;
  cv::Mat page = scangate::synth::TextPage(spec);
  cv::Mat colour;
  cv::cvtColor(page, colour, cv::COLOR_GRAY2BGR);
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(out / name, std::ios::binary) << bytes;
  };
  write("page.png", scangate::synth::EncodePng(page, 100));
  write("page.jpg", scangate::synth::EncodeJpeg(colour, 60, 100));
  write("page.bmp", scangate::synth::EncodeBmp(page, 100));
  write("page.webp", scangate::synth::EncodeWebp(page, 50));
  write("page-g4.tif", scangate::synth::EncodeTiffG4(scangate::synth::ToBilevel(page), 100));
  write("pages.tif", scangate::synth::EncodeTiffMultiPage({page, scangate::synth::ToBilevel(page)}, 100));
  // Whole A4 sheets at low resolution stay under the fuzzer's 64 KB inputs.
  const std::string form_profile(1, '\x01'), signature_profile(1, '\x02');
  cv::Mat sheet = scangate::synth::CompletedSheet("pension-claim", 75, "SI2026112700042", 3);
  write("sheet-75dpi.jpg", form_profile + scangate::synth::EncodeJpeg(sheet, 40, 75));
  cv::Mat sheet_gray =
      scangate::synth::CompletedSheet("pension-claim", 100, "SI2026112700042", 5, false);
  write("sheet-g4.tif",
        form_profile + scangate::synth::EncodeTiffG4(scangate::synth::ToBilevel(sheet_gray), 100));
  write("signed-page.png", signature_profile + scangate::synth::EncodePng(page, 100));
  return 0;
}
