// scangate: the command-line client (station scanning, local checks).
#include <iostream>
#include <string>
#include <vector>

#include "clients/channel.h"
#include "clients/commands.h"
#include "common/version.h"

namespace {

const std::string kUsage =
    std::string("usage: scangate COMMAND ... (scangate COMMAND --help for each)\n"
                "       scangate --version\n"
                "  scan     stream a batch to a server and show its verdicts\n"
                "           (scan --watch DIR: the hot-folder station)\n"
                "  check    judge files locally, no server (--json for tools)\n"
                "  verdict  a batch's verdict from the server's ledger\n"
                "  follow   write a manifest per final batch verdict into a folder\n"
                "  verify   check a manifest's signature (and image files against it)\n"
                "  reload-profiles\n"
                "           the server reads its profiles folder again (admin)\n") +
    scangate::cli::kConnectionUsage;

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (args[0] == "--version") {
    std::cout << scangate::VersionLine("scangate") << "\n";
    return 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "scan") return scangate::cli::RunScan(args);
  if (command == "check") return scangate::cli::RunCheck(args);
  if (command == "verdict") return scangate::cli::RunVerdict(args);
  if (command == "follow") return scangate::cli::RunFollow(args);
  if (command == "verify") return scangate::cli::RunVerify(args);
  if (command == "reload-profiles") return scangate::cli::RunReloadProfiles(args);
  std::cerr << "scangate: unknown command '" << command << "'\n" << kUsage;
  return 2;
}
