// `scangate-bench e2e`: simulated scanning stations on loopback gRPC, over TLS
// as in production, against a real scangate-server process. Each station
// sends a page at its line rate (140 images a minute by default), batch after
// batch. What it measures is capacity, not the offered load:
// - throughput counts verdicts received, in a window where every station is
//   scanning, never pages sent;
// - a page's latency runs from the time it was due to be sent, so a station
//   that falls behind (the server holding it by flow control) charges the
//   delay to its pages (no coordinated omission);
// - streams refused (RESOURCE_EXHAUSTED) and streams that end in another
//   error are counted, and a refused station backs off and tries again: its
//   pages are offered load that was not judged.
// Without --stations it raises the load step by step until the p99 passes
// the target (--target-ms, 250) or throughput falls short of the offer, and
// prints the largest load held.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "bench/line_rate/bench_commands.h"
#include "bench/line_rate/line_rate_corpus.h"
#include "common/sha256.h"
#include "scangate/v1/scangate.grpc.pb.h"

namespace scangate::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

}  // namespace

namespace {

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

std::string StationToken(int station) { return "bench-station-token-" + std::to_string(station); }

// A key and a self-signed certificate for 127.0.0.1, made with the openssl
// command in the server's data folder: the benches run over TLS, as sites do.
bool MakeCertificate(const fs::path& data, Server& s) {
  s.key_path = (data / "bench.key").string();
  s.cert_path = (data / "bench.pem").string();
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
      "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" + s.key_path +
      "' -out '" + s.cert_path + "' >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) return false;
  s.ca_pem = ReadAll(s.cert_path);
  // Each station its own identity (a bearer token), as each counter has: the
  // server's quotas count streams per client.
  s.access_path = (data / "access.textproto").string();
  std::ofstream access(s.access_path);
  for (int i = 0; i < kMaxStations; ++i)
    access << "clients { name: \"bench-station-" << i << "\" roles: STATION token_sha256: \""
           << Sha256Hex(StationToken(i)) << "\" }\n";
  return !s.ca_pem.empty() && access.good();
}

std::shared_ptr<grpc::Channel> Connect(const Server& server, int station) {
  // Its own connection, as each counter's machine has: the server's quotas
  // count streams per client (per connection without access control).
  grpc::ChannelArguments args;
  args.SetInt("scangate.bench_station", station);
  if (server.ca_pem.empty())
    return grpc::CreateCustomChannel(server.address, grpc::InsecureChannelCredentials(), args);
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = server.ca_pem;
  return grpc::CreateCustomChannel(
      server.address,
      grpc::CompositeChannelCredentials(grpc::SslCredentials(ssl),
                                        grpc::AccessTokenCredentials(StationToken(station))),
      args);
}

Server StartServer(const fs::path& data, unsigned threads,
                   const std::vector<std::string>& extra_args, bool tls) {
  Server s;
  if (tls && !MakeCertificate(data, s)) {
    std::fprintf(stderr, "scangate-bench: openssl could not make a certificate\n");
    return {};
  }
  fs::path self = fs::canonical("/proc/self/exe");
  std::string binary = (self.parent_path().parent_path() / "server/scangate-server").string();
  int fds[2];
  if (pipe(fds) != 0) return {};
  s.pid = fork();
  if (s.pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    std::string profiles = std::string(SCANGATE_SOURCE_DIR) + "/profiles";
    std::string t = std::to_string(threads);
    std::vector<const char*> argv = {binary.c_str(), "--listen", "127.0.0.1:0", "--data-dir",
                                     data.c_str(), "--profiles", profiles.c_str()};
    if (s.ca_pem.empty()) argv.push_back("--plaintext");
    else
      argv.insert(argv.end(), {"--tls-cert", s.cert_path.c_str(), "--tls-key", s.key_path.c_str(),
                               "--access", s.access_path.c_str()});
    if (threads) argv.insert(argv.end(), {"--threads", t.c_str()});
    for (const std::string& a : extra_args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    execv(argv[0], const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  const std::string marker = "listening on ";
  for (int i = 0; i < 300 && s.address.empty(); ++i) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      char buf[512];
      ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, std::size_t(n));
    }
    auto at = out.find(marker), end = out.find('\n', at == std::string::npos ? 0 : at);
    if (at != std::string::npos && end != std::string::npos)
      s.address = out.substr(at + marker.size(), end - at - marker.size());
  }
  // Keep reading its output so it never blocks on a full pipe.
  std::thread([fd = fds[0]] {
    char buf[512];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    close(fd);
  }).detach();
  return s;
}

double PeakRssMib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(q * double(v.size())))];
}

namespace {

struct StepResult {
  int stations = 0;
  double offered_pages_per_second = 0;
  double pages_per_second = 0;  // verdicts received
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, batch_p50_ms = 0;
  std::size_t page_errors = 0;    // verdicts carrying an error
  std::size_t refused = 0;        // streams refused RESOURCE_EXHAUSTED
  std::size_t stream_errors = 0;  // streams ended in another error
  std::string refusal;            // the first refusal's message
};

struct Tally {
  std::mutex mu;
  std::vector<double> page_ms, batch_ms;
  std::vector<Clock::time_point> received;  // each verdict's arrival
  std::size_t page_errors = 0, refused = 0, stream_errors = 0;
  std::string refusal;
};

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// One station: batches of the corpus, one page due every 60/ipm seconds.
void Station(const Server& server, const std::vector<CorpusBatch>& corpus, int id,
             double interval_s, Clock::time_point stop, Tally& tally) {
  auto stub = v1::Scangate::NewStub(Connect(server, id));
  // Counters work independently: each station starts somewhere in a batch's
  // time (spread by the golden ratio), so the stations' summary sheets, the
  // heaviest pages, do not all arrive in the same instant batch after batch.
  const double batch_s = interval_s * double(corpus.front().size());
  const double phase = std::fmod(double(id) * 0.6180339887, 1.0);
  auto next_due = Clock::now() + Seconds(batch_s * phase);
  for (std::size_t b = std::size_t(id); Clock::now() < stop;) {
    const CorpusBatch& batch = corpus[b % corpus.size()];
    grpc::ClientContext ctx;
    auto stream = stub->Scan(&ctx);
    std::vector<Clock::time_point> due(batch.size());
    Clock::time_point closed;
    std::vector<double> mine;
    std::vector<Clock::time_point> arrived;
    double batch_latency = -1;
    std::size_t bad = 0;
    std::thread reader([&] {
      v1::ScanResponse r;
      while (stream->Read(&r)) {
        const auto now = Clock::now();
        if (r.has_page() && r.page().page_index() < due.size()) {
          mine.push_back(
              std::chrono::duration<double, std::milli>(now - due[r.page().page_index()]).count());
          arrived.push_back(now);
          bad += !r.page().error().empty();
        }
        if (r.has_batch())
          batch_latency = std::chrono::duration<double, std::milli>(now - closed).count();
      }
    });
    v1::ScanRequest open;
    open.mutable_open()->set_profile("pension-claim");
    open.mutable_open()->set_station_id("bench-" + std::to_string(id));
    bool writing = stream->Write(open);
    for (std::size_t i = 0; writing && i < batch.size(); ++i) {
      // Latency counts from when the page was due, whether or not the
      // station could send it then.
      due[i] = next_due;
      std::this_thread::sleep_until(next_due);
      next_due += Seconds(interval_s);
      v1::ScanRequest page;
      page.mutable_page()->set_content(batch[i].bytes);
      page.mutable_page()->set_file_name(batch[i].name);
      writing = stream->Write(page);
    }
    if (writing) {
      v1::ScanRequest close;
      close.mutable_close();
      closed = Clock::now();
      stream->Write(close);
    }
    stream->WritesDone();
    reader.join();
    const grpc::Status status = stream->Finish();
    {
      std::lock_guard lock(tally.mu);
      tally.page_ms.insert(tally.page_ms.end(), mine.begin(), mine.end());
      tally.received.insert(tally.received.end(), arrived.begin(), arrived.end());
      if (batch_latency >= 0) tally.batch_ms.push_back(batch_latency);
      tally.page_errors += bad;
      if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++tally.refused;
        if (tally.refusal.empty()) tally.refusal = status.error_message();
      } else if (!status.ok()) {
        ++tally.stream_errors;
      }
    }
    if (status.ok()) {
      b += 7;
    } else {
      // Refused or failed: the station waits a second and scans the batch
      // again. Its pages were offered and not judged.
      std::this_thread::sleep_for(std::chrono::seconds(1));
      next_due = std::max(next_due, Clock::now());
    }
  }
}

StepResult RunStep(const Server& server, const std::vector<CorpusBatch>& corpus, int stations,
                   const Options& options) {
  Tally tally;
  const double interval = 60.0 / options.images_per_minute;
  const auto start = Clock::now();
  const auto stop = start + Seconds(options.seconds);
  std::vector<std::thread> threads;
  for (int s = 0; s < stations; ++s)
    threads.emplace_back(Station, std::cref(server), std::cref(corpus), s, interval, stop,
                         std::ref(tally));
  for (auto& t : threads) t.join();
  // Sustained: verdicts received while every station was scanning, from the
  // last station's start (one batch's time at most) to the end of the step,
  // over that window. Latencies are over every page judged.
  const auto window_start = start + Seconds(interval * double(corpus.front().size()));
  const double window = std::chrono::duration<double>(stop - window_start).count();
  const auto in_window =
      std::count_if(tally.received.begin(), tally.received.end(),
                    [&](Clock::time_point t) { return t >= window_start && t < stop; });
  StepResult r;
  r.stations = stations;
  r.offered_pages_per_second = stations / interval;
  r.pages_per_second = double(in_window) / window;
  r.p50_ms = Percentile(tally.page_ms, 0.50);
  r.p95_ms = Percentile(tally.page_ms, 0.95);
  r.p99_ms = Percentile(tally.page_ms, 0.99);
  r.batch_p50_ms = Percentile(tally.batch_ms, 0.50);
  r.page_errors = tally.page_errors;
  r.refused = tally.refused;
  r.stream_errors = tally.stream_errors;
  r.refusal = tally.refusal;
  return r;
}

}  // namespace

int RunEndToEnd(const Options& options) {
  std::printf("making the corpus ...\n");
  std::fflush(stdout);
  auto corpus = MakeLineRateCorpus(options.batches, "pension-claim", options.seed);
  fs::path data = fs::temp_directory_path() / ("scangate-bench-" + std::to_string(getpid()));
  fs::create_directories(data);
  Server server = StartServer(data, options.server_threads, options.server_args, options.tls);
  if (server.address.empty()) {
    std::fprintf(stderr, "scangate-bench: the server did not start\n");
    return 2;
  }
  for (int n : options.stations)
    if (n < 1 || n > kMaxStations) {
      std::fprintf(stderr, "scangate-bench: --stations takes 1 to %d\n", kMaxStations);
      return 2;
    }
  // Without --stations: find the capacity, raising the load until it is not held.
  const bool find_capacity = options.stations.empty();
  std::vector<int> steps = options.stations;
  if (find_capacity) steps = {1, 4, 8, 12, 16, 18, 20, 24, 28, 32, 40, 48, 64};
  std::printf("server %s (%s); each station %.0f images/min, %.0f s per step; held: p99 <= %.0f ms "
              "and verdicts >= 95%% of the offer\n",
              server.address.c_str(), server.ca_pem.empty() ? "plaintext" : "TLS",
              options.images_per_minute, options.seconds, options.target_ms);
  std::printf("%9s %12s %13s %8s %8s %8s %12s %9s %8s %8s %7s\n", "stations", "offered p/s",
              "verdicts p/s", "p50 ms", "p95 ms", "p99 ms", "batch p50 ms", "RSS MiB", "refused",
              "failed", "errors");
  StepResult best{}, last{};
  bool have_best = false;
  for (int n : steps) {
    StepResult r = RunStep(server, corpus, n, options);
    last = r;
    double rss = PeakRssMib(server.pid);
    bool held = r.p99_ms <= options.target_ms && r.refused == 0 && r.stream_errors == 0 &&
                r.pages_per_second >= 0.95 * r.offered_pages_per_second;
    std::printf("%9d %12.1f %13.1f %8.0f %8.0f %8.0f %12.0f %9.0f %8zu %8zu %7zu%s\n", n,
                r.offered_pages_per_second, r.pages_per_second, r.p50_ms, r.p95_ms, r.p99_ms,
                r.batch_p50_ms, rss, r.refused, r.stream_errors, r.page_errors,
                held ? "" : "   <- not held");
    if (!r.refusal.empty()) std::printf("          refused: %s\n", r.refusal.c_str());
    std::fflush(stdout);
    if (held) best = r, have_best = true;
    if (!held && find_capacity) break;
  }
  double rss = PeakRssMib(server.pid);
  kill(server.pid, SIGTERM);
  waitpid(server.pid, nullptr, 0);
  fs::remove_all(data);
  if (have_best)
    std::printf("largest held: %d stations, %.1f verdicts/s, p99 %.0f ms\n", best.stations,
                best.pages_per_second, best.p99_ms);
  else
    std::printf("no step held p99 <= %.0f ms at the offered rate\n", options.target_ms);
  std::printf("server peak RSS %.0f MiB\n", rss);
  // The JSON line: the largest load held when finding the capacity, else the
  // (last) load asked for, held or not.
  const StepResult& out = find_capacity && have_best ? best : last;
  if (options.json)
    std::printf("{\"mode\":\"e2e\",\"tls\":%s,\"stations\":%d,\"held\":%s,"
                "\"pages_per_second\":%.2f,\"offered_pages_per_second\":%.2f,\"refused\":%zu,"
                "\"stream_errors\":%zu,\"p50_ms\":%.1f,\"p95_ms\":%.1f,\"p99_ms\":%.1f,"
                "\"peak_rss_mib\":%.0f}\n",
                server.ca_pem.empty() ? "false" : "true", out.stations,
                have_best && &out == &best ? "true" : "false", out.pages_per_second,
                out.offered_pages_per_second, out.refused, out.stream_errors, out.p50_ms,
                out.p95_ms, out.p99_ms, rss);
  return have_best ? 0 : 1;
}

}  // namespace scangate::bench
