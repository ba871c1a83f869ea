// What the server judged in the last minutes, in 10-second slots: the "now"
// the dashboard shows (pages per minute, recent reject reasons, latency
// percentiles), which counters since start cannot give without Prometheus.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "scangate/v1/verdict.pb.h"

namespace scangate {

// The q-quantile (0..1) of a histogram given per-bucket counts: counts[i]
// holds observations up to bounds[i], the last count those above every bound.
// Interpolates linearly inside a bucket, as Prometheus's histogram_quantile
// does; nullopt when there are no observations.
std::optional<double> BucketQuantile(double q, std::span<const double> bounds,
                                     std::span<const std::uint64_t> counts);

class RecentPages {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kSlotSeconds = 10;
  static constexpr int kSlots = 90;  // 15 minutes
  static constexpr int kReasonCodes = v1::ReasonCode_ARRAYSIZE;

  RecentPages(std::vector<double> latency_bounds, std::vector<double> wait_bounds,
              Clock::time_point start = Clock::now());

  // A page verdict: its decision and the reason codes it was rejected for.
  void AddJudged(bool rejected, std::span<const int> reason_codes,
                 Clock::time_point now = Clock::now());
  // Seconds from receiving a page to answering it.
  void AddLatency(double seconds, Clock::time_point now = Clock::now());
  // Seconds a file waited for the engine.
  void AddEngineWait(double seconds, Clock::time_point now = Clock::now());

  struct Quantiles {
    std::uint64_t count = 0;
    std::optional<double> p50, p95, p99;
  };
  struct Summary {
    double uptime_seconds = 0;
    // Over the last minute, or since start when that is shorter.
    double pages_per_minute = 0;
    // Pages per minute in each completed slot, oldest first; nullopt before
    // the server started.
    std::vector<std::optional<double>> history;
    // Over the whole window (15 minutes, or since start).
    double window_seconds = 0;
    std::uint64_t judged = 0, rejected = 0;
    std::array<std::uint64_t, kReasonCodes> rejects_by_reason{};
    // Over the last 5 minutes.
    double quantile_window_seconds = 0;
    Quantiles latency, engine_wait;
  };
  Summary Summarize(Clock::time_point now = Clock::now()) const;

 private:
  struct Slot {
    std::int64_t id = -1;  // seconds since start / kSlotSeconds
    std::uint64_t judged = 0, rejected = 0;
    std::array<std::uint64_t, kReasonCodes> reasons{};
    std::vector<std::uint64_t> latency, wait;  // per bucket, +Inf last
  };
  std::int64_t SlotId(Clock::time_point t) const;
  Slot& SlotAt(Clock::time_point now);  // cleared when it is reused; under mu_
  static void Observe(std::vector<std::uint64_t>& counts, const std::vector<double>& bounds,
                      double value);

  const std::vector<double> latency_bounds_, wait_bounds_;
  const Clock::time_point start_;
  mutable std::mutex mu_;
  std::array<Slot, kSlots> slots_;
};

}  // namespace scangate
