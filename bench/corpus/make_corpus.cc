// `scangate-make-corpus OUTDIR [options]`: writes the labelled image-check
// corpus into OUTDIR, one file per page and truth.csv beside them.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "bench/corpus/image_corpus.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: scangate-make-corpus OUTDIR [--seed N] [--scans DIR] [--content N]\n"
               "                            [--blank N] [--near-blank N] [--turned N]\n"
               "  --scans DIR   real scans and inherent_skew.csv (default: the shared data)\n"
               "  --content N   text, form, card and scan pages (default 640)\n"
               "  --blank N     blank backs with scanner artefacts (default 220)\n"
               "  --near-blank N  one short line or a signature only (default 220)\n"
               "  --turned N    pages at 90/180/270 and skewed up to 44 degrees (default 360)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace scangate::corpus;
  if (argc < 2 || argv[1][0] == '-') return Usage();  // --help, or flags before OUTDIR
  const std::filesystem::path dir = argv[1];
  CorpusOptions options;
  const char* env = std::getenv("SCANGATE_SHARED_DATA");
  std::string scans_dir = std::string(env && *env ? env : SCANGATE_SHARED_DATA_DIR) + "/scans";
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return Usage();
    std::string v = argv[++i];
    if (a == "--seed") options.seed = std::uint32_t(std::stoul(v));
    else if (a == "--scans") scans_dir = v;
    else if (a == "--content") options.content_pages = std::stoi(v);
    else if (a == "--blank") options.blank_pages = std::stoi(v);
    else if (a == "--near-blank") options.near_blank_pages = std::stoi(v);
    else if (a == "--turned") options.turned_pages = std::stoi(v);
    else return Usage();
  }
  std::filesystem::create_directories(dir);
  auto scans = std::make_shared<ScanLibrary>(scans_dir);
  if (!scans->available())
    std::fprintf(stderr, "scangate-make-corpus: no scans in %s; synthetic pages only\n",
                 scans_dir.c_str());
  ImageCorpus corpus(options, scans);
  std::ofstream truth(dir / "truth.csv");
  truth << TruthCsvHeader() << "\n";
  const bool verbose = std::getenv("SCANGATE_CORPUS_VERBOSE") != nullptr;
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    auto start = std::chrono::steady_clock::now();
    CorpusPage page = corpus.Make(i);
    if (verbose)
      std::fprintf(stderr, "%-50s %6.0f ms\n", page.name.c_str(),
                   std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    std::ofstream out(dir / page.name, std::ios::binary);
    out.write(page.bytes.data(), std::streamsize(page.bytes.size()));
    if (!out) {
      std::fprintf(stderr, "scangate-make-corpus: cannot write %s\n", page.name.c_str());
      return 1;
    }
    truth << TruthCsvRow(page) << "\n";
    if ((i + 1) % 50 == 0) std::fprintf(stderr, "%zu/%zu\n", i + 1, corpus.size());
  }
  std::printf("%zu pages and truth.csv in %s\n", corpus.size(), dir.c_str());
  return 0;
}
