// See sqlite_ledger.h. Verdicts are stored as serialized protobuf beside the
// columns that are queried; page images are never stored.
#include "server/sqlite_ledger.h"

#include <chrono>

namespace scangate {
namespace {

// Each entry moves the schema one version up; never edit a released one.
const char* const kMigrations[] = {
    R"sql(
    CREATE TABLE batches (
      batch_id        TEXT PRIMARY KEY,
      transaction_id  TEXT NOT NULL DEFAULT '',
      profile         TEXT NOT NULL,
      profile_version TEXT NOT NULL,
      station_id      TEXT NOT NULL,
      operator_id     TEXT NOT NULL,
      retention       TEXT NOT NULL,
      state           TEXT NOT NULL,
      opened_at       INTEGER NOT NULL,
      updated_at      INTEGER NOT NULL,
      verdict         BLOB
    );
    CREATE INDEX batches_by_transaction ON batches(transaction_id);
    CREATE INDEX batches_by_state ON batches(state);
    CREATE TABLE pages (
      batch_id    TEXT NOT NULL REFERENCES batches(batch_id),
      page_index  INTEGER NOT NULL,
      sha256      TEXT NOT NULL,
      decision    INTEGER NOT NULL,
      verdict     BLOB NOT NULL,
      recorded_at INTEGER NOT NULL,
      PRIMARY KEY (batch_id, page_index)
    );
    CREATE TABLE feed (
      sequence     INTEGER PRIMARY KEY AUTOINCREMENT,
      batch_id     TEXT NOT NULL,
      verdict      BLOB NOT NULL,
      committed_at INTEGER NOT NULL
    );
    )sql",
    // The claim of the stream that writes the batch (Ledger::kFirstClaim).
    R"sql(
    ALTER TABLE batches ADD COLUMN claim INTEGER NOT NULL DEFAULT 1;
    )sql",
};

std::int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ErrorOf(sqlite3* db) { return sqlite3_errmsg(db); }

bool Exec(sqlite3* db, const char* sql, std::string& error) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    error = message ? message : "sqlite error";
    sqlite3_free(message);
    return false;
  }
  return true;
}

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement& Bind(int i, const std::string& text) {
    sqlite3_bind_text(stmt_, i, text.data(), int(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int i, std::int64_t value) {
    sqlite3_bind_int64(stmt_, i, value);
    return *this;
  }
  Statement& BindBlob(int i, const std::string& bytes) {
    sqlite3_bind_blob(stmt_, i, bytes.data(), int(bytes.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // For writes: "" on success, else the error.
  std::string Run() {
    if (!stmt_) return ErrorOf(db_);
    int rc = sqlite3_step(stmt_);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? "" : ErrorOf(db_);
  }
  bool Next() { return stmt_ && sqlite3_step(stmt_) == SQLITE_ROW; }
  std::string Text(int col) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, std::size_t(sqlite3_column_bytes(stmt_, col))) : std::string();
  }
  std::string Blob(int col) {
    auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    return p ? std::string(p, std::size_t(sqlite3_column_bytes(stmt_, col))) : std::string();
  }
  std::int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Inside a write's transaction: whether `claim` is still the batch's newest
// (Ledger::kFirstClaim). "" and `held` set, or the error.
std::string CheckClaim(sqlite3* db, const std::string& batch_id, std::uint64_t claim, bool& held) {
  Statement current(db, "SELECT claim FROM batches WHERE batch_id = ?1");
  current.Bind(1, batch_id);
  held = current.Next() && std::uint64_t(current.Int(0)) == claim;
  return "";
}

bool Configure(sqlite3* db, std::string& error) {
  sqlite3_busy_timeout(db, 10000);
  // WAL: readers never wait for the writer. FULL: the WAL is synced at every
  // commit, so an acknowledged verdict survives power loss, not only a crash.
  return Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
              error);
}

bool Migrate(sqlite3* db, std::string& error) {
  Statement version(db, "PRAGMA user_version");
  int current = version.Next() ? int(version.Int(0)) : 0;
  const int latest = int(std::size(kMigrations));
  if (current > latest) {
    error = "the ledger's schema version " + std::to_string(current) +
            " is newer than this server knows (" + std::to_string(latest) + ")";
    return false;
  }
  for (int v = current; v < latest; ++v) {
    std::string sql = std::string("BEGIN;") + kMigrations[v] + "PRAGMA user_version=" +
                      std::to_string(v + 1) + "; COMMIT;";
    if (!Exec(db, sql.c_str(), error)) {
      Exec(db, "ROLLBACK;", error);
      error = "ledger migration to version " + std::to_string(v + 1) + " failed: " + error;
      return false;
    }
  }
  return true;
}

}  // namespace

Expected<std::unique_ptr<SqliteLedger>> SqliteLedger::Open(const std::string& path) {
  std::string error;
  // A memory database is private to its connection: share it by URI.
  std::string name = path == ":memory:"
                         ? "file:ledger-" + std::to_string(reinterpret_cast<std::uintptr_t>(&error)) +
                               "-" + std::to_string(Now()) + "?mode=memory&cache=shared"
                         : path;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI |
                    SQLITE_OPEN_FULLMUTEX;
  sqlite3* writer = nullptr;
  sqlite3* reader = nullptr;
  if (sqlite3_open_v2(name.c_str(), &writer, flags, nullptr) != SQLITE_OK) {
    error = path + ": " + (writer ? ErrorOf(writer) : "cannot open");
    sqlite3_close(writer);
    return Error{error};
  }
  if (!Configure(writer, error) || !Migrate(writer, error) ||
      sqlite3_open_v2(name.c_str(), &reader, flags, nullptr) != SQLITE_OK ||
      !Configure(reader, error)) {
    if (error.empty() && reader) error = ErrorOf(reader);
    error = path + ": " + error;
    sqlite3_close(reader);
    sqlite3_close(writer);
    return Error{error};
  }
  return std::unique_ptr<SqliteLedger>(new SqliteLedger(writer, reader));
}

SqliteLedger::SqliteLedger(sqlite3* writer, sqlite3* reader)
    : writer_(writer), reader_(reader), writes_([this](auto& group, auto& errors) {
        return CommitGroup(group, errors);
      }) {}

SqliteLedger::~SqliteLedger() {
  writes_.Stop();
  sqlite3_close(reader_);
  sqlite3_close(writer_);
}

std::string SqliteLedger::CommitGroup(std::deque<Writes::Write>& group,
                                      std::vector<std::string>& errors) {
  std::string error;
  if (!Exec(writer_, "BEGIN IMMEDIATE;", error)) return error;
  for (std::size_t i = 0; i < group.size(); ++i) {
    // A write that fails alone rolls back alone: a savepoint each.
    Exec(writer_, "SAVEPOINT w;", error);
    errors[i] = group[i].apply(writer_);
    Exec(writer_, errors[i].empty() ? "RELEASE w;" : "ROLLBACK TO w; RELEASE w;", error);
  }
  if (!Exec(writer_, "COMMIT;", error)) {
    std::string ignored;
    Exec(writer_, "ROLLBACK;", ignored);
    return error;
  }
  return "";
}

void SqliteLedger::CreateBatch(const BatchOpenRecord& r, Created done) {
  auto exists = std::make_shared<bool>(false);
  writes_.Enqueue({[r, exists](sqlite3* db) {
             std::string error =
                 Statement(db,
                           "INSERT INTO batches (batch_id, profile, profile_version, station_id,"
                           " operator_id, retention, state, opened_at, updated_at)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?7)"
                           " ON CONFLICT(batch_id) DO NOTHING")
                     .Bind(1, r.batch_id)
                     .Bind(2, r.profile)
                     .Bind(3, r.profile_version)
                     .Bind(4, r.station_id)
                     .Bind(5, r.operator_id)
                     .Bind(6, r.retention)
                     .Bind(7, r.opened_at)
                     .Run();
             *exists = error.empty() && sqlite3_changes(db) == 0;
             return error;
           },
           [exists, done = std::move(done)](bool ok, const std::string& error) {
             done(!ok ? Creation::kFailed : *exists ? Creation::kExists : Creation::kCreated, error);
           }});
}

void SqliteLedger::RecordPage(const std::string& batch_id, std::uint64_t claim,
                              const v1::PageVerdict& page, Done done) {
  std::string bytes = page.SerializeAsString();
  auto held = std::make_shared<bool>(false);
  writes_.Enqueue({[batch_id, claim, held, bytes, index = page.page_index(), sha = page.sha256(),
            decision = page.decision()](sqlite3* db) {
             std::string error = CheckClaim(db, batch_id, claim, *held);
             if (!error.empty() || !*held) return error;
             return Statement(db,
                              "INSERT OR REPLACE INTO pages (batch_id, page_index, sha256, decision,"
                              " verdict, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                 .Bind(1, batch_id)
                 .Bind(2, std::int64_t(index))
                 .Bind(3, sha)
                 .Bind(4, std::int64_t(decision))
                 .BindBlob(5, bytes)
                 .Bind(6, Now())
                 .Run();
           },
           FencedDone(held, std::move(done))});
}

void SqliteLedger::DeletePage(const std::string& batch_id, std::uint64_t claim,
                              std::uint32_t page_index, Done done) {
  auto held = std::make_shared<bool>(false);
  writes_.Enqueue({[batch_id, claim, held, page_index](sqlite3* db) {
             std::string error = CheckClaim(db, batch_id, claim, *held);
             if (!error.empty() || !*held) return error;
             return Statement(db, "DELETE FROM pages WHERE batch_id = ?1 AND page_index = ?2")
                 .Bind(1, batch_id)
                 .Bind(2, std::int64_t(page_index))
                 .Run();
           },
           FencedDone(held, std::move(done))});
}

void SqliteLedger::ReopenBatch(const std::string& batch_id, const Seen& seen, Claimed done) {
  auto claim = std::make_shared<std::uint64_t>(0);
  auto changed = std::make_shared<bool>(false);
  writes_.Enqueue({[batch_id, seen, claim, changed](sqlite3* db) {
             Statement reopen(db,
                              "UPDATE batches SET state = 'open', claim = claim + 1, updated_at = ?2"
                              " WHERE batch_id = ?1 AND claim = ?3 AND state = ?4 RETURNING claim");
             reopen.Bind(1, batch_id).Bind(2, Now()).Bind(3, std::int64_t(seen.claim)).Bind(4, seen.state);
             if (reopen.Next()) {
               *claim = std::uint64_t(reopen.Int(0));
               return std::string();
             }
             Statement exists(db, "SELECT 1 FROM batches WHERE batch_id = ?1");
             exists.Bind(1, batch_id);
             if (!exists.Next()) return std::string("no batch '") + batch_id + "' to reopen";
             *changed = true;
             return std::string();
           },
           [claim, changed, done = std::move(done)](bool ok, const std::string& error) {
             done(!ok ? Reopened::kFailed : *changed ? Reopened::kChanged : Reopened::kClaimed,
                  *claim, error);
           }});
}

void SqliteLedger::RecordBatchVerdict(const v1::BatchVerdict& verdict, std::uint64_t claim,
                                      Committed done) {
  // Pages live in their own table; the stored batch verdict is without them.
  v1::BatchVerdict stored = verdict;
  stored.clear_pages();
  // The feed's copy keeps its pages: a follower's manifest must hold every
  // page the signature covers, as it was when the batch was closed.
  v1::BatchVerdict fed = verdict;
  auto sequence = std::make_shared<std::uint64_t>(0);
  auto held = std::make_shared<bool>(false);
  writes_.Enqueue({[stored, fed, sequence, claim, held](sqlite3* db) mutable {
             const bool final = stored.final();
             *sequence = 0;
             std::string error = CheckClaim(db, stored.batch_id(), claim, *held);
             if (!error.empty() || !*held) return error;
             if (final) {
               // The feed's entry first: its number goes into both copies.
               error = Statement(db,
                                             "INSERT INTO feed (batch_id, verdict, committed_at)"
                                             " VALUES (?1, ?2, ?3)")
                                       .Bind(1, stored.batch_id())
                                       .BindBlob(2, std::string())
                                       .Bind(3, Now())
                                       .Run();
               if (!error.empty()) return error;
               *sequence = std::uint64_t(sqlite3_last_insert_rowid(db));
               stored.set_sequence(*sequence);
               fed.set_sequence(*sequence);
               error = Statement(db, "UPDATE feed SET verdict = ?2 WHERE sequence = ?1")
                           .Bind(1, std::int64_t(*sequence))
                           .BindBlob(2, fed.SerializeAsString())
                           .Run();
               if (!error.empty()) return error;
             }
             return Statement(db,
                              "UPDATE batches SET state = ?2, transaction_id = ?3, verdict = ?4,"
                              " updated_at = ?5 WHERE batch_id = ?1")
                 .Bind(1, stored.batch_id())
                 .Bind(2, std::string(final ? "final" : "incomplete"))
                 .Bind(3, stored.transaction_id())
                 .BindBlob(4, stored.SerializeAsString())
                 .Bind(5, Now())
                 .Run();
           },
           [this, sequence, held, done = std::move(done)](bool ok, const std::string&) {
             done(!ok ? Written::kFailed : *held ? Written::kDurable : Written::kTakenOver,
                  ok && *held ? *sequence : 0);
             std::function<void(std::uint64_t)> listener;
             {
               std::lock_guard lock(listener_mu_);
               listener = feed_listener_;
             }
             if (ok && *held && *sequence && listener) listener(*sequence);
           }});
}

std::optional<StoredBatch> SqliteLedger::LoadBatch(const std::string& batch_id) {
  std::lock_guard lock(read_mu_);
  Statement b(reader_,
              "SELECT profile, profile_version, station_id, operator_id, retention, state,"
              " opened_at, verdict, claim FROM batches WHERE batch_id = ?1");
  b.Bind(1, batch_id);
  if (!b.Next()) return std::nullopt;
  StoredBatch out;
  out.open = {batch_id, b.Text(0), b.Text(1), b.Text(2), b.Text(3), b.Text(4), b.Int(6)};
  out.state = b.Text(5);
  out.claim = std::uint64_t(b.Int(8));
  std::string verdict = b.Blob(7);
  if (!verdict.empty()) {
    v1::BatchVerdict v;
    if (v.ParseFromString(verdict)) out.verdict = std::move(v);
  }
  if (out.verdict && out.verdict->final() && out.verdict->sequence() == 0) {
    // Recorded before the stored copy carried its feed sequence.
    Statement f(reader_, "SELECT max(sequence) FROM feed WHERE batch_id = ?1");
    f.Bind(1, batch_id);
    if (f.Next()) out.verdict->set_sequence(std::uint64_t(f.Int(0)));
  }
  Statement p(reader_, "SELECT verdict FROM pages WHERE batch_id = ?1 ORDER BY page_index");
  p.Bind(1, batch_id);
  while (p.Next()) {
    v1::PageVerdict page;
    if (page.ParseFromString(p.Blob(0))) out.pages.push_back(std::move(page));
  }
  return out;
}

std::vector<std::string> SqliteLedger::BatchIdsForTransaction(const std::string& transaction_id,
                                                             std::size_t limit) {
  std::lock_guard lock(read_mu_);
  Statement s(reader_,
              "SELECT batch_id FROM batches WHERE transaction_id = ?1"
              " ORDER BY updated_at DESC, rowid DESC LIMIT ?2");
  s.Bind(1, transaction_id).Bind(2, std::int64_t(limit));
  std::vector<std::string> ids;
  while (s.Next()) ids.push_back(s.Text(0));
  return ids;
}

std::vector<v1::VerdictEvent> SqliteLedger::FeedAfter(std::uint64_t after, std::size_t limit) {
  std::lock_guard lock(read_mu_);
  Statement s(reader_,
              "SELECT sequence, verdict FROM feed WHERE sequence > ?1 ORDER BY sequence LIMIT ?2");
  s.Bind(1, std::int64_t(after)).Bind(2, std::int64_t(limit));
  std::vector<v1::VerdictEvent> events;
  while (s.Next()) {
    v1::VerdictEvent e;
    e.set_sequence(std::uint64_t(s.Int(0)));
    e.mutable_verdict()->ParseFromString(s.Blob(1));
    events.push_back(std::move(e));
  }
  return events;
}

std::vector<std::string> SqliteLedger::OpenBatchIds() {
  std::lock_guard lock(read_mu_);
  Statement s(reader_, "SELECT batch_id FROM batches WHERE state = 'open' ORDER BY opened_at");
  std::vector<std::string> ids;
  while (s.Next()) ids.push_back(s.Text(0));
  return ids;
}

void SqliteLedger::SetFeedListener(std::function<void(std::uint64_t)> listener) {
  std::lock_guard lock(listener_mu_);
  feed_listener_ = std::move(listener);
}

void SqliteLedger::SetCommitObserver(std::function<void(double)> observer) {
  writes_.SetObserver(std::move(observer));
}

}  // namespace scangate
