// The gRPC channel the clients open to a server.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace scangate::cli {

// Largest message: a 600-dpi A4 colour page plus its envelope.
constexpr int kMaxMessage = (128 << 20) + (1 << 20);

inline std::shared_ptr<grpc::Channel> OpenChannel(const std::string& server) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessage);
  args.SetMaxSendMessageSize(kMaxMessage);
  return grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(), args);
}

}  // namespace scangate::cli
