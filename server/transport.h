// How the gRPC port is secured, from scangate-server's flags.
//
// The rule: the server needs either TLS (--tls-cert and --tls-key, with
// --access naming who may do what) or an explicit --plaintext. Plaintext is
// for development on this machine: it listens only on a loopback address
// (127.0.0.0/8, [::1], localhost) or a unix socket, and every caller may do
// everything, so --plaintext refuses the TLS flags and --access. With
// --tls-client-ca, clients may present a certificate signed by that CA
// (mutual TLS); one from any other CA fails the handshake. Clients without
// a certificate can still connect and identify with a bearer token.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "common/result.h"
#include "server/access.h"

namespace scangate {

struct TransportFlags {
  std::string tls_cert;       // PEM: the server's certificate chain
  std::string tls_key;        // PEM: its private key
  std::string tls_client_ca;  // PEM: CA that signs client certificates
  std::string access;         // AccessConfig text file
  bool plaintext = false;
};

struct Transport {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  AccessControl access;
  std::string description;  // for the start-up line, e.g. "TLS, mutual TLS, 4 clients"
};

// True for 127.0.0.0/8, localhost, [::1] (with a port) and unix: sockets.
bool IsLoopbackAddress(const std::string& listen);

// The credentials and access rules for `listen`, or the error naming the
// flag that is missing, contradicts another or cannot be read.
Expected<Transport> ConfigureTransport(const TransportFlags& flags, const std::string& listen);

}  // namespace scangate
