// A running Scangate server: engine, service, health, reflection and, when
// asked for, the metrics port. Used by scangate-server's main and by tests
// that run the server in-process.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "common/result.h"
#include "server/dashboard.h"
#include "pipeline/engine.h"
#include "wire/profile_store.h"
#include "server/scan_service.h"
#include "server/ledger.h"
#include "wire/verdict_signature.h"

namespace scangate {

class ReflectionV1;

class MetricsHttpServer;
class ServerMetrics;

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";  // port 0: any free port
  // TLS for the gRPC port (see transport.h); null: plaintext, for tests that
  // run the server in-process. Who may do what is service.access.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  EngineOptions engine;
  ServiceOptions service;
  // Largest message accepted: an encoded page plus its envelope.
  int max_message_bytes = (128 << 20) + (1 << 20);
  // Where the ledger lives (ledger.sqlite3) unless `ledger` names it, and
  // the signing key's default place; empty keeps the ledger in memory (tests).
  std::string data_dir;
  // The ledger (see OpenLedger): postgresql://... or a SQLite file's path;
  // empty: DATA_DIR/ledger.sqlite3.
  std::string ledger;
  // Where /metrics and /dashboard are served (IP:PORT; port 0: any free
  // port); empty: no metrics are kept.
  std::string metrics_listen;
  DashboardOptions dashboard;
  // The Ed25519 key (PEM) that signs final batch verdicts, created there
  // (mode 0600, public key beside it as FILE.pub) when missing. Empty:
  // DATA_DIR/verdict-signing.key, or no signing when data_dir is empty too.
  std::string signing_key;
};

class ServerRunner {
 public:
  // Takes the profiles it will serve.
  ServerRunner(ServerOptions options, ProfileStore profiles);
  ~ServerRunner();

  // Opens the ledger, binds and starts serving; an error when the ledger
  // cannot be opened or an address is taken. Health reports NOT_SERVING
  // until the engine has judged a self-check page; that happens after Start
  // returns.
  Outcome Start();
  int port() const { return port_; }
  int metrics_port() const;  // 0 without metrics
  // The signing key in use (empty when verdicts are not signed): its id and
  // the file holding its public key.
  std::string signing_key_id() const;
  const std::string& public_key_path() const { return public_key_path_; }
  // True once health reports SERVING (the self-check passed), until Shutdown.
  bool serving();
  // Health NOT_SERVING, every open stream drained, then the server shut
  // down; waits at most `grace` for streams before cancelling them.
  void Shutdown(std::chrono::milliseconds grace);
  void Wait();
  ScangateService& service() { return *service_; }
  ServerMetrics* metrics() { return metrics_.get(); }  // null without metrics

 private:
  void OnSelfChecked(const std::vector<PageVerdict>& verdicts);
  void OnLedgerReachable(bool reachable);
  // SERVING once the self-check passed and while the ledger is reachable,
  // until Shutdown. Under health_mu_.
  void UpdateHealthLocked();

  ServerOptions options_;
  ProfileStore profiles_;
  std::unique_ptr<ServerMetrics> metrics_;  // before all that reports to it
  std::unique_ptr<VerdictSigner> signer_;
  std::string public_key_path_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ScangateService> service_;
  std::unique_ptr<ReflectionV1> reflection_v1_;  // grpc.reflection.v1 (reflection_v1.h)
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<MetricsHttpServer> metrics_http_;  // after all it reads from
  int port_ = 0;
  std::mutex health_mu_;  // the self-check, the ledger's reachability and Shutdown set health
  bool stopped_ = false;
  bool self_checked_ = false;  // the engine judged the self-check page
  bool ledger_reachable_ = true;
};

}  // namespace scangate
