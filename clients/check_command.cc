// `scangate check`: the pipeline run locally, no server. With --json, one
// page verdict per line in protobuf's JSON mapping (the contract other tools
// read); otherwise a table for people.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
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
    "usage: scangate check [--json] [--profile NAME|FILE] [--profiles DIR] [--threads N]\n"
    "                      FILE|DIR...\n"
    "  --profile NAME  a profile of the --profiles folder (default: $SCANGATE_PROFILES, else\n"
    "                  the bundled profiles), as `scan --profile` names it; a FILE path\n"
    "                  (one with a '/' or ending in .textproto) is read as it is\n"
    "  --json          one page verdict per line in protobuf's JSON mapping\n"
    "exit: 0 every page accepted, 1 a page rejected, 2 error\n";

// Where `--profile NAME` is looked up without --profiles: $SCANGATE_PROFILES,
// the profiles of the source tree this binary was built from, then where
// packages install them.
std::string BundledProfiles() {
  if (const char* env = std::getenv("SCANGATE_PROFILES"); env && *env) return env;
  for (const char* dir : {SCANGATE_BUNDLED_PROFILES, "/usr/local/share/scangate/profiles",
                          "/usr/share/scangate/profiles"}) {
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) return dir;
  }
  return SCANGATE_BUNDLED_PROFILES;
}

bool IsProfilePath(const std::string& s) {
  return s.find('/') != std::string::npos ||
         (s.size() > 10 && s.compare(s.size() - 10, 10, ".textproto") == 0);
}

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
  if (WantsHelp(args)) {
    std::cout << kCheckUsage;
    return 0;
  }
  bool json = false;
  std::string profile_arg, profiles_dir;
  unsigned threads = 0;
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json") json = true;
    else if ((a == "--profile" || a == "--profiles" || a == "--threads") && i + 1 < args.size()) {
      if (a == "--profile") profile_arg = args[++i];
      else if (a == "--profiles") profiles_dir = args[++i];
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
  if (!profile_arg.empty() && IsProfilePath(profile_arg)) {
    Expected<LoadedProfile> loaded = ProfileStore::LoadFile(profile_arg);
    if (!loaded.ok()) {
      std::cerr << "scangate check: " << loaded.error().message << "\n";
      return 2;
    }
    profile = loaded.value().profile;
  } else if (!profile_arg.empty()) {
    // A name, as the server knows it: the profiles folder is loaded as the
    // server loads it (with its form templates), `default` built in.
    const std::string dir = profiles_dir.empty() ? BundledProfiles() : profiles_dir;
    ProfileStore store;
    if (profile_arg != "default") {
      if (Outcome loaded = store.LoadFolder(dir); !loaded.ok()) {
        std::cerr << "scangate check: " << loaded.error().message << "\n";
        return 2;
      }
    }
    profile = store.Find(profile_arg);
    if (!profile) {
      std::string known;
      for (const LoadedProfile& p : store.List()) known += " " + p.profile->name;
      std::cerr << "scangate check: no profile '" << profile_arg << "' in " << dir
                << " (there are:" << known << ")\n";
      return 2;
    }
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
