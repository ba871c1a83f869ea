// The ledger through real processes: scangate-server on SQLite in a temporary
// folder, killed with SIGKILL at the worst moments and restarted; the
// scangate command line (verdict, follow) run as the branch and the archive
// run it. Whatever a client saw acknowledged must be there after a restart.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "scangate/v1/scangate.grpc.pb.h"
#include "support/process.h"
#include "support/summary_forms.h"
#include "support/synthetic_page.h"

namespace scangate {
namespace {

namespace fs = std::filesystem;
using scangate::testing::Built;

using scangate::testing::ServerProcess;

// Pages are made once: encoding A4 pages is the slow part of these tests.
const std::string& TextPage(int n) {
  static std::vector<std::string> pages = [] {
    std::vector<std::string> out;
    for (int i = 0; i < 4; ++i) {
      synth::PageSpec spec;
      spec.dpi = 200;
      spec.seed = std::uint32_t(100 + i);
      out.push_back(synth::EncodeJpeg(synth::TextPage(spec), 85, 200));
    }
    return out;
  }();
  return pages[std::size_t(n) % pages.size()];
}

// The pension claim's own form (its profile registers it), complete.
std::string SummarySheet(const std::string& transaction) {
  return synth::EncodeJpeg(synth::CompletedSheet("pension-claim", 300, transaction, 1, false), 85, 300);
}

class LedgerProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("scangate-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }
  void StartServer() {
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{
        "--data-dir", (dir_ / "data").string(), "--profiles", std::string(SCANGATE_SOURCE_DIR) + "/profiles"});
    ASSERT_TRUE(server_->started());
    stub_ = v1::Scangate::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }

  static v1::ScanRequest Open(const std::string& id, bool resume = false) {
    v1::ScanRequest r;
    r.mutable_open()->set_batch_id(id);
    r.mutable_open()->set_profile(resume ? "" : "pension-claim");
    r.mutable_open()->set_station_id("counter-9");
    r.mutable_open()->set_resume(resume);
    return r;
  }
  static v1::ScanRequest Page(const std::string& bytes, const std::string& name) {
    v1::ScanRequest r;
    r.mutable_page()->set_content(bytes);
    r.mutable_page()->set_file_name(name);
    return r;
  }
  static v1::ScanRequest Close() {
    v1::ScanRequest r;
    r.mutable_close();
    return r;
  }

  // Streams a whole batch; returns the batch verdict it ended with.
  v1::BatchVerdict ScanBatch(const std::string& id, const std::vector<v1::ScanRequest>& pages) {
    grpc::ClientContext ctx;
    auto stream = stub_->Scan(&ctx);
    stream->Write(Open(id));
    for (const auto& p : pages) stream->Write(p);
    stream->Write(Close());
    stream->WritesDone();
    v1::ScanResponse r;
    v1::BatchVerdict batch;
    while (stream->Read(&r))
      if (r.has_batch()) batch = r.batch();
    EXPECT_TRUE(stream->Finish().ok());
    return batch;
  }

  std::optional<v1::BatchVerdict> Lookup(const std::string& batch_id) {
    grpc::ClientContext ctx;
    v1::GetBatchVerdictRequest req;
    req.set_batch_id(batch_id);
    v1::BatchVerdict v;
    if (!stub_->GetBatchVerdict(&ctx, req, &v).ok()) return std::nullopt;
    return v;
  }

  fs::path dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::Scangate::Stub> stub_;
};

TEST_F(LedgerProcesses, BranchFindsTheVerdictByTransactionNumberWithTheCommandLine) {
  StartServer();
  v1::BatchVerdict batch = ScanBatch(
      "txn-batch", {Page(SummarySheet("SI2026112700077"), "summary.jpg"), Page(TextPage(0), "form.jpg")});
  EXPECT_EQ(batch.transaction_id(), "SI2026112700077");
  EXPECT_GT(batch.sequence(), 0u);
  ASSERT_TRUE(batch.final());

  auto by_txn = scangate::testing::Run({Built("clients/scangate"), "verdict", "--plaintext", "--server", server_->address(), "--json",
                     "SI2026112700077"});
  EXPECT_NE(by_txn.out.find("\"batch_id\":\"txn-batch\""), std::string::npos) << by_txn.out;
  EXPECT_NE(by_txn.out.find("\"decision\":"), std::string::npos);
  EXPECT_EQ(by_txn.exit_code, batch.decision() == v1::ACCEPT ? 0 : 1);

  auto missing = scangate::testing::Run({Built("clients/scangate"), "verdict", "--plaintext", "--server", server_->address(), "nope"});
  EXPECT_EQ(missing.exit_code, 2);
}

TEST_F(LedgerProcesses, ABatchWithoutASummarySheetIsRejectedWithTheReason) {
  StartServer();
  v1::BatchVerdict batch =
      ScanBatch("no-summary", {Page(TextPage(0), "a.jpg"), Page(TextPage(1), "b.jpg")});
  EXPECT_EQ(batch.decision(), v1::REJECT);
  bool missing = false;
  for (const auto& r : batch.reasons()) missing |= r.code() == v1::SUMMARY_SHEET_MISSING;
  EXPECT_TRUE(missing);
}

TEST_F(LedgerProcesses, KillMinusNineMidBatchLosesNoAcknowledgedVerdictAndTheBatchResumes) {
  StartServer();
  std::vector<v1::PageVerdict> seen;
  {
    grpc::ClientContext ctx;
    auto stream = stub_->Scan(&ctx);
    stream->Write(Open("crash-batch"));
    stream->Write(Page(SummarySheet("SI2026112700088"), "summary.jpg"));
    for (int i = 0; i < 5; ++i) stream->Write(Page(TextPage(i), "p" + std::to_string(i) + ".jpg"));
    v1::ScanResponse r;
    while (seen.size() < 3 && stream->Read(&r))
      if (r.has_page()) seen.push_back(r.page());
    ASSERT_EQ(seen.size(), 3u);
    server_->Stop(SIGKILL);  // mid-batch, pages still in flight
    while (stream->Read(&r)) {
    }
    stream->Finish();
  }
  StartServer();
  auto stored = Lookup("crash-batch");
  ASSERT_TRUE(stored);
  EXPECT_FALSE(stored->final());
  EXPECT_EQ(stored->reasons(0).code(), v1::BATCH_INCOMPLETE);
  ASSERT_GE(stored->pages_size(), 3);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(stored->pages(int(i)).sha256(), seen[i].sha256());
    EXPECT_EQ(stored->pages(int(i)).decision(), seen[i].decision());
  }

  // The station resumes: the recorded pages come back, the rest are sent again.
  grpc::ClientContext ctx;
  auto stream = stub_->Scan(&ctx);
  stream->Write(Open("crash-batch", /*resume=*/true));
  v1::ScanResponse r;
  ASSERT_TRUE(stream->Read(&r));
  ASSERT_TRUE(r.has_opened());
  const int recorded = r.opened().pages_size();
  EXPECT_GE(recorded, 3);
  for (int i = recorded - 1; i < 5; ++i) stream->Write(Page(TextPage(i), "again.jpg"));
  stream->Write(Close());
  stream->WritesDone();
  v1::BatchVerdict final_verdict;
  while (stream->Read(&r))
    if (r.has_batch()) final_verdict = r.batch();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_TRUE(final_verdict.final());
  EXPECT_EQ(final_verdict.transaction_id(), "SI2026112700088");
  EXPECT_EQ(final_verdict.page_count(), 6u);  // the summary sheet and five pages
}

TEST_F(LedgerProcesses, ARejectedBatchIsCorrectedByReplacingAndDeletingPages) {
  StartServer();
  synth::PageSpec spec;
  spec.dpi = 200;
  std::string blurred = synth::EncodeJpeg(synth::GaussianBlur(synth::TextPage(spec), 4.0), 85, 200);
  v1::BatchVerdict first = ScanBatch(
      "fix-me", {Page(SummarySheet("SI2026112700099"), "summary.jpg"), Page(blurred, "blurred.jpg"),
                 Page("not an image", "junk.jpg")});
  ASSERT_EQ(first.decision(), v1::REJECT);

  // The clerk rescans page 1 and deletes the junk page 2, with the CLI.
  fs::path rescan = dir_ / "rescan.jpg";
  std::ofstream(rescan, std::ios::binary) << TextPage(2);
  auto fixed = scangate::testing::Run({Built("clients/scangate"), "scan", "--plaintext", "--server", server_->address(), "--resume",
                    "--batch-id", "fix-me", "--replace", "1=" + rescan.string(), "--delete", "2"});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.out;
  auto stored = Lookup("fix-me");
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->final());
  EXPECT_EQ(stored->decision(), v1::ACCEPT);
  ASSERT_EQ(stored->pages_size(), 2);
  EXPECT_EQ(stored->pages(1).source(), "rescan.jpg");

  // Accepted and final: no more corrections.
  auto again = scangate::testing::Run({Built("clients/scangate"), "scan", "--plaintext", "--server", server_->address(), "--resume",
                    "--batch-id", "fix-me", "--delete", "1"});
  EXPECT_EQ(again.exit_code, 2);
}

TEST_F(LedgerProcesses, TheClerkWaivesAReasonAndTheWaiverIsRecordedWithTheOperator) {
  StartServer();
  synth::PageSpec spec;
  spec.dpi = 200;
  std::string blurred = synth::EncodeJpeg(synth::GaussianBlur(synth::TextPage(spec), 4.0), 85, 200);
  v1::BatchVerdict first = ScanBatch(
      "waive-me", {Page(SummarySheet("SI2026112700098"), "summary.jpg"), Page(blurred, "old-fax.jpg")});
  ASSERT_EQ(first.decision(), v1::REJECT);
  const auto cli = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {Built("clients/scangate"), "scan", "--plaintext", "--server",
                                     server_->address(), "--resume", "--batch-id", "waive-me"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return scangate::testing::Run(argv);
  };

  // Without an operator id, or for a reason the page does not have: refused.
  EXPECT_NE(cli({"--waive", "1=BLURRED:the original is a fax"}).exit_code, 0);
  EXPECT_NE(cli({"--operator", "clerk-7", "--waive", "1=SKEWED"}).exit_code, 0);
  EXPECT_EQ(Lookup("waive-me")->decision(), v1::REJECT);

  auto waived = cli({"--operator", "clerk-7", "--waive", "1=BLURRED:the original is a fax"});
  EXPECT_EQ(waived.exit_code, 0) << waived.out;
  EXPECT_NE(waived.out.find("waived by clerk-7"), std::string::npos) << waived.out;
  auto stored = Lookup("waive-me");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->decision(), v1::ACCEPT);
  ASSERT_EQ(stored->pages_size(), 2);
  const v1::PageVerdict& page = stored->pages(1);
  EXPECT_EQ(page.decision(), v1::ACCEPT);
  bool kept = false;
  for (const v1::Reason& r : page.reasons())
    if (r.code() == v1::BLURRED) {
      kept = true;
      EXPECT_EQ(r.waived_by(), "clerk-7");
      EXPECT_EQ(r.waiver_note(), "the original is a fax");
    }
  EXPECT_TRUE(kept) << "the waived reason stays on the page as evidence";
}

TEST_F(LedgerProcesses, TheFollowerMissesNothingAcrossServerCrashesAndItsOwnRestarts) {
  StartServer();
  const fs::path out = dir_ / "archive";
  std::set<std::string> expected;
  auto batch = [&](const std::string& id, const std::string& txn) {
    ScanBatch(id, {Page(SummarySheet(txn), "s.jpg"), Page(TextPage(0), "p.jpg")});
    expected.insert(id);
  };
  auto follow = [&] {
    return scangate::testing::Run({Built("clients/scangate"), "follow", "--plaintext", "--server", server_->address(), "--out",
                out.string(), "--until-idle", "2"});
  };
  batch("arch-1", "SI2026112700101");
  batch("arch-2", "SI2026112700102");
  auto first = follow();
  EXPECT_EQ(first.exit_code, 0) << first.out;

  batch("arch-3", "SI2026112700103");
  server_->Stop(SIGKILL);
  StartServer();
  batch("arch-4", "SI2026112700104");
  auto second = follow();
  EXPECT_EQ(second.exit_code, 0) << second.out;
  // The second run starts after the first's cursor: only the new verdicts.
  EXPECT_EQ(second.out.find("arch-1"), std::string::npos) << second.out;

  std::set<std::string> manifests;
  for (const auto& e : fs::directory_iterator(out))
    if (e.path().extension() == ".json") manifests.insert(e.path().stem().string());
  EXPECT_EQ(manifests, expected);
  std::ifstream cursor(out / ".scangate-cursor");
  std::uint64_t at = 0;
  cursor >> at;
  EXPECT_EQ(at, 4u);
  std::ifstream m(out / "arch-3.json");
  std::string text((std::istreambuf_iterator<char>(m)), {});
  EXPECT_NE(text.find("\"decision\":"), std::string::npos);
  EXPECT_NE(text.find("\"sequence\":\"3\""), std::string::npos) << text;
}

}  // namespace
}  // namespace scangate
