// Batch rules: the verdict on a whole transaction's pages.
#pragma once

#include <string>
#include <vector>

#include "pipeline/profile.h"
#include "pipeline/verdict.h"

namespace scangate {

struct BatchVerdict {
  Decision decision = Decision::kReject;
  std::vector<Reason> reasons;
  std::string transaction_id;  // from the summary sheet's barcode
  std::uint32_t page_count = 0;
  std::uint32_t counted_pages = 0;  // readable and not blank
  bool final = false;
};

// Every failing page reason is repeated with its page index, then the batch's
// own rules. `closed` is false for a batch the station never closed.
BatchVerdict DecideBatch(const std::vector<PageVerdict>& pages, const Profile& profile,
                         bool closed);

// The text of the first barcode on the page that the profile's rule accepts
// (format and payload pattern), or empty.
std::string TransactionBarcode(const PageVerdict& page, const BarcodeRule& rule);

}  // namespace scangate
