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
#include "tests/support/process.h"
#include "tests/support/summary_forms.h"
#include "tests/support/synthetic_page.h"
#include "tests/support/scan_stream_end.h"

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
    const testing::StreamEnd end = testing::FinishStream(*stream);
    EXPECT_TRUE(end.status.ok()) << end.status.error_message();
    return end.batch.value_or(v1::BatchVerdict{});
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

  // The transaction scanned again under another id: the newest answers, and
  // the branch is told of both.
  ScanBatch("txn-batch-again",
            {Page(SummarySheet("SI2026112700077"), "summary.jpg"), Page(TextPage(1), "form.jpg")});
  auto both = scangate::testing::Run({Built("clients/scangate"), "verdict", "--plaintext",
                                      "--server", server_->address(), "SI2026112700077"});
  EXPECT_NE(both.out.find("batch txn-batch-again:"), std::string::npos) << both.out;
  EXPECT_NE(both.out.find("several batches, newest first (this one shown): "
                          "txn-batch-again,txn-batch"),
            std::string::npos)
      << both.out;
  // An empty transaction number names no batch.
  grpc::ClientContext ctx;
  v1::GetBatchVerdictRequest empty;
  empty.set_transaction_id("");
  v1::BatchVerdict none;
  EXPECT_EQ(stub_->GetBatchVerdict(&ctx, empty, &none).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
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
                    "--batch-id", "fix-me", "--station", "counter-9", "--replace", "1=" + rescan.string(), "--delete", "2"});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.out;
  auto stored = Lookup("fix-me");
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->final());
  EXPECT_EQ(stored->decision(), v1::ACCEPT);
  ASSERT_EQ(stored->pages_size(), 2);
  EXPECT_EQ(stored->pages(1).source(), "rescan.jpg");

  // Accepted and final: no more corrections.
  auto again = scangate::testing::Run({Built("clients/scangate"), "scan", "--plaintext", "--server", server_->address(), "--resume",
                    "--batch-id", "fix-me", "--station", "counter-9", "--delete", "1"});
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
                                     server_->address(), "--resume", "--batch-id", "waive-me",
                                     "--station", "counter-9"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return scangate::testing::Run(argv);
  };

  // Without an operator id, or for a reason the page does not have: refused.
  // Errors of the call (exit 2), never page verdicts.
  EXPECT_EQ(cli({"--waive", "1=BLURRED:the original is a fax"}).exit_code, 2);
  EXPECT_EQ(cli({"--operator", "clerk-7", "--waive", "1=SKEWED"}).exit_code, 2);
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

TEST_F(LedgerProcesses, AFinalVerdictIsNeverOverwrittenByAnotherOpenOfItsId) {
  StartServer();
  v1::BatchVerdict first = ScanBatch(
      "final-1", {Page(SummarySheet("SI2026112700061"), "summary.jpg"), Page(TextPage(0), "p.jpg")});
  ASSERT_TRUE(first.final());
  ASSERT_EQ(first.decision(), v1::ACCEPT);
  const fs::path feed = dir_ / "feed";
  auto follow = [&] {
    return scangate::testing::Run({Built("clients/scangate"), "follow", "--plaintext", "--server",
                                   server_->address(), "--out", feed.string(), "--until-idle",
                                   "1"});
  };
  ASSERT_EQ(follow().exit_code, 0);
  auto read = [](const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string manifest = read(feed / "final-1.json");
  ASSERT_NE(manifest.find("\"decision\":\"ACCEPT\""), std::string::npos) << manifest;

  // Another station opens the same id with another profile and other pages.
  fs::path other = dir_ / "other.jpg";
  std::ofstream(other, std::ios::binary) << TextPage(3);
  auto overwrite = scangate::testing::Run(
      {Built("clients/scangate"), "scan", "--plaintext", "--server", server_->address(),
       "--profile", "enrolment-change", "--batch-id", "final-1", "--station", "counter-1",
       other.string()});
  EXPECT_EQ(overwrite.exit_code, 2) << overwrite.out;
  // ... and resumes it: only its own station may, and never once accepted.
  auto resume = scangate::testing::Run(
      {Built("clients/scangate"), "scan", "--plaintext", "--server", server_->address(),
       "--resume", "--batch-id", "final-1", "--station", "counter-1", other.string()});
  EXPECT_EQ(resume.exit_code, 2) << resume.out;

  auto stored = Lookup("final-1");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->profile(), "pension-claim");
  EXPECT_EQ(stored->station_id(), "counter-9");
  EXPECT_EQ(stored->decision(), v1::ACCEPT);
  EXPECT_EQ(stored->signature(), first.signature());
  EXPECT_EQ(stored->sequence(), first.sequence()) << "GetBatchVerdict names the feed entry";
  ASSERT_EQ(stored->pages_size(), 2);
  EXPECT_EQ(stored->pages(0).sha256(), first.pages(0).sha256());
  ASSERT_EQ(follow().exit_code, 0);
  EXPECT_EQ(read(feed / "final-1.json"), manifest) << "the archive's manifest is unchanged";
}

TEST_F(LedgerProcesses, AResumeWithTheSameFilesAddsNothingAndACorrectionIsTheNextVersion) {
  StartServer();
  synth::PageSpec spec;
  spec.dpi = 200;
  const fs::path summary = dir_ / "summary.jpg", blurred = dir_ / "blurred.jpg";
  std::ofstream(summary, std::ios::binary) << SummarySheet("SI2026112700062");
  std::ofstream(blurred, std::ios::binary)
      << synth::EncodeJpeg(synth::GaussianBlur(synth::TextPage(spec), 4.0), 85, 200);
  auto scan = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {Built("clients/scangate"), "scan", "--plaintext", "--server",
                                     server_->address(), "--batch-id", "twice",
                                     "--station", "counter-5"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return scangate::testing::Run(argv);
  };
  auto first = scan({"--profile", "pension-claim", summary.string(), blurred.string()});
  ASSERT_EQ(first.exit_code, 1) << first.out;
  const v1::BatchVerdict v1_verdict = *Lookup("twice");
  EXPECT_EQ(v1_verdict.version(), 1u);

  // The natural retry: the same files again. Nothing is added twice.
  auto again = scan({"--resume", summary.string(), blurred.string()});
  EXPECT_EQ(again.exit_code, 1) << again.out;
  EXPECT_NE(again.out.find("not sent again"), std::string::npos) << again.out;
  v1::BatchVerdict v2_verdict = *Lookup("twice");
  EXPECT_EQ(v2_verdict.pages_size(), 2);
  EXPECT_EQ(v2_verdict.version(), 2u);
  EXPECT_EQ(v2_verdict.supersedes(), v1_verdict.sequence());

  // A file sent twice in one batch is a double feed.
  auto doubled = scangate::testing::Run(
      {Built("clients/scangate"), "scan", "--plaintext", "--server", server_->address(),
       "--profile", "pension-claim", "--batch-id", "doubled", summary.string(), summary.string()});
  EXPECT_EQ(doubled.exit_code, 1) << doubled.out;
  EXPECT_NE(doubled.out.find("DUPLICATE_PAGE"), std::string::npos) << doubled.out;

  // Both versions stay in the feed, each as it was signed.
  const fs::path feed = dir_ / "feed";
  ASSERT_EQ(scangate::testing::Run({Built("clients/scangate"), "follow", "--plaintext", "--server",
                                    server_->address(), "--out", feed.string(), "--until-idle",
                                    "1"})
                .exit_code,
            0);
  std::ifstream first_manifest(feed / "twice.json"), second_manifest(feed / "versions" / "twice.v2.json");
  const std::string first_text(std::istreambuf_iterator<char>(first_manifest), {});
  const std::string second_text(std::istreambuf_iterator<char>(second_manifest), {});
  EXPECT_NE(first_text.find("\"version\":1"), std::string::npos) << first_text;
  EXPECT_NE(second_text.find("\"version\":2"), std::string::npos) << second_text;
  std::set<std::string> manifests = {first_text, second_text};
  EXPECT_EQ(manifests.size(), 2u) << "every version's manifest is kept";
}

}  // namespace
}  // namespace scangate
