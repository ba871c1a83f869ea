// A running Scangate server: engine, service, health and reflection. Used by
// scangate-server's main and by tests that run the server in-process.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "engine.h"
#include "profile_store.h"
#include "scan_service.h"
#include "sqlite_ledger.h"

namespace scangate {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";  // port 0: any free port
  EngineOptions engine;
  ServiceOptions service;
  // Largest message accepted: an encoded page plus its envelope.
  int max_message_bytes = (128 << 20) + (1 << 20);
  // Where the ledger lives (ledger.sqlite3); empty keeps it in memory (tests).
  std::string data_dir;
};

class ServerRunner {
 public:
  // Takes the profiles it will serve.
  ServerRunner(ServerOptions options, ProfileStore profiles);
  ~ServerRunner();

  // Opens the ledger, binds and starts serving. False (with `error`) when
  // the ledger cannot be opened or the address is taken.
  bool Start(std::string& error);
  int port() const { return port_; }
  // Health NOT_SERVING, every open stream drained, then the server shut
  // down; waits at most `grace` for streams before cancelling them.
  void Shutdown(std::chrono::milliseconds grace);
  void Wait();
  ScangateService& service() { return *service_; }

 private:
  ServerOptions options_;
  ProfileStore profiles_;
  std::unique_ptr<SqliteLedger> ledger_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ScangateService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace scangate
