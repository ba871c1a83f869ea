// See process.h.
#include "tests/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace scangate::testing {
namespace {

// `err_path`, unless empty, takes the program's stderr (appended).
pid_t Spawn(const std::vector<std::string>& argv, int& out_fd, const std::string& err_path = {}) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    if (!err_path.empty()) {
      const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (err >= 0) dup2(err, STDERR_FILENO);
    }
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  out_fd = pipe_fds[0];
  return pid;
}

// Reads what is available within `ms`; false at end of output.
bool ReadSome(int fd, std::string& into, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return true;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n <= 0) return false;
  into.append(buf, std::size_t(n));
  return true;
}

}  // namespace

std::string Built(const std::string& relative) {
  return std::string(SCANGATE_BINARY_DIR) + "/" + relative;
}

ServerProcess::ServerProcess(std::vector<std::string> args, std::string stderr_path)
    : stderr_path_(std::move(stderr_path)) {
  // Plaintext unless the test gives TLS flags: the server insists on one.
  bool tls = std::find(args.begin(), args.end(), "--tls-cert") != args.end();
  if (!tls) args.insert(args.begin(), "--plaintext");
  args.insert(args.begin(), {Built("server/scangate-server"), "--listen", "127.0.0.1:0"});
  pid_ = Spawn(args, out_fd_, stderr_path_);
  std::string out;
  const std::string marker = "listening on ";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!ReadSome(out_fd_, out, 100)) break;
    auto at = out.find(marker);
    auto end = at == std::string::npos ? at : out.find('\n', at);
    if (end != std::string::npos) {
      address_ = out.substr(at + marker.size(), end - at - marker.size());
      // Printed before the listening line, when metrics are on.
      const std::string metrics = "metrics on ";
      auto m = out.find(metrics);
      if (m != std::string::npos)
        metrics_address_ = out.substr(m + metrics.size(), out.find('\n', m) - m - metrics.size());
      return;
    }
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(SIGKILL);
  if (out_fd_ >= 0) close(out_fd_);
}

int ServerProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int status = 0;
  // Drain its output so it never blocks on a full pipe while stopping.
  std::string sink;
  while (waitpid(pid_, &status, WNOHANG) == 0) ReadSome(out_fd_, sink, 50);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

CommandResult Run(const std::vector<std::string>& argv, int timeout_seconds) {
  CommandResult result;
  int fd = -1;
  pid_t pid = Spawn(argv, fd);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  int status = 0;
  while (ReadSome(fd, result.out, 100)) {
    if (std::chrono::steady_clock::now() > deadline) kill(pid, SIGKILL);
  }
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  result.peak_rss_kib = usage.ru_maxrss;
  close(fd);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const std::string& log_path)
    : log_path_(log_path) {
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

BackgroundProcess::~BackgroundProcess() { Stop(SIGTERM, std::chrono::seconds(10)); }

std::string BackgroundProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string BackgroundProcess::WaitForLine(const std::string& marker, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string log = Log();
    auto at = log.find(marker);
    if (at != std::string::npos) {
      auto end = log.find('\n', at);
      if (end != std::string::npos) return log.substr(at + marker.size(), end - at - marker.size());
    }
    int status = 0;
    if (pid_ <= 0 || waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return "";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "";
}

int BackgroundProcess::Stop(int signal, std::chrono::seconds grace) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace scangate::testing

namespace scangate::testing {

std::string ServerProcess::ErrorLog() const {
  std::ifstream in(stderr_path_, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace scangate::testing
