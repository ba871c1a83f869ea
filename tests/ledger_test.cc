// The SQLite ledger on a real file: durable writes in order, the feed in
// commit order, reopening, and the schema carried across restarts.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "sqlite_ledger.h"

namespace scangate {
namespace {

namespace fs = std::filesystem;

class LedgerOnDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("scangate-ledger-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "ledger.sqlite3").string();
    Reopen();
  }
  void TearDown() override {
    ledger_.reset();
    fs::remove_all(dir_);
  }
  void Reopen() {
    ledger_.reset();
    std::string error;
    ledger_ = SqliteLedger::Open(path_, error);
    ASSERT_TRUE(ledger_) << error;
  }
  // Waits for a write's acknowledgement.
  bool Sync(const std::function<void(Ledger::Done)>& write) {
    std::promise<bool> done;
    write([&](bool ok, const std::string&) { done.set_value(ok); });
    return done.get_future().get();
  }
  std::uint64_t Commit(const v1::BatchVerdict& v) {
    std::promise<std::uint64_t> done;
    ledger_->RecordBatchVerdict(v, [&](bool ok, std::uint64_t seq) { done.set_value(ok ? seq : 0); });
    return done.get_future().get();
  }
  static BatchOpenRecord Record(const std::string& id) {
    return {id, "pension-claim", "v1", "counter-1", "clerk-7", "permanent", 1700000000};
  }
  static v1::PageVerdict Page(std::uint32_t index, v1::Decision d) {
    v1::PageVerdict p;
    p.set_page_index(index);
    p.set_source("page-" + std::to_string(index) + ".png");
    p.set_decision(d);
    p.set_sha256(std::string(64, 'a'));
    return p;
  }
  static v1::BatchVerdict Verdict(const std::string& id, bool final, v1::Decision d) {
    v1::BatchVerdict v;
    v.set_batch_id(id);
    v.set_final(final);
    v.set_decision(d);
    v.set_transaction_id("SI" + id);
    return v;
  }

  fs::path dir_;
  std::string path_;
  std::unique_ptr<SqliteLedger> ledger_;
};

TEST_F(LedgerOnDisk, PagesAndVerdictSurviveAReopen) {
  ASSERT_TRUE(Sync([&](auto d) { ledger_->OpenBatch(Record("b1"), d); }));
  ASSERT_TRUE(Sync([&](auto d) { ledger_->RecordPage("b1", Page(0, v1::ACCEPT), d); }));
  ASSERT_TRUE(Sync([&](auto d) { ledger_->RecordPage("b1", Page(1, v1::REJECT), d); }));
  EXPECT_GT(Commit(Verdict("b1", true, v1::REJECT)), 0u);
  Reopen();
  auto stored = ledger_->LoadBatch("b1");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, "final");
  EXPECT_EQ(stored->open.station_id, "counter-1");
  EXPECT_EQ(stored->open.retention, "permanent");
  ASSERT_EQ(stored->pages.size(), 2u);
  EXPECT_EQ(stored->pages[1].decision(), v1::REJECT);
  ASSERT_TRUE(stored->verdict);
  EXPECT_EQ(stored->verdict->decision(), v1::REJECT);
  EXPECT_EQ(ledger_->BatchIdForTransaction("SIb1").value_or(""), "b1");
}

TEST_F(LedgerOnDisk, AReplacedPageKeepsItsIndexAndADeletedOneIsGone) {
  ASSERT_TRUE(Sync([&](auto d) { ledger_->OpenBatch(Record("b2"), d); }));
  for (std::uint32_t i = 0; i < 3; ++i)
    ASSERT_TRUE(Sync([&](auto d) { ledger_->RecordPage("b2", Page(i, v1::REJECT), d); }));
  ASSERT_TRUE(Sync([&](auto d) { ledger_->RecordPage("b2", Page(1, v1::ACCEPT), d); }));
  ASSERT_TRUE(Sync([&](auto d) { ledger_->DeletePage("b2", 2, d); }));
  auto stored = ledger_->LoadBatch("b2");
  ASSERT_EQ(stored->pages.size(), 2u);
  EXPECT_EQ(stored->pages[1].page_index(), 1u);
  EXPECT_EQ(stored->pages[1].decision(), v1::ACCEPT);
}

TEST_F(LedgerOnDisk, FeedHoldsOnlyFinalVerdictsInCommitOrderFromACursor) {
  for (const char* id : {"f1", "f2", "f3"})
    ASSERT_TRUE(Sync([&](auto d) { ledger_->OpenBatch(Record(id), d); }));
  std::uint64_t s1 = Commit(Verdict("f1", true, v1::ACCEPT));
  EXPECT_EQ(Commit(Verdict("f2", false, v1::REJECT)), 0u);  // incomplete: not in the feed
  std::uint64_t s3 = Commit(Verdict("f3", true, v1::REJECT));
  ASSERT_GT(s3, s1);
  auto all = ledger_->FeedAfter(0, 100);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].verdict().batch_id(), "f1");
  EXPECT_EQ(all[0].verdict().sequence(), s1);
  EXPECT_EQ(all[1].verdict().batch_id(), "f3");
  auto after = ledger_->FeedAfter(s1, 100);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].sequence(), s3);
  EXPECT_EQ(ledger_->LoadBatch("f2")->state, "incomplete");
}

TEST_F(LedgerOnDisk, OpenBatchesAreListedForResumingAfterARestart) {
  ASSERT_TRUE(Sync([&](auto d) { ledger_->OpenBatch(Record("open-1"), d); }));
  ASSERT_TRUE(Sync([&](auto d) { ledger_->OpenBatch(Record("done-1"), d); }));
  Commit(Verdict("done-1", true, v1::ACCEPT));
  Reopen();
  EXPECT_EQ(ledger_->OpenBatchIds(), std::vector<std::string>{"open-1"});
  ASSERT_TRUE(Sync([&](auto d) { ledger_->ReopenBatch("done-1", d); }));
  EXPECT_EQ(ledger_->OpenBatchIds().size(), 2u);
}

TEST_F(LedgerOnDisk, TheFeedListenerHearsEachDurableAppend) {
  std::promise<std::uint64_t> heard;
  ledger_->SetFeedListener([&](std::uint64_t s) { heard.set_value(s); });
  ASSERT_TRUE(Sync([&](auto d) { ledger_->OpenBatch(Record("l1"), d); }));
  std::uint64_t seq = Commit(Verdict("l1", true, v1::ACCEPT));
  EXPECT_EQ(heard.get_future().get(), seq);
  ledger_->SetFeedListener(nullptr);
}

TEST_F(LedgerOnDisk, ASchemaNewerThanTheServerIsRefused) {
  ledger_.reset();
  sqlite3* db = nullptr;
  sqlite3_open(path_.c_str(), &db);
  sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  std::string error;
  EXPECT_FALSE(SqliteLedger::Open(path_, error));
  EXPECT_NE(error.find("newer"), std::string::npos) << error;
}

}  // namespace
}  // namespace scangate
