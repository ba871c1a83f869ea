// See postgres_ledger.h. Verdicts are stored as serialized protobuf (bytea)
// beside the columns that are queried; page images are never stored.
#include "server/postgres_ledger.h"

#include <arpa/inet.h>
#include <poll.h>

#include <chrono>
#include <cstring>

namespace scangate {
namespace {

// Each entry moves the schema one version up; never edit a released one.
const char* const kMigrations[] = {
    R"sql(
    CREATE TABLE scangate_batches (
      batch_id        TEXT PRIMARY KEY,
      transaction_id  TEXT NOT NULL DEFAULT '',
      profile         TEXT NOT NULL,
      profile_version TEXT NOT NULL,
      station_id      TEXT NOT NULL,
      operator_id     TEXT NOT NULL,
      retention       TEXT NOT NULL,
      state           TEXT NOT NULL,
      opened_at       BIGINT NOT NULL,
      updated_at      BIGINT NOT NULL,
      verdict         BYTEA
    );
    CREATE INDEX scangate_batches_by_transaction ON scangate_batches(transaction_id);
    CREATE INDEX scangate_batches_by_state ON scangate_batches(state);
    CREATE TABLE scangate_pages (
      batch_id    TEXT NOT NULL REFERENCES scangate_batches(batch_id),
      page_index  INTEGER NOT NULL,
      sha256      TEXT NOT NULL,
      decision    INTEGER NOT NULL,
      verdict     BYTEA NOT NULL,
      recorded_at BIGINT NOT NULL,
      PRIMARY KEY (batch_id, page_index)
    );
    CREATE TABLE scangate_feed (
      sequence     BIGINT PRIMARY KEY,
      batch_id     TEXT NOT NULL,
      verdict      BYTEA NOT NULL,
      committed_at BIGINT NOT NULL
    );
    -- The feed's numbers: one row, locked by each append until it commits.
    CREATE TABLE scangate_feed_head (
      id            INTEGER PRIMARY KEY CHECK (id = 1),
      last_sequence BIGINT NOT NULL
    );
    INSERT INTO scangate_feed_head VALUES (1, 0);
    )sql",
    // The claim of the stream that writes the batch (Ledger::kFirstClaim).
    R"sql(
    ALTER TABLE scangate_batches ADD COLUMN claim BIGINT NOT NULL DEFAULT 1;
    )sql",
};

// Every server migrating at once takes turns on this lock.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(5318008131)";
constexpr const char* kChannel = "scangate_feed";
constexpr int kAttempts = 4;

std::int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Query parameters: text, or bytes sent as binary (bytea).
class Params {
 public:
  Params& Text(std::string value) { return Add(std::move(value), 0); }
  Params& Int(std::int64_t value) { return Add(std::to_string(value), 0); }
  Params& Bytes(std::string value) { return Add(std::move(value), 1); }

  int size() const { return int(values_.size()); }
  std::vector<const char*> pointers() const {
    std::vector<const char*> p;
    for (const std::string& v : values_) p.push_back(v.data());
    return p;
  }
  std::vector<int> lengths() const {
    std::vector<int> l;
    for (const std::string& v : values_) l.push_back(int(v.size()));
    return l;
  }
  const std::vector<int>& formats() const { return formats_; }

 private:
  Params& Add(std::string value, int format) {
    values_.push_back(std::move(value));
    formats_.push_back(format);
    return *this;
  }
  std::vector<std::string> values_;
  std::vector<int> formats_;
};

// A result that clears itself. Rows come in binary format: text as its
// bytes, bytea as its bytes, integers big-endian.
class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}
  ~PgResult() { PQclear(r_); }
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  bool ok() const {
    const ExecStatusType s = PQresultStatus(r_);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
  }
  std::string error(PGconn* conn) const {
    std::string e = Trimmed(r_ ? PQresultErrorMessage(r_) : nullptr);
    return e.empty() ? Trimmed(PQerrorMessage(conn)) : e;
  }
  std::string sqlstate() const {
    const char* s = r_ ? PQresultErrorField(r_, PG_DIAG_SQLSTATE) : nullptr;
    return s ? s : "";
  }
  int rows() const { return PQntuples(r_); }
  std::string Bytes(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), std::size_t(PQgetlength(r_, row, col)));
  }
  bool Null(int row, int col) const { return PQgetisnull(r_, row, col); }
  std::int64_t Int(int row, int col) const {
    const char* p = PQgetvalue(r_, row, col);
    const int n = PQgetlength(r_, row, col);
    if (n == 4) {
      std::uint32_t v;
      std::memcpy(&v, p, 4);
      return std::int32_t(ntohl(v));
    }
    if (n != 8) return 0;
    std::uint32_t hi, lo;
    std::memcpy(&hi, p, 4);
    std::memcpy(&lo, p + 4, 4);
    return std::int64_t((std::uint64_t(ntohl(hi)) << 32) | ntohl(lo));
  }

 private:
  PGresult* r_;
};

PgResult Query(PGconn* conn, const char* sql, const Params& params = {}) {
  const auto values = params.pointers();
  const auto lengths = params.lengths();
  return PgResult(PQexecParams(conn, sql, params.size(), nullptr, values.data(), lengths.data(),
                             params.formats().data(), 1));
}

// Several statements at once (no parameters): migrations, transactions.
PgResult Script(PGconn* conn, const std::string& sql) { return PgResult(PQexec(conn, sql.c_str())); }

void Quiet(void*, const char*) {}  // "already exists, skipping" and the like

PGconn* Connect(const std::string& conninfo, std::string& error) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    error = "PostgreSQL ledger: " + Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return nullptr;
  }
  PQsetNoticeProcessor(conn, Quiet, nullptr);
  return conn;
}

// Brings a lost connection back; false when the server is still away.
bool Healthy(PGconn* conn) {
  if (PQstatus(conn) == CONNECTION_OK) return true;
  PQreset(conn);
  if (PQstatus(conn) != CONNECTION_OK) return false;
  PQsetNoticeProcessor(conn, Quiet, nullptr);
  return true;
}

bool Migrate(PGconn* conn, std::string& error) {
  PgResult begin = Script(conn, std::string("BEGIN; ") + kMigrationLock + ";" +
                                  "CREATE TABLE IF NOT EXISTS scangate_schema (version INTEGER NOT NULL);");
  if (!begin.ok()) {
    error = begin.error(conn);
    Script(conn, "ROLLBACK");
    return false;
  }
  PgResult version = Query(conn, "SELECT version FROM scangate_schema");
  int current = version.ok() && version.rows() > 0 ? int(version.Int(0, 0)) : 0;
  if (version.ok() && version.rows() == 0) Script(conn, "INSERT INTO scangate_schema VALUES (0)");
  const int latest = int(std::size(kMigrations));
  if (current > latest) {
    Script(conn, "ROLLBACK");
    error = "the ledger's schema version " + std::to_string(current) +
            " is newer than this server knows (" + std::to_string(latest) + ")";
    return false;
  }
  for (int v = current; v < latest; ++v) {
    PgResult step = Script(conn, std::string(kMigrations[v]) +
                                   "; UPDATE scangate_schema SET version = " + std::to_string(v + 1));
    if (!step.ok()) {
      error = "ledger migration to version " + std::to_string(v + 1) + " failed: " + step.error(conn);
      Script(conn, "ROLLBACK");
      return false;
    }
  }
  PgResult commit = Script(conn, "COMMIT");
  if (!commit.ok()) error = commit.error(conn);
  return commit.ok();
}

bool Transient(PGconn* conn, const PgResult& r) {
  const std::string state = r.sqlstate();
  // 40: serialization failure or deadlock; 08: connection exception.
  return PQstatus(conn) != CONNECTION_OK || state.rfind("40", 0) == 0 || state.rfind("08", 0) == 0;
}

// A write's statement: "" or the error; marks the writer when the failure
// is one to retry the whole group for.
std::string Run(PostgresLedger::Writer* w, const char* sql, const Params& params) {
  PgResult r = Query(w->conn, sql, params);
  if (r.ok()) return "";
  if (Transient(w->conn, r)) w->transient = true;
  return r.error(w->conn);
}

// Inside a write's transaction: whether `claim` is still the batch's newest
// (Ledger::kFirstClaim). The row stays locked until the group commits, so a
// reopen on another server waits for this write and never slips between its
// check and its change. "" and `held` set, or the error.
std::string CheckClaim(PostgresLedger::Writer* w, const std::string& batch_id, std::uint64_t claim,
                       bool& held) {
  held = false;
  PgResult current = Query(w->conn, "SELECT claim FROM scangate_batches WHERE batch_id = $1 FOR UPDATE",
                           Params().Text(batch_id));
  if (!current.ok()) {
    if (Transient(w->conn, current)) w->transient = true;
    return current.error(w->conn);
  }
  held = current.rows() == 1 && std::uint64_t(current.Int(0, 0)) == claim;
  return "";
}

}  // namespace

Expected<std::unique_ptr<PostgresLedger>> PostgresLedger::Open(const std::string& conninfo) {
  std::string error;
  PGconn* writer = Connect(conninfo, error);
  if (!writer) return Error{error};
  if (!Migrate(writer, error)) {
    PQfinish(writer);
    return Error{"PostgreSQL ledger: " + error};
  }
  PGconn* reader = Connect(conninfo, error);
  if (!reader) {
    PQfinish(writer);
    return Error{error};
  }
  return std::unique_ptr<PostgresLedger>(new PostgresLedger(conninfo, writer, reader));
}

PostgresLedger::PostgresLedger(std::string conninfo, PGconn* writer, PGconn* reader)
    : conninfo_(std::move(conninfo)),
      writer_{writer},
      reader_(reader),
      listen_thread_([this] { ListenLoop(); }),
      writes_([this](auto& group, auto& errors) { return CommitGroup(group, errors); }) {}

PostgresLedger::~PostgresLedger() {
  writes_.Stop();
  stopping_ = true;
  listen_thread_.join();
  PQfinish(reader_);
  PQfinish(writer_.conn);
}

std::string PostgresLedger::CommitGroup(std::deque<Writes::Write>& group,
                                        std::vector<std::string>& errors) {
  std::string error;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
    std::fill(errors.begin(), errors.end(), std::string());
    writer_.transient = false;
    PGconn* conn = writer_.conn;
    if (!Healthy(conn)) {
      error = "PostgreSQL ledger: " + Trimmed(PQerrorMessage(conn));
      continue;
    }
    // Committed means on disk (and on a synchronous standby, where the site
    // has one), whatever the database's default: the ledger's promise.
    PgResult begin = Script(conn, "BEGIN; SET LOCAL synchronous_commit TO on");
    if (!begin.ok()) {
      error = begin.error(conn);
      continue;
    }
    for (std::size_t i = 0; i < group.size() && !writer_.transient; ++i) {
      // A write that fails alone rolls back alone: a savepoint each.
      Script(conn, "SAVEPOINT w");
      errors[i] = group[i].apply(&writer_);
      if (!writer_.transient)
        Script(conn, errors[i].empty() ? "RELEASE SAVEPOINT w"
                                       : "ROLLBACK TO SAVEPOINT w; RELEASE SAVEPOINT w");
    }
    if (writer_.transient) {  // nothing committed: the whole group again
      error = "PostgreSQL ledger: " + Trimmed(PQerrorMessage(conn));
      Script(conn, "ROLLBACK");
      continue;
    }
    PgResult commit = Script(conn, "COMMIT");
    if (commit.ok()) return "";
    error = "PostgreSQL ledger: " + commit.error(conn);
    // A serialization failure at COMMIT committed nothing; a connection lost
    // during COMMIT leaves the outcome unknown, and the writes fail (their
    // streams end, and the stations resend, which the ledger takes again).
    if (PQstatus(conn) == CONNECTION_OK && commit.sqlstate().rfind("40", 0) == 0) continue;
    return error;
  }
  return error;
}

void PostgresLedger::CreateBatch(const BatchOpenRecord& r, Created done) {
  auto exists = std::make_shared<bool>(false);
  writes_.Enqueue({[r, exists](Writer* w) {
                     // Two servers opening one id race here: the primary key
                     // lets one in, and the other sees no row come back.
                     PgResult created = Query(
                         w->conn,
                         "INSERT INTO scangate_batches (batch_id, profile, profile_version,"
                         " station_id, operator_id, retention, state, opened_at, updated_at)"
                         " VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $7)"
                         " ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id",
                         Params()
                             .Text(r.batch_id)
                             .Text(r.profile)
                             .Text(r.profile_version)
                             .Text(r.station_id)
                             .Text(r.operator_id)
                             .Text(r.retention)
                             .Int(r.opened_at));
                     if (!created.ok()) {
                       if (Transient(w->conn, created)) w->transient = true;
                       return created.error(w->conn);
                     }
                     *exists = created.rows() == 0;
                     return std::string();
                   },
                   [exists, done = std::move(done)](bool ok, const std::string& error) {
                     done(!ok        ? Creation::kFailed
                          : *exists ? Creation::kExists
                                    : Creation::kCreated,
                          error);
                   }});
}

void PostgresLedger::RecordPage(const std::string& batch_id, std::uint64_t claim,
                                const v1::PageVerdict& page, Done done) {
  auto held = std::make_shared<bool>(false);
  writes_.Enqueue({[batch_id, claim, held, bytes = page.SerializeAsString(),
                    index = page.page_index(), sha = page.sha256(),
                    decision = page.decision()](Writer* w) {
                     std::string error = CheckClaim(w, batch_id, claim, *held);
                     if (!error.empty() || !*held) return error;
                     return Run(w,
                                "INSERT INTO scangate_pages (batch_id, page_index, sha256, decision,"
                                " verdict, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)"
                                " ON CONFLICT (batch_id, page_index) DO UPDATE SET"
                                " sha256 = EXCLUDED.sha256, decision = EXCLUDED.decision,"
                                " verdict = EXCLUDED.verdict, recorded_at = EXCLUDED.recorded_at",
                                Params()
                                    .Text(batch_id)
                                    .Int(index)
                                    .Text(sha)
                                    .Int(decision)
                                    .Bytes(bytes)
                                    .Int(Now()));
                   },
                   FencedDone(held, std::move(done))});
}

void PostgresLedger::DeletePage(const std::string& batch_id, std::uint64_t claim,
                                std::uint32_t page_index, Done done) {
  auto held = std::make_shared<bool>(false);
  writes_.Enqueue({[batch_id, claim, held, page_index](Writer* w) {
                     std::string error = CheckClaim(w, batch_id, claim, *held);
                     if (!error.empty() || !*held) return error;
                     return Run(w, "DELETE FROM scangate_pages WHERE batch_id = $1 AND page_index = $2",
                                Params().Text(batch_id).Int(page_index));
                   },
                   FencedDone(held, std::move(done))});
}

void PostgresLedger::ReopenBatch(const std::string& batch_id, const Seen& seen, Claimed done) {
  auto claim = std::make_shared<std::uint64_t>(0);
  auto changed = std::make_shared<bool>(false);
  writes_.Enqueue({[batch_id, seen, claim, changed](Writer* w) {
                     // One statement: the row's lock orders it with every
                     // fenced write and every other reopen.
                     PgResult reopened = Query(w->conn,
                                               "UPDATE scangate_batches SET state = 'open',"
                                               " claim = claim + 1, updated_at = $2"
                                               " WHERE batch_id = $1 AND claim = $3 AND state = $4"
                                               " RETURNING claim",
                                               Params().Text(batch_id).Int(Now()).Int(
                                                   std::int64_t(seen.claim)).Text(seen.state));
                     if (!reopened.ok()) {
                       if (Transient(w->conn, reopened)) w->transient = true;
                       return reopened.error(w->conn);
                     }
                     if (reopened.rows() == 1) {
                       *claim = std::uint64_t(reopened.Int(0, 0));
                       return std::string();
                     }
                     PgResult exists = Query(w->conn,
                                             "SELECT 1 FROM scangate_batches WHERE batch_id = $1",
                                             Params().Text(batch_id));
                     if (!exists.ok()) {
                       if (Transient(w->conn, exists)) w->transient = true;
                       return exists.error(w->conn);
                     }
                     if (exists.rows() != 1) return "no batch '" + batch_id + "' to reopen";
                     *changed = true;
                     return std::string();
                   },
                   [claim, changed, done = std::move(done)](bool ok, const std::string& error) {
                     done(!ok ? Reopened::kFailed : *changed ? Reopened::kChanged : Reopened::kClaimed,
                          *claim, error);
                   }});
}

void PostgresLedger::RecordBatchVerdict(const v1::BatchVerdict& verdict, std::uint64_t claim,
                                        Committed done) {
  // As in the SQLite ledger: the batch row keeps the verdict without its
  // pages (they have their own table); the feed's copy keeps them, as they
  // were at the close, for the signature a follower checks.
  v1::BatchVerdict stored = verdict;
  stored.clear_pages();
  auto sequence = std::make_shared<std::uint64_t>(0);
  auto held = std::make_shared<bool>(false);
  writes_.Enqueue(
      {[stored, fed = verdict, sequence, claim, held](Writer* w) mutable {
         *sequence = 0;
         const bool final = stored.final();
         if (std::string error = CheckClaim(w, stored.batch_id(), claim, *held);
             !error.empty() || !*held)
           return error;
         if (final) {
           // The next number, held until this transaction commits: numbers
           // follow commit order across every server sharing the ledger.
           PgResult head = Query(w->conn,
                               "UPDATE scangate_feed_head SET last_sequence = last_sequence + 1"
                               " WHERE id = 1 RETURNING last_sequence");
           if (!head.ok() || head.rows() != 1) {
             if (Transient(w->conn, head)) w->transient = true;
             return head.ok() ? std::string("the feed's counter row is missing")
                              : head.error(w->conn);
           }
           const std::uint64_t next = std::uint64_t(head.Int(0, 0));
           stored.set_sequence(next);
           fed.set_sequence(next);
           std::string error = Run(w,
                                   "INSERT INTO scangate_feed (sequence, batch_id, verdict,"
                                   " committed_at) VALUES ($1, $2, $3, $4)",
                                   Params()
                                       .Int(std::int64_t(next))
                                       .Text(stored.batch_id())
                                       .Bytes(fed.SerializeAsString())
                                       .Int(Now()));
           if (error.empty())
             error = Run(w, "SELECT pg_notify($1, $2)",
                         Params().Text(kChannel).Text(std::to_string(next)));
           if (!error.empty()) return error;
           *sequence = next;
         }
         return Run(w,
                    "UPDATE scangate_batches SET state = $2, transaction_id = $3,"
                    " verdict = $4, updated_at = $5 WHERE batch_id = $1",
                    Params()
                        .Text(stored.batch_id())
                        .Text(final ? "final" : "incomplete")
                        .Text(stored.transaction_id())
                        .Bytes(stored.SerializeAsString())
                        .Int(Now()));
       },
       [this, sequence, held, done = std::move(done)](bool ok, const std::string&) {
         done(!ok ? Written::kFailed : *held ? Written::kDurable : Written::kTakenOver,
              ok && *held ? *sequence : 0);
         if (ok && *held && *sequence) Heard(*sequence);  // this server's own: at once
       }});
}

void PostgresLedger::Heard(std::uint64_t sequence) {
  std::function<void(std::uint64_t)> listener;
  {
    std::lock_guard lock(listener_mu_);
    listener = feed_listener_;
  }
  if (listener) listener(sequence);
}

void PostgresLedger::Reachable(bool reachable) {
  std::function<void(bool)> listener;
  {
    std::lock_guard lock(listener_mu_);
    if (reachable_ == reachable) return;
    reachable_ = reachable;
    listener = reach_listener_;
  }
  if (listener) listener(reachable);
}

void PostgresLedger::SetReachabilityListener(std::function<void(bool)> listener) {
  bool now;
  {
    std::lock_guard lock(listener_mu_);
    reach_listener_ = listener;
    now = reachable_;
  }
  if (listener) listener(now);
}

// The listening connection doubles as the ledger's probe: it notices a lost
// server within its poll (200 ms) and retries every 250 ms.
void PostgresLedger::ListenLoop() {
  PGconn* conn = nullptr;
  std::string error;
  while (!stopping_) {
    if (!conn) {
      conn = Connect(conninfo_, error);
      if (!conn || !Script(conn, std::string("LISTEN ") + kChannel).ok()) {
        if (conn) PQfinish(conn);
        conn = nullptr;
        Reachable(false);
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        continue;
      }
      Reachable(true);
      // Whatever was appended while nobody listened: read the counter.
      PgResult head = Query(conn, "SELECT last_sequence FROM scangate_feed_head WHERE id = 1");
      if (head.ok() && head.rows() == 1 && head.Int(0, 0) > 0)
        Heard(std::uint64_t(head.Int(0, 0)));
    }
    pollfd fd{PQsocket(conn), POLLIN, 0};
    ::poll(&fd, 1, 200);  // wakes to notice stopping_
    if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK) {
      PQfinish(conn);
      conn = nullptr;
      Reachable(false);
      continue;
    }
    std::uint64_t latest = 0;
    while (PGnotify* n = PQnotifies(conn)) {
      latest = std::max<std::uint64_t>(latest, std::strtoull(n->extra, nullptr, 10));
      PQfreemem(n);
    }
    if (latest) Heard(latest);
  }
  if (conn) PQfinish(conn);
}

namespace {

// A read on the reader connection: once more after a reconnect when the
// connection was lost; LedgerUnavailable when the database stays away.
PgResult Read(PGconn* conn, const char* sql, const Params& params = {}) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!Healthy(conn)) continue;
    PgResult r = Query(conn, sql, params);
    if (r.ok() || PQstatus(conn) == CONNECTION_OK) {
      if (!r.ok()) throw LedgerUnavailable("PostgreSQL ledger: " + r.error(conn));
      return r;
    }
  }
  throw LedgerUnavailable("PostgreSQL ledger: " + Trimmed(PQerrorMessage(conn)));
}

}  // namespace

std::optional<StoredBatch> PostgresLedger::LoadBatch(const std::string& batch_id) {
  std::lock_guard lock(read_mu_);
  PgResult b = Read(reader_,
                   "SELECT profile, profile_version, station_id, operator_id, retention, state,"
                   " opened_at, verdict, claim FROM scangate_batches WHERE batch_id = $1",
                   Params().Text(batch_id));
  if (b.rows() == 0) return std::nullopt;
  StoredBatch out;
  out.open = {batch_id,     b.Bytes(0, 0), b.Bytes(0, 1), b.Bytes(0, 2),
              b.Bytes(0, 3), b.Bytes(0, 4), b.Int(0, 6)};
  out.state = b.Bytes(0, 5);
  out.claim = std::uint64_t(b.Int(0, 8));
  if (!b.Null(0, 7)) {
    v1::BatchVerdict v;
    if (v.ParseFromString(b.Bytes(0, 7))) out.verdict = std::move(v);
  }
  if (out.verdict && out.verdict->final() && out.verdict->sequence() == 0) {
    // Recorded before the stored copy carried its feed sequence.
    PgResult f = Read(reader_, "SELECT max(sequence) FROM scangate_feed WHERE batch_id = $1",
                    Params().Text(batch_id));
    if (f.rows() == 1 && !f.Null(0, 0)) out.verdict->set_sequence(std::uint64_t(f.Int(0, 0)));
  }
  PgResult p = Read(reader_,
                   "SELECT verdict FROM scangate_pages WHERE batch_id = $1 ORDER BY page_index",
                   Params().Text(batch_id));
  for (int i = 0; i < p.rows(); ++i) {
    v1::PageVerdict page;
    if (page.ParseFromString(p.Bytes(i, 0))) out.pages.push_back(std::move(page));
  }
  return out;
}

std::vector<std::string> PostgresLedger::BatchIdsForTransaction(
    const std::string& transaction_id, std::size_t limit) {
  std::lock_guard lock(read_mu_);
  PgResult r = Read(reader_,
                   "SELECT batch_id FROM scangate_batches WHERE transaction_id = $1"
                   " ORDER BY updated_at DESC, opened_at DESC LIMIT $2",
                   Params().Text(transaction_id).Int(std::int64_t(limit)));
  std::vector<std::string> ids;
  for (int i = 0; i < r.rows(); ++i) ids.push_back(r.Bytes(i, 0));
  return ids;
}

std::vector<v1::VerdictEvent> PostgresLedger::FeedAfter(std::uint64_t after, std::size_t limit) {
  std::lock_guard lock(read_mu_);
  PgResult r = Read(reader_,
                   "SELECT sequence, verdict FROM scangate_feed WHERE sequence > $1"
                   " ORDER BY sequence LIMIT $2",
                   Params().Int(std::int64_t(after)).Int(std::int64_t(limit)));
  std::vector<v1::VerdictEvent> events;
  for (int i = 0; i < r.rows(); ++i) {
    v1::VerdictEvent e;
    e.set_sequence(std::uint64_t(r.Int(i, 0)));
    e.mutable_verdict()->ParseFromString(r.Bytes(i, 1));
    events.push_back(std::move(e));
  }
  return events;
}

std::vector<std::string> PostgresLedger::OpenBatchIds() {
  std::lock_guard lock(read_mu_);
  PgResult r = Read(reader_,
                   "SELECT batch_id FROM scangate_batches WHERE state = 'open' ORDER BY opened_at");
  std::vector<std::string> ids;
  for (int i = 0; i < r.rows(); ++i) ids.push_back(r.Bytes(i, 0));
  return ids;
}

void PostgresLedger::SetFeedListener(std::function<void(std::uint64_t)> listener) {
  std::lock_guard lock(listener_mu_);
  feed_listener_ = std::move(listener);
}

void PostgresLedger::SetCommitObserver(std::function<void(double)> observer) {
  writes_.SetObserver(std::move(observer));
}

}  // namespace scangate
