// The gRPC front end: adapts the pipeline's engine and the ledger to the
// Scangate service. The stream reactors live in scan_stream.cc and
// watch_stream.cc; this class owns what they share.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>
#include <map>
#include <memory>
#include <mutex>

#include "server/access.h"
#include "pipeline/engine.h"
#include "server/ledger.h"
#include "server/memory_budget.h"
#include "wire/profile_store.h"
#include "scangate/v1/scangate.grpc.pb.h"
#include "server/work_queue.h"

namespace scangate {

class ServerMetrics;
class VerdictSigner;

struct ServiceOptions {
  // Files of one stream being judged at once; at the bound the stream is not
  // read, so HTTP/2 flow control pushes back on the station.
  std::size_t max_in_flight_per_stream = 4;
  // One-shot checks in the engine before CheckPage answers RESOURCE_EXHAUSTED.
  std::size_t max_pending_checks = 64;
  // Who may call what; the default lets everyone do everything (plaintext
  // loopback development).
  AccessControl access;
  // Admission of new Scan streams (each a station's batch). Beyond a bound a
  // NEW stream ends at once with RESOURCE_EXHAUSTED, so the streams already
  // admitted keep their latency and memory stays bounded.
  // Busy streams: opened or sent a page within `busy_window`. A counter that
  // holds its batch open while the clerk sorts papers costs nothing and does
  // not count. 0: no bound.
  std::size_t max_scan_streams = 64;
  std::chrono::steady_clock::duration busy_window = std::chrono::seconds(10);
  // Every open stream, idle or not (each holds at most
  // max_in_flight_per_stream files). 0: no bound.
  std::size_t max_open_scan_streams = 1024;
  // Refuse new streams while the engine already holds this many pages
  // (judged or queued, all streams together): it is saturated.
  std::size_t max_queued_pages = 0;
  // Scan streams one client may hold open at once (its name in the access
  // file; without access control, its connection), so that one station
  // cannot take the streams every other counter needs. 0: no bound.
  std::size_t max_scan_streams_per_client = 8;
  // A Scan stream that waits this long for a request, with nothing of its
  // own in flight, is ended DEADLINE_EXCEEDED; its batch stays open in the
  // ledger, resumable. 0: never.
  std::chrono::steady_clock::duration scan_idle_timeout = std::chrono::minutes(5);
  // What pages received and being judged may hold at once, all streams and
  // one-shot checks together (memory_budget.h). The default leaves room in a
  // 1 GiB pod for gRPC's buffers, the engine's threads and the rest.
  std::uint64_t memory_budget_bytes = std::uint64_t(512) << 20;
  // Signs every final batch verdict before the ledger records it; null: the
  // verdicts go unsigned (in-memory test servers).
  const VerdictSigner* signer = nullptr;
  // The largest message every client takes (the followers' and the
  // stations' receive limit, the server's own send limit): a batch verdict
  // that would not fit is refused before it is recorded (verdict_size.h).
  std::size_t max_message_bytes = (128 << 20) + (1 << 20);
};

// What a live stream offers the service: told to drain, or of new verdicts.
class LiveStream {
 public:
  virtual ~LiveStream() = default;
  virtual void Drain() = 0;
  virtual void OnFeedAppended(std::uint64_t sequence) {}
  // A scan stream: when it opened or last received a page.
  virtual std::chrono::steady_clock::time_point last_activity() const {
    return std::chrono::steady_clock::now();
  }
  // Called a few times a second by the service (memory budget, idle timeout).
  virtual void Tick(std::chrono::steady_clock::time_point now) {}
  // A scan stream: its batch was resumed on another stream. It ends at once
  // (cancelled); the batch stays with the newer stream.
  virtual void Supersede() {}
};

class ScangateService final : public v1::Scangate::CallbackService {
 public:
  // Batch ids a GetBatchVerdict by transaction names in its trailing
  // metadata ("scangate-transaction-batches", newest first, "..." past it).
  static constexpr std::size_t kTransactionBatchesShown = 16;

  // `metrics` may be null: nothing is measured.
  ScangateService(Engine& engine, ProfileStore& profiles, Ledger& ledger,
                  ServiceOptions options, ServerMetrics* metrics = nullptr);
  ~ScangateService() override;

  grpc::ServerBidiReactor<v1::ScanRequest, v1::ScanResponse>* Scan(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* CheckPage(grpc::CallbackServerContext* context,
                                      const v1::CheckPageRequest* request,
                                      v1::CheckPageResponse* response) override;
  grpc::ServerUnaryReactor* GetBatchVerdict(grpc::CallbackServerContext* context,
                                            const v1::GetBatchVerdictRequest* request,
                                            v1::BatchVerdict* response) override;
  grpc::ServerWriteReactor<v1::VerdictEvent>* WatchVerdicts(
      grpc::CallbackServerContext* context, const v1::WatchVerdictsRequest* request) override;
  grpc::ServerUnaryReactor* ListProfiles(grpc::CallbackServerContext* context,
                                         const v1::ListProfilesRequest* request,
                                         v1::ListProfilesResponse* response) override;
  grpc::ServerUnaryReactor* ReloadProfiles(grpc::CallbackServerContext* context,
                                           const v1::ReloadProfilesRequest* request,
                                           v1::ReloadProfilesResponse* response) override;

  // Stops reading every open stream: pages in flight get their verdicts, the
  // batch is recorded incomplete, then the stream ends UNAVAILABLE. New
  // streams are refused. Returns at once.
  void Drain();
  // Scan streams still open.
  std::size_t open_streams() const;
  // WatchVerdicts streams open: the followers attached to this server.
  std::size_t open_followers() const;

  // Admits a new Scan stream and registers it, or says why not (UNAVAILABLE
  // while draining, RESOURCE_EXHAUSTED at a bound); atomic with the count.
  // `client` is whom the per-client quota counts the stream against.
  grpc::Status AdmitScan(const std::shared_ptr<LiveStream>& stream, const std::string& client);
  // One batch, one stream: a Scan stream holds the batch it opened until it
  // has ended and its last ledger write is done (or it is gone), so that two
  // streams never change one batch at once. Claims `batch_id` for `stream`,
  // true when it is now `stream`'s. When another stream holds it: with
  // `take_over` (a resume: the station lost its connection and came back)
  // that stream is superseded, and the caller claims again once it has let
  // go; without, the claim is refused.
  bool ClaimBatch(const std::string& batch_id, const std::shared_ptr<LiveStream>& stream,
                  bool take_over);
  void ReleaseBatch(const std::string& batch_id, const LiveStream* stream);
  // For the streams.
  void Register(const std::shared_ptr<LiveStream>& stream, bool is_scan);
  void Unregister(const LiveStream* stream);
  Engine& engine() { return engine_; }
  Ledger& ledger() { return ledger_; }
  WorkQueue& blocking_work() { return blocking_work_; }
  const ProfileStore& profiles() const { return profiles_; }
  const ServiceOptions& options() const { return options_; }
  const AccessControl& access() const { return options_.access; }
  ServerMetrics* metrics() { return metrics_; }
  MemoryBudget& memory_budget() { return budget_; }
  bool draining() const { return draining_.load(); }

 private:
  std::vector<std::shared_ptr<LiveStream>> LiveStreams();
  // GetBatchVerdict's lookup, on the blocking-work thread; throws
  // LedgerUnavailable. `own_only`: a station's call, answered only for a
  // batch opened with the request's station_id.
  grpc::Status FindBatchVerdict(const v1::GetBatchVerdictRequest& request,
                                grpc::CallbackServerContext& context,
                                v1::BatchVerdict& response, bool own_only);

  Engine& engine_;
  ProfileStore& profiles_;
  Ledger& ledger_;
  ServiceOptions options_;
  ServerMetrics* metrics_;
  std::atomic<bool> draining_{false};
  mutable std::mutex mu_;
  std::map<const LiveStream*, std::weak_ptr<LiveStream>> streams_;
  std::size_t scan_streams_ = 0;
  std::map<const LiveStream*, bool> is_scan_;
  std::map<const LiveStream*, std::string> client_of_;  // scan streams: whose
  std::map<std::string, std::weak_ptr<LiveStream>> batch_holders_;  // ClaimBatch
  MemoryBudget budget_;
  // Ticks the live streams (LiveStream::Tick) until the service goes.
  std::mutex tick_mu_;
  std::condition_variable tick_wake_;
  bool stopping_ = false;
  std::thread ticker_;
  WorkQueue blocking_work_;  // last: its thread stops before the rest goes
};

// Builds a batch verdict from what the ledger holds: the stored verdict, or
// for a batch still open, an incomplete one over its pages so far.
v1::BatchVerdict VerdictFromLedger(const StoredBatch& stored);

}  // namespace scangate
