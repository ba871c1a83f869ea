// See server_runner.h.
#include "server_runner.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <filesystem>
#include <thread>

namespace scangate {

constexpr const char* kServiceName = "scangate.v1.Scangate";

ServerRunner::ServerRunner(ServerOptions options, ProfileStore profiles)
    : options_(std::move(options)), profiles_(std::move(profiles)) {}

ServerRunner::~ServerRunner() { Shutdown(std::chrono::milliseconds(0)); }

bool ServerRunner::Start(std::string& error) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::string path = ":memory:";
  if (!options_.data_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options_.data_dir, ec);
    path = options_.data_dir + "/ledger.sqlite3";
  }
  ledger_ = SqliteLedger::Open(path, error);
  if (!ledger_) return false;
  engine_ = std::make_unique<Engine>(options_.engine);
  service_ = std::make_unique<ScangateService>(*engine_, profiles_, *ledger_, options_.service);

  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen, grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(service_.get());
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    error = "cannot listen on " + options_.listen;
    server_.reset();
    return false;
  }
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus(kServiceName, true);
  health->SetServingStatus("", true);
  return true;
}

void ServerRunner::Shutdown(std::chrono::milliseconds grace) {
  if (!server_ || stopped_) return;
  stopped_ = true;
  // Load balancers and stations see NOT_SERVING before anything else changes.
  server_->GetHealthCheckService()->SetServingStatus(false);
  service_->Drain();
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (service_->open_streams() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_->Wait();
  engine_->WaitIdle();
}

void ServerRunner::Wait() {
  if (server_) server_->Wait();
}

}  // namespace scangate
