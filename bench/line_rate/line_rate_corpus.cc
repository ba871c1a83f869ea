// See line_rate_corpus.h.
#include "bench/line_rate/line_rate_corpus.h"

#include <algorithm>
#include <cstdio>

#include "tests/support/summary_forms.h"
#include "tests/support/synthetic_page.h"

namespace scangate::bench {

std::vector<CorpusBatch> MakeLineRateCorpus(int batches, const std::string& form,
                                            unsigned seed) {
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
    batch.push_back({"summary.jpg", synth::EncodeJpeg(sheet, 85, 300), "colour-jpeg"});
    for (int i = 0; i < 3; ++i) {
      synth::PageSpec spec;
      spec.seed = s + unsigned(i) + 1;
      spec.form_lines = i == 0 ? 8 : 0;
      spec.table_rows = i == 1 ? 6 : 0;
      batch.push_back({"page-" + std::to_string(i) + ".jpg",
                       synth::EncodeJpeg(synth::TextPage(spec), 85, 300), "gray-jpeg"});
    }
    synth::PageSpec id;
    id.seed = s + 7;
    batch.push_back({"id-copy.tif", synth::EncodeTiffG4(synth::ToBilevel(synth::IdCardCopy(id)), 300),
                     "g4-tiff"});
    synth::PageSpec cert;
    cert.seed = s + 8;
    batch.push_back({"certificate.tif",
                     synth::EncodeTiffG4(synth::ToBilevel(synth::TextPage(cert)), 300), "g4-tiff"});
    corpus.push_back(std::move(batch));
  }
  return corpus;
}

}  // namespace scangate::bench
