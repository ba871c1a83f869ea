// scangate-bench: line-rate benchmarks (offline pipeline, end to end).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/profile.h"

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
  // overload: the sustainable station count (stations[0]), the factor, the
  // length of the before/after steps and extra server arguments.
  double overload_factor = 10;
  double calm_seconds = 15;
  std::vector<std::string> server_args;
};

int RunOffline(const Options& options);
int RunEndToEnd(const Options& options);
int RunOverload(const Options& options);

// A scangate-server process for the end-to-end benches.
struct Server {
  pid_t pid = -1;
  std::string address;
};
Server StartServer(const std::filesystem::path& data, unsigned threads,
                   const std::vector<std::string>& extra_args);
double PeakRssMib(pid_t pid);  // VmHWM
double Percentile(std::vector<double> v, double q);
std::shared_ptr<const Profile> LoadBenchProfile(const std::string& name);

}  // namespace scangate::bench
