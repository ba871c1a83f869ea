// Writes the fuzzers' seeds. `scangate-fuzz-seeds DIR`: fuzz_page's corpus,
// one small page of each format we read, and completed summary sheets behind
// the byte that picks fuzz_page's form profile (1) or its page-wide
// signature profile (2); see fuzz_page.cc. `scangate-fuzz-seeds --scan PAGES
// CORPUS`: the pages fuzz_scan sends (tests/fuzz/scan_pages) and its seed
// programs (tests/fuzz/scan_corpus); see scan_ops.h.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/fuzz/scan_ops.h"
#include "tests/support/summary_forms.h"
#include "tests/support/synthetic_page.h"

namespace {

void Write(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Small pages, fast to judge under ASan, that between them give every kind
// of verdict a batch is made of: accepted text, a two-page file, a blank
// back, a dark page, a skewed one, enrolment-change's separator sheets and
// its completed slip (a transaction barcode, registration, signatures and
// seals). Named so that their order is their index.
void WriteScanPages(const std::filesystem::path& dir) {
  namespace synth = scangate::synth;
  std::filesystem::create_directories(dir);
  synth::PageSpec tiny;
  tiny.width_mm = 40;
  tiny.height_mm = 55;
  tiny.dpi = 60;
  tiny.margin_mm = 4;
  tiny.text_lines = 3;
  Write(dir / "0-tiny.png", synth::EncodePng(synth::TextPage(tiny), 60));
  // At the profiles' 200 dpi: the one page every check accepts.
  synth::PageSpec sharp;
  sharp.width_mm = 45;
  sharp.height_mm = 60;
  sharp.dpi = 200;
  sharp.margin_mm = 5;
  sharp.text_lines = 5;
  const cv::Mat accepted = synth::TextPage(sharp);
  Write(dir / "1-text.png", synth::EncodePng(accepted, 200));
  synth::PageSpec small;
  small.width_mm = 60;
  small.height_mm = 80;
  small.dpi = 100;
  small.margin_mm = 5;
  small.text_lines = 6;
  const cv::Mat text = synth::TextPage(small);
  small.seed = 2;
  Write(dir / "2-pages.tif",
        synth::EncodeTiffMultiPage({synth::TextPage(small), synth::ToBilevel(text)}, 100));
  Write(dir / "3-blank.png", synth::EncodePng(synth::BlankBack(small), 100));
  cv::Mat dark(text.size(), CV_8UC1, cv::Scalar(18));
  Write(dir / "4-dark.png", synth::EncodePng(dark, 100));
  Write(dir / "5-skewed.png", synth::EncodePng(synth::Rotate(accepted, 4), 200));
  for (const auto& [name, code] : {std::pair{"6-sep-id.png", "SEP-ID"},
                                   std::pair{"7-sep-evidence.png", "SEP-EVIDENCE"}}) {
    synth::PageSpec spec = small;
    spec.width_mm = 100;  // SEP-EVIDENCE in 2-pixel modules is 334 pixels wide
    spec.height_mm = 60;
    spec.margin_mm = 30;  // the code in the top margin, clear of the text
    spec.text_lines = 3;
    cv::Mat page = synth::TextPage(spec);
    synth::DrawCode128(page, code, {20, 20}, 2.0, 60);
    Write(dir / name, synth::EncodePng(page, 100));
  }
  // One form only: registration is the slowest check, and fuzz_page covers
  // the pension-claim form.
  Write(dir / "8-enrolment-change.jpg",
        synth::EncodeJpeg(synth::CompletedSheet("enrolment-change", 75, "SI2026112700043", 4), 40,
                          75));
}

// Seed programs: each reaches a part of the protocol the others do not.
void WriteScanCorpus(const std::filesystem::path& dir) {
  using scangate::fuzz_scan::Program;
  std::filesystem::create_directories(dir);
  enum : std::uint8_t { kTiny, kText, kPages, kBlank, kDark, kSkewed, kSepId, kSepEvidence,
                        kEnrolment };
  enum : std::uint8_t { kDefault = 1, kPensionClaim = 2, kEnrolmentChange = 3, kSigned = 4 };
  constexpr std::uint8_t kLowResolution = 2, kSkewedCode = 4, kDuplicate = 18;
  auto seed = [&](const char* name, const Program& p) { Write(dir / name, p.bytes()); };
  seed("accepted", Program()
                       .Open(0, kDefault)
                       .Page(kText)
                       .Close()
                       .NextStream()
                       .Open(0, 0, 1, 1, true));
  seed("pension-claim", Program()
                            .Open(0, kPensionClaim)
                            .Page(kTiny)
                            .Page(kText)
                            .Wait()
                            .Waive(0, kLowResolution)
                            .Close());
  seed("enrolment-change", Program()
                               .Open(0, kEnrolmentChange)
                               .Page(kEnrolment)
                               .Page(kSepId)
                               .Page(kText)
                               .Page(kSepEvidence)
                               .Page(kTiny)
                               .Wait()
                               .SetCategory(2, 3)
                               .Close());
  seed("corrections", Program()
                          .Open(1, kDefault)
                          .Page(kTiny)
                          .Page(kPages)
                          .Wait()
                          .Delete(0)
                          .Replace(1, kText)
                          .Wait()
                          .Close()
                          .NextStream()
                          .Open(1, 0, 1, 1, true)
                          .Page(kSkewed)
                          .Wait()
                          .Waive(3, kSkewedCode)
                          .Close());
  seed("duplicate", Program()
                        .Open(2, kDefault)
                        .Page(kText)
                        .Page(kText)
                        .Close()
                        .NextStream()
                        .Open(2, 0, 1, 2, true)
                        .Wait()
                        .Waive(1, kDuplicate)
                        .Close());
  seed("incomplete", Program()
                         .Open(3, kSigned)
                         .Page(kTiny)
                         .Page(kBlank)
                         .Wait()
                         .NextStream()
                         .Open(3, 0, 1, 1, true)
                         .Page(kDark)
                         .Close());
  seed("cancel", Program()
                     .Open(0, kDefault)
                     .Page(kText)
                     .Page(kTiny)
                     .Cancel()
                     .Open(0, 0, 1, 1, true)
                     .Close()
                     .NextStream()
                     .Empty());
  // Two streams at once: a second station's batch, then the same batch
  // resumed while its first stream is still open.
  seed("two-streams", Program()
                          .Open(0, kDefault)
                          .Page(kText)
                          .Switch()
                          .Open(1, kDefault, 2)
                          .Page(kTiny)
                          .Close()
                          .Switch()
                          .Wait()
                          .Switch()
                          .NextStream()
                          .Open(0, 0, 1, 1, true)
                          .Page(kSkewed)
                          .Close()
                          .Switch()
                          .Page(kBlank)
                          .Close());
  seed("drain", Program().Open(0, kDefault).Page(kText).Page(kPages).Drain().Page(kTiny));
  seed("misuse", Program()
                     .Page(kTiny)
                     .NextStream()
                     .Open(0, kDefault)
                     .Open(1, kDefault)
                     .NextStream()
                     .Open(4, kDefault)
                     .Delete(7)
                     .NextStream()
                     .Raw(std::string("\x1a\x00", 2)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--scan") == 0) {
    WriteScanPages(argv[2]);
    WriteScanCorpus(argv[3]);
    return 0;
  }
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
