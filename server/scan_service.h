// The gRPC front end: adapts the pipeline's engine to the Scangate service.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <map>

#include "engine.h"
#include "profile_store.h"
#include "scangate/v1/scangate.grpc.pb.h"

namespace scangate {

struct ServiceOptions {
  // Files of one stream being judged at once; at the bound the stream is not
  // read, so HTTP/2 flow control pushes back on the station.
  std::size_t max_in_flight_per_stream = 4;
  // One-shot checks waiting for the engine before CheckPage answers
  // RESOURCE_EXHAUSTED.
  std::size_t max_pending_checks = 64;
};

class ScanSessionCore;

class ScangateService final : public v1::Scangate::CallbackService {
 public:
  ScangateService(Engine& engine, const ProfileStore& profiles, ServiceOptions options);
  ~ScangateService() override;

  grpc::ServerBidiReactor<v1::ScanRequest, v1::ScanResponse>* Scan(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* CheckPage(grpc::CallbackServerContext* context,
                                      const v1::CheckPageRequest* request,
                                      v1::CheckPageResponse* response) override;
  grpc::ServerUnaryReactor* GetBatchVerdict(grpc::CallbackServerContext* context,
                                            const v1::GetBatchVerdictRequest* request,
                                            v1::BatchVerdict* response) override;
  grpc::ServerWriteReactor<v1::VerdictEvent>* WatchVerdicts(
      grpc::CallbackServerContext* context, const v1::WatchVerdictsRequest* request) override;
  grpc::ServerUnaryReactor* ListProfiles(grpc::CallbackServerContext* context,
                                         const v1::ListProfilesRequest* request,
                                         v1::ListProfilesResponse* response) override;

  // Stops reading every open stream: pages in flight get their verdicts, the
  // batch is reported incomplete, then the stream ends UNAVAILABLE. New
  // streams are refused. Returns at once.
  void Drain();
  std::size_t open_streams() const;

  // For sessions: registration while they live.
  void Register(const std::shared_ptr<ScanSessionCore>& session);
  void Unregister(const ScanSessionCore* session);
  Engine& engine() { return engine_; }
  const ProfileStore& profiles() const { return profiles_; }
  const ServiceOptions& options() const { return options_; }
  bool draining() const { return draining_.load(); }

 private:
  Engine& engine_;
  const ProfileStore& profiles_;
  ServiceOptions options_;
  std::atomic<bool> draining_{false};
  mutable std::mutex mu_;
  std::map<const ScanSessionCore*, std::weak_ptr<ScanSessionCore>> sessions_;
};

}  // namespace scangate
