// scangate-bench: line-rate benchmarks (offline pipeline, end to end).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "profile.h"

namespace scangate::bench {

struct Options {
  bool json = false;
  std::string profile = "pension-claim";
  int batches = 4;       // offline: corpus size
  int rounds = 3;        // offline: passes over the corpus per measurement
  std::vector<int> stations;  // e2e: station counts to try (empty: a sweep)
  double images_per_minute = 140;  // e2e: each station's line rate
  double seconds = 15;   // e2e: duration of each step
  unsigned server_threads = 0;
};

int RunOffline(const Options& options);
int RunEndToEnd(const Options& options);
std::shared_ptr<const Profile> LoadBenchProfile(const std::string& name);

}  // namespace scangate::bench
