// The line-rate corpus: what counters scan, as the scanner writes it. A4 at
// 300 dpi in batches of six: a summary sheet (colour JPEG), application and
// certificate pages (gray JPEG, quality 85), an ID copy and a certificate
// (1-bit G4 TIFF). Each page goes through what scanning does to it, as the
// accuracy corpora's pages do: turned on the glass (up to 1.2 degrees),
// the optics' blur (sigma 0.6-1.0 px), sensor noise, then the scanner's
// JPEG or its black-and-white threshold. `Scan::kPristine` leaves the
// renderer's pages as drawn: level and sharp, the cheapest path through
// every check, for comparison only.
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

enum class Scan { kCounter, kPristine };

// `batches` batches, deterministic for a seed; pages differ between batches.
// The summary sheet is `form` (a bundled form: pension-claim,
// enrolment-change) filled in at the counter, so that a profile with that
// form registers it and judges its zones; any other name gives a generic
// slip no profile registers.
std::vector<CorpusBatch> MakeLineRateCorpus(int batches, const std::string& form,
                                            unsigned seed = 1, Scan scan = Scan::kCounter);

// The real scans in ../shared/data/scans (300-dpi letters, forms, a
// magazine page, tickets, music; JPEG and TIFF as their scanners wrote
// them), as one batch.
CorpusBatch RealScans();

}  // namespace scangate::bench
