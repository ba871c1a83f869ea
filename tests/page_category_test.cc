// Page classification against a profile's archive structure: the rules on
// verdicts (PageCategories), profile validation, and a real server filing a
// batch's pages by separator sheet, page barcode and the clerk, with the
// clerk's correction recorded in the ledger under the operator's id.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "wire/page_categories.h"
#include "wire/profile_store.h"
#include "scangate/v1/scangate.grpc.pb.h"
#include "tests/support/process.h"
#include "tests/support/synthetic_page.h"

namespace scangate {
namespace {

namespace fs = std::filesystem;
using scangate::testing::Built;
using scangate::testing::ServerProcess;

// summary (by its barcode), application form, identity documents (ID card
// and household register below it), certificates: separator sheets.
const char* kStructuredProfile = R"(
name: "structured"
min_pages: 1
min_dpi: 150
barcode { formats: "Code128" payload_pattern: "SI[0-9]{13}" required: true }
structure {
  require_category: true
  categories { name: "summary" label: "summary sheet" min_pages: 1 max_pages: 1
               barcode_pattern: "SI[0-9]{13}" }
  categories { name: "application" min_pages: 1 max_pages: 3 separator_pattern: "SEP-APP" }
  categories { name: "identity" min_pages: 1 max_pages: 3 separator_pattern: "SEP-ID"
    categories { name: "id_card" max_pages: 1 separator_pattern: "SEP-IDCARD" }
    categories { name: "household_register" }
  }
  categories { name: "certificates" separator_pattern: "SEP-CERT" }
}
)";

v1::ArchiveStructure Structure() {
  fs::path dir = fs::temp_directory_path() / ("scangate-structure-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "structured.textproto") << kStructuredProfile;
  Expected<LoadedProfile> loaded = ProfileStore::LoadFile((dir / "structured.textproto").string());
  fs::remove_all(dir);
  EXPECT_TRUE(loaded.ok()) << loaded.error().message;
  return loaded.ok() ? loaded.value().definition.structure() : v1::ArchiveStructure();
}

v1::PageVerdict Page(std::uint32_t index, const std::string& barcode = "") {
  v1::PageVerdict p;
  p.set_page_index(index);
  p.set_source("p" + std::to_string(index) + ".jpg");
  p.set_decision(v1::ACCEPT);
  if (!barcode.empty()) {
    auto* b = p.add_barcodes();
    b->set_format("Code128");
    b->set_text(barcode);
  }
  return p;
}

// Classifies pages in order, as the server does when their verdicts come.
std::vector<v1::PageVerdict> File(const PageCategories& c, std::vector<v1::PageVerdict> pages,
                                  const std::map<std::uint32_t, std::string>& hints = {}) {
  const v1::PageVerdict* separator = nullptr;
  for (std::size_t i = 0; i < pages.size(); ++i) {
    auto hint = hints.find(pages[i].page_index());
    c.Classify(pages[i], hint == hints.end() ? "" : hint->second, "clerk-7", separator);
    if (pages[i].separator_sheet()) separator = &pages[i];
  }
  return pages;
}

std::vector<std::string> Zones(const std::vector<v1::Reason>& reasons) {
  std::vector<std::string> out;
  for (const auto& r : reasons) out.push_back(v1::ReasonCode_Name(r.code()) + ":" + r.zone());
  return out;
}

TEST(PageCategories, SeparatorSheetsBarcodesAndTheClerkFileEachPage) {
  PageCategories c(Structure());
  ASSERT_TRUE(c.enabled());
  auto pages = File(c, {Page(0, "SI2026112700501"), Page(1, "SEP-APP"), Page(2), Page(3),
                        Page(4, "SEP-ID"), Page(5), Page(6), Page(7, "SEP-CERT"), Page(8)},
                    {{6, "household_register"}});
  EXPECT_EQ(pages[0].category(), "summary");
  EXPECT_EQ(pages[0].category_source(), v1::PAGE_BARCODE);
  EXPECT_TRUE(pages[1].separator_sheet());
  EXPECT_EQ(pages[1].category(), "application");
  EXPECT_EQ(pages[2].category(), "application");
  EXPECT_EQ(pages[2].category_source(), v1::SEPARATOR_SHEET);
  EXPECT_FALSE(pages[2].separator_sheet());
  EXPECT_EQ(pages[3].category(), "application");
  EXPECT_EQ(pages[5].category(), "identity");
  EXPECT_EQ(pages[6].category(), "household_register");  // the clerk says so
  EXPECT_EQ(pages[6].category_source(), v1::CLERK);
  EXPECT_EQ(pages[6].category_operator(), "clerk-7");
  EXPECT_EQ(pages[8].category(), "certificates");
  // The clerk files one page: the separator's category goes on after it.
  auto after_clerk = File(c, {Page(0, "SEP-ID"), Page(1), Page(2)}, {{1, "certificates"}});
  EXPECT_EQ(after_clerk[1].category(), "certificates");
  EXPECT_EQ(after_clerk[2].category(), "identity");

  // Counts: identity holds 2 (its own page and its sub-category's), no
  // category is out of range; separators are not counted.
  EXPECT_TRUE(c.CheckCounts(pages).empty()) << ::testing::PrintToString(Zones(c.CheckCounts(pages)));
}

TEST(PageCategories, TheBatchRuleNamesEachCategoryOutOfRangeAndPagesWithoutOne) {
  PageCategories c(Structure());
  // No identity documents, two summary sheets, two ID cards, a page before any separator.
  auto pages = File(c, {Page(0, "SI2026112700501"), Page(1), Page(2, "SI2026112700502"),
                        Page(3, "SEP-APP"), Page(4), Page(5, "SEP-IDCARD"), Page(6), Page(7)});
  auto reasons = c.CheckCounts(pages);
  EXPECT_EQ(Zones(reasons),
            (std::vector<std::string>{"CATEGORY_MISSING:", "CATEGORY_COUNT:summary",
                                      "CATEGORY_COUNT:id_card"}));
  ASSERT_FALSE(reasons.empty());
  EXPECT_EQ(reasons[0].page(), 1u);
  EXPECT_NE(reasons[1].detail().find("category summary (summary sheet): 2 pages, 1-1 expected"),
            std::string::npos)
      << reasons[1].detail();

  auto no_identity = File(c, {Page(0, "SI2026112700501"), Page(1, "SEP-APP"), Page(2)});
  EXPECT_EQ(Zones(c.CheckCounts(no_identity)),
            (std::vector<std::string>{"CATEGORY_COUNT:identity"}));

  // Blank pages and unreadable pages are not counted.
  auto blank = File(c, {Page(0, "SI2026112700501"), Page(1, "SEP-APP"), Page(2), Page(3, "SEP-ID"),
                        Page(4)});
  blank[4].mutable_blank()->set_blank(true);
  EXPECT_EQ(Zones(c.CheckCounts(blank)), (std::vector<std::string>{"CATEGORY_COUNT:identity"}));
}

TEST(PageCategories, TheSummarySheetFormFilesItsPageAndTheClerkOverridesIt) {
  v1::ArchiveStructure s;
  s.add_categories()->set_name("file");
  auto* summary = s.mutable_categories(0)->add_categories();
  summary->set_name("summary");
  summary->set_summary_sheet(true);
  summary->set_min_pages(1);
  s.mutable_categories(0)->add_categories()->set_name("supporting");
  PageCategories c(s);
  v1::PageVerdict sheet = Page(0), other = Page(1), hinted = Page(2);
  sheet.set_summary_sheet(true);
  hinted.set_summary_sheet(true);
  c.Classify(sheet, "", "", nullptr);
  c.Classify(other, "", "", nullptr);
  c.Classify(hinted, "supporting", "clerk-2", nullptr);
  EXPECT_EQ(sheet.category(), "summary");
  EXPECT_EQ(sheet.category_source(), v1::SUMMARY_SHEET_FORM);
  EXPECT_EQ(other.category(), "");  // no evidence, no separator: none (not required here)
  EXPECT_EQ(hinted.category(), "supporting");
  EXPECT_EQ(hinted.category_source(), v1::CLERK);
  EXPECT_TRUE(c.CheckCounts({sheet, other, hinted}).empty());
  EXPECT_EQ(Zones(c.CheckCounts({other, hinted})),
            (std::vector<std::string>{"CATEGORY_COUNT:summary"}));
}

TEST(PageCategories, AnUnknownClerkCategoryRejectsThePage) {
  PageCategories c(Structure());
  auto pages = File(c, {Page(0)}, {{0, "passport"}});
  EXPECT_EQ(pages[0].decision(), v1::REJECT);
  ASSERT_EQ(pages[0].reasons_size(), 1);
  EXPECT_EQ(pages[0].reasons(0).code(), v1::CATEGORY_MISSING);
  EXPECT_TRUE(File(PageCategories(), {Page(0, "SEP-ID")})[0].category().empty());
}

TEST(PageCategories, ProfilesWithABadStructureAreRefusedAtLoad) {
  v1::ArchiveStructure s;
  s.add_categories()->set_name("a");
  s.add_categories()->set_name("a");
  EXPECT_NE(PageCategories::Validate(s).find("declared twice"), std::string::npos);
  s.mutable_categories(1)->set_name("b");
  s.mutable_categories(1)->set_separator_pattern("([");
  EXPECT_NE(PageCategories::Validate(s).find("not a regex"), std::string::npos);
  s.mutable_categories(1)->clear_separator_pattern();
  s.mutable_categories(1)->set_min_pages(3);
  s.mutable_categories(1)->set_max_pages(2);
  EXPECT_NE(PageCategories::Validate(s).find("min_pages"), std::string::npos);

  fs::path dir = fs::temp_directory_path() / ("scangate-bad-structure-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "bad.textproto")
      << "name: \"bad\"\nstructure {\n  categories { name: \"x\" }\n  categories { name: \"x\" }\n}\n";
  Expected<LoadedProfile> loaded = ProfileStore::LoadFile((dir / "bad.textproto").string());
  ASSERT_FALSE(loaded.ok());
  const std::string& error = loaded.error().message;
  EXPECT_NE(error.find("structure: category 'x' is declared twice"), std::string::npos) << error;
  fs::remove_all(dir);
}

// --- a real server ----------------------------------------------------------

std::string BarcodePage(const std::string& text, std::uint32_t seed) {
  synth::PageSpec spec;
  spec.dpi = 200;
  spec.seed = seed;
  spec.text_lines = 10;
  spec.margin_mm = 40;  // the code goes in the top margin, clear of the text
  cv::Mat page = synth::TextPage(spec);
  synth::DrawCode128(page, text, {300, 60}, 4.0, 160);
  return synth::EncodePng(page, 200);
}

std::string PlainPage(std::uint32_t seed) {
  synth::PageSpec spec;
  spec.dpi = 200;
  spec.seed = seed;
  return synth::EncodeJpeg(synth::TextPage(spec), 85, 200);
}

class CategoryServer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("scangate-categories-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "profiles");
    fs::create_directories(dir_ / "data");
    std::ofstream(dir_ / "profiles" / "structured.textproto") << kStructuredProfile;
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{
        "--data-dir", (dir_ / "data").string(), "--profiles", (dir_ / "profiles").string()});
    ASSERT_TRUE(server_->started());
    stub_ = v1::Scangate::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }
  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  std::string At(const std::string& name) const { return (dir_ / name).string(); }
  v1::BatchVerdict Lookup(const std::string& id) {
    grpc::ClientContext ctx;
    v1::GetBatchVerdictRequest req;
    req.set_batch_id(id);
    v1::BatchVerdict v;
    EXPECT_TRUE(stub_->GetBatchVerdict(&ctx, req, &v).ok());
    return v;
  }

  fs::path dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::Scangate::Stub> stub_;
};

TEST_F(CategoryServer, PagesAreFiledCountedAndTheClerksCorrectionIsRecordedWithTheOperator) {
  Write("01-summary.png", BarcodePage("SI2026112700501", 1));
  Write("02-sep-application.png", BarcodePage("SEP-APP", 2));
  Write("03-application.jpg", PlainPage(3));
  Write("04-sep-identity.png", BarcodePage("SEP-ID", 4));
  Write("05-certificate.jpg", PlainPage(5));
  // The clerk files 05 by hand (wrongly: it is a certificate, not an ID card copy)...
  auto scan = scangate::testing::Run(
      {Built("clients/scangate"), "scan", "--plaintext", "--server", server_->address(), "--profile", "structured",
       "--batch-id", "filed", "--operator", "clerk-3", At("01-summary.png"),
       At("02-sep-application.png"), At("03-application.jpg"), At("04-sep-identity.png"),
       "--category", "certificates", At("05-certificate.jpg")});
  // ... so identity holds no page: rejected, the reason names the category.
  EXPECT_EQ(scan.exit_code, 1) << scan.out;
  EXPECT_NE(scan.out.find("CATEGORY_COUNT: category identity: 0 pages, 1-3 expected"),
            std::string::npos)
      << scan.out;
  EXPECT_NE(scan.out.find("[separator sheet: application]"), std::string::npos) << scan.out;
  v1::BatchVerdict first = Lookup("filed");
  ASSERT_EQ(first.pages_size(), 5);
  EXPECT_EQ(first.page_count(), 3u);  // separator sheets are not archived content
  EXPECT_EQ(first.pages(0).category(), "summary");
  EXPECT_EQ(first.pages(2).category(), "application");
  EXPECT_EQ(first.pages(2).category_source(), v1::SEPARATOR_SHEET);
  EXPECT_EQ(first.pages(4).category(), "certificates");
  EXPECT_EQ(first.pages(4).category_source(), v1::CLERK);
  EXPECT_EQ(first.pages(4).category_operator(), "clerk-3");

  // A category the profile does not have is refused.
  auto unknown = scangate::testing::Run(
      {Built("clients/scangate"), "scan", "--plaintext", "--server", server_->address(), "--resume", "--batch-id",
       "filed", "--set-category", "3=passport"});
  // An error of the call (exit 2), not a rejected page verdict.
  EXPECT_EQ(unknown.exit_code, 2) << unknown.out;
  EXPECT_EQ(unknown.out.find("REJECT"), std::string::npos) << unknown.out;
  EXPECT_EQ(Lookup("filed").pages(3).category(), first.pages(3).category());

  // The supervisor corrects page 4's category: recorded with their id, and
  // the batch verdict is recomputed.
  auto fix = scangate::testing::Run(
      {Built("clients/scangate"), "scan", "--plaintext", "--server", server_->address(), "--resume", "--batch-id",
       "filed", "--operator", "supervisor-1", "--set-category", "4=id_card"});
  EXPECT_EQ(fix.exit_code, 0) << fix.out;
  EXPECT_NE(fix.out.find("[id_card, by the clerk supervisor-1]"), std::string::npos) << fix.out;
  v1::BatchVerdict fixed = Lookup("filed");
  EXPECT_EQ(fixed.decision(), v1::ACCEPT);
  EXPECT_EQ(fixed.pages(4).category(), "id_card");
  EXPECT_EQ(fixed.pages(4).category_source(), v1::CLERK);
  EXPECT_EQ(fixed.pages(4).category_operator(), "supervisor-1");
  EXPECT_EQ(fixed.operator_id(), "supervisor-1");

}

}  // namespace
}  // namespace scangate
