// Group commit for a ledger backend: writes are queued from any thread and
// one writer thread applies everything queued since its last commit in one
// transaction, so many streams share each sync. Each write is acknowledged
// only after that transaction's COMMIT, in the order the writes were queued.
// The backend supplies how a group is committed (its transaction and
// savepoint syntax, its retries); this class owns the queue and the thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace scangate {

template <class Db>
class GroupCommit {
 public:
  struct Write {
    // Applies the write inside the open transaction; returns "" or an error.
    std::function<std::string(Db)> apply;
    // Called after the commit with the outcome.
    std::function<void(bool ok, const std::string& error)> done;
  };
  // Commits one group: applies each write (a write that fails alone is
  // rolled back alone, its error in errors[i]) and commits. Returns "" or the
  // error that failed the whole group.
  using CommitGroup =
      std::function<std::string(std::deque<Write>& group, std::vector<std::string>& errors)>;

  explicit GroupCommit(CommitGroup commit) : commit_(std::move(commit)) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~GroupCommit() { Stop(); }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  void Enqueue(Write write) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(write));
    }
    wake_.notify_one();
  }

  // Commits what is queued, then stops the thread. Idempotent.
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Told how long each group commit took, on the writer thread (metrics).
  void SetObserver(std::function<void(double seconds)> observer) {
    std::lock_guard lock(mu_);
    observer_ = std::move(observer);
  }

 private:
  void Loop() {
    for (;;) {
      std::deque<Write> group;
      {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left
        group.swap(queue_);
      }
      const auto start = std::chrono::steady_clock::now();
      std::vector<std::string> errors(group.size());
      const std::string error = commit_(group, errors);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::function<void(double)> observer;
      {
        std::lock_guard lock(mu_);
        observer = observer_;
      }
      if (observer) observer(seconds);
      for (std::size_t i = 0; i < group.size(); ++i) {
        const bool ok = error.empty() && errors[i].empty();
        group[i].done(ok, error.empty() ? errors[i] : error);
      }
    }
  }

  CommitGroup commit_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Write> queue_;
  bool stopping_ = false;
  std::function<void(double)> observer_;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace scangate
