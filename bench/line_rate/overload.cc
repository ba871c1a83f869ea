// `scangate-bench overload`: ten times the sustainable load, for a minute.
// Three steps against one scangate-server process: the sustainable station
// count at line rate (before), FACTOR times as many (overload), the
// sustainable count again (after). A station refused with RESOURCE_EXHAUSTED
// waits a second and tries its batch again, as a station would. Reports the
// streams admitted and refused, the latency of admitted pages, the server's
// peak memory and the throughput before and after.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
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

struct Tally {
  std::mutex mu;
  std::vector<double> page_ms;
  std::size_t admitted = 0, refused = 0, other_errors = 0, pages = 0, batches = 0;
  std::string refusal;  // the first refusal's message
};

double RssMib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

void Station(const Server& server, const std::vector<CorpusBatch>& corpus, int id,
             double interval_s, Clock::time_point stop, Tally& tally) {
  auto stub = v1::Scangate::NewStub(Connect(server, id));
  auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval_s));
  auto next_send = Clock::now() + interval * (id % 10) / 10;
  std::size_t b = std::size_t(id);
  while (Clock::now() < stop) {
    const CorpusBatch& batch = corpus[b % corpus.size()];
    grpc::ClientContext ctx;
    auto stream = stub->Scan(&ctx);
    std::vector<Clock::time_point> sent(batch.size());
    std::atomic<bool> ended{false};
    std::vector<double> mine;
    bool got_batch = false;
    std::thread reader([&] {
      v1::ScanResponse r;
      while (stream->Read(&r)) {
        auto now = Clock::now();
        if (r.has_page() && r.page().page_index() < sent.size())
          mine.push_back(std::chrono::duration<double, std::milli>(now - sent[r.page().page_index()]).count());
        got_batch |= r.has_batch();
      }
      ended = true;
    });
    v1::ScanRequest open;
    open.mutable_open()->set_profile("pension-claim");
    open.mutable_open()->set_station_id("overload-" + std::to_string(id));
    stream->Write(open);
    for (std::size_t i = 0; i < batch.size() && !ended; ++i) {
      std::this_thread::sleep_until(next_send);
      next_send += interval;
      if (ended) break;
      v1::ScanRequest page;
      page.mutable_page()->set_content(batch[i].bytes);
      page.mutable_page()->set_file_name(batch[i].name);
      sent[i] = Clock::now();
      if (!stream->Write(page)) break;
    }
    v1::ScanRequest close;
    close.mutable_close();
    stream->Write(close);
    stream->WritesDone();
    reader.join();
    grpc::Status status = stream->Finish();
    {
      std::lock_guard lock(tally.mu);
      if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++tally.refused;
        if (tally.refusal.empty()) tally.refusal = status.error_message();
      } else {
        ++tally.admitted;
        tally.page_ms.insert(tally.page_ms.end(), mine.begin(), mine.end());
        tally.pages += mine.size();
        tally.batches += got_batch;
        if (!status.ok()) ++tally.other_errors;
      }
    }
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      // Back off, then the same batch again.
      std::this_thread::sleep_for(std::chrono::seconds(1));
      next_send = Clock::now();
      continue;
    }
    ++b;
  }
}

struct Step {
  const char* name;
  int stations;
  double seconds;
  double offered = 0, held = 0, p50 = 0, p99 = 0, max_rss = 0;
  std::size_t admitted = 0, refused = 0, errors = 0;
  std::string refusal;
};

void RunStep(const Server& server, const std::vector<CorpusBatch>& corpus,
             double images_per_minute, Step& step) {
  Tally tally;
  const double interval = 60.0 / images_per_minute;
  auto start = Clock::now();
  auto stop = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(step.seconds));
  std::vector<std::thread> threads;
  for (int s = 0; s < step.stations; ++s)
    threads.emplace_back(Station, std::cref(server), std::cref(corpus), s, interval, stop,
                         std::ref(tally));
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    while (!done) {
      step.max_rss = std::max(step.max_rss, RssMib(server.pid));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  for (auto& t : threads) t.join();
  done = true;
  sampler.join();
  // Pages of batches still streaming at `stop` count as served too: the rate
  // is over the whole time until the last verdict.
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  step.offered = step.stations / interval;
  step.held = double(tally.pages) / elapsed;
  step.p50 = Percentile(tally.page_ms, 0.50);
  step.p99 = Percentile(tally.page_ms, 0.99);
  step.admitted = tally.admitted;
  step.refused = tally.refused;
  step.errors = tally.other_errors;
  step.refusal = tally.refusal;
}

}  // namespace

int RunOverload(const Options& options) {
  const int sustainable = options.stations.empty() ? 4 : options.stations[0];
  const int overload = int(sustainable * options.overload_factor + 0.5);
  std::printf("making the corpus ...\n");
  std::fflush(stdout);
  auto corpus = MakeLineRateCorpus(options.batches, "pension-claim", options.seed);
  fs::path data = fs::temp_directory_path() / ("scangate-overload-" + std::to_string(getpid()));
  fs::create_directories(data);
  Server server = StartServer(data, options.server_threads, options.server_args, options.tls);
  if (server.address.empty()) {
    std::fprintf(stderr, "scangate-bench: the server did not start\n");
    return 2;
  }
  std::printf("server %s; each station %.0f images/min; %d sustainable stations, %d in overload\n",
              server.address.c_str(), options.images_per_minute, sustainable, overload);
  // Not counted: the first pages of a fresh server (caches, thread pools).
  Step warm_up{"warm-up", sustainable, 5};
  RunStep(server, corpus, options.images_per_minute, warm_up);
  Step steps[] = {{"before", sustainable, options.calm_seconds},
                  {"overload", overload, options.seconds},
                  {"after", sustainable, options.calm_seconds}};
  std::printf("%9s %9s %8s %12s %10s %9s %8s %8s %8s %12s\n", "step", "stations", "seconds",
              "offered p/s", "held p/s", "admitted", "refused", "p50 ms", "p99 ms", "max RSS MiB");
  for (Step& step : steps) {
    RunStep(server, corpus, options.images_per_minute, step);
    std::printf("%9s %9d %8.0f %12.1f %10.1f %9zu %8zu %8.0f %8.0f %12.0f\n", step.name,
                step.stations, step.seconds, step.offered, step.held, step.admitted, step.refused,
                step.p50, step.p99, step.max_rss);
    std::fflush(stdout);
  }
  double peak = PeakRssMib(server.pid);
  // Still alive after all that: it stops cleanly on SIGTERM.
  bool alive = kill(server.pid, 0) == 0;
  kill(server.pid, SIGTERM);
  int status = 0;
  waitpid(server.pid, &status, 0);
  fs::remove_all(data);
  const Step &before = steps[0], &over = steps[1], &after = steps[2];
  if (!over.refusal.empty()) std::printf("a refusal said: %s\n", over.refusal.c_str());
  std::printf("server peak RSS %.0f MiB; %s; exit %d after SIGTERM\n", peak,
              alive ? "no crash" : "THE SERVER DIED", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  std::printf("throughput before %.1f p/s, after %.1f p/s (%.0f %%); admitted p99 %.0f ms in "
              "overload vs %.0f ms before; %zu stream errors other than RESOURCE_EXHAUSTED\n",
              before.held, after.held, before.held > 0 ? 100 * after.held / before.held : 0,
              over.p99, before.p99, before.errors + over.errors + after.errors);
  if (options.json)
    std::printf("{\"mode\":\"overload\",\"sustainable\":%d,\"overload_stations\":%d,"
                "\"admitted_streams\":%zu,\"refused_streams\":%zu,\"overload_p99_ms\":%.1f,"
                "\"before_p99_ms\":%.1f,\"before_pages_per_second\":%.2f,"
                "\"after_pages_per_second\":%.2f,\"peak_rss_mib\":%.0f,\"survived\":%s}\n",
                sustainable, overload, over.admitted, over.refused, over.p99, before.p99,
                before.held, after.held, peak, alive ? "true" : "false");
  return alive ? 0 : 1;
}

}  // namespace scangate::bench
