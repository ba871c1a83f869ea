// The line-rate corpus: what counters scan, as the scanner writes it. A4 at
// 300 dpi in batches of six: a summary sheet (colour JPEG), application and
// certificate pages (gray JPEG, quality 85), an ID copy (1-bit G4 TIFF).
#pragma once

#include <string>
#include <vector>

namespace scangate::bench {

struct CorpusPage {
  std::string name;
  std::string bytes;
  std::string kind;  // "gray-jpeg", "colour-jpeg", "g4-tiff"
};

using CorpusBatch = std::vector<CorpusPage>;

// `batches` batches, deterministic for a seed; pages differ between batches.
// The summary sheet is `form` (a bundled form: pension-claim,
// enrolment-change) filled in at the counter, so that a profile with that
// form registers it and judges its zones; any other name gives a generic
// slip no profile registers.
std::vector<CorpusBatch> MakeLineRateCorpus(int batches, const std::string& form,
                                            unsigned seed = 1);

}  // namespace scangate::bench
