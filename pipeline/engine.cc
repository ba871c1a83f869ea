// See engine.h.
#include "pipeline/engine.h"

#include <chrono>
#include <exception>
#include <span>
#include <thread>

namespace scangate {

Engine::Engine(EngineOptions options)
    : options_(options),
      threads_(options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency())),
      workers_(tbb::global_control::max_allowed_parallelism,
               std::max<std::size_t>(threads_ + 1,
                                     tbb::global_control::active_value(
                                         tbb::global_control::max_allowed_parallelism))),
      // No slot reserved for callers: they only enqueue, never join the work.
      arena_(int(threads_), 0) {}

Engine::~Engine() { WaitIdle(); }

void Engine::Submit(PageJob incoming, std::function<void(PageJob&, std::vector<PageVerdict>)> done) {
  {
    std::lock_guard lock(mu_);
    ++pending_;
    ++in_flight_;
    work_in_flight_ += incoming.work_pages;
  }
  struct Task {
    PageJob job;
    std::function<void(PageJob&, std::vector<PageVerdict>)> done;
    std::chrono::steady_clock::time_point submitted;
  };
  // enqueue never blocks the caller, unlike execute(); it takes a const
  // functor, so the task's state lives behind a pointer.
  auto task = std::make_shared<Task>(
      Task{std::move(incoming), std::move(done), std::chrono::steady_clock::now()});
  arena_.enqueue([this, task] {
    if (options_.on_judge_start)
      options_.on_judge_start(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - task->submitted).count());
    PageJob& job = task->job;
    std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(job.bytes.data()),
                                        job.bytes.size());
    std::vector<PageVerdict> verdicts;
    auto fail = [&](const std::string& what) {
      verdicts.assign(1, ErrorVerdict({PageErrorKind::kInternal, what}, ReasonCode::kInternalError));
      verdicts[0].source = job.source;
      DecidePage(verdicts[0], *job.profile);
    };
    // JudgeFile never throws; this guard is for any other judge, so that a
    // worker thread is never taken down by one file.
    try {
      verdicts = options_.judge_fn(bytes, job.source, *job.profile, options_.judge);
    } catch (const std::exception& e) {
      fail(std::string("judging failed: ") + e.what());
    } catch (...) {
      fail("judging failed");
    }
    if (verdicts.empty()) fail("the judge returned no verdict");
    {
      std::lock_guard lock(mu_);
      --in_flight_;
      work_in_flight_ -= job.work_pages;
    }
    task->done(job, std::move(verdicts));
    task->job.bytes = std::string();  // release the page before the next one starts
    std::lock_guard lock(mu_);
    if (--pending_ == 0) idle_.notify_all();
  });
}

void Engine::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return pending_ == 0; });
}

std::size_t Engine::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

std::size_t Engine::work_in_flight() const {
  std::lock_guard lock(mu_);
  return work_in_flight_;
}

std::shared_ptr<VerdictSequencer> VerdictSequencer::Create(Engine& engine,
                                                           std::size_t max_in_flight,
                                                           Deliver deliver,
                                                           std::uint32_t first_page_index) {
  return std::shared_ptr<VerdictSequencer>(
      new VerdictSequencer(engine, max_in_flight, std::move(deliver), first_page_index));
}

VerdictSequencer::VerdictSequencer(Engine& engine, std::size_t max_in_flight, Deliver deliver,
                                   std::uint32_t first_page_index)
    : engine_(engine), max_in_flight_(std::max<std::size_t>(1, max_in_flight)),
      deliver_(std::move(deliver)), next_page_index_(first_page_index) {}

void VerdictSequencer::WaitForCapacity() {
  std::unique_lock lock(mu_);
  capacity_.wait(lock, [&] { return in_flight_ < max_in_flight_; });
}

bool VerdictSequencer::HasCapacity() const {
  std::lock_guard lock(mu_);
  return in_flight_ < max_in_flight_;
}

std::size_t VerdictSequencer::InFlight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

void VerdictSequencer::Submit(PageJob job) {
  std::uint64_t seq;
  {
    std::lock_guard lock(mu_);
    seq = next_submit_++;
    ++in_flight_;
  }
  engine_.Submit(std::move(job),
                 [self = shared_from_this(), seq](PageJob& done, std::vector<PageVerdict> v) {
                   self->Complete(seq, {std::move(v), done.replaces});
                 });
}

void VerdictSequencer::Detach() {
  std::lock_guard lock(mu_);
  deliver_ = nullptr;
}

void VerdictSequencer::Complete(std::uint64_t seq, Ready ready) {
  std::unique_lock lock(mu_);
  ready_.emplace(seq, std::move(ready));
  // One thread delivers at a time; others leave their result for it.
  if (delivering_) return;
  delivering_ = true;
  while (!ready_.empty() && ready_.begin()->first == next_deliver_) {
    Ready next = std::move(ready_.begin()->second);
    ready_.erase(ready_.begin());
    ++next_deliver_;
    --in_flight_;
    capacity_.notify_all();
    for (PageVerdict& v : next.verdicts)
      v.page_index = next.replaces ? *next.replaces : next_page_index_++;
    Deliver deliver = deliver_;
    lock.unlock();
    if (deliver) deliver(std::move(next.verdicts), next.replaces);
    lock.lock();
  }
  delivering_ = false;
}

}  // namespace scangate
