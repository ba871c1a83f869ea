// See metrics.h.
#include "server/metrics.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace scangate {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using Buckets = prometheus::Histogram::BucketBoundaries;

// A page takes tenths of a second to judge; a page waiting behind a full
// engine, seconds. Fine buckets where the percentiles shown on the
// dashboard usually fall.
// 0.25 s is the default latency target (--latency-target-ms): a bucket edge,
// so that "within the target" is counted exactly, not interpolated.
const Buckets kLatencyBuckets = {0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1,
                                 1.25,  1.5,  2,   2.5,  3,   4,    5,   7.5, 10,  15,  30,  60};
const Buckets kWaitBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                              0.5,   1,      2.5,   5,    10,    30,   60};
const Buckets kCheckBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                               0.1,    0.25,  0.5,    1,     2.5,  5};
const Buckets kCommitBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05,   0.1,   0.25,   0.5,   1,    2.5};

// CheckTimes members, in the order check_seconds_ holds them.
constexpr std::array<const char*, 7> kChecks = {"decode", "resolution", "ink",    "skew",
                                                "blank",  "blur",       "barcode"};
std::array<double, 7> CheckSeconds(const CheckTimes& t) {
  return {t.decode, t.resolution, t.ink, t.skew, t.blank, t.blur, t.barcode};
}

constexpr std::array<PageErrorKind, 9> kDecodeErrorKinds = {
    PageErrorKind::kEmpty,         PageErrorKind::kUnsupported,  PageErrorKind::kTruncated,
    PageErrorKind::kCorrupt,       PageErrorKind::kTooManyBytes, PageErrorKind::kTooManyPixels,
    PageErrorKind::kTooManyFrames, PageErrorKind::kImplausibleGeometry,
    PageErrorKind::kTooMuchMemory};

}  // namespace

std::string ReasonLabel(int reason_code) {
  std::string name = v1::ReasonCode_Name(v1::ReasonCode(reason_code));
  if (name.empty()) return "unknown";
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return name;
}

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()), recent_(kLatencyBuckets, kWaitBuckets) {
  prometheus::Registry& r = *registry_;
  // Every series is created up front, at zero: rate() and dashboards see a
  // reason the first time it happens, not only from its second occurrence.
  auto& pages =
      BuildCounter().Name("scangate_pages_total").Help("Pages judged, by decision.").Register(r);
  pages_[int(Decision::kAccept)] = &pages.Add({{"decision", "accept"}});
  pages_[int(Decision::kReject)] = &pages.Add({{"decision", "reject"}});

  auto& batches = BuildCounter()
                      .Name("scangate_batches_total")
                      .Help("Batch verdicts recorded in the ledger, by decision.")
                      .Register(r);
  batches_[0] = &batches.Add({{"decision", "accept"}});
  batches_[1] = &batches.Add({{"decision", "reject"}});

  auto& page_rejects = BuildCounter()
                           .Name("scangate_page_rejects_total")
                           .Help(
                               "Rejected pages by reason; a page rejected for several "
                               "reasons counts once under each.")
                           .Register(r);
  auto& batch_rejects = BuildCounter()
                            .Name("scangate_batch_rejects_total")
                            .Help(
                                "Rejected batch verdicts by reason; a batch rejected for "
                                "several reasons counts once under each.")
                            .Register(r);
  page_rejects_.assign(RecentPages::kReasonCodes, nullptr);
  batch_rejects_.assign(RecentPages::kReasonCodes, nullptr);
  for (int code = 1; code < RecentPages::kReasonCodes; ++code) {
    if (!v1::ReasonCode_IsValid(code)) continue;
    page_rejects_[code] = &page_rejects.Add({{"reason", ReasonLabel(code)}});
    batch_rejects_[code] = &batch_rejects.Add({{"reason", ReasonLabel(code)}});
  }

  auto& decode_errors = BuildCounter()
                            .Name("scangate_decode_errors_total")
                            .Help("Files or pages that could not be decoded, by kind.")
                            .Register(r);
  decode_errors_.assign(int(PageErrorKind::kInternal) + 1, nullptr);
  for (PageErrorKind kind : kDecodeErrorKinds)
    decode_errors_[int(kind)] = &decode_errors.Add({{"kind", PageErrorKindName(kind)}});

  auto& checks = BuildHistogram()
                     .Name("scangate_check_duration_seconds")
                     .Help("Time one check took on one page, by check.")
                     .Register(r);
  for (std::size_t i = 0; i < kChecks.size(); ++i)
    check_seconds_[i] = &checks.Add({{"check", kChecks[i]}}, kCheckBuckets);

  page_latency_ = &BuildHistogram()
                       .Name("scangate_page_latency_seconds")
                       .Help(
                           "From a page's bytes arriving to its verdict being sent, "
                           "ledger commit included.")
                       .Register(r)
                       .Add({}, kLatencyBuckets);
  engine_wait_ = &BuildHistogram()
                      .Name("scangate_engine_wait_seconds")
                      .Help("Time a file waited for an engine thread before being judged.")
                      .Register(r)
                      .Add({}, kWaitBuckets);
  ledger_commit_ = &BuildHistogram()
                        .Name("scangate_ledger_commit_seconds")
                        .Help("Duration of one ledger group commit, fsync included.")
                        .Register(r)
                        .Add({}, kCommitBuckets);
  streams_refused_ = &BuildCounter()
                          .Name("scangate_streams_refused_total")
                          .Help("Scan streams refused with RESOURCE_EXHAUSTED: the server was at "
                                "its stream or queued-page limit.")
                          .Register(r)
                          .Add({});
  received_bytes_ = &BuildCounter()
                         .Name("scangate_received_bytes_total")
                         .Help("Bytes of page files received.")
                         .Register(r)
                         .Add({});
  open_streams_ = &BuildGauge()
                       .Name("scangate_open_streams")
                       .Help("Scan streams open now.")
                       .Register(r)
                       .Add({});
  open_followers_ = &BuildGauge()
                         .Name("scangate_open_followers")
                         .Help("WatchVerdicts streams open now: archive followers attached.")
                         .Register(r)
                         .Add({});
  pages_in_flight_ = &BuildGauge()
                          .Name("scangate_pages_in_flight")
                          .Help("Files submitted to the engine and not judged yet.")
                          .Register(r)
                          .Add({});
  serving_ = &BuildGauge()
                  .Name("scangate_serving")
                  .Help("1 while grpc.health.v1 reports SERVING; 0 while starting or draining.")
                  .Register(r)
                  .Add({});
}

void ServerMetrics::ReadGaugesFrom(std::function<std::size_t()> open_streams,
                                   std::function<std::size_t()> open_followers,
                                   std::function<std::size_t()> pages_in_flight) {
  std::lock_guard lock(sources_mu_);
  open_streams_source_ = std::move(open_streams);
  open_followers_source_ = std::move(open_followers);
  pages_in_flight_source_ = std::move(pages_in_flight);
}

void ServerMetrics::PageReceived(std::size_t bytes) { received_bytes_->Increment(double(bytes)); }

void ServerMetrics::StreamRefused() { streams_refused_->Increment(); }

void ServerMetrics::PageJudged(const PageVerdict& v) {
  const bool rejected = v.decision == Decision::kReject;
  pages_[int(v.decision)]->Increment();
  std::set<int> reasons;
  if (rejected)
    for (const Reason& reason : v.reasons) reasons.insert(int(reason.code));
  for (int code : reasons)
    if (code > 0 && code < int(page_rejects_.size()) && page_rejects_[code])
      page_rejects_[code]->Increment();
  if (v.error_kind && decode_errors_[int(*v.error_kind)])
    decode_errors_[int(*v.error_kind)]->Increment();
  // A check that did not run (the page failed to decode) took no time.
  std::array<double, 7> seconds = CheckSeconds(v.times);
  for (std::size_t i = 0; i < seconds.size(); ++i)
    if (seconds[i] > 0) check_seconds_[i]->Observe(seconds[i]);
  std::vector<int> codes(reasons.begin(), reasons.end());
  recent_.AddJudged(rejected, codes);
}

void ServerMetrics::PageAnswered(double seconds) {
  page_latency_->Observe(seconds);
  recent_.AddLatency(seconds);
}

void ServerMetrics::BatchDecided(const v1::BatchVerdict& verdict) {
  const bool rejected = verdict.decision() != v1::ACCEPT;
  batches_[rejected]->Increment();
  if (!rejected) return;
  std::set<int> reasons;
  for (const v1::Reason& reason : verdict.reasons()) reasons.insert(int(reason.code()));
  for (int code : reasons)
    if (code > 0 && code < int(batch_rejects_.size()) && batch_rejects_[code])
      batch_rejects_[code]->Increment();
}

void ServerMetrics::EngineWaited(double seconds) {
  engine_wait_->Observe(seconds);
  recent_.AddEngineWait(seconds);
}

void ServerMetrics::LedgerCommitted(double seconds) { ledger_commit_->Observe(seconds); }

const char* ServingStateName(ServingState state) {
  switch (state) {
    case ServingState::kStarting: return "starting";
    case ServingState::kServing: return "serving";
    case ServingState::kDraining: return "draining";
    case ServingState::kNoLedger: return "ledger unreachable";
  }
  return "starting";
}

void ServerMetrics::SetState(ServingState state) {
  state_ = state;
  serving_->Set(state == ServingState::kServing ? 1 : 0);
}

std::vector<prometheus::MetricFamily> ServerMetrics::Collect() {
  {
    std::lock_guard lock(sources_mu_);
    if (open_streams_source_) open_streams_->Set(double(open_streams_source_()));
    if (open_followers_source_) open_followers_->Set(double(open_followers_source_()));
    if (pages_in_flight_source_) pages_in_flight_->Set(double(pages_in_flight_source_()));
  }
  return registry_->Collect();
}

}  // namespace scangate
