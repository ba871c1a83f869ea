// See access.h.
#include "server/access.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <grpc/grpc_security_constants.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <span>
#include <sstream>

#include "common/sha256.h"
#include "server/log.h"
#include "wire/text_format_errors.h"

namespace scangate {
namespace {

bool IsHex64(const std::string& s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

std::string Lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool StartsWithIgnoringCase(const std::string& s, const std::string& prefix) {
  return s.size() >= prefix.size() && Lower(s.substr(0, prefix.size())) == Lower(prefix);
}

}  // namespace

Expected<AccessControl> AccessControl::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Error{path + ": cannot be read"};
  }
  std::stringstream text;
  text << in.rdbuf();
  google::protobuf::TextFormat::Parser parser;
  FirstTextFormatError errors(path);
  parser.RecordErrorsTo(&errors);
  v1::AccessConfig config;
  if (!parser.ParseFromString(text.str(), &config)) {
    return Error{errors.first().empty()
                     ? path + ": not a valid access file (scangate.v1.AccessConfig in text format)"
                     : errors.first()};
  }
  AccessControl access;
  access.enabled_ = true;
  for (v1::AccessClient c : config.clients()) {
    const std::size_t index = access.clients_.size();
    const std::string who = path + ": client " +
                            (c.name().empty() ? "#" + std::to_string(index + 1)
                                              : "'" + c.name() + "'");
    if (c.name().empty()) {
      return Error{who + ": name: required"};
    }
    if (c.roles().empty()) {
      return Error{who + ": roles: at least one of STATION, BRANCH, ARCHIVE, ADMIN"};
    }
    for (int role : c.roles())
      if (role == v1::ROLE_UNSPECIFIED) {
        return Error{who + ": roles: ROLE_UNSPECIFIED is not a role"};
      }
    if (c.certificate_common_name().empty() && c.token_sha256().empty()) {
      return Error{who + ": needs a certificate_common_name or a token_sha256"};
    }
    if (!c.token_sha256().empty()) {
      if (!IsHex64(c.token_sha256())) {
        return Error{who + ": token_sha256: must be 64 hex digits (the token's SHA-256)"};
      }
      c.set_token_sha256(Lower(c.token_sha256()));
      if (access.by_token_hash_.count(c.token_sha256())) {
        return Error{who + ": token_sha256: another client has the same token"};
      }
      access.by_token_hash_[c.token_sha256()] = index;
    }
    if (!c.certificate_common_name().empty()) {
      if (access.by_common_name_.count(c.certificate_common_name())) {
        return Error{who + ": certificate_common_name: '" + c.certificate_common_name() +
                     "' names another client too"};
      }
      access.by_common_name_[c.certificate_common_name()] = index;
    }
    access.clients_.push_back(std::move(c));
  }
  return access;
}

bool AccessControl::Holds(const grpc::ServerContextBase& context, v1::Role role) const {
  if (!enabled_) return true;
  std::string why;
  const v1::AccessClient* client = Identify(context, why);
  if (!client) return false;
  for (int r : client->roles())
    if (r == role) return true;
  return false;
}

std::string AccessControl::CallerName(const grpc::ServerContextBase& context) const {
  std::string why;
  if (!enabled_) return {};
  const v1::AccessClient* client = Identify(context, why);
  return client ? client->name() : std::string();
}

std::string AccessControl::ClientKey(const grpc::ServerContextBase& context) const {
  std::string why;
  if (enabled_)
    if (const v1::AccessClient* client = Identify(context, why)) return "client " + client->name();
  return "connection " + context.peer();
}

const v1::AccessClient* AccessControl::Identify(const grpc::ServerContextBase& context,
                                                std::string& why) const {
  // A bearer token, when the call carries one, is the only identity looked
  // at: a wrong token fails the call even on a connection with a good
  // certificate.
  const auto& metadata = context.client_metadata();
  auto auth = metadata.find("authorization");
  if (auth != metadata.end()) {
    std::string value(auth->second.data(), auth->second.size());
    const std::string scheme = "Bearer ";
    if (!StartsWithIgnoringCase(value, scheme)) {
      why = "the authorization header is not \"Bearer TOKEN\"";
      return nullptr;
    }
    std::string token = value.substr(scheme.size());
    std::string hash = Sha256Hex(token);
    auto it = by_token_hash_.find(hash);
    if (it == by_token_hash_.end()) {
      why = "the bearer token is not known to the server";
      return nullptr;
    }
    return &clients_[it->second];
  }
  // The certificate was verified against the client CA by the TLS layer
  // (the server asks for client certificates only with verification).
  auto auth_context = context.auth_context();
  if (auth_context && auth_context->IsPeerAuthenticated()) {
    for (const auto& cn : auth_context->FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME)) {
      auto it = by_common_name_.find(std::string(cn.data(), cn.size()));
      if (it != by_common_name_.end()) return &clients_[it->second];
    }
    why = "the client certificate's common name is not in the access file";
    return nullptr;
  }
  why = "present a client certificate or a bearer token the server knows";
  return nullptr;
}

grpc::Status AccessControl::Check(const grpc::ServerContextBase& context, v1::Role needed_a,
                                  v1::Role needed_b, const char* what) const {
  if (!enabled_) return grpc::Status::OK;
  std::string why;
  const v1::AccessClient* client = Identify(context, why);
  if (!client) {
    // Who it was is unknown: the peer's address and why, never the token.
    log::Warn("access_unauthenticated", {{"call", what}, {"peer", context.peer()}, {"why", why}});
    return {grpc::StatusCode::UNAUTHENTICATED, std::string(what) + ": " + why};
  }
  for (int role : client->roles())
    if (role == needed_a || role == needed_b) return grpc::Status::OK;
  const std::string needs =
      v1::Role_Name(needed_a) + (needed_b != needed_a ? "," + v1::Role_Name(needed_b) : std::string());
  log::Warn("access_denied", {{"client", client->name()}, {"call", what}, {"needs", needs}});
  return {grpc::StatusCode::PERMISSION_DENIED,
          std::string(what) + ": '" + client->name() + "' may not do this (needs the " +
              v1::Role_Name(needed_a) +
              (needed_b != needed_a ? " or " + v1::Role_Name(needed_b) : std::string()) + " role)"};
}

}  // namespace scangate
