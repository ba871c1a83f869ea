// The ledger's contract, on each backend: SQLite on a real file and
// PostgreSQL on a real server started for the test. Durable writes in
// order, the feed in commit order, reopening, and the schema carried across
// restarts; for PostgreSQL also several servers sharing one ledger.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include "server/postgres_ledger.h"
#include "server/sqlite_ledger.h"
#include "tests/support/postgres.h"

namespace scangate {
namespace {

namespace fs = std::filesystem;

// Creates a batch on `ledger` and waits for the outcome.
Ledger::Creation Creation(Ledger& ledger, const BatchOpenRecord& record) {
  std::promise<Ledger::Creation> done;
  ledger.CreateBatch(record, [&](Ledger::Creation c, const std::string&) { done.set_value(c); });
  return done.get_future().get();
}

// One PostgreSQL server for the whole binary; a database per test.
testing::PostgresServer& Postgres() {
  static testing::PostgresServer server;
  return server;
}

std::string TestName() {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

class LedgerOnDisk : public ::testing::TestWithParam<std::string> {
 protected:
  bool postgres() const { return GetParam() == "postgresql"; }
  void SetUp() override {
    if (postgres()) {
      ASSERT_TRUE(Postgres().started()) << Postgres().error();
      static int n = 0;
      where_ = Postgres().CreateDatabase("t" + std::to_string(++n));
      ASSERT_FALSE(where_.empty()) << Postgres().error();
    } else {
      dir_ = fs::temp_directory_path() /
             ("scangate-ledger-" + std::to_string(::getpid()) + "-" + TestName());
      fs::remove_all(dir_);
      fs::create_directories(dir_);
      where_ = (dir_ / "ledger.sqlite3").string();
    }
    Reopen();
  }
  void TearDown() override {
    ledger_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void Reopen() {
    ledger_.reset();
    Expected<std::unique_ptr<Ledger>> opened = OpenLedger(where_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    ledger_ = std::move(opened.value());
  }
  // Marks the stored schema as written by a newer server.
  void SetSchemaVersion(int version) {
    if (postgres()) {
      PGconn* conn = PQconnectdb(where_.c_str());
      PQclear(PQexec(conn, ("UPDATE scangate_schema SET version = " + std::to_string(version)).c_str()));
      PQfinish(conn);
    } else {
      sqlite3* db = nullptr;
      sqlite3_open(where_.c_str(), &db);
      sqlite3_exec(db, ("PRAGMA user_version=" + std::to_string(version)).c_str(), nullptr, nullptr,
                   nullptr);
      sqlite3_close(db);
    }
  }
  // Creates a batch and waits: true once it is created.
  bool Create(const BatchOpenRecord& record) { return Creation(*ledger_, record) == Ledger::Creation::kCreated; }
  // Waits for a write's acknowledgement.
  bool Sync(const std::function<void(Ledger::Done)>& write) {
    return Written(write) == Ledger::Written::kDurable;
  }
  static Ledger::Written Written(const std::function<void(Ledger::Done)>& write) {
    std::promise<Ledger::Written> done;
    write([&](Ledger::Written w, const std::string&) { done.set_value(w); });
    return done.get_future().get();
  }
  // A final (or not) batch verdict under `claim`: its sequence, 0 when not applied.
  std::uint64_t Commit(const v1::BatchVerdict& v, std::uint64_t claim = Ledger::kFirstClaim) {
    std::promise<std::uint64_t> done;
    ledger_->RecordBatchVerdict(v, claim, [&](Ledger::Written w, std::uint64_t seq) {
      done.set_value(w == Ledger::Written::kDurable ? seq : 0);
    });
    return done.get_future().get();
  }
  // Reopens a batch as it is now: the new claim, 0 when the ledger refused.
  std::uint64_t Reclaim(const std::string& id) {
    const auto stored = ledger_->LoadBatch(id);
    return Reclaim(id, stored ? Ledger::Seen{stored->claim, stored->state} : Ledger::Seen{});
  }
  // Reopens a batch if it is still as `seen`: the new claim, 0 when not.
  std::uint64_t Reclaim(const std::string& id, const Ledger::Seen& seen,
                        Ledger::Reopened* reopened = nullptr) {
    std::promise<std::pair<Ledger::Reopened, std::uint64_t>> done;
    ledger_->ReopenBatch(id, seen, [&](Ledger::Reopened r, std::uint64_t claim, const std::string&) {
      done.set_value({r, claim});
    });
    const auto [r, claim] = done.get_future().get();
    if (reopened) *reopened = r;
    return r == Ledger::Reopened::kClaimed ? claim : 0;
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
  std::string where_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_P(LedgerOnDisk, PagesAndVerdictSurviveAReopen) {
  ASSERT_TRUE(Create(Record("b1")));
  ASSERT_TRUE(Sync([&](auto d) { ledger_->RecordPage("b1", Ledger::kFirstClaim, Page(0, v1::ACCEPT), d); }));
  ASSERT_TRUE(Sync([&](auto d) { ledger_->RecordPage("b1", Ledger::kFirstClaim, Page(1, v1::REJECT), d); }));
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
  EXPECT_EQ(ledger_->BatchIdsForTransaction("SIb1", 4), std::vector<std::string>{"b1"});
}

TEST_P(LedgerOnDisk, CreatingAnIdThatExistsLeavesTheFinalVerdictUntouched) {
  ASSERT_TRUE(Create(Record("kept")));
  ASSERT_TRUE(Sync([&](auto d) { ledger_->RecordPage("kept", Ledger::kFirstClaim, Page(0, v1::ACCEPT), d); }));
  const std::uint64_t sequence = Commit(Verdict("kept", true, v1::ACCEPT));
  ASSERT_GT(sequence, 0u);
  BatchOpenRecord other = Record("kept");
  other.station_id = "counter-9";
  other.profile = "enrolment-change";
  EXPECT_EQ(Creation(*ledger_, other), Ledger::Creation::kExists);
  Reopen();
  auto stored = ledger_->LoadBatch("kept");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, "final");
  EXPECT_EQ(stored->open.station_id, "counter-1");
  EXPECT_EQ(stored->open.profile, "pension-claim");
  ASSERT_TRUE(stored->verdict);
  EXPECT_EQ(stored->verdict->decision(), v1::ACCEPT);
  // The stored verdict carries its feed sequence (GetBatchVerdict shows it).
  EXPECT_EQ(stored->verdict->sequence(), sequence);
  EXPECT_EQ(ledger_->FeedAfter(0, 10).size(), 1u);
}

TEST_P(LedgerOnDisk, AReplacedPageKeepsItsIndexAndADeletedOneIsGone) {
  ASSERT_TRUE(Create(Record("b2")));
  for (std::uint32_t i = 0; i < 3; ++i)
    ASSERT_TRUE(Sync([&](auto d) { ledger_->RecordPage("b2", Ledger::kFirstClaim, Page(i, v1::REJECT), d); }));
  ASSERT_TRUE(Sync([&](auto d) { ledger_->RecordPage("b2", Ledger::kFirstClaim, Page(1, v1::ACCEPT), d); }));
  ASSERT_TRUE(Sync([&](auto d) { ledger_->DeletePage("b2", Ledger::kFirstClaim, 2, d); }));
  auto stored = ledger_->LoadBatch("b2");
  ASSERT_EQ(stored->pages.size(), 2u);
  EXPECT_EQ(stored->pages[1].page_index(), 1u);
  EXPECT_EQ(stored->pages[1].decision(), v1::ACCEPT);
}

TEST_P(LedgerOnDisk, FeedHoldsOnlyFinalVerdictsInCommitOrderFromACursor) {
  for (const char* id : {"f1", "f2", "f3"})
    ASSERT_TRUE(Create(Record(id)));
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

TEST_P(LedgerOnDisk, OpenBatchesAreListedForResumingAfterARestart) {
  ASSERT_TRUE(Create(Record("open-1")));
  ASSERT_TRUE(Create(Record("done-1")));
  Commit(Verdict("done-1", true, v1::ACCEPT));
  Reopen();
  EXPECT_EQ(ledger_->OpenBatchIds(), std::vector<std::string>{"open-1"});
  ASSERT_EQ(Reclaim("done-1"), Ledger::kFirstClaim + 1);
  EXPECT_EQ(ledger_->OpenBatchIds().size(), 2u);
}

TEST_P(LedgerOnDisk, TheFeedListenerHearsEachDurableAppend) {
  // A shared backend may tell of an append twice (at once, and again when
  // the notification comes back): the listener reads from its cursor.
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::uint64_t> heard;
  ledger_->SetFeedListener([&](std::uint64_t s) {
    std::lock_guard lock(mu);
    heard.push_back(s);
    cv.notify_all();
  });
  ASSERT_TRUE(Create(Record("l1")));
  std::uint64_t seq = Commit(Verdict("l1", true, v1::ACCEPT));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return !heard.empty(); }));
    EXPECT_EQ(heard.front(), seq);
  }
  ledger_->SetFeedListener(nullptr);
}

// A resume claims the batch: the stream that held it before (perhaps on
// another server) can no longer record, replace or delete pages or close
// the batch, and what it tried leaves the ledger as the new stream left it.
TEST_P(LedgerOnDisk, AWriteUnderAClaimAReopenSupersededIsNotApplied) {
  ASSERT_TRUE(Create(Record("held")));
  ASSERT_TRUE(Sync([&](auto d) { ledger_->RecordPage("held", Ledger::kFirstClaim, Page(0, v1::ACCEPT), d); }));
  const std::uint64_t second = Reclaim("held");
  ASSERT_EQ(second, Ledger::kFirstClaim + 1);

  EXPECT_EQ(Written([&](auto d) { ledger_->RecordPage("held", Ledger::kFirstClaim, Page(1, v1::REJECT), d); }),
            Ledger::Written::kTakenOver);
  EXPECT_EQ(Written([&](auto d) { ledger_->RecordPage("held", Ledger::kFirstClaim, Page(0, v1::REJECT), d); }),
            Ledger::Written::kTakenOver);
  EXPECT_EQ(Written([&](auto d) { ledger_->DeletePage("held", Ledger::kFirstClaim, 0, d); }),
            Ledger::Written::kTakenOver);
  EXPECT_EQ(Commit(Verdict("held", true, v1::ACCEPT), Ledger::kFirstClaim), 0u);
  auto stored = ledger_->LoadBatch("held");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, "open");
  ASSERT_EQ(stored->pages.size(), 1u);
  EXPECT_EQ(stored->pages[0].decision(), v1::ACCEPT);
  EXPECT_TRUE(ledger_->FeedAfter(0, 10).empty());

  // The new claim writes, and closes the batch.
  EXPECT_TRUE(Sync([&](auto d) { ledger_->RecordPage("held", second, Page(1, v1::REJECT), d); }));
  EXPECT_GT(Commit(Verdict("held", true, v1::REJECT), second), 0u);
  EXPECT_EQ(ledger_->LoadBatch("held")->pages.size(), 2u);
  EXPECT_EQ(Reclaim("no-such-batch"), 0u);
}

// A reopen compares before it sets: a batch closed (or resumed) by another
// stream after the caller read it is left as that stream left it, and the
// caller learns it changed, so an accepted verdict is never reopened by a
// resume that checked the batch while it was still open.
TEST_P(LedgerOnDisk, AReopenOfABatchThatChangedSinceItWasReadIsNotApplied) {
  ASSERT_TRUE(Create(Record("raced")));
  const auto read = ledger_->LoadBatch("raced");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->claim, Ledger::kFirstClaim);
  const Ledger::Seen seen{read->claim, read->state};
  // The stream holding the batch closes it, accepted, after the read.
  const std::uint64_t sequence = Commit(Verdict("raced", true, v1::ACCEPT));
  ASSERT_GT(sequence, 0u);

  Ledger::Reopened reopened = Ledger::Reopened::kClaimed;
  EXPECT_EQ(Reclaim("raced", seen, &reopened), 0u);
  EXPECT_EQ(reopened, Ledger::Reopened::kChanged);
  auto stored = ledger_->LoadBatch("raced");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, "final");
  EXPECT_EQ(stored->claim, Ledger::kFirstClaim);
  ASSERT_TRUE(stored->verdict);
  EXPECT_EQ(stored->verdict->sequence(), sequence);
  EXPECT_TRUE(ledger_->OpenBatchIds().empty());

  // Two reopens from the same read: the first claims, the second changed.
  ASSERT_TRUE(Create(Record("twice")));
  const auto open = ledger_->LoadBatch("twice");
  const Ledger::Seen both{open->claim, open->state};
  EXPECT_EQ(Reclaim("twice", both), Ledger::kFirstClaim + 1);
  EXPECT_EQ(Reclaim("twice", both, &reopened), 0u);
  EXPECT_EQ(reopened, Ledger::Reopened::kChanged);
  EXPECT_EQ(ledger_->LoadBatch("twice")->claim, Ledger::kFirstClaim + 1);
  Reclaim("no-such-batch", both, &reopened);
  EXPECT_EQ(reopened, Ledger::Reopened::kFailed);
}

TEST_P(LedgerOnDisk, ASchemaNewerThanTheServerIsRefused) {
  ledger_.reset();
  SetSchemaVersion(99);
  Expected<std::unique_ptr<Ledger>> opened = OpenLedger(where_);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("newer"), std::string::npos) << opened.error().message;
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerOnDisk, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& param_info) { return param_info.param; });

// Several servers on one PostgreSQL ledger: each appends final verdicts
// from several threads at once while a follower reads the feed from its
// cursor. The follower must never see a number before all the numbers below
// it (a late commit would leave a gap it skipped), every verdict appears
// exactly once, and each server hears every server's appends.
TEST(SharedPostgresLedger, ServersAppendingAtOnceMakeOneFeedInCommitOrderWithNoGap) {
  ASSERT_TRUE(Postgres().started()) << Postgres().error();
  const std::string where = Postgres().CreateDatabase("shared_" + TestName());
  ASSERT_FALSE(where.empty()) << Postgres().error();
  constexpr int kServers = 3, kThreads = 3, kBatches = 20;
  constexpr int kTotal = kServers * kThreads * kBatches;
  std::vector<std::unique_ptr<Ledger>> servers;
  std::vector<std::unique_ptr<std::atomic<std::uint64_t>>> heard;
  for (int s = 0; s < kServers; ++s) {
    Expected<std::unique_ptr<Ledger>> opened = OpenLedger(where);  // at once: migrations take turns
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    servers.push_back(std::move(opened.value()));
    heard.push_back(std::make_unique<std::atomic<std::uint64_t>>(0));
    servers.back()->SetFeedListener([h = heard.back().get()](std::uint64_t seq) {
      for (std::uint64_t old = h->load(); seq > old && !h->compare_exchange_weak(old, seq);) {
      }
    });
  }

  std::atomic<bool> writing{true};
  std::vector<std::string> seen;
  std::string gap;
  std::thread follower([&] {
    std::uint64_t cursor = 0;
    for (;;) {
      const bool last_look = !writing.load();
      for (const v1::VerdictEvent& e : servers[0]->FeedAfter(cursor, 1000)) {
        if (e.sequence() != cursor + 1 && gap.empty())
          gap = "after " + std::to_string(cursor) + " came " + std::to_string(e.sequence());
        cursor = e.sequence();
        seen.push_back(e.verdict().batch_id());
      }
      if (last_look) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });

  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int s = 0; s < kServers; ++s)
    for (int t = 0; t < kThreads; ++t)
      writers.emplace_back([&, s, t] {
        for (int b = 0; b < kBatches; ++b) {
          const std::string id = "s" + std::to_string(s) + "-t" + std::to_string(t) + "-b" +
                                 std::to_string(b);
          if (Creation(*servers[s], {id, "p", "v1", "c", "o", "permanent", 1700000000}) !=
              Ledger::Creation::kCreated)
            ++failures;
          v1::BatchVerdict v;
          v.set_batch_id(id);
          v.set_final(true);
          v.set_decision(v1::ACCEPT);
          std::promise<std::uint64_t> committed;
          servers[s]->RecordBatchVerdict(
              v, Ledger::kFirstClaim, [&](Ledger::Written w, std::uint64_t seq) {
                committed.set_value(w == Ledger::Written::kDurable ? seq : 0);
              });
          if (committed.get_future().get() == 0) ++failures;
        }
      });
  for (std::thread& w : writers) w.join();
  writing = false;
  follower.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(gap, "");
  ASSERT_EQ(seen.size(), std::size_t(kTotal));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), std::size_t(kTotal));
  // Every server hears the last append, whichever server made it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (int s = 0; s < kServers; ++s) {
    while (heard[s]->load() < std::uint64_t(kTotal) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(heard[s]->load(), std::uint64_t(kTotal)) << "server " << s;
  }
  for (auto& s : servers) s->SetFeedListener(nullptr);
}

// PostgreSQL going away and coming back: reads say the ledger is
// unavailable (never "no such batch"), a write is refused, never
// acknowledged; once the database is back, the same ledger reconnects and
// carries on, with what was acknowledged before the outage still there.
TEST(SharedPostgresLedger, AnOutageRefusesReadsAndWritesAndTheLedgerReconnectsAfter) {
  testing::PostgresServer own;  // its own server: this test stops it
  ASSERT_TRUE(own.started()) << own.error();
  const std::string where = own.CreateDatabase("outage");
  ASSERT_FALSE(where.empty()) << own.error();
  Expected<std::unique_ptr<Ledger>> opened = OpenLedger(where);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  std::unique_ptr<Ledger> ledger = std::move(opened.value());
  std::mutex mu;
  std::condition_variable changed;
  std::vector<bool> reach;
  ledger->SetReachabilityListener([&](bool up) {
    std::lock_guard lock(mu);
    reach.push_back(up);
    changed.notify_all();
  });
  auto told = [&](bool up) {  // the listener's latest word is `up`, within 20 s
    std::unique_lock lock(mu);
    return changed.wait_for(lock, std::chrono::seconds(20),
                            [&] { return !reach.empty() && reach.back() == up; });
  };
  EXPECT_TRUE(told(true));  // at once, with the present state
  auto write = [&](const std::string& id) {
    return Creation(*ledger, {id, "p", "v1", "c", "o", "permanent", 1}) ==
           Ledger::Creation::kCreated;
  };
  ASSERT_TRUE(write("before"));

  own.Stop();
  EXPECT_TRUE(told(false)) << "the ledger did not notice the database going away";
  EXPECT_THROW(ledger->LoadBatch("before"), LedgerUnavailable);
  EXPECT_THROW(ledger->FeedAfter(0, 10), LedgerUnavailable);
  EXPECT_FALSE(write("during"));

  ASSERT_TRUE(own.Restart()) << own.error();
  EXPECT_TRUE(told(true)) << "the ledger did not notice the database coming back";
  ASSERT_TRUE(write("after"));
  auto before = ledger->LoadBatch("before");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->state, "open");
  EXPECT_TRUE(ledger->LoadBatch("after"));
  EXPECT_FALSE(ledger->LoadBatch("during"));
  ledger->SetReachabilityListener(nullptr);
}

// A batch opened through one server is resumable through another: what the
// first recorded is there for the second to load.
TEST(SharedPostgresLedger, ABatchOpenedOnOneServerIsLoadedByAnother) {
  ASSERT_TRUE(Postgres().started()) << Postgres().error();
  const std::string where = Postgres().CreateDatabase("shared_" + TestName());
  ASSERT_FALSE(where.empty()) << Postgres().error();
  Expected<std::unique_ptr<Ledger>> first_opened = OpenLedger(where);
  ASSERT_TRUE(first_opened.ok()) << first_opened.error().message;
  Expected<std::unique_ptr<Ledger>> second_opened = OpenLedger(where);
  ASSERT_TRUE(second_opened.ok()) << second_opened.error().message;
  std::unique_ptr<Ledger> first = std::move(first_opened.value());
  std::unique_ptr<Ledger> second = std::move(second_opened.value());
  std::promise<bool> recorded;
  ASSERT_EQ(Creation(*first, {"moved", "pension-claim", "v1", "counter-3", "clerk", "permanent", 1}),
            Ledger::Creation::kCreated);
  v1::PageVerdict page;
  page.set_page_index(0);
  page.set_decision(v1::ACCEPT);
  page.set_sha256(std::string(64, 'b'));
  first->RecordPage("moved", Ledger::kFirstClaim, page, [&](Ledger::Written w, const std::string&) {
    recorded.set_value(w == Ledger::Written::kDurable);
  });
  ASSERT_TRUE(recorded.get_future().get());
  auto stored = second->LoadBatch("moved");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, "open");
  EXPECT_EQ(stored->open.station_id, "counter-3");
  ASSERT_EQ(stored->pages.size(), 1u);
  EXPECT_EQ(second->OpenBatchIds(), std::vector<std::string>{"moved"});

  // The station resumes on the second server: the first server's stream,
  // still open there, can no longer write the batch.
  std::promise<std::uint64_t> claimed;
  second->ReopenBatch("moved", {stored->claim, stored->state},
                      [&](Ledger::Reopened r, std::uint64_t claim, const std::string&) {
                        claimed.set_value(r == Ledger::Reopened::kClaimed ? claim : 0);
                      });
  ASSERT_EQ(claimed.get_future().get(), Ledger::kFirstClaim + 1);
  std::promise<Ledger::Written> fenced;
  page.set_page_index(1);
  first->RecordPage("moved", Ledger::kFirstClaim, page,
                    [&](Ledger::Written w, const std::string&) { fenced.set_value(w); });
  EXPECT_EQ(fenced.get_future().get(), Ledger::Written::kTakenOver);
  EXPECT_EQ(second->LoadBatch("moved")->pages.size(), 1u);
}

}  // namespace
}  // namespace scangate
