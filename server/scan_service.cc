// See scan_service.h. Unary calls are answered here; streams in
// scan_stream.cc and watch_stream.cc.
#include "server/scan_service.h"

#include <chrono>

#include "server/log.h"
#include "server/metrics.h"
#include "wire/names.h"
#include "server/scan_stream.h"
#include "server/watch_stream.h"
#include "wire/wire.h"

namespace scangate {
namespace {

void Summarize(const LoadedProfile& p, v1::ProfileSummary* summary) {
  summary->set_name(p.profile->name);
  summary->set_version(p.profile->version);
  summary->set_description(p.profile->description);
}

}  // namespace

v1::BatchVerdict VerdictFromLedger(const StoredBatch& stored) {
  v1::BatchVerdict verdict;
  if (stored.verdict && stored.state != "open") {
    verdict = *stored.verdict;
  } else {
    // Still open (a station is scanning, or the server stopped mid-batch):
    // not a verdict yet, and never an accept.
    verdict.set_batch_id(stored.open.batch_id);
    verdict.set_profile(stored.open.profile);
    verdict.set_profile_version(stored.open.profile_version);
    verdict.set_station_id(stored.open.station_id);
    verdict.set_operator_id(stored.open.operator_id);
    verdict.set_opened_at(stored.open.opened_at);
    verdict.set_decision(v1::REJECT);
    verdict.set_final(false);
    verdict.set_page_count(std::uint32_t(stored.pages.size()));
    auto* reason = verdict.add_reasons();
    reason->set_code(v1::BATCH_INCOMPLETE);
    reason->set_detail("the batch is open: not closed by its station yet");
  }
  verdict.clear_pages();
  for (const v1::PageVerdict& p : stored.pages) *verdict.add_pages() = p;
  return verdict;
}

ScangateService::ScangateService(Engine& engine, ProfileStore& profiles, Ledger& ledger,
                                 ServiceOptions options, ServerMetrics* metrics)
    : engine_(engine),
      profiles_(profiles),
      ledger_(ledger),
      options_(options),
      metrics_(metrics),
      budget_(options.memory_budget_bytes) {
  ledger_.SetFeedListener([this](std::uint64_t sequence) {
    for (auto& stream : LiveStreams()) stream->OnFeedAppended(sequence);
  });
  ticker_ = std::thread([this] {
    std::unique_lock lock(tick_mu_);
    while (!stopping_) {
      tick_wake_.wait_for(lock, std::chrono::milliseconds(200));
      lock.unlock();
      const auto now = std::chrono::steady_clock::now();
      for (auto& stream : LiveStreams()) stream->Tick(now);
      lock.lock();
    }
  });
}

ScangateService::~ScangateService() {
  {
    std::lock_guard lock(tick_mu_);
    stopping_ = true;
  }
  tick_wake_.notify_all();
  ticker_.join();
  ledger_.SetFeedListener(nullptr);
}

grpc::ServerBidiReactor<v1::ScanRequest, v1::ScanResponse>* ScangateService::Scan(
    grpc::CallbackServerContext* context) {
  return NewScanStream(*this, *context);
}

grpc::ServerWriteReactor<v1::VerdictEvent>* ScangateService::WatchVerdicts(
    grpc::CallbackServerContext* context, const v1::WatchVerdictsRequest* request) {
  return NewWatchStream(*this, *context, request->after_sequence());
}

void ScangateService::Register(const std::shared_ptr<LiveStream>& stream, bool is_scan) {
  std::lock_guard lock(mu_);
  streams_[stream.get()] = stream;
  is_scan_[stream.get()] = is_scan;
  scan_streams_ += is_scan;
}

grpc::Status ScangateService::AdmitScan(const std::shared_ptr<LiveStream>& stream,
                                        const std::string& client) {
  {
    std::lock_guard lock(mu_);
    // Holders that are gone, forgotten (a station that opened and lost
    // thousands of batches would otherwise leave an entry for each).
    for (auto it = batch_holders_.begin(); it != batch_holders_.end();)
      it = it->second.expired() ? batch_holders_.erase(it) : std::next(it);
    std::string why;
    if (draining_) return {grpc::StatusCode::UNAVAILABLE, "server is shutting down"};
    std::size_t of_client = 0;
    for (const auto& [ptr, name] : client_of_) of_client += name == client;
    std::size_t busy = 0;
    if (options_.max_scan_streams) {
      const auto since = std::chrono::steady_clock::now() - options_.busy_window;
      for (const auto& [ptr, weak] : streams_)
        if (is_scan_[ptr])
          if (auto live = weak.lock(); live && live->last_activity() >= since) ++busy;
    }
    if (options_.max_scan_streams_per_client && of_client >= options_.max_scan_streams_per_client) {
      why = "server busy for " + client + ": " + std::to_string(of_client) +
            " of its scan streams are open (limit " +
            std::to_string(options_.max_scan_streams_per_client) + " a client); retry later";
    } else if (options_.max_open_scan_streams && scan_streams_ >= options_.max_open_scan_streams) {
      why = "server busy: " + std::to_string(scan_streams_) + " scan streams open (limit " +
            std::to_string(options_.max_open_scan_streams) + "); retry later";
    } else if (options_.max_scan_streams && busy >= options_.max_scan_streams) {
      why = "server busy: " + std::to_string(busy) + " scan streams sending pages (limit " +
            std::to_string(options_.max_scan_streams) + "); retry later";
    } else if (std::size_t queued = engine_.work_in_flight();
               options_.max_queued_pages && queued >= options_.max_queued_pages) {
      // Counted in pages' worth of pixels: one 64-frame file is 64 pages.
      why = "server busy: " + std::to_string(queued) + " pages' work queued for checking (limit " +
            std::to_string(options_.max_queued_pages) + "); retry later";
    }
    if (why.empty()) {
      streams_[stream.get()] = stream;
      is_scan_[stream.get()] = true;
      client_of_[stream.get()] = client;
      ++scan_streams_;
      return grpc::Status::OK;
    }
    if (metrics_) metrics_->StreamRefused();
    log::Warn("stream_refused", {{"client", client}, {"why", why}});
    return {grpc::StatusCode::RESOURCE_EXHAUSTED, why};
  }
}

bool ScangateService::ClaimBatch(const std::string& batch_id,
                                 const std::shared_ptr<LiveStream>& stream, bool take_over) {
  std::shared_ptr<LiveStream> holder;
  {
    std::lock_guard lock(mu_);
    std::weak_ptr<LiveStream>& held = batch_holders_[batch_id];
    holder = held.lock();
    if (!holder || holder == stream) {
      held = stream;
      return true;
    }
  }
  // Outside the service's lock: the holder takes its own.
  if (take_over) holder->Supersede();
  return false;
}

void ScangateService::ReleaseBatch(const std::string& batch_id, const LiveStream* stream) {
  std::lock_guard lock(mu_);
  auto it = batch_holders_.find(batch_id);
  if (it == batch_holders_.end()) return;
  // Only its holder lets go; a holder that is gone has let go already.
  auto holder = it->second.lock();
  if (!holder || holder.get() == stream) batch_holders_.erase(it);
}

void ScangateService::Unregister(const LiveStream* stream) {
  std::lock_guard lock(mu_);
  if (streams_.erase(stream)) {
    scan_streams_ -= is_scan_[stream];
    is_scan_.erase(stream);
    client_of_.erase(stream);
  }
}

std::size_t ScangateService::open_streams() const {
  std::lock_guard lock(mu_);
  return scan_streams_;
}

std::size_t ScangateService::open_followers() const {
  std::lock_guard lock(mu_);
  return streams_.size() - scan_streams_;
}

std::vector<std::shared_ptr<LiveStream>> ScangateService::LiveStreams() {
  std::vector<std::shared_ptr<LiveStream>> live;
  std::lock_guard lock(mu_);
  for (auto& [ptr, weak] : streams_)
    if (auto s = weak.lock()) live.push_back(std::move(s));
  return live;
}

void ScangateService::Drain() {
  draining_ = true;
  for (auto& stream : LiveStreams()) stream->Drain();
}

grpc::ServerUnaryReactor* ScangateService::CheckPage(grpc::CallbackServerContext* context,
                                                     const v1::CheckPageRequest* request,
                                                     v1::CheckPageResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status allowed = access().Check(*context, v1::STATION, v1::BRANCH, "CheckPage");
      !allowed.ok()) {
    reactor->Finish(std::move(allowed));
    return reactor;
  }
  if (grpc::Status invalid = CheckNames(*request); !invalid.ok()) {
    reactor->Finish(std::move(invalid));
    return reactor;
  }
  auto profile = profiles_.Find(request->profile());
  if (!profile) {
    reactor->Finish({grpc::StatusCode::NOT_FOUND, "unknown profile '" + request->profile() + "'"});
    return reactor;
  }
  if (draining_) {
    reactor->Finish({grpc::StatusCode::UNAVAILABLE, "server is shutting down"});
    return reactor;
  }
  if (engine_.work_in_flight() >= options_.max_pending_checks) {
    reactor->Finish({grpc::StatusCode::RESOURCE_EXHAUSTED, "the engine is at capacity; retry"});
    return reactor;
  }
  const JudgingEstimate estimate = EstimateJudging(request->page().content(), profile->repair.any());
  const std::uint64_t cost = estimate.memory_bytes;
  std::shared_ptr<const void> reservation = budget_.TryReserve(cost);
  if (!reservation) {
    reactor->Finish({grpc::StatusCode::RESOURCE_EXHAUSTED,
                     "the server's memory budget (" + std::to_string(budget_.limit() >> 20) +
                         " MiB) cannot hold this page's " + std::to_string(cost >> 20) +
                         " MiB now; retry"});
    return reactor;
  }
  if (metrics_) metrics_->PageReceived(request->page().content().size());
  PageJob job{request->page().content(), request->page().file_name(), profile, std::nullopt,
              std::move(reservation), estimate.work_pages};
  engine_.Submit(std::move(job), [reactor, response, metrics = metrics_,
                                  received = std::chrono::steady_clock::now()](
                                     PageJob&, std::vector<PageVerdict> verdicts) {
    std::uint32_t index = 0;
    for (PageVerdict& v : verdicts) {
      v.page_index = index++;
      ToProto(v, response->add_pages());
      if (metrics) metrics->PageJudged(v);
    }
    if (metrics) {
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - received).count();
      for (std::size_t i = 0; i < verdicts.size(); ++i) metrics->PageAnswered(seconds);
    }
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* ScangateService::GetBatchVerdict(
    grpc::CallbackServerContext* context, const v1::GetBatchVerdictRequest* request,
    v1::BatchVerdict* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status allowed = access().Check(*context, v1::BRANCH, v1::STATION, "GetBatchVerdict");
      !allowed.ok()) {
    reactor->Finish(std::move(allowed));
    return reactor;
  }
  // An empty key is refused too: it would match whatever batch has none.
  if (grpc::Status invalid = CheckNames(*request); !invalid.ok()) {
    reactor->Finish(std::move(invalid));
    return reactor;
  }
  // A station (STATION without BRANCH) reads only what it could resume: a
  // batch its station opened, by id, naming that station.
  const bool own_only = !access().Holds(*context, v1::BRANCH);
  if (own_only && (request->has_transaction_id() || request->station_id().empty())) {
    const std::string who = access().CallerName(*context);
    log::Warn("access_denied",
              {{"client", who}, {"call", "GetBatchVerdict"}, {"needs", "BRANCH"},
               {"why", request->has_transaction_id() ? "by transaction" : "no station_id"}});
    reactor->Finish({grpc::StatusCode::PERMISSION_DENIED,
                     "GetBatchVerdict: '" + who +
                         "' may read only a batch its station opened, by batch_id with that "
                         "station_id (anything else needs the BRANCH role)"});
    return reactor;
  }
  blocking_work_.Post(
      [this, context, reactor, request, response, own_only] {
        try {
          reactor->Finish(FindBatchVerdict(*request, *context, *response, own_only));
        } catch (const LedgerUnavailable& e) {
          log::Warn("ledger_read_failed", {{"call", "GetBatchVerdict"}, {"error", e.what()}});
          reactor->Finish({grpc::StatusCode::UNAVAILABLE, e.what()});
        }
      },
      [reactor](const std::string& what) {
        log::Error("call_failed", {{"call", "GetBatchVerdict"}, {"error", what}});
        reactor->Finish({grpc::StatusCode::INTERNAL, "the batch verdict cannot be read: " + what});
      });
  return reactor;
}

grpc::Status ScangateService::FindBatchVerdict(const v1::GetBatchVerdictRequest& request,
                                               grpc::CallbackServerContext& context,
                                               v1::BatchVerdict& response, bool own_only) {
  std::string batch_id = request.batch_id();
  if (request.has_transaction_id()) {
    // A transaction scanned more than once (a batch rejected and scanned
    // again under a new id) has several batches: the newest answers, and the
    // trailing metadata says how many there are and which, newest first.
    std::vector<std::string> found =
        ledger_.BatchIdsForTransaction(request.transaction_id(), kTransactionBatchesShown + 1);
    if (found.empty())
      return {grpc::StatusCode::NOT_FOUND,
              "no batch for transaction '" + request.transaction_id() + "'"};
    batch_id = found.front();
    std::string ids;
    for (std::size_t i = 0; i < found.size() && i < kTransactionBatchesShown; ++i)
      ids += (i ? "," : "") + found[i];
    if (found.size() > kTransactionBatchesShown) ids += ",...";
    context.AddTrailingMetadata("scangate-transaction-batches", ids);
  }
  std::optional<StoredBatch> stored = ledger_.LoadBatch(batch_id);
  if (!stored) return {grpc::StatusCode::NOT_FOUND, "no batch '" + batch_id + "'"};
  if (own_only && stored->open.station_id != request.station_id()) {
    log::Warn("access_denied", {{"client", access().CallerName(context)},
                                {"call", "GetBatchVerdict"}, {"batch", batch_id},
                                {"needs", "BRANCH"}, {"why", "another station's batch"}});
    return {grpc::StatusCode::PERMISSION_DENIED,
            "GetBatchVerdict: batch '" + batch_id + "' was opened by another station than '" +
                request.station_id() + "' (reading it needs the BRANCH role)"};
  }
  response = VerdictFromLedger(*stored);
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* ScangateService::ListProfiles(grpc::CallbackServerContext* context,
                                                        const v1::ListProfilesRequest*,
                                                        v1::ListProfilesResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status allowed = access().Check(*context, v1::STATION, v1::ADMIN, "ListProfiles");
      !allowed.ok()) {
    reactor->Finish(std::move(allowed));
    return reactor;
  }
  for (const LoadedProfile& p : profiles_.List()) {
    Summarize(p, response->add_profiles());
    *response->add_details() = p.definition;
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* ScangateService::ReloadProfiles(grpc::CallbackServerContext* context,
                                                          const v1::ReloadProfilesRequest*,
                                                          v1::ReloadProfilesResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status allowed = access().Check(*context, v1::ADMIN, "ReloadProfiles");
      !allowed.ok()) {
    reactor->Finish(std::move(allowed));
    return reactor;
  }
  // Reading and preparing form templates takes a while: not on gRPC's thread.
  blocking_work_.Post(
      [this, reactor, response, who = access().CallerName(*context)] {
        if (Outcome reloaded = profiles_.Reload(); !reloaded.ok()) {
          log::Error("profiles_reload_failed",
                     {{"client", who}, {"error", reloaded.error().message}});
          reactor->Finish({grpc::StatusCode::FAILED_PRECONDITION,
                           reloaded.error().message + " (the profiles in force are unchanged)"});
          return;
        }
        std::string names;
        for (const LoadedProfile& p : profiles_.List()) {
          Summarize(p, response->add_profiles());
          names += (names.empty() ? "" : ",") + p.profile->name + "@" + p.profile->version;
        }
        log::Info("profiles_reloaded", {{"client", who}, {"profiles", names}});
        reactor->Finish(grpc::Status::OK);
      },
      [reactor](const std::string& what) {
        log::Error("profiles_reload_failed", {{"error", what}});
        reactor->Finish({grpc::StatusCode::INTERNAL,
                         "the reload failed: " + what + " (the profiles in force are unchanged)"});
      });
  return reactor;
}

}  // namespace scangate
