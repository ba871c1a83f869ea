// See postgres.h.
#include "tests/support/postgres.h"

#include <fcntl.h>
#include <glob.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace scangate::testing {
namespace {

namespace fs = std::filesystem;

// The newest installed server's bin folder, or "".
std::string BinDir() {
  glob_t g{};
  std::string found;
  if (::glob("/usr/lib/postgresql/*/bin/postgres", 0, nullptr, &g) == 0)
    for (std::size_t i = 0; i < g.gl_pathc; ++i)  // sorted: the last is newest
      found = fs::path(g.gl_pathv[i]).parent_path().string();
  ::globfree(&g);
  return found;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// Who the server runs as: `postgres` when we are root, else ourselves.
struct Identity {
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  bool switch_user = false;
};

Identity ServerIdentity(std::string& error) {
  Identity id;
  if (::geteuid() != 0) return id;
  const passwd* pw = ::getpwnam("postgres");
  if (!pw) {
    error = "running as root and there is no `postgres` user to run PostgreSQL as";
    return id;
  }
  id.uid = pw->pw_uid;
  id.gid = pw->pw_gid;
  id.switch_user = true;
  return id;
}

// Forks a child that becomes `who`, sends its output to `log` and runs argv.
pid_t SpawnAs(const Identity& who, const std::vector<std::string>& argv, const std::string& log,
             bool die_with_parent) {
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  if (who.switch_user && (::setgid(who.gid) != 0 || ::setuid(who.uid) != 0)) ::_exit(126);
  // After the change of user, which clears it: a test that dies takes its
  // server with it (SIGQUIT: PostgreSQL's immediate shutdown).
  if (die_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (::getppid() != parent) ::_exit(0);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

std::string AdminConninfo(int port, const std::string& db) {
  return "host=127.0.0.1 port=" + std::to_string(port) + " user=scangate dbname=" + db +
         " connect_timeout=10";
}

}  // namespace

PostgresServer::PostgresServer() { started_ = Start(); }

bool PostgresServer::Start() {
  const std::string bin = BinDir();
  if (bin.empty()) {
    error_ = "no PostgreSQL server under /usr/lib/postgresql (Debian's postgresql package)";
    return false;
  }
  const Identity who = ServerIdentity(error_);
  if (!error_.empty()) return false;
  char name[] = "/tmp/scangate-pg-XXXXXX";
  if (!::mkdtemp(name)) {
    error_ = "cannot make a temporary folder";
    return false;
  }
  dir_ = name;
  if (who.switch_user && ::chown(dir_.c_str(), who.uid, who.gid) != 0) {
    error_ = "cannot hand " + dir_ + " to the postgres user";
    return false;
  }
  const std::string data = dir_ + "/data", log = dir_ + "/postgres.log";
  pid_t init = SpawnAs(who,
                      {bin + "/initdb", "-D", data, "-U", "scangate", "-A", "trust", "-E", "UTF8",
                       "--no-instructions", "--no-sync"},
                      log, false);
  int status = 0;
  ::waitpid(init, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    error_ = "initdb failed:\n" + Log();
    return false;
  }
  port_ = FreePort();
  return Launch();
}

bool PostgresServer::Launch() {
  const std::string bin = BinDir();
  const Identity who = ServerIdentity(error_);
  pid_ = SpawnAs(
      who,
      {bin + "/postgres", "-D", dir_ + "/data", "-p", std::to_string(port_), "-k", dir_, "-c",
       "listen_addresses=127.0.0.1"},
      dir_ + "/postgres.log", true);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "postgres exited:\n" + Log();
      return false;
    }
    if (PQping(AdminConninfo(port_, "postgres").c_str()) == PQPING_OK) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  error_ = "postgres did not accept connections within 60 s:\n" + Log();
  return false;
}

PostgresServer::~PostgresServer() {
  Stop();
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

bool PostgresServer::Restart() {
  Stop();
  return Launch();
}

void PostgresServer::Stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGINT);  // fast shutdown
    int status = 0;
    for (int i = 0; i < 200 && ::waitpid(pid_, &status, WNOHANG) != pid_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (::kill(pid_, 0) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
}

std::string PostgresServer::CreateDatabase(const std::string& name) {
  PGconn* conn = PQconnectdb(AdminConninfo(port_, "postgres").c_str());
  std::string uri;
  if (PQstatus(conn) != CONNECTION_OK) {
    error_ = PQerrorMessage(conn);
  } else {
    PGresult* r = PQexec(conn, ("CREATE DATABASE \"" + name + "\"").c_str());
    if (PQresultStatus(r) == PGRES_COMMAND_OK)
      uri = "postgresql://scangate@127.0.0.1:" + std::to_string(port_) + "/" + name;
    else
      error_ = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(conn);
  return uri;
}

std::string PostgresServer::Log() const {
  std::ifstream in(dir_ + "/postgres.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace scangate::testing
