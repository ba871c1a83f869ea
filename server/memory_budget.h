// One memory budget for the whole server: the bytes of every page received
// and not yet judged, plus what judging it will allocate (its decoded
// pixels, estimated from the image's header before anything is decoded).
// A received page's bytes are counted at once; it is judged only once what
// judging it allocates is reserved too. While the budget is full, streams
// are not read (HTTP/2 flow control holds the stations), so it is exceeded
// by at most the messages already arriving when it filled; a one-shot check
// that does not fit is refused. A reservation is released when the job that
// holds it ends, whoever was waiting for its verdict.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

namespace scangate {

class MemoryBudget {
 public:
  explicit MemoryBudget(std::uint64_t limit_bytes) : limit_(limit_bytes) {}

  std::uint64_t limit() const { return limit_; }
  std::uint64_t used() const { return used_.load(std::memory_order_relaxed); }

  // Reserves `bytes`, or returns null when they do not fit now. The bytes are
  // released when the last copy of the returned handle goes.
  std::shared_ptr<const void> TryReserve(std::uint64_t bytes) {
    std::uint64_t now = used_.load(std::memory_order_relaxed);
    do {
      if (now + bytes > limit_) return nullptr;
    } while (!used_.compare_exchange_weak(now, now + bytes, std::memory_order_relaxed));
    return Handle(bytes);
  }

  // Counts `bytes` that are held already (a message gRPC has received),
  // over the limit if need be: streams then stop reading (full()).
  std::shared_ptr<const void> Charge(std::uint64_t bytes) {
    used_.fetch_add(bytes, std::memory_order_relaxed);
    return Handle(bytes);
  }

  bool full() const { return used() >= limit_; }

 private:
  std::shared_ptr<const void> Handle(std::uint64_t bytes) {
    return std::shared_ptr<const void>(this, [bytes](MemoryBudget* budget) {
      budget->used_.fetch_sub(bytes, std::memory_order_relaxed);
    });
  }

  const std::uint64_t limit_;
  std::atomic<std::uint64_t> used_{0};
};

// What judging a file costs, from the image's header, before anything is
// decoded.
struct JudgingEstimate {
  // What judging holds at its peak: the file itself, and for its largest page
  // what decoding it allocates (DecodeBytes, by format and depth) and the
  // checks' working images. Pages of a multi-page file are judged one after
  // the other.
  std::uint64_t memory_bytes = 0;
  // The work: the pixels of all its frames in A4 300-dpi pages (at least 1),
  // which the engine's admission counts (PageJob::work_pages).
  std::uint32_t work_pages = 1;
};

// A file whose header cannot be read costs its bytes and one page: the
// engine refuses it before decoding. With `repairs` (the profile's repair
// rule allows any repair), a one-page file also holds its repaired planes,
// their ink map and checks, and the archive copy (pipeline/repair.h).
JudgingEstimate EstimateJudging(std::string_view bytes, bool repairs = false);

}  // namespace scangate
