// The gRPC channel the clients open to a server, and the flags that say how.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace scangate::cli {

// Largest message: a 600-dpi A4 colour page plus its envelope.
constexpr int kMaxMessage = (128 << 20) + (1 << 20);

// TLS unless --plaintext: the server is checked against --tls-ca (or the
// system's roots without it); --tls-cert/--tls-key present a client
// certificate (mutual TLS); --token-file sends "authorization: Bearer TOKEN"
// on every call, over TLS only.
struct Connection {
  std::string server;
  std::string tls_ca, tls_cert, tls_key, token_file, tls_server_name;
  bool plaintext = false;
};

constexpr const char* kConnectionUsage =
    "connection (every command that talks to a server):\n"
    "  --server HOST:PORT   the scangate-server; several servers: IP:PORT,IP:PORT,...\n"
    "                       or dns:///NAME:PORT for a name with one address each;\n"
    "                       each call goes to the next server that is up (round_robin)\n"
    "  --tls-ca FILE        PEM CA that signed the server's certificate\n"
    "                       (default: the system's roots)\n"
    "  --tls-cert FILE --tls-key FILE\n"
    "                       this client's certificate and key (mutual TLS)\n"
    "  --token-file FILE    bearer token (first line of FILE), sent over TLS only\n"
    "  --tls-server-name N  the name the servers' certificates carry, when --server\n"
    "                       is a list of addresses or an address without that name\n"
    "  --plaintext          no TLS: a server started with --plaintext\n";

// When args[i] is one of the flags above, takes it (and its value, moving i)
// and returns true; `bad` is set when its value is missing.
bool TakeConnectionFlag(const std::vector<std::string>& args, std::size_t& i, Connection& c,
                        bool& bad);

// The channel, or null with `error` (contradicting flags, unreadable files).
Expected<std::shared_ptr<grpc::Channel>> OpenChannel(const Connection& c);

}  // namespace scangate::cli
