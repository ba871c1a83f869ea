// See batch.h.
#include "batch.h"

#include <algorithm>
#include <regex>

namespace scangate {

std::string TransactionBarcode(const PageVerdict& page, const BarcodeRule& rule) {
  for (const BarcodeMeasure& b : page.barcodes) {
    if (!rule.formats.empty() &&
        std::find(rule.formats.begin(), rule.formats.end(), b.format) == rule.formats.end())
      continue;
    if (rule.payload_pattern.empty() || std::regex_match(b.text, std::regex(rule.payload_pattern)))
      return b.text;
  }
  return {};
}

BatchVerdict DecideBatch(const std::vector<PageVerdict>& pages, const Profile& profile,
                         bool closed) {
  BatchVerdict b;
  b.final = closed;
  b.page_count = std::uint32_t(pages.size());
  for (const PageVerdict& p : pages) {
    if (!p.error_kind && !p.is_blank) ++b.counted_pages;
    if (b.transaction_id.empty() && !p.error_kind)
      b.transaction_id = TransactionBarcode(p, profile.barcode);
    for (const Reason& r : p.reasons) {
      Reason page_reason = r;
      page_reason.page = p.page_index;
      b.reasons.push_back(std::move(page_reason));
    }
  }
  const bool too_few = b.counted_pages < profile.min_pages;
  const bool too_many = profile.max_pages > 0 && b.counted_pages > profile.max_pages;
  if (too_few || too_many) {
    std::string range = std::to_string(profile.min_pages) +
                        (profile.max_pages ? "-" + std::to_string(profile.max_pages) : "+");
    b.reasons.push_back({ReasonCode::kPageCount,
                         std::to_string(b.counted_pages) + " pages counted (blank pages left out), " +
                             range + " expected",
                         "", std::nullopt});
  }
  if (profile.barcode.required && b.transaction_id.empty())
    b.reasons.push_back({ReasonCode::kSummarySheetMissing,
                         "no page carries a transaction barcode the profile accepts", "",
                         std::nullopt});
  if (!closed)
    b.reasons.push_back(
        {ReasonCode::kBatchIncomplete, "the batch was not closed by the station", "", std::nullopt});
  b.decision = b.reasons.empty() ? Decision::kAccept : Decision::kReject;
  return b;
}

}  // namespace scangate
