// See recent_pages.h.
#include "server/recent_pages.h"

#include <algorithm>

namespace scangate {

std::optional<double> BucketQuantile(double q, std::span<const double> bounds,
                                     std::span<const std::uint64_t> counts) {
  std::uint64_t total = 0;
  for (std::uint64_t c : counts) total += c;
  if (total == 0 || counts.size() != bounds.size() + 1) return std::nullopt;
  const double rank = std::clamp(q, 0.0, 1.0) * double(total);
  std::uint64_t below = 0;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (counts[i] > 0 && double(below + counts[i]) >= rank) {
      double lower = i == 0 ? std::min(0.0, bounds[0]) : bounds[i - 1];
      return lower + (bounds[i] - lower) * (rank - double(below)) / double(counts[i]);
    }
    below += counts[i];
  }
  // In the +Inf bucket: the highest bound is all that is known.
  return bounds.empty() ? std::nullopt : std::optional<double>(bounds.back());
}

RecentPages::RecentPages(std::vector<double> latency_bounds, std::vector<double> wait_bounds,
                         Clock::time_point start)
    : latency_bounds_(std::move(latency_bounds)),
      wait_bounds_(std::move(wait_bounds)),
      start_(start) {}

std::int64_t RecentPages::SlotId(Clock::time_point t) const {
  auto since = std::chrono::duration_cast<std::chrono::seconds>(t - start_).count();
  return std::max<std::int64_t>(0, since) / kSlotSeconds;
}

RecentPages::Slot& RecentPages::SlotAt(Clock::time_point now) {
  std::int64_t id = SlotId(now);
  Slot& slot = slots_[std::size_t(id % kSlots)];
  if (slot.id != id) {
    slot = Slot{};
    slot.id = id;
    slot.latency.assign(latency_bounds_.size() + 1, 0);
    slot.wait.assign(wait_bounds_.size() + 1, 0);
  }
  return slot;
}

void RecentPages::Observe(std::vector<std::uint64_t>& counts, const std::vector<double>& bounds,
                          double value) {
  auto bucket = std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin();
  ++counts[std::size_t(bucket)];
}

void RecentPages::AddJudged(bool rejected, std::span<const int> reason_codes,
                            Clock::time_point now) {
  std::lock_guard lock(mu_);
  Slot& slot = SlotAt(now);
  ++slot.judged;
  if (!rejected) return;
  ++slot.rejected;
  for (int code : reason_codes)
    if (code > 0 && code < kReasonCodes) ++slot.reasons[std::size_t(code)];
}

void RecentPages::AddLatency(double seconds, Clock::time_point now) {
  std::lock_guard lock(mu_);
  Observe(SlotAt(now).latency, latency_bounds_, seconds);
}

void RecentPages::AddEngineWait(double seconds, Clock::time_point now) {
  std::lock_guard lock(mu_);
  Observe(SlotAt(now).wait, wait_bounds_, seconds);
}

RecentPages::Summary RecentPages::Summarize(Clock::time_point now) const {
  constexpr int kMinuteSlots = 60 / kSlotSeconds;
  constexpr int kQuantileSlots = 300 / kSlotSeconds;
  Summary s;
  const std::int64_t current = SlotId(now);
  s.uptime_seconds = std::max(0.0, std::chrono::duration<double>(now - start_).count());
  // Seconds covered by the slots from `first` to now, never before the start.
  auto covered = [&](std::int64_t first) {
    double from = double(std::max<std::int64_t>(0, first) * kSlotSeconds);
    return std::max(1.0, s.uptime_seconds - from);
  };

  std::uint64_t last_minute = 0;
  std::vector<std::uint64_t> latency(latency_bounds_.size() + 1, 0);
  std::vector<std::uint64_t> wait(wait_bounds_.size() + 1, 0);
  s.history.assign(kSlots - 1, std::nullopt);
  std::lock_guard lock(mu_);
  for (const Slot& slot : slots_) {
    std::int64_t age = current - slot.id;  // 0: the slot filling now
    if (slot.id < 0 || age < 0 || age >= kSlots) continue;
    s.judged += slot.judged;
    s.rejected += slot.rejected;
    for (int r = 0; r < kReasonCodes; ++r) s.rejects_by_reason[r] += slot.reasons[r];
    if (age <= kMinuteSlots) last_minute += slot.judged;
    if (age < kQuantileSlots) {
      for (std::size_t i = 0; i < latency.size(); ++i) latency[i] += slot.latency[i];
      for (std::size_t i = 0; i < wait.size(); ++i) wait[i] += slot.wait[i];
    }
  }
  // Completed slots since the start, as pages per minute (empty ones are 0).
  for (int age = 1; age < kSlots; ++age)
    if (current - age >= 0) s.history[std::size_t(kSlots - 1 - age)] = 0.0;
  for (const Slot& slot : slots_) {
    std::int64_t age = current - slot.id;
    if (slot.id >= 0 && age >= 1 && age < kSlots)
      s.history[std::size_t(kSlots - 1 - age)] = double(slot.judged) * 60.0 / kSlotSeconds;
  }
  s.pages_per_minute = double(last_minute) * 60.0 / covered(current - kMinuteSlots);
  s.window_seconds = covered(current - (kSlots - 1));
  s.quantile_window_seconds = covered(current - (kQuantileSlots - 1));
  auto quantiles = [](const std::vector<double>& bounds, const std::vector<std::uint64_t>& counts) {
    Quantiles out;
    for (std::uint64_t c : counts) out.count += c;
    out.p50 = BucketQuantile(0.50, bounds, counts);
    out.p95 = BucketQuantile(0.95, bounds, counts);
    out.p99 = BucketQuantile(0.99, bounds, counts);
    return out;
  };
  s.latency = quantiles(latency_bounds_, latency);
  s.engine_wait = quantiles(wait_bounds_, wait);
  return s;
}

}  // namespace scangate
