// See batch_rules.h.
#include "batch/batch_rules.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>

#include "pipeline/barcode/barcode.h"

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

// The page's transaction id. Pages recorded before verdicts carried it are
// read again from their barcodes under the batch's rule.
std::string TransactionOf(const v1::PageVerdict& page, const BarcodeRule& rule) {
  if (!page.transaction_id().empty()) return page.transaction_id();
  for (const v1::BarcodeMeasurement& b : page.barcodes()) {
    BarcodeMeasure code;
    code.format = b.format();
    code.text = b.text();
    code.unreadable = b.unreadable();
    if (RuleAccepts(rule, code)) return code.text;
  }
  return {};
}

bool Readable(const v1::PageVerdict& p) { return p.error().empty(); }
bool Counted(const v1::PageVerdict& p) { return Readable(p) && !p.blank().blank(); }

v1::Reason BatchReason(v1::ReasonCode code, std::string detail,
                       std::optional<std::uint32_t> page = std::nullopt) {
  v1::Reason r;
  r.set_code(code);
  r.set_detail(std::move(detail));
  if (page) r.set_page(*page);
  return r;
}

}  // namespace

v1::BatchVerdict DecideBatch(const std::vector<v1::PageVerdict>& pages, const Profile& profile,
                             bool closed) {
  v1::BatchVerdict b;
  b.set_final(closed);
  b.set_page_count(std::uint32_t(pages.size()));
  std::uint32_t counted = 0;
  std::string transaction;
  for (const v1::PageVerdict& p : pages) {
    if (Counted(p)) ++counted;
    if (transaction.empty() && Readable(p)) transaction = TransactionOf(p, profile.barcode);
    for (const v1::Reason& r : p.reasons()) {
      v1::Reason* page_reason = b.add_reasons();
      *page_reason = r;
      page_reason->set_page(p.page_index());
    }
  }
  b.set_counted_pages(counted);
  b.set_transaction_id(transaction);

  const std::optional<unsigned> carried = CarriedPageCount(transaction, profile.barcode);
  const bool too_few = !carried && counted < profile.min_pages;
  const bool too_many = !carried && profile.max_pages > 0 && counted > profile.max_pages;
  if (carried && counted != *carried)
    *b.add_reasons() = BatchReason(v1::PAGE_COUNT, std::to_string(counted) +
                                                       " pages counted (blank pages left out), " +
                                                       std::to_string(*carried) +
                                                       " expected by transaction " + transaction);
  if (too_few || too_many) {
    const std::string range = std::to_string(profile.min_pages) +
                              (profile.max_pages ? "-" + std::to_string(profile.max_pages) : "+");
    *b.add_reasons() = BatchReason(
        v1::PAGE_COUNT,
        std::to_string(counted) + " pages counted (blank pages left out), " + range + " expected");
  }
  // The first page as the summary sheet (BarcodeRule::first_page_is_summary_sheet):
  // when no page carries a code the rule accepts, the batch's first readable,
  // non-blank page says why, on that page (its verdict carries the why). A
  // page that registered to the form has said so in its own reasons already.
  if (profile.barcode.first_page_is_summary_sheet && transaction.empty()) {
    auto first = std::find_if(pages.begin(), pages.end(), Counted);
    if (first != pages.end() && !first->summary_sheet() && first->has_transaction_absence()) {
      v1::Reason* absent = b.add_reasons();
      *absent = first->transaction_absence();
      absent->set_page(first->page_index());
    }
  }
  if (profile.barcode.required && transaction.empty())
    *b.add_reasons() = BatchReason(v1::SUMMARY_SHEET_MISSING,
                                   "no page carries a transaction barcode the profile accepts");
  // A profile with a form: one page must register to it (summary_sheet).
  if (profile.form) {
    const v1::PageVerdict* best = nullptr;
    const v1::PageVerdict* carrier = nullptr;  // the page with the transaction barcode
    bool found = false;
    for (const v1::PageVerdict& p : pages) {
      if (!Readable(p)) continue;
      found |= p.summary_sheet();
      if (!best || p.registration().score() > best->registration().score()) best = &p;
      if (!carrier && !TransactionOf(p, profile.barcode).empty()) carrier = &p;
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
                      carrier->page_index(), carrier->registration().score(),
                      int(carrier->orientation().degrees()), profile.form->min_registration_score);
      else if (best)
        std::snprintf(detail, sizeof detail,
                      "no page is the summary sheet's form: best registration %.2f on page %u, "
                      "%.2f needed",
                      best->registration().score(), best->page_index(),
                      profile.form->min_registration_score);
      else
        std::snprintf(detail, sizeof detail, "no readable page to register to the summary sheet's form");
      auto reasons = b.mutable_reasons();
      auto same = std::find_if(reasons->begin(), reasons->end(), [](const v1::Reason& r) {
        return r.code() == v1::SUMMARY_SHEET_MISSING && !r.has_page();
      });
      if (same != reasons->end())
        same->set_detail(same->detail() + "; " + detail);
      else
        *b.add_reasons() = BatchReason(
            v1::SUMMARY_SHEET_MISSING, detail,
            carrier ? std::optional<std::uint32_t>(carrier->page_index()) : std::nullopt);
    }
  }
  if (!closed)
    *b.add_reasons() =
        BatchReason(v1::BATCH_INCOMPLETE, "the batch was not closed by the station");
  bool rejects = false;
  for (const v1::Reason& r : b.reasons()) rejects |= r.waived_by().empty();
  b.set_decision(rejects ? v1::REJECT : v1::ACCEPT);
  return b;
}

}  // namespace scangate
