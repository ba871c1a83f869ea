// grpc.reflection.v1 (grpcurl and other tools ask it first), answered from
// the protobuf descriptors linked into the server, beside the v1alpha
// service gRPC's plugin provides: Debian 12's libgrpc++_reflection (gRPC
// 1.51) has no v1 of its own.
#pragma once

#include <string>
#include <vector>

#include "grpc/reflection/v1/reflection.grpc.pb.h"

namespace scangate {

class ReflectionV1 final : public grpc::reflection::v1::ServerReflection::Service {
 public:
  // `services`: the full names list_services answers with.
  explicit ReflectionV1(std::vector<std::string> services) : services_(std::move(services)) {}

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::reflection::v1::ServerReflectionResponse,
                               grpc::reflection::v1::ServerReflectionRequest>* stream) override;

  // One request's answer; `sent` holds the files already sent on the
  // stream, which are not sent again.
  grpc::reflection::v1::ServerReflectionResponse Answer(
      const grpc::reflection::v1::ServerReflectionRequest& request,
      std::vector<std::string>& sent) const;

 private:
  const std::vector<std::string> services_;
};

}  // namespace scangate
