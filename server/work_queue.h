// A thread for work that may block (ledger reads, profile reloads), so that
// gRPC reactions never do. Tasks run in the order posted; the destructor runs
// what is left. A task that throws never ends the server: the queue catches
// it, logs it and, for a task that answers a call, answers that call.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace scangate {

class WorkQueue {
 public:
  // Told what a task threw; answers the task's call as an error.
  using OnFailure = std::function<void(const std::string& what)>;

  WorkQueue() : thread_([this] { Run(); }) {}
  ~WorkQueue() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // A task that answers a call (a reactor it finishes) passes `on_failure`:
  // when the task throws, that is called instead, to finish the call with an
  // error. A task without one is logged only.
  void Post(std::function<void()> task, OnFailure on_failure = {}) {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back({std::move(task), std::move(on_failure)});
    }
    wake_.notify_one();
  }

 private:
  struct Task {
    std::function<void()> run;
    OnFailure on_failure;
  };

  void Run() {
    for (;;) {
      Task task;
      {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      RunOne(task);
    }
  }

  static void RunOne(Task& task) {
    std::string what;
    try {
      task.run();
      return;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "an exception of unknown type";
    }
    std::cerr << "scangate-server: a queued task failed: " << what
              << (task.on_failure ? " (its call is answered with an error)" : "") << "\n";
    if (!task.on_failure) return;
    try {
      task.on_failure(what);
    } catch (...) {
      std::cerr << "scangate-server: answering the failed task's call failed too\n";
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Task> tasks_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest is ready
};

}  // namespace scangate
