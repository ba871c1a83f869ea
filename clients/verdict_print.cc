// See verdict_print.h.
#include "clients/verdict_print.h"

#include "clients/hot_folder.h"

namespace scangate::cli {

std::string ReasonList(const google::protobuf::RepeatedPtrField<v1::Reason>& reasons) {
  std::string out;
  for (const v1::Reason& r : reasons) {
    out += "\n      - " + v1::ReasonCode_Name(r.code());
    if (r.has_page()) out += " (page " + std::to_string(r.page()) + ")";
    if (!r.detail().empty()) out += ": " + r.detail();
    if (!r.waived_by().empty())
      out += " [waived by " + r.waived_by() +
             (r.waiver_note().empty() ? "" : ": " + r.waiver_note()) + "]";
  }
  return out;
}

std::string PageVerdictText(const v1::PageVerdict& page, const std::string& note) {
  std::string out = page.decision() == v1::ACCEPT ? "ACCEPT" : "REJECT";
  if (page.blank().blank()) out += " (blank)";
  out += note;
  if (!page.category().empty())
    out += std::string(page.separator_sheet() ? " [separator sheet: " : " [") + page.category() +
           (page.category_source() == v1::CLERK ? ", by the clerk " + page.category_operator()
                                                : "") +
           "]";
  if (page.has_repair() && page.repair().done_size() > 0) {
    out += " (repaired by the server:";
    for (int i = 0; i < page.repair().done_size(); ++i)
      out += std::string(i ? ", " : " ") + page.repair().done(i);
    out += ")";
  }
  return out + ReasonList(page.reasons());
}

std::string BatchVerdictDetails(const v1::BatchVerdict& batch) {
  std::string out = std::to_string(batch.page_count()) + " pages (" +
                    std::to_string(batch.counted_pages()) + " counted)";
  // Printed as a page's file name is: a barcode's text may hold anything.
  if (!batch.transaction_id().empty())
    out += ", transaction " + HotFolder::SourceName(batch.transaction_id());
  return out + ReasonList(batch.reasons());
}

}  // namespace scangate::cli
