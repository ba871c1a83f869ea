// `scangate-make-summary-corpus OUTDIR [--sheets N] [--others N] [--seed S]`:
// writes the summary-sheet corpus (summary_corpus.h): each page file with
// its truth beside it as NAME.truth.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/summary/summary_corpus.h"

int main(int argc, char** argv) {
  namespace sc = scangate::summary_corpus;
  std::string out_dir;
  int sheets = 300, others = 90, jobs = 1;
  std::uint32_t seed = 4;
  std::string scans = std::string(SCANGATE_SHARED_DATA_DIR) + "/scans";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--sheets" && i + 1 < argc) sheets = std::atoi(argv[++i]);
    else if (a == "--others" && i + 1 < argc) others = std::atoi(argv[++i]);
    else if (a == "--seed" && i + 1 < argc) seed = std::uint32_t(std::atol(argv[++i]));
    else if (a == "--jobs" && i + 1 < argc) jobs = std::max(1, std::atoi(argv[++i]));
    else if (a == "--scans" && i + 1 < argc) scans = argv[++i];
    else if (!a.empty() && a[0] != '-' && out_dir.empty()) out_dir = a;
    else {
      std::fprintf(stderr,
                   "usage: scangate-make-summary-corpus OUTDIR [--sheets N] [--others N] "
                   "[--seed S] [--jobs N] [--scans DIR]\n");
      return 2;
    }
  }
  if (out_dir.empty()) {
    std::fprintf(stderr, "scangate-make-summary-corpus: OUTDIR missing\n");
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (!std::filesystem::exists(scans)) scans.clear();
  const std::vector<sc::Recipe> plan = sc::Plan(sheets, others, seed, scans);
  std::atomic<std::size_t> next{0};
  std::atomic<int> failed{0};
  auto work = [&] {
    for (std::size_t i = next++; i < plan.size(); i = next++) {
      std::string ext;
      const std::string bytes = sc::Render(plan[i], scans, ext);
      const std::string base = out_dir + "/" + plan[i].name;
      std::ofstream(base + ext, std::ios::binary) << bytes;
      std::ofstream truth(base + ".truth");
      truth << "file=" << plan[i].name << ext << "\n" << sc::TruthText(plan[i]);
      if (!truth) ++failed;
    }
  };
  std::vector<std::thread> threads;
  for (int j = 1; j < jobs; ++j) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  std::printf("%zu pages in %s\n", plan.size(), out_dir.c_str());
  return failed ? 1 : 0;
}
