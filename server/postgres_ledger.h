// The shared ledger: PostgreSQL, for several scangate-server processes that
// need nothing else from each other. Same tables, same schema versioning and
// same promise as the SQLite ledger: a write is acknowledged only after its
// transaction committed (PostgreSQL's synchronous_commit, on by default,
// makes that durable), and writes queued together share one commit.
//
// The feed of final verdicts has one commit order across every server: a
// feed append takes the next number from a one-row counter inside its
// transaction and holds that row until it commits, so numbers are given out
// in commit order with no gap, and a follower reading from its cursor never
// skips a verdict that commits late. Every server hears every append by
// LISTEN/NOTIFY (the notification is sent at commit), and after a lost
// listening connection it reads the counter again, so no append goes
// unheard.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "server/group_commit.h"
#include "server/ledger.h"

namespace scangate {

class PostgresLedger final : public Ledger {
 public:
  // `conninfo` is a libpq connection string or URI (a password may come
  // from PGPASSWORD or ~/.pgpass rather than the URI). The error says why
  // the server cannot be reached or the schema cannot be migrated.
  static Expected<std::unique_ptr<PostgresLedger>> Open(const std::string& conninfo);
  ~PostgresLedger() override;

  void CreateBatch(const BatchOpenRecord& record, Created done) override;
  void RecordPage(const std::string& batch_id, std::uint64_t claim, const v1::PageVerdict& page,
                  Done done) override;
  void DeletePage(const std::string& batch_id, std::uint64_t claim, std::uint32_t page_index,
                  Done done) override;
  void RecordBatchVerdict(const v1::BatchVerdict& verdict, std::uint64_t claim,
                          Committed done) override;
  void ReopenBatch(const std::string& batch_id, const Seen& seen, Claimed done) override;

  std::optional<StoredBatch> LoadBatch(const std::string& batch_id) override;
  std::vector<std::string> BatchIdsForTransaction(const std::string& transaction_id,
                                                  std::size_t limit) override;
  std::vector<v1::VerdictEvent> FeedAfter(std::uint64_t after, std::size_t limit) override;
  std::vector<std::string> OpenBatchIds() override;
  void SetFeedListener(std::function<void(std::uint64_t)> listener) override;
  void SetCommitObserver(std::function<void(double seconds)> observer) override;
  // Follows the listening connection: lost and not yet back is unreachable.
  void SetReachabilityListener(std::function<void(bool reachable)> listener) override;

  // The writer's connection and whether its last failure is worth trying
  // the whole group again (a lost connection, a deadlock, a serialization
  // failure): nothing of a group is committed until its COMMIT succeeds.
  struct Writer {
    PGconn* conn = nullptr;
    bool transient = false;
  };

 private:
  using Writes = GroupCommit<Writer*>;

  PostgresLedger(std::string conninfo, PGconn* writer, PGconn* reader);
  std::string CommitGroup(std::deque<Writes::Write>& group, std::vector<std::string>& errors);
  void ListenLoop();
  void Heard(std::uint64_t sequence);
  void Reachable(bool reachable);

  const std::string conninfo_;
  Writer writer_;       // the writer thread's alone
  PGconn* reader_;      // under read_mu_
  std::mutex read_mu_;

  std::mutex listener_mu_;
  std::function<void(std::uint64_t)> feed_listener_;
  std::function<void(bool)> reach_listener_;
  bool reachable_ = true;  // under listener_mu_; Open has just connected
  std::atomic<bool> stopping_{false};
  std::thread listen_thread_;
  Writes writes_;  // last: its thread uses everything above
};

}  // namespace scangate
