// See access.h.
#include "access.h"

#include <google/protobuf/text_format.h>
#include <grpc/grpc_security_constants.h>

#include <algorithm>
#include <fstream>
#include <span>
#include <sstream>

#include "judge.h"

namespace scangate {

bool AccessControl::Load(const std::string& path, AccessControl& out, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = path + ": cannot be read";
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  v1::AccessConfig config;
  if (!google::protobuf::TextFormat::ParseFromString(text.str(), &config)) {
    error = path + ": not a valid access file (scangate.v1.AccessConfig in text format)";
    return false;
  }
  AccessControl access;
  access.enabled_ = true;
  for (const v1::AccessClient& c : config.clients()) {
    std::size_t index = access.clients_.size();
    if (c.name().empty() || c.roles().empty() ||
        (c.certificate_common_name().empty() && c.token_sha256().empty())) {
      error = path + ": client " + std::to_string(index) +
              " needs a name, roles and a certificate_common_name or token_sha256";
      return false;
    }
    if (!c.token_sha256().empty() && c.token_sha256().size() != 64) {
      error = path + ": client '" + c.name() + "': token_sha256 must be 64 hex digits";
      return false;
    }
    access.clients_.push_back(c);
    if (!c.certificate_common_name().empty())
      access.by_common_name_[c.certificate_common_name()] = index;
    if (!c.token_sha256().empty()) access.by_token_hash_[c.token_sha256()] = index;
  }
  out = std::move(access);
  return true;
}

const v1::AccessClient* AccessControl::Identify(const grpc::ServerContextBase& context) const {
  // A bearer token first: it names the caller even over a shared TLS proxy.
  const auto& metadata = context.client_metadata();
  auto auth = metadata.find("authorization");
  if (auth != metadata.end()) {
    std::string value(auth->second.data(), auth->second.size());
    const std::string prefix = "Bearer ";
    if (value.rfind(prefix, 0) == 0) {
      std::string token = value.substr(prefix.size());
      std::string hash = Sha256Hex(std::span(reinterpret_cast<const std::uint8_t*>(token.data()), token.size()));
      auto it = by_token_hash_.find(hash);
      if (it != by_token_hash_.end()) return &clients_[it->second];
    }
  }
  // The certificate was verified against the client CA by the TLS layer.
  auto auth_context = context.auth_context();
  if (auth_context && auth_context->IsPeerAuthenticated()) {
    for (const auto& cn : auth_context->FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME)) {
      auto it = by_common_name_.find(std::string(cn.data(), cn.size()));
      if (it != by_common_name_.end()) return &clients_[it->second];
    }
  }
  return nullptr;
}

grpc::Status AccessControl::Check(const grpc::ServerContextBase& context, v1::Role needed_a,
                                  v1::Role needed_b, const char* what) const {
  if (!enabled_) return grpc::Status::OK;
  const v1::AccessClient* client = Identify(context);
  if (!client)
    return {grpc::StatusCode::UNAUTHENTICATED,
            std::string(what) + ": present a client certificate or a bearer token the server knows"};
  for (int role : client->roles())
    if (role == needed_a || role == needed_b) return grpc::Status::OK;
  return {grpc::StatusCode::PERMISSION_DENIED,
          std::string(what) + ": '" + client->name() + "' may not do this (needs the " +
              v1::Role_Name(needed_a) +
              (needed_b != needed_a ? " or " + v1::Role_Name(needed_b) : std::string()) + " role)"};
}

}  // namespace scangate
