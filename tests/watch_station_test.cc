// The hot-folder station (`scangate scan --watch DIR`) through real
// processes: scangate-server on SQLite in a temporary folder, and the
// scangate binary watching a folder this test writes into the way a counter
// scanner does (slowly in chunks, or under a temporary name then renamed).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "wire/file_names.h"
#include "scangate/v1/scangate.grpc.pb.h"
#include "tests/support/barcode_print.h"
#include "tests/support/process.h"
#include "tests/support/summary_forms.h"
#include "tests/support/synthetic_page.h"

namespace scangate {
namespace {

namespace fs = std::filesystem;
using scangate::testing::BackgroundProcess;
using scangate::testing::Built;
using scangate::testing::ServerProcess;
using namespace std::chrono_literals;

const std::string& TextPage(int n) {
  static std::vector<std::string> pages = [] {
    std::vector<std::string> out;
    for (int i = 0; i < 5; ++i) {
      synth::PageSpec spec;
      spec.dpi = 200;
      spec.seed = std::uint32_t(300 + i);
      out.push_back(synth::EncodeJpeg(synth::TextPage(spec), 85, 200));
    }
    return out;
  }();
  return pages[std::size_t(n) % pages.size()];
}

// Out of focus: the profile rejects it (BLURRED), a rescan fixes it.
const std::string& BlurredPage() {
  static std::string page = [] {
    synth::PageSpec spec;
    spec.dpi = 200;
    spec.seed = 399;
    return synth::EncodeJpeg(synth::GaussianBlur(synth::TextPage(spec), 4.0), 85, 200);
  }();
  return page;
}

std::string SummarySheet(const std::string& transaction) {
  return synth::EncodeJpeg(synth::CompletedSheet("pension-claim", 300, transaction, 1, false), 85, 300);
}

// A text page with a QR code at its top left: under the `default` profile
// any barcode's text is a transaction, and so names the page's batch.
std::string PageWithQrCode(const std::string& text, std::uint32_t seed) {
  synth::PageSpec spec;
  spec.dpi = 200;
  spec.seed = seed;
  cv::Mat page = synth::TextPage(spec);
  synth::PrintQrCode(page, text, {60, 60}, 6);
  return synth::EncodePng(page, 200);
}

// Every file under `root`, symlinks not followed.
std::set<std::string> FilesUnder(const fs::path& root) {
  std::set<std::string> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (!it->is_directory()) files.insert(fs::relative(it->path(), root).string());
  return files;
}

std::set<std::string> Names(const fs::path& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file()) names.insert(e.path().filename().string());
  return names;
}

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class WatchStation : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("scangate-watch-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    fs::create_directories(hot());
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{
        "--data-dir", (dir_ / "data").string(), "--profiles", Profiles()});
    ASSERT_TRUE(server_->started());
    stub_ = v1::Scangate::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  fs::path hot() const { return dir_ / "hot"; }
  // The profiles folder the server reads.
  virtual std::string Profiles() { return std::string(SCANGATE_SOURCE_DIR) + "/profiles"; }

  std::unique_ptr<BackgroundProcess> Watch(const std::string& log,
                                           std::vector<std::string> extra) {
    return WatchWith(hot(), "pension-claim", log, std::move(extra));
  }
  std::unique_ptr<BackgroundProcess> WatchWith(const fs::path& folder, const std::string& profile,
                                               const std::string& log,
                                               std::vector<std::string> extra) {
    std::vector<std::string> argv = {Built("clients/scangate"), "scan", "--plaintext", "--watch", folder.string(),
                                     "--server", server_->address(), "--profile",
                                     profile, "--station", "counter-3"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<BackgroundProcess>(argv, (dir_ / log).string());
  }

  // The scanner writes the file in one go.
  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(hot() / name, std::ios::binary) << bytes;
  }
  // The scanner writes under a temporary name, then renames.
  void WriteByRename(const std::string& name, const std::string& bytes) {
    std::ofstream(hot() / (name + ".part"), std::ios::binary) << bytes;
    std::this_thread::sleep_for(700ms);  // longer than the settle period: still not taken
    fs::rename(hot() / (name + ".part"), hot() / name);
  }
  // A slow scanner: twelve chunks 0.1 s apart, 1.2 s in all (more than the
  // 0.5 s settle period): a station taking it early would send a truncated
  // JPEG. Each gap is a fifth of the settle period, so a loaded machine
  // that holds this thread up for a few tenths does not make the file look
  // finished.
  void WriteSlowly(const std::string& name, const std::string& bytes) {
    std::ofstream out(hot() / name, std::ios::binary);
    const std::size_t chunk = bytes.size() / 12 + 1;
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
      out.write(bytes.data() + at, std::streamsize(std::min(chunk, bytes.size() - at)));
      out.flush();
      std::this_thread::sleep_for(100ms);
    }
  }

  std::optional<v1::BatchVerdict> Lookup(const std::string& batch_id) {
    grpc::ClientContext ctx;
    v1::GetBatchVerdictRequest req;
    req.set_batch_id(batch_id);
    v1::BatchVerdict v;
    if (!stub_->GetBatchVerdict(&ctx, req, &v).ok()) return std::nullopt;
    return v;
  }

  static std::vector<std::string> Sources(const v1::BatchVerdict& v) {
    std::vector<std::string> out;
    for (const auto& p : v.pages()) out.push_back(p.source());
    return out;
  }

  fs::path dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::Scangate::Stub> stub_;
};

TEST_F(WatchStation, AStackOfTwoTransactionsBecomesTwoBatchesAndARescanFixesTheRejectedPage) {
  const std::string t1 = "SI2026112700201", t2 = "SI2026112700202";
  const std::string sheet1 = SummarySheet(t1), sheet2 = SummarySheet(t2);
  TextPage(0);
  BlurredPage();
  // Idle periods with room for a loaded machine: the slow file leaves a gap
  // of about a second after the summary sheet, which must not close the batch.
  auto watch = Watch("watch.log", {"--idle-close", "3", "--until-idle", "8"});
  ASSERT_NE(watch->WaitForLine("watching ", 30s), "") << watch->Log();

  WriteByRename("001-summary.jpg", sheet1);
  WriteSlowly("002-application.jpg", TextPage(0));
  Write("003-id-copy.jpg", TextPage(1));
  Write("004-scan.tmp", TextPage(2));        // a scanner's temporary file, never renamed
  Write(".005-hidden.jpg", TextPage(2));     // hidden
  WriteByRename("006-summary.jpg", sheet2);  // the second transaction
  Write("007-certificate.jpg", TextPage(3));
  WriteByRename("008-certificate.jpg", BlurredPage());

  // The second batch is closed when no file comes for 3 s: rejected, and the
  // station says which page to rescan.
  const std::string rescan = watch->WaitForLine("  rescan page ", 60s);
  EXPECT_EQ(rescan, "2 (008-certificate.jpg) of batch " + t2 + ":") << watch->Log();
  WriteByRename("009-rescan.jpg", TextPage(4));
  ASSERT_NE(watch->WaitForLine("no new file for 8.0 s", 60s), "") << watch->Log();
  EXPECT_EQ(watch->Stop(SIGTERM), 0);  // it exits by itself; a late SIGTERM changes nothing
  const std::string log = watch->Log();

  // Every page was judged once, whole: the slow file is not taken half-written.
  EXPECT_EQ(Count(log, "002-application.jpg: ACCEPT"), 1u) << log;
  EXPECT_EQ(Count(log, "002-application.jpg: REJECT"), 0u) << log;
  EXPECT_NE(log.find("BLURRED"), std::string::npos) << log;
  EXPECT_EQ(log.find("004-scan.tmp"), std::string::npos) << log;
  EXPECT_EQ(log.find("005-hidden"), std::string::npos) << log;
  EXPECT_NE(log.find("006-summary.jpg starts transaction " + t2), std::string::npos) << log;

  // Two batches, named after their transactions, with the right pages.
  auto first = Lookup(t1);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->final());
  EXPECT_EQ(first->decision(), v1::ACCEPT);
  EXPECT_EQ(first->transaction_id(), t1);
  EXPECT_EQ(Sources(*first),
            (std::vector<std::string>{"001-summary.jpg", "002-application.jpg", "003-id-copy.jpg"}));
  auto second = Lookup(t2);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->final());
  EXPECT_EQ(second->decision(), v1::ACCEPT) << log;
  EXPECT_EQ(second->transaction_id(), t2);
  EXPECT_EQ(Sources(*second),
            (std::vector<std::string>{"006-summary.jpg", "007-certificate.jpg", "009-rescan.jpg"}));
  EXPECT_FALSE(Lookup(t1 + "-2"));
  EXPECT_FALSE(Lookup(t2 + "-2"));

  // The files, filed by batch; the replaced original kept; nothing lost.
  EXPECT_EQ(Names(hot() / "accepted" / t1),
            (std::set<std::string>{"001-summary.jpg", "002-application.jpg", "003-id-copy.jpg"}));
  EXPECT_EQ(Names(hot() / "accepted" / t2),
            (std::set<std::string>{"006-summary.jpg", "007-certificate.jpg", "009-rescan.jpg"}));
  EXPECT_EQ(Names(hot() / "accepted" / t2 / "replaced"),
            (std::set<std::string>{"008-certificate.jpg"}));
  EXPECT_EQ(Names(hot()), (std::set<std::string>{"004-scan.tmp", ".005-hidden.jpg"}));
}

TEST_F(WatchStation, AKilledStationRestartsWithoutLosingAFileOrDuplicatingABatch) {
  const std::string t3 = "SI2026112700303", t4 = "SI2026112700304";
  const std::string sheet3 = SummarySheet(t3), sheet4 = SummarySheet(t4);
  BlurredPage();
  auto watch = Watch("first.log", {"--idle-close", "30"});
  ASSERT_NE(watch->WaitForLine("watching ", 30s), "") << watch->Log();
  Write("001-summary.jpg", sheet3);
  for (int i = 2; i <= 4; ++i) Write("00" + std::to_string(i) + "-page.jpg", TextPage(i));
  // Killed once two pages have their verdicts: the third may be in flight.
  ASSERT_NE(watch->WaitForLine("] page 1 ", 60s), "") << watch->Log();
  watch->Stop(SIGKILL);
  const std::string first_log = watch->Log();

  // The scanner goes on while the station is down.
  Write("005-page.jpg", TextPage(0));
  Write("006-summary.jpg", sheet4);
  Write("007-blurred.jpg", BlurredPage());
  Write("008-page.jpg", TextPage(1));

  auto again = Watch("second.log", {"--idle-close", "2", "--until-idle", "4"});
  ASSERT_NE(again->WaitForLine("no new file for 4.0 s", 90s), "") << again->Log();
  const std::string log = again->Log();
  EXPECT_NE(log.find("batch " + t3 + " resumed"), std::string::npos) << first_log << log;

  // One batch per transaction, each page once.
  auto third = Lookup(t3);
  ASSERT_TRUE(third);
  EXPECT_TRUE(third->final());
  EXPECT_EQ(third->decision(), v1::ACCEPT) << log;
  EXPECT_EQ(Sources(*third),
            (std::vector<std::string>{"001-summary.jpg", "002-page.jpg", "003-page.jpg",
                                      "004-page.jpg", "005-page.jpg"}))
      << first_log << log;
  auto fourth = Lookup(t4);
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->decision(), v1::REJECT);
  EXPECT_EQ(Sources(*fourth),
            (std::vector<std::string>{"006-summary.jpg", "007-blurred.jpg", "008-page.jpg"}));
  EXPECT_FALSE(Lookup(t3 + "-2"));
  EXPECT_FALSE(Lookup(t4 + "-2"));
  EXPECT_NE(log.find("rescan page 1 (007-blurred.jpg) of batch " + t4), std::string::npos) << log;

  // Every file filed once: accepted or rejected (no rescan came), none left.
  EXPECT_EQ(Names(hot() / "accepted" / t3),
            (std::set<std::string>{"001-summary.jpg", "002-page.jpg", "003-page.jpg",
                                   "004-page.jpg", "005-page.jpg"}));
  EXPECT_EQ(Names(hot() / "rejected" / t4),
            (std::set<std::string>{"006-summary.jpg", "007-blurred.jpg", "008-page.jpg"}));
  EXPECT_EQ(Names(hot()), std::set<std::string>{});
}

TEST_F(WatchStation, SigtermLeavesTheOpenBatchToResumeAndTheUsageNamesTheMode) {
  auto usage = scangate::testing::Run({Built("clients/scangate"), "scan", "--watch", "--help"});
  EXPECT_EQ(usage.exit_code, 0);
  EXPECT_NE(usage.out.find("--idle-close"), std::string::npos) << usage.out;

  const std::string t5 = "SI2026112700405";
  auto watch = Watch("first.log", {"--idle-close", "30"});
  ASSERT_NE(watch->WaitForLine("watching ", 30s), "") << watch->Log();
  Write("001-summary.jpg", SummarySheet(t5));
  ASSERT_NE(watch->WaitForLine("] page 0 ", 60s), "") << watch->Log();
  EXPECT_EQ(watch->Stop(SIGTERM), 0);
  EXPECT_NE(watch->Log().find("batch " + t5 + " stays open"), std::string::npos) << watch->Log();
  auto open = Lookup(t5);
  ASSERT_TRUE(open);
  EXPECT_FALSE(open->final());

  Write("002-page.jpg", TextPage(0));
  auto again = Watch("second.log", {"--idle-close", "1", "--until-idle", "3"});
  ASSERT_NE(again->WaitForLine("no new file for 3.0 s", 60s), "") << again->Log();
  auto closed = Lookup(t5);
  ASSERT_TRUE(closed);
  EXPECT_TRUE(closed->final());
  EXPECT_EQ(closed->decision(), v1::ACCEPT) << again->Log();
  EXPECT_EQ(Sources(*closed), (std::vector<std::string>{"001-summary.jpg", "002-page.jpg"}));
  EXPECT_EQ(Names(hot() / "accepted" / t5),
            (std::set<std::string>{"001-summary.jpg", "002-page.jpg"}));
}

TEST_F(WatchStation, ABarcodeThatReadsAsAPathNamesAFolderInsideTheHotFolder) {
  // Deep enough that ../../../x from DIR/accepted/<batch> stays in this test's folder.
  const fs::path deep = dir_ / "site" / "counter" / "hot";
  fs::create_directories(deep);
  const std::string upward = "../../../x";
  const std::string absolute = (dir_ / "outside" / "y").string();
  const std::string upward_page = PageWithQrCode(upward, 501);
  const std::string absolute_page = PageWithQrCode(absolute, 502);
  const std::set<std::string> before = FilesUnder(dir_);
  auto watch = WatchWith(deep, "default", "watch.log", {"--idle-close", "2", "--until-idle", "5"});
  ASSERT_NE(watch->WaitForLine("watching ", 30s), "") << watch->Log();
  std::ofstream(deep / "001-up.png", std::ios::binary) << upward_page;
  ASSERT_NE(watch->WaitForLine("] page 0 ", 60s), "") << watch->Log();
  std::ofstream(deep / "002-abs.png", std::ios::binary) << absolute_page;
  ASSERT_NE(watch->WaitForLine("no new file for 5.0 s", 90s), "") << watch->Log();
  EXPECT_EQ(watch->Stop(SIGTERM), 0);
  const std::string log = watch->Log();

  // Both codes were read as transactions and named their batches...
  auto up = Lookup(upward);
  ASSERT_TRUE(up) << log;
  EXPECT_EQ(Sources(*up), std::vector<std::string>{"001-up.png"}) << log;
  auto abs = Lookup(absolute);
  ASSERT_TRUE(abs) << log;
  EXPECT_EQ(Sources(*abs), std::vector<std::string>{"002-abs.png"}) << log;

  // ...and each batch's files are in one escaped folder inside DIR.
  auto filed = [&](const std::string& id) {
    const std::string folder = FileNameFor(id);
    return fs::exists(deep / "accepted" / folder) ? deep / "accepted" / folder
                                                  : deep / "rejected" / folder;
  };
  EXPECT_EQ(Names(filed(upward)), std::set<std::string>{"001-up.png"}) << log;
  EXPECT_EQ(Names(filed(absolute)), std::set<std::string>{"002-abs.png"}) << log;
  EXPECT_FALSE(fs::exists(dir_ / "site" / "x"));
  EXPECT_FALSE(fs::exists(dir_ / "outside"));
  // Nothing written outside the hot folder but the server's data and the logs.
  for (const std::string& f : FilesUnder(dir_)) {
    if (before.count(f) || f.rfind("data/", 0) == 0 || f.rfind("site/counter/hot/", 0) == 0 ||
        f == "watch.log")
      continue;
    ADD_FAILURE() << "written outside the hot folder: " << f;
  }
}

TEST_F(WatchStation, ALinkIsNotTakenAndANameWithANewlineSurvivesTheJournal) {
  // A file outside the folder, linked into it: never sent, never moved.
  const fs::path secret = dir_ / "secret.jpg";
  std::ofstream(secret, std::ios::binary) << TextPage(0);
  fs::create_symlink(secret, hot() / "001-link.jpg");
  const std::string newline_name = "002-line\nbreak.jpg";
  auto watch = WatchWith(hot(), "default", "first.log", {"--idle-close", "30"});
  ASSERT_NE(watch->WaitForLine("watching ", 30s), "") << watch->Log();
  Write(newline_name, TextPage(1));
  // The batch holds the file (in the journal) when the station is killed.
  ASSERT_NE(watch->WaitForLine("] page 0 ", 60s), "") << watch->Log();
  const std::string opened = watch->WaitForLine("batch ", 5s);
  const std::string id = opened.substr(0, opened.find(' '));
  ASSERT_FALSE(id.empty()) << watch->Log();
  watch->Stop(SIGKILL);
  const std::string first_log = watch->Log();

  Write("003-page.jpg", TextPage(2));
  auto again = WatchWith(hot(), "default", "second.log", {"--idle-close", "1", "--until-idle", "3"});
  ASSERT_NE(again->WaitForLine("no new file for 3.0 s", 60s), "") << first_log << again->Log();
  EXPECT_EQ(again->Stop(SIGTERM), 0);
  const std::string log = again->Log();
  EXPECT_NE(log.find("batch " + id + " resumed"), std::string::npos) << first_log << log;

  auto batch = Lookup(id);
  ASSERT_TRUE(batch) << first_log << log;
  EXPECT_TRUE(batch->final());
  // The newline is escaped in the page's source (the server takes no
  // control characters), and each page is there once.
  EXPECT_EQ(Sources(*batch), (std::vector<std::string>{"002-line%0Abreak.jpg", "003-page.jpg"}))
      << first_log << log;
  EXPECT_EQ(first_log.find("001-link"), std::string::npos) << first_log;
  EXPECT_EQ(log.find("001-link"), std::string::npos) << log;
  const fs::path filed = fs::exists(hot() / "accepted" / id) ? hot() / "accepted" / id
                                                             : hot() / "rejected" / id;
  EXPECT_EQ(Names(filed), (std::set<std::string>{newline_name, "003-page.jpg"}));
  EXPECT_TRUE(fs::is_symlink(hot() / "001-link.jpg"));
  EXPECT_TRUE(fs::exists(secret));
}

// Repair before reject (issue 21): the bundled pension-claim profile with a
// repair rule, in a profiles folder of the test's own.
class RepairingStation : public WatchStation {
 protected:
  std::string Profiles() override {
    const fs::path to = dir_ / "profiles";
    fs::create_directories(to / "forms");
    const fs::path from = fs::path(SCANGATE_SOURCE_DIR) / "profiles";
    fs::copy_file(from / "forms/pension-claim.png", to / "forms/pension-claim.png");
    std::ifstream in(from / "pension-claim.textproto");
    std::stringstream text;
    text << in.rdbuf();
    std::ofstream(to / "pension-claim.textproto")
        << text.str()
        << "repair { turn_upright: true deskew_up_to_degrees: 5.0 crop_borders: true despeckle: true }\n";
    return to.string();
  }
};

TEST_F(RepairingStation, AnUpsideDownSkewedSlipIsRepairedFiledAsTheArchiveCopyAndVerified) {
  const std::string t = "SI2026120300211";
  // The processing slip fed upside down and 3 degrees askew.
  cv::Mat sheet = synth::CompletedSheet("pension-claim", 200, t, 1, true);
  cv::rotate(synth::Rotate(sheet, 3.0), sheet, cv::ROTATE_180);
  Write("001-summary.jpg", synth::EncodeJpeg(sheet, 90, 200));
  Write("002-application.jpg", TextPage(0));
  auto watch = Watch("watch.log", {"--idle-close", "1", "--until-idle", "2"});
  ASSERT_NE(watch->WaitForLine("no new file for 2.0 s", 90s), "") << watch->Log();
  EXPECT_EQ(watch->Stop(SIGTERM), 0);
  const std::string log = watch->Log();
  EXPECT_NE(log.find("001-summary.jpg: ACCEPT (summary sheet, transaction " + t +
                     ") (repaired by the server: turned 180 degrees, deskewed 3."),
            std::string::npos)
      << log;

  auto batch = Lookup(t);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->decision(), v1::ACCEPT) << log;
  ASSERT_EQ(batch->pages_size(), 2);
  const v1::PageVerdict& slip = batch->pages(0);
  EXPECT_TRUE(slip.summary_sheet());
  EXPECT_EQ(slip.repair().turned_degrees(), 180u);
  EXPECT_NEAR(slip.repair().deskewed_degrees(), 3.0, 0.1);
  EXPECT_EQ(slip.repair().archive_sha256().size(), 64u);
  EXPECT_TRUE(slip.repair().archive_copy().empty()) << "the ledger keeps no page bytes";
  EXPECT_FALSE(batch->pages(1).has_repair());

  // Filed: the archive copy in the batch's folder, the original beside it.
  const fs::path folder = hot() / "accepted" / t;
  EXPECT_EQ(Names(folder), (std::set<std::string>{"001-summary.png", "002-application.jpg"}));
  EXPECT_EQ(Names(folder / "original"), (std::set<std::string>{"001-summary.jpg"}));

  // The signed verdict covers both files of the slip.
  const fs::path out = dir_ / "archive";
  auto followed = scangate::testing::Run({Built("clients/scangate"), "follow", "--plaintext",
                                          "--server", server_->address(), "--out", out.string(),
                                          "--until-idle", "1"});
  ASSERT_EQ(followed.exit_code, 0) << followed.out;
  const fs::path pub = dir_ / "data" / "verdict-signing.key.pub";
  auto verified = scangate::testing::Run(
      {Built("clients/scangate"), "verify", (out / (t + ".json")).string(), "--public-key",
       pub.string(), (folder / "001-summary.png").string(),
       (folder / "original" / "001-summary.jpg").string(), (folder / "002-application.jpg").string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_NE(verified.out.find("001-summary.png: the archive copy of a checked page"),
            std::string::npos)
      << verified.out;
  EXPECT_NE(verified.out.find("001-summary.jpg: a checked page"), std::string::npos) << verified.out;
  // Another file is not.
  std::ofstream(dir_ / "other.png", std::ios::binary) << TextPage(1);
  auto other = scangate::testing::Run({Built("clients/scangate"), "verify",
                                       (out / (t + ".json")).string(), "--public-key", pub.string(),
                                       (dir_ / "other.png").string()});
  EXPECT_EQ(other.exit_code, 1) << other.out;
}

}  // namespace
}  // namespace scangate
