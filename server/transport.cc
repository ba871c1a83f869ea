// See transport.h.
#include "server/transport.h"

#include <grpc/grpc_security_constants.h>

#include <fstream>
#include <sstream>

namespace scangate {
namespace {

Expected<std::string> ReadPem(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  std::string pem = text.str();
  if (!in || pem.empty()) return Error{flag + " " + path + ": cannot be read"};
  if (pem.find("-----BEGIN ") == std::string::npos) return Error{flag + " " + path + ": not a PEM file"};
  return pem;
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

Expected<Transport> ConfigureTransport(const TransportFlags& flags, const std::string& listen) {
  const bool any_tls = !flags.tls_cert.empty() || !flags.tls_key.empty() ||
                       !flags.tls_client_ca.empty();
  Transport out;
  if (flags.plaintext) {
    if (any_tls || !flags.access.empty())
      return Error{"--plaintext serves everyone without TLS: it cannot be combined with "
                   "--tls-cert, --tls-key, --tls-client-ca or --access"};
    if (!IsLoopbackAddress(listen))
      return Error{"--plaintext listens on a loopback address only (127.0.0.1, [::1], "
                   "localhost), not " + listen + ": use --tls-cert and --tls-key for anything else"};
    out.credentials = grpc::InsecureServerCredentials();
    out.access = AccessControl();
    out.description = "plaintext, no access control";
    return out;
  }
  if (flags.tls_cert.empty() || flags.tls_key.empty())
    return Error{any_tls || !flags.access.empty()
                     ? "TLS needs both --tls-cert and --tls-key"
                     : "give --tls-cert FILE --tls-key FILE --access FILE (or --plaintext for "
                       "development on a loopback address)"};
  if (flags.access.empty())
    return Error{"TLS needs --access FILE: who may do what (a TLS server open to every caller "
                 "is not offered)"};
  Expected<std::string> key = ReadPem("--tls-key", flags.tls_key);
  if (!key.ok()) return key.error();
  Expected<std::string> cert = ReadPem("--tls-cert", flags.tls_cert);
  if (!cert.ok()) return cert.error();
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  pair.private_key = std::move(key.value());
  pair.cert_chain = std::move(cert.value());
  // Client certificates are asked for but not required, so token callers
  // (branch systems) need none; one that is presented must verify.
  grpc::SslServerCredentialsOptions options(
      flags.tls_client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                  : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!flags.tls_client_ca.empty()) {
    Expected<std::string> ca = ReadPem("--tls-client-ca", flags.tls_client_ca);
    if (!ca.ok()) return ca.error();
    options.pem_root_certs = std::move(ca.value());
  }
  options.pem_key_cert_pairs.push_back(std::move(pair));
  Expected<AccessControl> access = AccessControl::Load(flags.access);
  if (!access.ok()) return access.error();
  out.access = std::move(access.value());
  out.credentials = grpc::SslServerCredentials(options);
  out.description = std::string("TLS") + (flags.tls_client_ca.empty() ? "" : ", mutual TLS") +
                    ", " + std::to_string(out.access.client_count()) + " clients in " +
                    flags.access;
  return out;
}

}  // namespace scangate
