// The clerk's view of verdicts, shared by `scan` and `scan --watch`.
#include "clients/verdict_print.h"

#include <gtest/gtest.h>

namespace scangate::cli {
namespace {

TEST(VerdictPrint, AWaivedReasonNamesItsSupervisorAndNoteInPageAndBatch) {
  v1::PageVerdict page;
  page.set_decision(v1::ACCEPT);
  page.set_category("certificate");
  page.set_category_source(v1::CLERK);
  page.set_category_operator("clerk-7");
  v1::Reason* reason = page.add_reasons();
  reason->set_code(v1::BLURRED);
  reason->set_detail("blur 3.1");
  reason->set_waived_by("supervisor Ana");
  reason->set_waiver_note("the original is a fax");
  EXPECT_EQ(PageVerdictText(page, " (note)"),
            "ACCEPT (note) [certificate, by the clerk clerk-7]\n"
            "      - BLURRED: blur 3.1 [waived by supervisor Ana: the original is a fax]");

  v1::BatchVerdict batch;
  batch.set_page_count(3);
  batch.set_counted_pages(2);
  *batch.add_reasons() = *reason;
  batch.mutable_reasons(0)->set_page(1);
  EXPECT_EQ(BatchVerdictDetails(batch),
            "3 pages (2 counted)\n"
            "      - BLURRED (page 1): blur 3.1 [waived by supervisor Ana: the original is a fax]");
}

TEST(VerdictPrint, ATransactionIsPrintedInItsPrintableForm) {
  v1::BatchVerdict batch;
  batch.set_transaction_id("SI\x1b[2J1");
  const std::string details = BatchVerdictDetails(batch);
  EXPECT_EQ(details.find('\x1b'), std::string::npos) << details;
  EXPECT_NE(details.find(", transaction SI"), std::string::npos) << details;
}

}  // namespace
}  // namespace scangate::cli
