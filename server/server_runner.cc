// See server_runner.h.
#include "server/server_runner.h"

#include "server/log.h"
#include "server/reflection_v1.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "server/metrics.h"
#include "server/metrics_http.h"
#include "server/self_check.h"

namespace scangate {

constexpr const char* kServiceName = "scangate.v1.Scangate";

ServerRunner::ServerRunner(ServerOptions options, ProfileStore profiles)
    : options_(std::move(options)), profiles_(std::move(profiles)) {}

ServerRunner::~ServerRunner() { Shutdown(std::chrono::milliseconds(0)); }

Outcome ServerRunner::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  if (!options_.metrics_listen.empty()) {
    metrics_ = std::make_unique<ServerMetrics>();
    options_.engine.on_judge_start = [m = metrics_.get()](double s) { m->EngineWaited(s); };
  }
  std::string where = options_.ledger.empty() ? ":memory:" : options_.ledger;
  if (!options_.data_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options_.data_dir, ec);
    if (options_.ledger.empty()) where = options_.data_dir + "/ledger.sqlite3";
  }
  Expected<std::unique_ptr<Ledger>> ledger = OpenLedger(where);
  if (!ledger.ok()) return ledger.error();
  ledger_ = std::move(ledger.value());
  std::string key_path = options_.signing_key;
  if (key_path.empty() && !options_.data_dir.empty())
    key_path = options_.data_dir + "/verdict-signing.key";
  if (!key_path.empty()) {
    Expected<std::unique_ptr<VerdictSigner>> signer = VerdictSigner::LoadOrCreate(key_path);
    if (!signer.ok()) return signer.error();
    signer_ = std::move(signer.value());
    public_key_path_ = key_path + ".pub";
    // A key brought from elsewhere may come without its public half: the
    // archive needs it to verify, so it is always beside the key.
    if (!std::filesystem::exists(public_key_path_)) {
      std::ofstream(public_key_path_) << signer_->public_key_pem();
      if (!std::filesystem::exists(public_key_path_))
        return Error{public_key_path_ + ": cannot write the public key"};
    }
    options_.service.signer = signer_.get();
  }
  engine_ = std::make_unique<Engine>(options_.engine);
  options_.service.max_message_bytes =
      std::min(options_.service.max_message_bytes, std::size_t(options_.max_message_bytes));
  service_ = std::make_unique<ScangateService>(*engine_, profiles_, *ledger_, options_.service,
                                               metrics_.get());
  if (metrics_) {
    ledger_->SetCommitObserver([m = metrics_.get()](double s) { m->LedgerCommitted(s); });
    metrics_->ReadGaugesFrom([this] { return service_->open_streams(); },
                             [this] { return service_->open_followers(); },
                             [this] { return engine_->in_flight(); });
    metrics_http_ = std::make_unique<MetricsHttpServer>(*metrics_, options_.dashboard);
    if (Outcome serving = metrics_http_->Start(options_.metrics_listen); !serving.ok()) {
      metrics_http_.reset();
      return serving;
    }
  }

  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen,
                           options_.credentials ? options_.credentials
                                                : grpc::InsecureServerCredentials(),
                           &port_);
  builder.RegisterService(service_.get());
  // v1 beside the plugin's v1alpha: the services this server has, both
  // reflection versions included.
  reflection_v1_ = std::make_unique<ReflectionV1>(std::vector<std::string>{
      kServiceName, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection"});
  builder.RegisterService(reflection_v1_.get());
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    return Error{"cannot listen on " + options_.listen};
  }
  // The default health service starts with the server SERVING: say
  // NOT_SERVING before anything else, until the self-check has passed.
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus("", false);
  health->SetServingStatus(kServiceName, false);
  ledger_->SetReachabilityListener([this](bool reachable) { OnLedgerReachable(reachable); });
  engine_->Submit({SelfCheckPage(), "self-check", profiles_.Find("default")},
                  [this](PageJob&, std::vector<PageVerdict> verdicts) { OnSelfChecked(verdicts); });
  return Ok{};
}

void ServerRunner::OnSelfChecked(const std::vector<PageVerdict>& verdicts) {
  std::lock_guard lock(health_mu_);
  if (stopped_) return;
  if (verdicts.empty() || !verdicts[0].error.empty()) {
    // Stays NOT_SERVING: a server that cannot judge a known page must not
    // be sent stations.
    log::Error("self_check_failed", {{"error", verdicts.empty() ? "no verdict" : verdicts[0].error}});
    return;
  }
  self_checked_ = true;
  UpdateHealthLocked();
}

void ServerRunner::OnLedgerReachable(bool reachable) {
  std::lock_guard lock(health_mu_);
  if (reachable != ledger_reachable_) {
    if (reachable) log::Info("ledger_reachable", {{"ledger", options_.ledger.empty() ? "sqlite" : "shared"}});
    else log::Error("ledger_unavailable", {{"ledger", options_.ledger.empty() ? "sqlite" : "shared"}});
  }
  ledger_reachable_ = reachable;
  UpdateHealthLocked();
}

void ServerRunner::UpdateHealthLocked() {
  if (!server_ || stopped_) return;
  // Without its ledger a server can record nothing: stations and load
  // balancers are told to go elsewhere until it is back.
  const bool serving = self_checked_ && ledger_reachable_;
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus(kServiceName, serving);
  health->SetServingStatus("", serving);
  if (metrics_)
    metrics_->SetState(serving             ? ServingState::kServing
                       : ledger_reachable_ ? ServingState::kStarting
                                           : ServingState::kNoLedger);
}

void ServerRunner::Shutdown(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(health_mu_);
    if (!server_ || stopped_) return;
    stopped_ = true;
    // Load balancers and stations see NOT_SERVING before anything else changes.
    server_->GetHealthCheckService()->SetServingStatus(false);
    if (metrics_) metrics_->SetState(ServingState::kDraining);
  }
  service_->Drain();
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (service_->open_streams() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_->Wait();
  engine_->WaitIdle();
}

bool ServerRunner::serving() {
  std::lock_guard lock(health_mu_);
  return !stopped_ && self_checked_ && ledger_reachable_;
}

std::string ServerRunner::signing_key_id() const { return signer_ ? signer_->key_id() : ""; }

int ServerRunner::metrics_port() const { return metrics_http_ ? metrics_http_->port() : 0; }

void ServerRunner::Wait() {
  if (server_) server_->Wait();
}

}  // namespace scangate
