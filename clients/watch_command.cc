// `scangate scan --watch DIR`: the command line of the hot-folder station
// (watch_station.h has what it does).
#include <iostream>

#include "clients/channel.h"
#include "clients/commands.h"
#include "clients/counter_screen.h"
#include "clients/watch_station.h"
#include "common/signals.h"
#include "wire/names.h"

namespace scangate::cli {
namespace {

const std::string kWatchUsage = std::string(
    "usage: scangate scan --watch DIR --server HOST:PORT [CONNECTION] --profile NAME\n"
    "                     [--station ID]\n"
    "                     [--operator ID] [--settle SECONDS] [--idle-close SECONDS]\n"
    "                     [--until-idle SECONDS] [--category NAME] [--screen IP:PORT]\n"
    "  --watch DIR       hot-folder station: take each image file the scanner finishes\n"
    "                    in DIR, split the stack into batches at each summary sheet,\n"
    "                    replace rejected pages with rescans dropped into DIR, and move\n"
    "                    files into DIR/accepted/BATCH/ or DIR/rejected/BATCH/\n"
    "  --settle S        a file is finished when its size and time stayed the same for S\n"
    "                    seconds (default 0.5); *.tmp, *.part and hidden files are ignored\n"
    "  --idle-close S    close the open batch after S seconds without a new file (default 10)\n"
    "  --until-idle S    exit after S seconds without a new file (default: run until\n"
    "                    SIGINT/SIGTERM, which leave the open batch to resume at the next start)\n"
    "  --category NAME   the clerk files every page of this run under category NAME of\n"
    "                    the profile's archive structure\n"
    "  --screen IP:PORT  serve the counter screen for the clerk's monitor there\n"
    "                    (http://IP:PORT/): the open batch and the last ones, each page's\n"
    "                    thumbnail with its failed zones in red, the next page to rescan.\n"
    "                    127.0.0.1:PORT (or PORT alone) for a monitor on this machine;\n"
    "                    another address of this machine serves the network there\n"
    "                    (no access control); 0.0.0.0 and [::] are refused; port 0: any\n"
    "  --station ID      this counter's id: with the STATION role alone (no BRANCH), a\n"
    "                    restart finds its batches in the ledger by it\n"
    "exit: 0 stopped, 2 error\n") + kConnectionUsage;

}  // namespace

int RunWatch(const std::vector<std::string>& args) {
  WatchOptions o;
  for (const std::string& a : args)
    if (a == "--help" || a == "-h") {
      std::cout << kWatchUsage;
      return 0;
    }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool ok = i + 1 < args.size();
    try {
      bool bad = false;
      if (TakeConnectionFlag(args, i, o.connection, bad)) {
        ok = !bad;
      } else if (!ok) {
      } else if (a == "--watch") o.dir = args[++i];
      else if (a == "--profile") o.profile = args[++i];
      else if (a == "--station") o.station = args[++i];
      else if (a == "--operator") o.op = args[++i];
      else if (a == "--category") o.category = args[++i];
      else if (a == "--settle") o.settle = std::stod(args[++i]);
      else if (a == "--idle-close") o.idle_close = std::stod(args[++i]);
      else if (a == "--until-idle") o.until_idle = std::stod(args[++i]);
      else if (a == "--screen") o.screen = args[++i];
      else ok = false;
    } catch (const std::exception&) {
      ok = false;
    }
    if (!ok) {
      std::cerr << kWatchUsage;
      return 2;
    }
  }
  if (o.dir.empty() || o.connection.server.empty() || o.profile.empty() || o.settle < 0 ||
      o.idle_close <= 0 || o.until_idle < 0) {
    std::cerr << kWatchUsage;
    return 2;
  }
  // The server would refuse every batch: said once, here, not retried forever.
  for (auto [flag, value] : {std::pair{"--profile", &o.profile}, {"--station", &o.station},
                             {"--operator", &o.op}, {"--category", &o.category}})
    if (std::string problem = IdProblem(flag, *value); !problem.empty()) {
      std::cerr << "scangate scan --watch: " << problem << "\n";
      return 2;
    }
  if (!o.screen.empty()) {
    Expected<ScreenAddress> screen = ParseScreenAddress(o.screen);
    if (!screen.ok()) {
      std::cerr << "scangate scan --watch: " << screen.error().message << "\n";
      return 2;
    }
    if (!screen.value().loopback)
      std::cerr << "scangate scan --watch: the counter screen on " << screen.value().address
                << " shows page images to anyone who reaches that address: keep it on the "
                   "counter's own network\n";
    o.screen = screen.value().address;
  }
  // Signals are taken between pages, never in the middle of one; blocked
  // before gRPC starts its threads, so that they inherit the mask.
  BlockTerminationSignals();
  Expected<std::shared_ptr<grpc::Channel>> channel = OpenChannel(o.connection);
  if (!channel.ok()) {
    std::cerr << "scangate scan --watch: " << channel.error().message << "\n";
    return 2;
  }
  o.channel = std::move(channel.value());
  return RunStation(std::move(o));
}


}  // namespace scangate::cli
