// `scangate check`: the pipeline run locally, no server. With --json, one
// page verdict per line in protobuf's JSON mapping (the contract other tools
// read); otherwise a table for people.
#include <cstdio>
#include <iostream>
#include <mutex>

#include "pipeline/engine.h"
#include "clients/files.h"
#include "common/read_file.h"
#include "wire/profile_store.h"
#include "clients/commands.h"
#include "wire/wire.h"

namespace scangate::cli {
namespace {

const char* kCheckUsage =
    "usage: scangate check [--json] [--profile FILE] [--threads N] FILE|DIR...\n";

void PrintHuman(const PageVerdict& v) {
  std::printf("%-28s p%-3u %-6s %5.0f dpi%s  blur %.2f%s  skew %+6.2f° (%.2f)  ink %.4f%s",
              v.source.c_str(), v.page_index, v.decision == Decision::kAccept ? "ACCEPT" : "REJECT",
              v.resolution.dpi, v.resolution.inferred ? "*" : " ", v.blur.sigma_300dpi,
              v.blur.applicable ? "" : "(n/a)", v.skew.degrees, v.skew.confidence,
              v.blank.ink_ratio, v.is_blank ? " BLANK" : "");
  for (const BarcodeMeasure& b : v.barcodes) std::printf("  [%s %s]", b.format.c_str(), b.text.c_str());
  if (v.registration.attempted)
    std::printf("  form %.2f%s", v.registration.score, v.summary_sheet ? " SUMMARY SHEET" : "");
  std::printf("\n");
  for (const Reason& r : v.reasons) std::printf("    - %s\n", r.detail.c_str());
}

}  // namespace

int RunCheck(const std::vector<std::string>& args) {
  bool json = false;
  std::string profile_file;
  unsigned threads = 0;
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json") json = true;
    else if ((a == "--profile" || a == "--threads") && i + 1 < args.size()) {
      if (a == "--profile") profile_file = args[++i];
      else threads = unsigned(std::stoul(args[++i]));
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << kCheckUsage;
      return 2;
    } else {
      inputs.push_back(a);
    }
  }
  if (inputs.empty()) {
    std::cerr << kCheckUsage;
    return 2;
  }
  std::shared_ptr<const Profile> profile = ProfileStore().Find("default");
  if (!profile_file.empty()) {
    Expected<LoadedProfile> loaded = ProfileStore::LoadFile(profile_file);
    if (!loaded.ok()) {
      std::cerr << "scangate check: " << loaded.error().message << "\n";
      return 2;
    }
    profile = loaded.value().profile;
  }

  EngineOptions options;
  options.threads = threads;
  Engine engine(options);
  std::mutex mu;
  bool any_rejected = false;
  auto sequencer = VerdictSequencer::Create(engine, engine.threads() * 2,
                                            [&](std::vector<PageVerdict> verdicts, auto) {
    std::lock_guard lock(mu);
    for (const PageVerdict& v : verdicts) {
      any_rejected |= v.decision == Decision::kReject;
      if (json) {
        v1::PageVerdict out;
        ToProto(v, &out);
        std::cout << ToJson(out) << "\n";
      } else {
        PrintHuman(v);
      }
    }
    std::cout.flush();
  });

  int status = 0;
  for (const std::string& path : ExpandPageFiles(inputs)) {
    PageJob job{"", BaseName(path), profile};
    auto read = ReadFileBytes(path, options.judge.limits.max_bytes);
    if (!read.ok()) {
      std::cerr << "scangate check: " << read.error().message << "\n";
      status = 2;
      continue;
    }
    job.bytes = std::move(read.value());
    sequencer->WaitForCapacity();
    sequencer->Submit(std::move(job));
  }
  engine.WaitIdle();
  if (status) return status;
  return any_rejected ? 1 : 0;
}

}  // namespace scangate::cli
