// The embedded ledger: one SQLite file in WAL mode, synced before any write
// is acknowledged. One writer thread commits queued writes together (group
// commit), so many streams share each fsync.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <mutex>

#include "server/group_commit.h"
#include "server/ledger.h"

namespace scangate {

class SqliteLedger final : public Ledger {
 public:
  // `path` is the database file; ":memory:" keeps it in memory (tests).
  // The error says why the file cannot be opened or migrated.
  static Expected<std::unique_ptr<SqliteLedger>> Open(const std::string& path);
  ~SqliteLedger() override;

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

 private:
  using Writes = GroupCommit<sqlite3*>;

  SqliteLedger(sqlite3* writer, sqlite3* reader);
  std::string CommitGroup(std::deque<Writes::Write>& group, std::vector<std::string>& errors);

  sqlite3* writer_;  // the writer thread's alone
  sqlite3* reader_;
  std::mutex read_mu_;  // one reader connection, used by one thread at a time

  std::mutex listener_mu_;
  std::function<void(std::uint64_t)> feed_listener_;
  Writes writes_;  // last: its thread uses everything above
};

}  // namespace scangate
