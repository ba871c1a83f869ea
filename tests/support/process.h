// Real processes for tests: the built scangate-server (to kill -9 and
// restart) and the scangate command line, run as a user would.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace scangate::testing {

// Path of a built program, e.g. Built("server/scangate-server").
std::string Built(const std::string& relative);

class ServerProcess {
 public:
  // Starts scangate-server on 127.0.0.1:0 with `args` added and waits for it
  // to say where it listens. Fails the current test if it does not.
  explicit ServerProcess(std::vector<std::string> args);
  ~ServerProcess();  // SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& address() const { return address_; }
  bool started() const { return !address_.empty(); }
  // Sends `signal` and waits for the process; returns its exit status.
  int Stop(int signal);

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string address_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  long peak_rss_kib = 0;  // the program's maximum resident set
};

// Runs a program to completion, capturing stdout (stderr goes to the test log).
CommandResult Run(const std::vector<std::string>& argv, int timeout_seconds = 120);

}  // namespace scangate::testing
