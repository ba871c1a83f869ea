// See transport.h.
#include "server/transport.h"

#include <grpc/grpc_security_constants.h>

#include <fstream>
#include <sstream>

namespace scangate {
namespace {

bool ReadPem(const std::string& flag, const std::string& path, std::string& out,
             std::string& error) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  out = text.str();
  if (!in || out.empty()) {
    error = flag + " " + path + ": cannot be read";
    return false;
  }
  if (out.find("-----BEGIN ") == std::string::npos) {
    error = flag + " " + path + ": not a PEM file";
    return false;
  }
  return true;
}

}  // namespace

bool IsLoopbackAddress(const std::string& listen) {
  if (listen.rfind("unix:", 0) == 0 || listen.rfind("unix-abstract:", 0) == 0) return true;
  std::string host = listen;
  if (host.rfind("ipv4:", 0) == 0) host = host.substr(5);
  else if (host.rfind("ipv6:", 0) == 0) host = host.substr(5);
  auto colon = host.rfind(':');
  if (colon == std::string::npos) return false;
  host = host.substr(0, colon);
  if (host == "localhost" || host == "[::1]") return true;
  // 127.0.0.0/8, written as a dotted quad.
  if (host.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

bool ConfigureTransport(const TransportFlags& flags, const std::string& listen, Transport& out,
                        std::string& error) {
  const bool any_tls = !flags.tls_cert.empty() || !flags.tls_key.empty() ||
                       !flags.tls_client_ca.empty();
  if (flags.plaintext) {
    if (any_tls || !flags.access.empty()) {
      error = "--plaintext serves everyone without TLS: it cannot be combined with --tls-cert, "
              "--tls-key, --tls-client-ca or --access";
      return false;
    }
    if (!IsLoopbackAddress(listen)) {
      error = "--plaintext listens on a loopback address only (127.0.0.1, [::1], localhost), "
              "not " + listen + ": use --tls-cert and --tls-key for anything else";
      return false;
    }
    out.credentials = grpc::InsecureServerCredentials();
    out.access = AccessControl();
    out.description = "plaintext, no access control";
    return true;
  }
  if (flags.tls_cert.empty() || flags.tls_key.empty()) {
    error = any_tls || !flags.access.empty()
                ? "TLS needs both --tls-cert and --tls-key"
                : "give --tls-cert FILE --tls-key FILE --access FILE (or --plaintext for "
                  "development on a loopback address)";
    return false;
  }
  if (flags.access.empty()) {
    error = "TLS needs --access FILE: who may do what (a TLS server open to every caller "
            "is not offered)";
    return false;
  }
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  if (!ReadPem("--tls-key", flags.tls_key, pair.private_key, error) ||
      !ReadPem("--tls-cert", flags.tls_cert, pair.cert_chain, error))
    return false;
  // Client certificates are asked for but not required, so token callers
  // (branch systems) need none; one that is presented must verify.
  grpc::SslServerCredentialsOptions options(
      flags.tls_client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                  : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!flags.tls_client_ca.empty() &&
      !ReadPem("--tls-client-ca", flags.tls_client_ca, options.pem_root_certs, error))
    return false;
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (!AccessControl::Load(flags.access, out.access, error)) return false;
  out.credentials = grpc::SslServerCredentials(options);
  out.description = std::string("TLS") + (flags.tls_client_ca.empty() ? "" : ", mutual TLS") +
                    ", " + std::to_string(out.access.client_count()) + " clients in " +
                    flags.access;
  return true;
}

}  // namespace scangate
