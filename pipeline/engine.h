// The page engine: files judged in parallel on a oneTBB arena, and per-stream
// sequencers that hand verdicts back in submission order with a bound on the
// files in flight. Nothing here blocks the caller: a producer asks
// HasCapacity() and stops reading its source while it is false.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>
#include <vector>

#include "pipeline/judge.h"
#include "pipeline/profile.h"
#include "pipeline/verdict.h"

namespace scangate {

// How a file becomes verdicts; JudgeFile unless a caller needs another.
using JudgeFn = std::function<std::vector<PageVerdict>(std::span<const std::uint8_t>,
                                                       const std::string& source, const Profile&,
                                                       const JudgeOptions&)>;

struct EngineOptions {
  // Worker threads; 0 means one per core.
  unsigned threads = 0;
  JudgeOptions judge;
  JudgeFn judge_fn = JudgeFile;
  // Told, on the worker, how long each file waited between Submit and its
  // judging starting (the server's metrics; the engine knows no metrics).
  std::function<void(double wait_seconds)> on_judge_start;
};

// One file to judge. The bytes are owned by the job: no copy is made later.
struct PageJob {
  std::string bytes;
  std::string source;
  std::shared_ptr<const Profile> profile;
  // Set for a rescan: the verdicts take this page index instead of the next.
  std::optional<std::uint32_t> replaces;
  // Held while the job lives and let go when it ends, judged or dropped
  // (the server's memory budget reservation for the page).
  std::shared_ptr<const void> reservation = {};
  // What judging the file costs, in A4 300-dpi pages' worth of pixels over
  // all its frames (at least 1): admission counts work, not files, so that
  // a 64-frame TIFF weighs what its frames weigh.
  std::uint32_t work_pages = 1;
};

class Engine {
 public:
  explicit Engine(EngineOptions options = {});
  ~Engine();  // waits for every job already submitted
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs the job on a worker; `done` is called there with its verdicts.
  void Submit(PageJob job, std::function<void(PageJob&, std::vector<PageVerdict>)> done);
  // Blocks until no job is pending. Not for gRPC reaction threads.
  void WaitIdle();
  unsigned threads() const { return threads_; }
  // Files submitted and not yet judged (their callbacks may still be running).
  std::size_t in_flight() const;
  // The same files' work_pages: what the engine has yet to do.
  std::size_t work_in_flight() const;

 private:
  EngineOptions options_;
  unsigned threads_;
  // TBB sizes its worker pool for callers that join the work; ours only
  // enqueue, so the pool must hold every arena thread as a worker.
  tbb::global_control workers_;
  tbb::task_arena arena_;
  mutable std::mutex mu_;
  std::condition_variable idle_;
  std::size_t pending_ = 0;    // until `done` has returned: what WaitIdle waits for
  std::size_t in_flight_ = 0;  // until judged
  std::size_t work_in_flight_ = 0;  // their work_pages
};

// Orders one stream's verdicts and bounds its files in flight. Page indices
// are assigned at delivery, so a multi-page file takes consecutive indices.
class VerdictSequencer : public std::enable_shared_from_this<VerdictSequencer> {
 public:
  // Called serially, in submission order, on a worker thread; never under a
  // lock of the sequencer, so it may call HasCapacity() and Submit().
  // `replaces` is the job's: set when the verdicts are for a rescanned page.
  using Deliver =
      std::function<void(std::vector<PageVerdict>, std::optional<std::uint32_t> replaces)>;

  // New pages are numbered from `first_page_index` on (a resumed batch
  // continues after the pages it holds).
  static std::shared_ptr<VerdictSequencer> Create(Engine& engine, std::size_t max_in_flight,
                                                  Deliver deliver,
                                                  std::uint32_t first_page_index = 0);

  bool HasCapacity() const;
  // Blocks until HasCapacity(). Not for gRPC reaction threads.
  void WaitForCapacity();
  std::size_t InFlight() const;
  // Precondition: HasCapacity(). Bytes move into the engine.
  void Submit(PageJob job);
  // Drops the delivery callback: verdicts still in flight are discarded.
  void Detach();

 private:
  struct Ready {
    std::vector<PageVerdict> verdicts;
    std::optional<std::uint32_t> replaces;
  };
  VerdictSequencer(Engine& engine, std::size_t max_in_flight, Deliver deliver,
                   std::uint32_t first_page_index);
  void Complete(std::uint64_t seq, Ready ready);

  Engine& engine_;
  const std::size_t max_in_flight_;
  mutable std::mutex mu_;
  std::condition_variable capacity_;
  Deliver deliver_;
  std::uint64_t next_submit_ = 0;
  std::uint64_t next_deliver_ = 0;
  std::uint32_t next_page_index_ = 0;
  std::size_t in_flight_ = 0;
  bool delivering_ = false;
  std::map<std::uint64_t, Ready> ready_;
};

}  // namespace scangate
