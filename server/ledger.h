// The verdict ledger: a durable record of every batch and page verdict, and
// the feed of final batch verdicts in commit order. Storage sits behind this
// interface: SQLite embedded (one server), PostgreSQL for several servers
// sharing one ledger.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/result.h"
#include "batch/batch_record.h"
#include "scangate/v1/scangate.pb.h"
#include "scangate/v1/verdict.pb.h"

namespace scangate {

// Thrown by a read when the storage cannot be reached (a shared database
// that is down): the caller answers UNAVAILABLE, never "not found".
class LedgerUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Ledger {
 public:
  // What a write came to. kTakenOver: the batch is claimed by a later stream
  // (a resume, perhaps on another server sharing the ledger), and the write
  // of the stream that held it before was not applied.
  enum class Written { kDurable, kFailed, kTakenOver };
  // Called once the write is durable (or not); on the ledger's thread.
  using Done = std::function<void(Written, const std::string& error)>;
  using Committed = std::function<void(Written, std::uint64_t sequence)>;

  virtual ~Ledger() = default;

  // What creating a batch came to: the id may be taken already, by a batch
  // in any state (a final verdict is never reopened by a new open).
  enum class Creation { kCreated, kExists, kFailed };
  using Created = std::function<void(Creation, const std::string& error)>;
  // What reopening a batch came to. kClaimed: the batch is open again and
  // `claim` is the caller's. kChanged: the batch's claim or state was no
  // longer what the caller saw (another stream closed, resumed or corrected
  // it in between), and nothing was changed. kFailed: no such batch, or the
  // storage failed (`error` says which).
  enum class Reopened { kClaimed, kChanged, kFailed };
  using Claimed =
      std::function<void(Reopened, std::uint64_t claim, const std::string& error)>;
  // What a caller saw of a batch when it decided to reopen it (from LoadBatch).
  struct Seen {
    std::uint64_t claim = 0;
    std::string state;
  };

  // One stream writes a batch at a time. Creating a batch gives its stream
  // claim kFirstClaim; each ReopenBatch hands out the next number. A write
  // carries its stream's claim and is applied only while that claim is the
  // batch's newest (a fencing token): a stream superseded by a resume on
  // another server can no longer write pages under numbers the new stream
  // also uses, or close the batch under it. Checked in the write's own
  // transaction, so a reopen and a write never interleave.
  static constexpr std::uint64_t kFirstClaim = 1;

  // Writes apply in call order, each acknowledged only once durable.
  // Creates a new open batch; an id the ledger holds is left untouched.
  virtual void CreateBatch(const BatchOpenRecord& record, Created done) = 0;
  // Records (or replaces) the verdict at its page index.
  virtual void RecordPage(const std::string& batch_id, std::uint64_t claim,
                          const v1::PageVerdict& page, Done done) = 0;
  virtual void DeletePage(const std::string& batch_id, std::uint64_t claim,
                          std::uint32_t page_index, Done done) = 0;
  // Stores the batch verdict; a final one is also appended to the feed (the
  // stored copy carries the sequence too), and `done` gets its sequence
  // number (0 for a verdict that is not final). Earlier final versions stay
  // in the feed, each as it was signed.
  virtual void RecordBatchVerdict(const v1::BatchVerdict& verdict, std::uint64_t claim,
                                  Committed done) = 0;
  // Sets an existing batch open again (a resume, or a correction after a
  // rejected verdict), its record kept, and claims it for the caller: the
  // claim it gets supersedes every earlier one. Compare-and-set: applied
  // only while the batch's claim and state are still `seen`, in the same
  // transaction, so a batch another stream closed as accepted after the
  // caller checked it is never reopened.
  virtual void ReopenBatch(const std::string& batch_id, const Seen& seen, Claimed done) = 0;

  // Reads; they may touch the disk, so never call them on a gRPC reaction.
  // They throw LedgerUnavailable when the storage cannot be reached.
  virtual std::optional<StoredBatch> LoadBatch(const std::string& batch_id) = 0;
  // The batches whose verdict names the transaction, newest first, at most `limit`.
  virtual std::vector<std::string> BatchIdsForTransaction(const std::string& transaction_id,
                                                          std::size_t limit) = 0;
  // Final batch verdicts with a sequence above `after`, oldest first.
  virtual std::vector<v1::VerdictEvent> FeedAfter(std::uint64_t after, std::size_t limit) = 0;
  // Batches still open (for a restart: resumable by their stations).
  virtual std::vector<std::string> OpenBatchIds() = 0;

  // Called (on a ledger thread) after each durable append to the feed: this
  // server's own at once, and, with a shared backend, every other server's
  // too. A listener reads the feed from its cursor, so a call that carries
  // an older sequence than one heard before does no harm.
  virtual void SetFeedListener(std::function<void(std::uint64_t sequence)> listener) = 0;
  // Told how long each group commit took, on the writer thread (metrics).
  virtual void SetCommitObserver(std::function<void(double seconds)> observer) = 0;
  // Told whenever the storage becomes reachable or unreachable (a shared
  // database going away and coming back), on a ledger thread, and at once
  // with the present state. An embedded file never goes away: the default
  // says reachable once.
  virtual void SetReachabilityListener(std::function<void(bool reachable)> listener) {
    if (listener) listener(true);
  }

 protected:
  // For a backend: the completion of a write that checked its claim in its
  // own transaction and set `held` (applied only when held).
  static std::function<void(bool ok, const std::string& error)> FencedDone(
      std::shared_ptr<bool> held, Done done) {
    return [held = std::move(held), done = std::move(done)](bool ok, const std::string& error) {
      if (!ok) return done(Written::kFailed, error);
      if (!*held) return done(Written::kTakenOver, "the batch was taken over by a later stream");
      done(Written::kDurable, error);
    };
  }
};

// The ledger a configuration names: "postgresql://..." or "postgres://..."
// (a libpq connection URI) for PostgreSQL; anything else is the path of a
// SQLite file (":memory:" keeps it in memory). The error says why it cannot
// be opened or its schema cannot be brought up to date.
Expected<std::unique_ptr<Ledger>> OpenLedger(const std::string& where);
// True when `where` names a PostgreSQL ledger.
bool IsPostgresLedger(const std::string& where);

}  // namespace scangate
