// The server's Prometheus metrics. Names follow Prometheus conventions:
// `scangate_` prefix, base units, `_total` on counters, `_seconds` on
// durations; label values come only from small fixed sets (decisions, reason
// codes, error kinds, check names), never from batch ids or file names.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/recent_pages.h"
#include "scangate/v1/verdict.pb.h"
#include "pipeline/verdict.h"

namespace scangate {

// Label values of the `reason` label: the reason code's proto name in lower
// case ("blurred", "summary_field_missing", ...).
std::string ReasonLabel(int reason_code);

// What grpc.health.v1 reports, and why.
// kNoLedger: serving stopped while the ledger's storage is unreachable.
enum class ServingState { kStarting, kServing, kDraining, kNoLedger };
// "starting", "serving", "draining", "ledger unreachable"
const char* ServingStateName(ServingState state);

class ServerMetrics {
 public:
  ServerMetrics();

  // Gauges that mirror the service's state are read when metrics are
  // collected; these say where from. Called before serving metrics.
  void ReadGaugesFrom(std::function<std::size_t()> open_streams,
                      std::function<std::size_t()> open_followers,
                      std::function<std::size_t()> pages_in_flight);

  // A page's bytes arrived (a Scan page or a CheckPage request).
  void PageReceived(std::size_t bytes);
  // A new Scan stream refused with RESOURCE_EXHAUSTED (admission control).
  void StreamRefused();
  // The engine judged a page: decision, reasons, error kind, check times.
  void PageJudged(const PageVerdict& verdict);
  // A page's verdict is on its way to the client, `seconds` after its bytes
  // arrived (including the ledger commit for streamed pages).
  void PageAnswered(double seconds);
  // A batch verdict is durable in the ledger.
  void BatchDecided(const v1::BatchVerdict& verdict);
  // A file waited `seconds` between its submission and its judging starting.
  void EngineWaited(double seconds);
  // A ledger group commit took `seconds`.
  void LedgerCommitted(double seconds);
  void SetState(ServingState state);
  ServingState state() const { return state_.load(); }

  // Every metric, gauges refreshed first.
  std::vector<prometheus::MetricFamily> Collect();
  const RecentPages& recent() const { return recent_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::array<prometheus::Counter*, 2> pages_{};                     // by Decision
  std::array<prometheus::Counter*, 2> batches_{};                   // by v1::Decision - 1
  std::vector<prometheus::Counter*> page_rejects_, batch_rejects_;  // by reason code
  std::vector<prometheus::Counter*> decode_errors_;                 // by PageErrorKind
  std::array<prometheus::Histogram*, 7> check_seconds_{};           // by CheckTimes member
  prometheus::Histogram* page_latency_;
  prometheus::Histogram* engine_wait_;
  prometheus::Histogram* ledger_commit_;
  prometheus::Counter* received_bytes_;
  prometheus::Counter* streams_refused_;
  prometheus::Gauge* open_streams_;
  prometheus::Gauge* open_followers_;
  prometheus::Gauge* pages_in_flight_;
  prometheus::Gauge* serving_;

  std::atomic<ServingState> state_{ServingState::kStarting};
  std::mutex sources_mu_;
  std::function<std::size_t()> open_streams_source_, open_followers_source_,
      pages_in_flight_source_;
  RecentPages recent_;
};

}  // namespace scangate
