// See batch.h.
#include "pipeline/batch.h"

#include "pipeline/barcode/barcode.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace scangate {
namespace {

// The page count the transaction number carries (BarcodeRule::page_count_group),
// or nothing when the rule names no group or the group holds no number.
std::optional<unsigned> CarriedPageCount(const std::string& payload, const BarcodeRule& rule) {
  if (rule.page_count_group == 0 || payload.empty()) return std::nullopt;
  const std::optional<std::string> group =
      rule.payload_pattern.FullMatchGroup(payload, int(rule.page_count_group));
  if (!group) return std::nullopt;
  const std::string& digits = *group;
  unsigned count = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size())
    return std::nullopt;
  return count;
}

}  // namespace

std::string TransactionBarcode(const PageVerdict& page, const BarcodeRule& rule) {
  for (const BarcodeMeasure& b : page.barcodes) {
    if (RuleAccepts(rule, b)) return b.text;  // never an unreadable bar field
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
    // Pages recorded before verdicts carried their transaction: read it again.
    if (b.transaction_id.empty() && !p.error_kind)
      b.transaction_id =
          p.transaction_id.empty() ? TransactionBarcode(p, profile.barcode) : p.transaction_id;
    for (const Reason& r : p.reasons) {
      Reason page_reason = r;
      page_reason.page = p.page_index;
      b.reasons.push_back(std::move(page_reason));
    }
  }
  const std::optional<unsigned> carried = CarriedPageCount(b.transaction_id, profile.barcode);
  const bool too_few = !carried && b.counted_pages < profile.min_pages;
  const bool too_many = !carried && profile.max_pages > 0 && b.counted_pages > profile.max_pages;
  if (carried && b.counted_pages != *carried) {
    b.reasons.push_back({ReasonCode::kPageCount,
                         std::to_string(b.counted_pages) + " pages counted (blank pages left out), " +
                             std::to_string(*carried) + " expected by transaction " +
                             b.transaction_id,
                         "", std::nullopt});
  }
  if (too_few || too_many) {
    std::string range = std::to_string(profile.min_pages) +
                        (profile.max_pages ? "-" + std::to_string(profile.max_pages) : "+");
    b.reasons.push_back({ReasonCode::kPageCount,
                         std::to_string(b.counted_pages) + " pages counted (blank pages left out), " +
                             range + " expected",
                         "", std::nullopt});
  }
  // The first page as the summary sheet (BarcodeRule::first_page_is_summary_sheet):
  // when no page carries a code the rule accepts, the batch's first readable,
  // non-blank page says why, on that page. A page that registered to the form
  // has said so in its own reasons already (DecidePage).
  if (profile.barcode.first_page_is_summary_sheet && b.transaction_id.empty()) {
    auto first = std::find_if(pages.begin(), pages.end(),
                              [](const PageVerdict& p) { return !p.error_kind && !p.is_blank; });
    if (first != pages.end() && !first->summary_sheet) {
      if (std::optional<Reason> absent = BarcodeAbsence(*first, profile.barcode)) {
        absent->page = first->page_index;
        b.reasons.push_back(std::move(*absent));
      }
    }
  }
  if (profile.barcode.required && b.transaction_id.empty())
    b.reasons.push_back({ReasonCode::kSummarySheetMissing,
                         "no page carries a transaction barcode the profile accepts", "",
                         std::nullopt});
  // A profile with a form: one page must register to it (PageVerdict::summary_sheet).
  if (profile.form) {
    const PageVerdict* best = nullptr;
    const PageVerdict* carrier = nullptr;  // the page with the transaction barcode
    bool found = false;
    for (const PageVerdict& p : pages) {
      if (p.error_kind) continue;
      found |= p.summary_sheet;
      if (!best || p.registration.score > best->registration.score) best = &p;
      if (!carrier && !p.transaction_id.empty()) carrier = &p;
    }
    if (!found) {
      char detail[240];
      // The page carrying the transaction barcode is the sheet the clerk
      // fed: it is the one to name, not whichever page scored best.
      if (carrier)
        std::snprintf(detail, sizeof detail,
                      "page %u carries the transaction barcode but does not register to the "
                      "summary sheet's form: registration %.2f (turned %d degrees by its "
                      "orientation), %.2f needed",
                      carrier->page_index, carrier->registration.score,
                      carrier->orientation.degrees, profile.form->min_registration_score);
      else if (best)
        std::snprintf(detail, sizeof detail,
                      "no page is the summary sheet's form: best registration %.2f on page %u, "
                      "%.2f needed",
                      best->registration.score, best->page_index,
                      profile.form->min_registration_score);
      else
        std::snprintf(detail, sizeof detail, "no readable page to register to the summary sheet's form");
      auto same = std::find_if(b.reasons.begin(), b.reasons.end(), [](const Reason& r) {
        return r.code == ReasonCode::kSummarySheetMissing && !r.page;
      });
      const std::optional<std::uint32_t> page =
          carrier ? std::optional<std::uint32_t>(carrier->page_index) : std::nullopt;
      if (same != b.reasons.end()) same->detail += std::string("; ") + detail;
      else b.reasons.push_back({ReasonCode::kSummarySheetMissing, detail, "", page});
    }
  }
  if (!closed)
    b.reasons.push_back(
        {ReasonCode::kBatchIncomplete, "the batch was not closed by the station", "", std::nullopt});
  b.decision = AnyRejects(b.reasons) ? Decision::kReject : Decision::kAccept;
  return b;
}

}  // namespace scangate
