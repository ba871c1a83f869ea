// scangate-bench: does Scangate keep up with the scanners? See README
// "Performance" for what the figures mean.
#include <cstdio>
#include <cstring>
#include <string>

#include "bench/line_rate/bench_commands.h"

int main(int argc, char** argv) {
  const char* usage =
      "usage: scangate-bench offline [--json] [--batches N] [--rounds N] [--profile NAME]\n"
      "                              [--seed N] [--pristine]\n"
      "  offline: the counter corpus (scanned pages) and ../shared/data/scans; --pristine\n"
      "  adds the renderer's pages as drawn\n"
      "       scangate-bench e2e [--json] [--stations N[,N...] | --find-capacity]\n"
      "                          [--target-ms MS] [--rate IMAGES_PER_MIN] [--plaintext]\n"
      "                          [--seconds S] [--server-threads N] [--server-arg ARG]...\n"
      "  e2e: over TLS; without --stations finds the capacity (the largest load whose p99\n"
      "  stays within --target-ms, default 250, with every page judged)\n"
      "       scangate-bench overload [--json] [--stations SUSTAINABLE] [--factor F]\n"
      "                          [--seconds S] [--calm-seconds S] [--rate IMAGES_PER_MIN]\n"
      "                          [--server-threads N] [--server-arg ARG]...\n"
      "  overload: SUSTAINABLE stations for --calm-seconds (default 15), then F x as many\n"
      "  (default 10) for --seconds (default 60), then SUSTAINABLE again\n";
  if (argc < 2) {
    std::fputs(usage, stderr);
    return 2;
  }
  scangate::bench::Options options;
  std::string mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--json") options.json = true;
    else if (a == "--find-capacity") options.stations.clear();
    else if (a == "--target-ms") options.target_ms = std::stod(next());
    else if (a == "--plaintext") options.tls = false;
    else if (a == "--batches") options.batches = std::stoi(next());
    else if (a == "--rounds") options.rounds = std::stoi(next());
    else if (a == "--profile") options.profile = next();
    else if (a == "--seed") options.seed = unsigned(std::stoul(next()));
    else if (a == "--pristine") options.pristine = true;
    else if (a == "--rate") options.images_per_minute = std::stod(next());
    else if (a == "--seconds") options.seconds = std::stod(next());
    else if (a == "--factor") options.overload_factor = std::stod(next());
    else if (a == "--calm-seconds") options.calm_seconds = std::stod(next());
    else if (a == "--server-arg") options.server_args.push_back(next());
    else if (a == "--server-threads") options.server_threads = unsigned(std::stoul(next()));
    else if (a == "--stations") {
      std::string list = next();
      for (std::size_t at = 0; at < list.size();) {
        std::size_t comma = list.find(',', at);
        options.stations.push_back(std::stoi(list.substr(at, comma - at)));
        at = comma == std::string::npos ? list.size() : comma + 1;
      }
    } else {
      std::fputs(usage, stderr);
      return 2;
    }
  }
  if (mode == "offline") return scangate::bench::RunOffline(options);
  if (mode == "e2e") return scangate::bench::RunEndToEnd(options);
  if (mode == "overload") {
    bool seconds_given = false;
    for (int i = 2; i < argc; ++i) seconds_given |= std::strcmp(argv[i], "--seconds") == 0;
    if (!seconds_given) options.seconds = 60;
    return scangate::bench::RunOverload(options);
  }
  std::fputs(usage, stderr);
  return 2;
}
