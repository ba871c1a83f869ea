// See line_rate_corpus.h.
#include "bench/line_rate/line_rate_corpus.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <opencv2/core.hpp>

#include "common/read_file.h"
#include "tests/support/summary_forms.h"
#include "tests/support/synthetic_page.h"

namespace scangate::bench {
namespace {

// What the scanner does to a page before it writes it (see the header).
cv::Mat Scanned(const cv::Mat& page, Scan scan, unsigned seed) {
  if (scan == Scan::kPristine) return page;
  cv::RNG rng(seed);
  cv::Mat out = synth::Rotate(page, rng.uniform(-1.2, 1.2));
  out = synth::GaussianBlur(out, rng.uniform(0.6, 1.0));
  return synth::AddNoise(out, rng.uniform(2.0, 4.0), seed);
}

}  // namespace

std::vector<CorpusBatch> MakeLineRateCorpus(int batches, const std::string& form, unsigned seed,
                                            Scan scan) {
  const bool bundled = std::any_of(synth::BundledForms().begin(), synth::BundledForms().end(),
                                   [&](const synth::FormDesign& f) { return f.name == form; });
  std::vector<CorpusBatch> corpus;
  for (int b = 0; b < batches; ++b) {
    CorpusBatch batch;
    const unsigned s = seed * 1000 + unsigned(b) * 10;
    char txn[32];
    std::snprintf(txn, sizeof txn, "SI2026112%06d", 700000 + b);
    // The profile's own processing slip, filled in at the counter: the
    // form registers, so its zones are judged as at a real counter.
    cv::Mat sheet;
    if (bundled) {
      sheet = synth::CompletedSheet(form, 300, txn, s);
    } else {
      synth::SummarySpec summary;
      summary.seed = s;
      summary.transaction_number = txn;
      sheet = synth::SummarySheet(summary);
    }
    batch.push_back(
        {"summary.jpg", synth::EncodeJpeg(Scanned(sheet, scan, s), 85, 300), "colour-jpeg"});
    for (int i = 0; i < 3; ++i) {
      synth::PageSpec spec;
      spec.seed = s + unsigned(i) + 1;
      spec.form_lines = i == 0 ? 8 : 0;
      spec.table_rows = i == 1 ? 6 : 0;
      batch.push_back({"page-" + std::to_string(i) + ".jpg",
                       synth::EncodeJpeg(Scanned(synth::TextPage(spec), scan, spec.seed), 85, 300),
                       "gray-jpeg"});
    }
    synth::PageSpec id;
    id.seed = s + 7;
    batch.push_back(
        {"id-copy.tif",
         synth::EncodeTiffG4(synth::ToBilevel(Scanned(synth::IdCardCopy(id), scan, id.seed)), 300),
         "g4-tiff"});
    synth::PageSpec cert;
    cert.seed = s + 8;
    batch.push_back(
        {"certificate.tif",
         synth::EncodeTiffG4(synth::ToBilevel(Scanned(synth::TextPage(cert), scan, cert.seed)), 300),
         "g4-tiff"});
    corpus.push_back(std::move(batch));
  }
  return corpus;
}

CorpusBatch RealScans() {
  namespace fs = std::filesystem;
  CorpusBatch batch;
  const fs::path dir = fs::path(SCANGATE_SHARED_DATA_DIR) / "scans";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".tif" && ext != ".jpg" && ext != ".png") continue;
    auto bytes = ReadFileBytes(entry.path().string(), 64u << 20);
    if (!bytes.ok()) continue;
    batch.push_back({entry.path().filename().string(), std::move(bytes.value()),
                     ext == ".tif" ? "tiff" : "jpeg"});
  }
  std::sort(batch.begin(), batch.end(),
            [](const CorpusPage& a, const CorpusPage& b) { return a.name < b.name; });
  return batch;
}

}  // namespace scangate::bench
