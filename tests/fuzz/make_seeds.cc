// Writes the fuzzer's seed corpus: one small page of each format we read.
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "synthetic_page.h"

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
  return 0;
}
