// Who may do what: roles per call, identity from the client certificate's
// common name (mutual TLS) or a bearer token checked against its hash.
//
// Identity: a call that carries an `authorization` header is identified by
// it alone: it must be "Bearer TOKEN" with a token whose SHA-256 the access
// file holds, or the call is UNAUTHENTICATED (a wrong token is never
// overlooked in favour of the certificate). A call without one is identified
// by its client certificate's common name; gRPC has already verified the
// certificate against --tls-client-ca. One identity per call, never a union
// of the two.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "scangate/v1/access.pb.h"

namespace scangate {

class AccessControl {
 public:
  // Everyone may do everything: plaintext loopback development only.
  AccessControl() = default;
  // Loads an AccessConfig text file; the error says "FILE:LINE:COL: ..." or
  // "FILE: client 'NAME': ...".
  static Expected<AccessControl> Load(const std::string& path);

  bool enabled() const { return enabled_; }
  std::size_t client_count() const { return clients_.size(); }
  // OK, or UNAUTHENTICATED (no known identity) or PERMISSION_DENIED (known,
  // but not in a role allowed `what`), with a message naming the call.
  grpc::Status Check(const grpc::ServerContextBase& context, v1::Role needed_a,
                     v1::Role needed_b, const char* what) const;
  grpc::Status Check(const grpc::ServerContextBase& context, v1::Role needed,
                     const char* what) const {
    return Check(context, needed, needed, what);
  }

  // Whether the caller holds `role`: without access control every caller
  // holds every role; an unknown caller none.
  bool Holds(const grpc::ServerContextBase& context, v1::Role role) const;
  // The caller's name in the access file; empty without access control or
  // for a caller the server does not know.
  std::string CallerName(const grpc::ServerContextBase& context) const;

  // Whom quotas count a call against: the client's name in the access file;
  // without access control (plaintext loopback), its connection (peer
  // address and port), so that one connection cannot take every stream.
  std::string ClientKey(const grpc::ServerContextBase& context) const;

 private:
  // The caller, or null with the reason in `why`.
  const v1::AccessClient* Identify(const grpc::ServerContextBase& context,
                                   std::string& why) const;

  bool enabled_ = false;
  std::vector<v1::AccessClient> clients_;
  std::map<std::string, std::size_t> by_common_name_;
  std::map<std::string, std::size_t> by_token_hash_;  // lower-case hex
};

}  // namespace scangate
