// A scanning station that keeps scanning: the scangate command line streams
// a folder of pages as one batch after another until stopped, so a batch is
// streaming for as long as a test watches the server.
#pragma once

#include <atomic>
#include <string>
#include <thread>

namespace scangate::testing {

// Writes `pages` synthetic A4 text pages (JPEG, 200 dpi) into `dir`; one in
// six is skewed, one in six blurred.
void WriteTextPages(const std::string& dir, int pages);

class StationLoop {
 public:
  StationLoop(std::string server_address, std::string batch_dir, std::string profile = "default");
  ~StationLoop();  // Stop()
  StationLoop(const StationLoop&) = delete;
  StationLoop& operator=(const StationLoop&) = delete;

  // Lets the batch in progress finish, then returns.
  void Stop();
  // Batches streamed to the end; -1 once a run failed to reach the server.
  int batches() const { return batches_.load(); }

 private:
  std::atomic<bool> stopping_{false};
  std::atomic<int> batches_{0};
  std::thread thread_;
};

}  // namespace scangate::testing
