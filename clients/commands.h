// The subcommands of the `scangate` command line.
#pragma once

#include <string>
#include <vector>

namespace scangate::cli {

// `--help` or `-h` among a command's arguments: the command prints its usage
// to stdout and exits 0.
inline bool WantsHelp(const std::vector<std::string>& args) {
  for (const std::string& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

// Exit codes: 0 accepted, 1 rejected, 2 error.
int RunScan(const std::vector<std::string>& args);
// `scan --watch DIR`: the hot-folder station (watch_command.cc).
int RunWatch(const std::vector<std::string>& args);
int RunCheck(const std::vector<std::string>& args);
int RunVerdict(const std::vector<std::string>& args);
int RunFollow(const std::vector<std::string>& args);
int RunVerify(const std::vector<std::string>& args);
int RunReloadProfiles(const std::vector<std::string>& args);

}  // namespace scangate::cli
