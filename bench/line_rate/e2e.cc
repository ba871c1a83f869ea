// `scangate-bench e2e`: simulated scanning stations on loopback gRPC against
// a real scangate-server process. Each station sends a page at its line rate
// (140 images a minute by default), batch after batch; latency is from the
// page's send to its verdict. Steps up the station count and reports the
// largest held with p99 <= 250 ms.
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
#include "scangate/v1/scangate.grpc.pb.h"

namespace scangate::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

}  // namespace

Server StartServer(const fs::path& data, unsigned threads,
                   const std::vector<std::string>& extra_args) {
  fs::path self = fs::canonical("/proc/self/exe");
  std::string binary = (self.parent_path().parent_path() / "server/scangate-server").string();
  int fds[2];
  if (pipe(fds) != 0) return {};
  Server s;
  s.pid = fork();
  if (s.pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    std::string profiles = std::string(SCANGATE_SOURCE_DIR) + "/profiles";
    std::string t = std::to_string(threads);
    std::vector<const char*> argv = {binary.c_str(), "--plaintext", "--listen", "127.0.0.1:0", "--data-dir",
                                     data.c_str(), "--profiles", profiles.c_str()};
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
  double pages_per_second = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, batch_p50_ms = 0;
  std::size_t errors = 0;
};

// One station: batches of the corpus, one page every 60/ipm seconds.
void Station(const std::string& address, const std::vector<CorpusBatch>& corpus, int id,
             double interval_s, Clock::time_point stop, std::mutex& mu, std::vector<double>& page_ms,
             std::vector<Clock::time_point>& page_sent, std::vector<double>& batch_ms,
             std::size_t& errors) {
  // Its own connection, as each counter's machine has: the server's quotas
  // count streams per client (per connection without access control).
  grpc::ChannelArguments args;
  args.SetInt("scangate.bench_station", id);
  auto stub = v1::Scangate::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  // Counters work independently: each station starts somewhere in a batch's
  // time (spread by the golden ratio), so the stations' summary sheets, the
  // heaviest pages, do not all arrive in the same instant batch after batch.
  const double batch_s = interval_s * double(corpus.front().size());
  const double phase = std::fmod(double(id) * 0.6180339887, 1.0);
  auto next_send = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(batch_s * phase));
  for (std::size_t b = std::size_t(id); Clock::now() < stop; b += 7) {
    const CorpusBatch& batch = corpus[b % corpus.size()];
    grpc::ClientContext ctx;
    auto stream = stub->Scan(&ctx);
    std::vector<Clock::time_point> sent(batch.size());
    Clock::time_point closed;
    std::thread reader([&] {
      v1::ScanResponse r;
      std::vector<double> mine;
      std::vector<Clock::time_point> mine_sent;
      double batch_latency = -1;
      std::size_t bad = 0;
      while (stream->Read(&r)) {
        auto now = Clock::now();
        if (r.has_page() && r.page().page_index() < sent.size()) {
          mine.push_back(std::chrono::duration<double, std::milli>(now - sent[r.page().page_index()]).count());
          mine_sent.push_back(sent[r.page().page_index()]);
          bad += !r.page().error().empty();
        }
        if (r.has_batch()) batch_latency = std::chrono::duration<double, std::milli>(now - closed).count();
      }
      std::lock_guard lock(mu);
      page_ms.insert(page_ms.end(), mine.begin(), mine.end());
      page_sent.insert(page_sent.end(), mine_sent.begin(), mine_sent.end());
      if (batch_latency >= 0) batch_ms.push_back(batch_latency);
      errors += bad;
    });
    v1::ScanRequest open;
    open.mutable_open()->set_profile("pension-claim");
    open.mutable_open()->set_station_id("bench-" + std::to_string(id));
    stream->Write(open);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      std::this_thread::sleep_until(next_send);
      next_send += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval_s));
      v1::ScanRequest page;
      page.mutable_page()->set_content(batch[i].bytes);
      page.mutable_page()->set_file_name(batch[i].name);
      sent[i] = Clock::now();
      if (!stream->Write(page)) break;
    }
    v1::ScanRequest close;
    close.mutable_close();
    closed = Clock::now();
    stream->Write(close);
    stream->WritesDone();
    reader.join();
    stream->Finish();
  }
}

StepResult RunStep(const std::string& address, const std::vector<CorpusBatch>& corpus, int stations,
                   const Options& options) {
  std::mutex mu;
  std::vector<double> page_ms, batch_ms;
  std::vector<Clock::time_point> page_sent;
  std::size_t errors = 0;
  const double interval = 60.0 / options.images_per_minute;
  auto start = Clock::now();
  auto stop = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.seconds));
  std::vector<std::thread> threads;
  for (int s = 0; s < stations; ++s)
    threads.emplace_back(Station, std::cref(address), std::cref(corpus), s, interval, stop,
                         std::ref(mu), std::ref(page_ms), std::ref(page_sent), std::ref(batch_ms),
                         std::ref(errors));
  for (auto& t : threads) t.join();
  // Sustained: pages sent and judged while every station was scanning, from
  // the last station's start (one batch's time at most) to the end of the
  // step, over that window. Latencies are over every page.
  const auto window_start =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(interval * double(corpus.front().size())));
  const double window = std::chrono::duration<double>(stop - window_start).count();
  const auto in_window = std::count_if(page_sent.begin(), page_sent.end(), [&](Clock::time_point t) {
    return t >= window_start && t < stop;
  });
  StepResult r;
  r.stations = stations;
  r.offered_pages_per_second = stations / interval;
  r.pages_per_second = double(in_window) / window;
  r.p50_ms = Percentile(page_ms, 0.50);
  r.p95_ms = Percentile(page_ms, 0.95);
  r.p99_ms = Percentile(page_ms, 0.99);
  r.batch_p50_ms = Percentile(batch_ms, 0.50);
  r.errors = errors;
  return r;
}

}  // namespace

int RunEndToEnd(const Options& options) {
  std::printf("making the corpus ...\n");
  std::fflush(stdout);
  auto corpus = MakeLineRateCorpus(options.batches, "pension-claim");
  fs::path data = fs::temp_directory_path() / ("scangate-bench-" + std::to_string(getpid()));
  fs::create_directories(data);
  Server server = StartServer(data, options.server_threads, options.server_args);
  if (server.address.empty()) {
    std::fprintf(stderr, "scangate-bench: the server did not start\n");
    return 2;
  }
  std::vector<int> steps = options.stations;
  if (steps.empty()) steps = {1, 4, 8, 12, 16, 18, 20, 24, 28, 32};
  std::printf("server %s; each station %.0f images/min, %.0f s per step\n", server.address.c_str(),
              options.images_per_minute, options.seconds);
  std::printf("%9s %12s %10s %8s %8s %8s %12s %9s %7s\n", "stations", "offered p/s", "held p/s",
              "p50 ms", "p95 ms", "p99 ms", "batch p50 ms", "RSS MiB", "errors");
  StepResult best{};
  bool have_best = false;
  for (int n : steps) {
    StepResult r = RunStep(server.address, corpus, n, options);
    double rss = PeakRssMib(server.pid);
    bool held = r.p99_ms <= 250 && r.pages_per_second >= 0.95 * r.offered_pages_per_second;
    std::printf("%9d %12.1f %10.1f %8.0f %8.0f %8.0f %12.0f %9.0f %7zu%s\n", n,
                r.offered_pages_per_second, r.pages_per_second, r.p50_ms, r.p95_ms, r.p99_ms,
                r.batch_p50_ms, rss, r.errors, held ? "" : "   <- not held");
    std::fflush(stdout);
    if (held) best = r, have_best = true;
    if (!held && options.stations.empty()) break;
  }
  double rss = PeakRssMib(server.pid);
  kill(server.pid, SIGTERM);
  waitpid(server.pid, nullptr, 0);
  fs::remove_all(data);
  if (have_best)
    std::printf("largest held: %d stations, %.1f pages/s sustained, p99 %.0f ms\n", best.stations,
                best.pages_per_second, best.p99_ms);
  else
    std::printf("no step held p99 <= 250 ms at the offered rate\n");
  std::printf("server peak RSS %.0f MiB\n", rss);
  if (options.json)
    std::printf("{\"mode\":\"e2e\",\"stations\":%d,\"pages_per_second\":%.2f,\"p50_ms\":%.1f,"
                "\"p95_ms\":%.1f,\"p99_ms\":%.1f,\"peak_rss_mib\":%.0f}\n",
                best.stations, best.pages_per_second, best.p50_ms, best.p95_ms, best.p99_ms, rss);
  return have_best ? 0 : 1;
}

}  // namespace scangate::bench
