// scangate-bench: line-rate benchmarks (offline pipeline, end to end).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "pipeline/profile.h"

namespace scangate::bench {

struct Options {
  bool json = false;
  std::string profile = "pension-claim";
  int batches = 4;       // offline: corpus size
  int rounds = 3;        // offline: passes over the corpus per measurement
  // The corpus's seed: not 1, the seed the generators' thresholds were
  // first tuned on.
  unsigned seed = 7;
  bool pristine = false;  // offline: also the renderer's pages as drawn
  std::vector<int> stations;  // e2e: station counts to try (empty: a sweep)
  double images_per_minute = 140;  // e2e: each station's line rate
  double seconds = 15;   // e2e: duration of each step
  double target_ms = 250;  // e2e: the p99 a held load keeps
  bool tls = true;       // e2e, overload: TLS as in production (--plaintext: off)
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

// A scangate-server process for the end-to-end benches; over TLS with a
// self-signed certificate it makes in `data`, unless `tls` is false.
struct Server {
  pid_t pid = -1;
  std::string address;
  std::string cert_path, key_path, ca_pem;  // empty: plaintext
  std::string access_path;  // kMaxStations station identities (tokens)
};
constexpr int kMaxStations = 256;
Server StartServer(const std::filesystem::path& data, unsigned threads,
                   const std::vector<std::string>& extra_args, bool tls);
// A station's own connection to the server.
std::shared_ptr<grpc::Channel> Connect(const Server& server, int station);
double PeakRssMib(pid_t pid);  // VmHWM
double Percentile(std::vector<double> v, double q);
std::shared_ptr<const Profile> LoadBenchProfile(const std::string& name);

}  // namespace scangate::bench
