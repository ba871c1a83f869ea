// A real PostgreSQL server for tests: Debian's postgresql binaries, a fresh
// cluster in a temporary folder, listening on 127.0.0.1 at a free port and
// stopped (and its folder removed) when the object goes. As root, which
// PostgreSQL refuses to run as, it runs as the `postgres` user.
#pragma once

#include <sys/types.h>

#include <string>

namespace scangate::testing {

class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // False (with error()) when the binaries are missing or it did not start.
  bool started() const { return started_; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  // A new, empty database; returns its URI (postgresql://...), or "" with
  // error() set.
  std::string CreateDatabase(const std::string& name);
  // The server's log, for a failing test's output.
  std::string Log() const;
  // Stops the server (fast shutdown), as an outage; Restart starts it again
  // on the same port and data. False (with error()) when it does not come up.
  void Stop();
  bool Restart();

 private:
  bool Start();
  bool Launch();

  std::string dir_;
  std::string error_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool started_ = false;
};

}  // namespace scangate::testing
