// Real processes for tests: the built scangate-server (to kill -9 and
// restart) and the scangate command line, run as a user would.
#pragma once

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace scangate::testing {

// Path of a built program, e.g. Built("server/scangate-server").
std::string Built(const std::string& relative);

class ServerProcess {
 public:
  // Starts scangate-server on 127.0.0.1:0 with `args` added (and
  // --plaintext unless they hold --tls-cert) and waits for it to say where
  // it listens. started() is false if it does not.
  // With `stderr_path`, its stderr (the event log) goes to that file.
  explicit ServerProcess(std::vector<std::string> args, std::string stderr_path = {});
  ~ServerProcess();  // SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& address() const { return address_; }
  // Where /metrics is served, when started with --metrics-listen.
  const std::string& metrics_address() const { return metrics_address_; }
  bool started() const { return !address_.empty(); }
  pid_t pid() const { return pid_; }
  // Sends `signal` and waits for the process; returns its exit status.
  int Stop(int signal);
  // What it wrote to stderr so far (started with a stderr_path).
  std::string ErrorLog() const;

 private:
  std::string stderr_path_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string address_;
  std::string metrics_address_;
};

// A program left running (Prometheus, a browser) with its stdout and stderr
// in a log file. Stopped with SIGTERM, then SIGKILL, when destroyed.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // Waits until a line of the log holds `marker` and returns what follows it
  // on that line; empty if it does not come within `timeout` or the program
  // exits.
  std::string WaitForLine(const std::string& marker, std::chrono::seconds timeout);
  // Sends `signal`, waits up to `grace`, then SIGKILL; returns the exit status.
  int Stop(int signal = 15, std::chrono::seconds grace = std::chrono::seconds(10));
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  long peak_rss_kib = 0;  // the program's maximum resident set
};

// Runs a program to completion, capturing stdout (stderr goes to the test log).
CommandResult Run(const std::vector<std::string>& argv, int timeout_seconds = 120);

}  // namespace scangate::testing
