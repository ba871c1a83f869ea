// scangate: the command-line client (station scanning, local checks).
#include <iostream>
#include <string>
#include <vector>

#include "clients/channel.h"
#include "clients/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cerr << "usage: scangate COMMAND ...\n"
                 "  scan     stream a batch to a server and show its verdicts\n"
                 "  check    judge files locally, no server (--json for tools)\n"
                 "  verdict  a batch's verdict from the server's ledger\n"
                 "  follow   write a manifest per final batch verdict into a folder\n"
                 "  verify   check a manifest's signature (and image files against it)\n"
                 "  reload-profiles\n"
                 "           the server reads its profiles folder again (admin)\n"
              << scangate::cli::kConnectionUsage;
    return args.empty() ? 2 : 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "scan") return scangate::cli::RunScan(args);
  if (command == "check") return scangate::cli::RunCheck(args);
  if (command == "verdict") return scangate::cli::RunVerdict(args);
  if (command == "follow") return scangate::cli::RunFollow(args);
  if (command == "verify") return scangate::cli::RunVerify(args);
  if (command == "reload-profiles") return scangate::cli::RunReloadProfiles(args);
  std::cerr << "scangate: unknown command '" << command << "'\n";
  return 2;
}
