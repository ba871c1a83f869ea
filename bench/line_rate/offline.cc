// `scangate-bench offline`: the line-rate corpus through the pipeline at 1
// and 2 threads, beside decoding alone of the same bytes on the same engine:
// the ratio pipeline / decode-only is the headline.
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>

#include "bench/line_rate/bench_commands.h"
#include "pipeline/engine.h"
#include "bench/line_rate/line_rate_corpus.h"
#include "wire/profile_store.h"

namespace scangate::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Decoding only: the same probe and decoder the pipeline runs, nothing else.
std::vector<PageVerdict> DecodeOnly(std::span<const std::uint8_t> bytes, const std::string& source,
                                    const Profile&, const JudgeOptions& options) {
  std::vector<PageVerdict> out;
  auto probe = ProbeImage(bytes, options.limits);
  if (!probe.ok()) return {ErrorVerdict(probe.error(), ReasonCode::kDecodeError)};
  for (std::size_t f = 0; f < probe.value().frames.size(); ++f) {
    auto page = DecodeFrame(bytes, probe.value(), f);
    PageVerdict v;
    v.width = page.ok() ? page.value().gray.cols : 0;
    out.push_back(std::move(v));
  }
  return out;
}

struct Run {
  double pages_per_second = 0;
  CheckTimes mean;  // seconds per page
  std::size_t errors = 0;
  std::size_t pages = 0;
  double seconds = 0;
};

// One pass of the corpus through an engine of `threads`, added to `run`.
void Measure(const std::vector<CorpusBatch>& corpus, std::shared_ptr<const Profile> profile,
             unsigned threads, JudgeFn judge, Run& run) {
  Engine engine({.threads = threads, .judge = {}, .judge_fn = std::move(judge)});
  std::mutex mu;
  auto start = Clock::now();
  for (const CorpusBatch& batch : corpus)
    for (const CorpusPage& page : batch)
      engine.Submit({page.bytes, page.name, profile}, [&](PageJob&, std::vector<PageVerdict> v) {
        std::lock_guard lock(mu);
        for (const PageVerdict& p : v) {
          ++run.pages;
          run.errors += !p.error.empty();
          run.mean.decode += p.times.decode;
          run.mean.resolution += p.times.resolution;
          run.mean.ink += p.times.ink;
          run.mean.skew += p.times.skew;
          run.mean.blank += p.times.blank;
          run.mean.blur += p.times.blur;
          run.mean.summary += p.times.summary;
          run.mean.barcode += p.times.barcode;
        }
      });
  engine.WaitIdle();
  run.seconds += std::chrono::duration<double>(Clock::now() - start).count();
}

void Finish(Run& run) {
  run.pages_per_second = double(run.pages) / run.seconds;
  for (double* t : {&run.mean.decode, &run.mean.resolution, &run.mean.ink, &run.mean.skew,
                    &run.mean.blank, &run.mean.blur, &run.mean.summary, &run.mean.barcode})
    *t /= double(std::max<std::size_t>(1, run.pages));
}

}  // namespace

int RunOffline(const Options& options) {
  std::printf("making the corpus: %d batches of 6 A4 300-dpi pages ...\n", options.batches);
  std::fflush(stdout);
  auto corpus = MakeLineRateCorpus(options.batches, options.profile);
  auto profile = LoadBenchProfile(options.profile);
  if (!profile) return 2;

  std::map<unsigned, std::pair<Run, Run>> runs;  // threads -> (decode-only, pipeline)
  for (unsigned threads : {1u, 2u}) {
    // Interleaved round by round in one process: on a shared machine both
    // see the same load at about the same time.
    Run decode, pipeline;
    for (int r = 0; r < options.rounds; ++r) {
      Measure(corpus, profile, threads, DecodeOnly, decode);
      Measure(corpus, profile, threads, JudgeFile, pipeline);
    }
    Finish(decode);
    Finish(pipeline);
    runs[threads] = {decode, pipeline};
  }

  std::printf("\nprofile %s, %zu pages x %d rounds\n", profile->name.c_str(),
              corpus.size() * corpus[0].size(), options.rounds);
  std::printf("%-8s %18s %18s %10s\n", "threads", "decode-only p/s", "pipeline p/s", "ratio");
  for (const auto& [threads, pair] : runs)
    std::printf("%-8u %18.1f %18.1f %10.2f\n", threads, pair.first.pages_per_second,
                pair.second.pages_per_second,
                pair.second.pages_per_second / pair.first.pages_per_second);
  const Run& one = runs[1].second;
  const Run& two = runs[2].second;
  std::printf("scaling 1 -> 2 threads: pipeline %.2fx, decode-only %.2fx\n",
              two.pages_per_second / one.pages_per_second,
              runs[2].first.pages_per_second / runs[1].first.pages_per_second);
  std::printf("\nms per page, 1 thread:  decode %.1f  resolution %.2f  ink %.1f  skew %.1f  "
              "blank %.1f  blur %.1f  summary sheet %.1f  barcode %.1f   (errors: %zu)\n",
              one.mean.decode * 1e3, one.mean.resolution * 1e3, one.mean.ink * 1e3,
              one.mean.skew * 1e3, one.mean.blank * 1e3, one.mean.blur * 1e3,
              one.mean.summary * 1e3, one.mean.barcode * 1e3, one.errors);
  if (options.json)
    std::printf("{\"mode\":\"offline\",\"threads\":2,\"pages_per_second\":%.2f,"
                "\"decode_only_pages_per_second\":%.2f,\"pages_per_second_1_thread\":%.2f,"
                "\"decode_only_pages_per_second_1_thread\":%.2f}\n",
                two.pages_per_second, runs[2].first.pages_per_second, one.pages_per_second,
                runs[1].first.pages_per_second);
  return 0;
}

std::shared_ptr<const Profile> LoadBenchProfile(const std::string& name) {
  ProfileStore store;
  if (Outcome loaded = store.LoadFolder(std::string(SCANGATE_SOURCE_DIR) + "/profiles");
      !loaded.ok()) {
    std::fprintf(stderr, "scangate-bench: %s\n", loaded.error().message.c_str());
    return nullptr;
  }
  auto profile = store.Find(name);
  if (!profile) std::fprintf(stderr, "scangate-bench: no profile '%s'\n", name.c_str());
  return profile;
}

}  // namespace scangate::bench
