// Page verdicts as the ledger records them: what the batch rules
// (batch/batch_rules.h) decide from, for tests that judge pages in-process.
#pragma once

#include <vector>

#include "pipeline/verdict.h"
#include "scangate/v1/verdict.pb.h"
#include "wire/wire.h"

namespace scangate::testing {

inline std::vector<v1::PageVerdict> Recorded(const std::vector<PageVerdict>& pages) {
  std::vector<v1::PageVerdict> out(pages.size());
  for (std::size_t i = 0; i < pages.size(); ++i) ToProto(pages[i], &out[i]);
  return out;
}

// Whether `batch` has a reason `code` whose detail contains `text`.
inline bool HasReason(const v1::BatchVerdict& batch, v1::ReasonCode code,
                      const std::string& text = "") {
  for (const v1::Reason& r : batch.reasons())
    if (r.code() == code && r.detail().find(text) != std::string::npos) return true;
  return false;
}

}  // namespace scangate::testing
