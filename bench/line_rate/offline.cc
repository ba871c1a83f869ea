// `scangate-bench offline`: the line-rate corpus (pages as a counter's
// scanner writes them) and the real scans through the pipeline at 1 and 2
// threads, beside decoding alone of the same bytes on the same engine: the
// ratio pipeline / decode-only is the headline.
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

// The corpus at 1 and 2 threads: threads -> (decode-only, pipeline).
std::map<unsigned, std::pair<Run, Run>> MeasureCorpus(const std::vector<CorpusBatch>& corpus,
                                                      std::shared_ptr<const Profile> profile,
                                                      int rounds) {
  std::map<unsigned, std::pair<Run, Run>> runs;
  for (unsigned threads : {1u, 2u}) {
    // Interleaved round by round in one process: on a shared machine both
    // see the same load at about the same time.
    Run decode, pipeline;
    for (int r = 0; r < rounds; ++r) {
      Measure(corpus, profile, threads, DecodeOnly, decode);
      Measure(corpus, profile, threads, JudgeFile, pipeline);
    }
    Finish(decode);
    Finish(pipeline);
    runs[threads] = {decode, pipeline};
  }
  return runs;
}

}  // namespace

int RunOffline(const Options& options) {
  auto profile = LoadBenchProfile(options.profile);
  if (!profile) return 2;
  struct Row {
    std::string name, about;
    std::vector<CorpusBatch> corpus;
    std::map<unsigned, std::pair<Run, Run>> runs;
  };
  std::vector<Row> rows;
  std::printf("making the corpora: %d counter batches of 6 A4 300-dpi pages (seed %u) ...\n",
              options.batches, options.seed);
  std::fflush(stdout);
  rows.push_back({"counter", "scanned: turned, optics, noise",
                  MakeLineRateCorpus(options.batches, options.profile, options.seed), {}});
  if (CorpusBatch real = RealScans(); !real.empty())
    rows.push_back({"real-scans", "../shared/data/scans", {std::move(real)}, {}});
  else
    std::printf("no real scans in %s/scans: that row is left out\n", SCANGATE_SHARED_DATA_DIR);
  if (options.pristine)
    rows.push_back({"pristine", "as rendered: level, sharp",
                    MakeLineRateCorpus(options.batches, options.profile, options.seed,
                                       Scan::kPristine),
                    {}});
  for (Row& row : rows) row.runs = MeasureCorpus(row.corpus, profile, options.rounds);

  std::printf("\nprofile %s, %d rounds\n", profile->name.c_str(), options.rounds);
  std::printf("%-11s %6s %8s %16s %14s %7s %9s\n", "corpus", "pages", "threads",
              "decode-only p/s", "pipeline p/s", "ratio", "scaling");
  for (const Row& row : rows) {
    std::size_t pages = 0;
    for (const CorpusBatch& b : row.corpus) pages += b.size();
    for (const auto& [threads, pair] : row.runs)
      std::printf("%-11s %6zu %8u %16.1f %14.1f %7.2f %8.2fx\n", row.name.c_str(), pages, threads,
                  pair.first.pages_per_second, pair.second.pages_per_second,
                  pair.second.pages_per_second / pair.first.pages_per_second,
                  pair.second.pages_per_second / row.runs.at(1).second.pages_per_second);
  }
  std::printf("\nms per page, 1 thread (mean over the corpus):\n");
  std::printf("%-11s %7s %6s %6s %6s %6s %6s %8s %8s %7s\n", "corpus", "decode", "resol", "ink",
              "skew", "blank", "blur", "summary", "barcode", "errors");
  for (const Row& row : rows) {
    const Run& one = row.runs.at(1).second;
    std::printf("%-11s %7.1f %6.2f %6.1f %6.1f %6.1f %6.1f %8.1f %8.1f %7zu\n", row.name.c_str(),
                one.mean.decode * 1e3, one.mean.resolution * 1e3, one.mean.ink * 1e3,
                one.mean.skew * 1e3, one.mean.blank * 1e3, one.mean.blur * 1e3,
                one.mean.summary * 1e3, one.mean.barcode * 1e3, one.errors);
  }
  if (options.json) {
    std::printf("{\"mode\":\"offline\",\"profile\":\"%s\",\"seed\":%u", profile->name.c_str(),
                options.seed);
    for (const Row& row : rows) {
      const auto& one = row.runs.at(1);
      const auto& two = row.runs.at(2);
      std::printf(",\"%s\":{\"pages_per_second\":%.2f,\"decode_only_pages_per_second\":%.2f,"
                  "\"pages_per_second_1_thread\":%.2f,"
                  "\"decode_only_pages_per_second_1_thread\":%.2f,"
                  "\"ratio_1_thread\":%.3f,\"ratio_2_threads\":%.3f,\"ms\":{\"decode\":%.2f,"
                  "\"ink\":%.2f,\"skew\":%.2f,\"blur\":%.2f,\"summary\":%.2f,\"barcode\":%.2f}}",
                  row.name.c_str(), two.second.pages_per_second, two.first.pages_per_second,
                  one.second.pages_per_second, one.first.pages_per_second,
                  one.second.pages_per_second / one.first.pages_per_second,
                  two.second.pages_per_second / two.first.pages_per_second,
                  one.second.mean.decode * 1e3, one.second.mean.ink * 1e3,
                  one.second.mean.skew * 1e3, one.second.mean.blur * 1e3,
                  one.second.mean.summary * 1e3, one.second.mean.barcode * 1e3);
    }
    std::printf("}\n");
  }
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
