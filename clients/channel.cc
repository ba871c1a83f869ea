// See channel.h.
#include "clients/channel.h"

#include <arpa/inet.h>

#include <fstream>
#include <sstream>

namespace scangate::cli {
namespace {

bool ReadText(const std::string& flag, const std::string& path, std::string& out,
              std::string& error) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  out = text.str();
  if (!in || out.empty()) {
    error = flag + " " + path + ": cannot be read";
    return false;
  }
  return true;
}

bool IsIPv4(const std::string& host) {
  in_addr a;
  return inet_pton(AF_INET, host.c_str(), &a) == 1;
}

// HOST:PORT, [V6]:PORT, a gRPC target URI (dns:///..., ipv4:..., unix:...),
// or a comma-separated list of IP addresses with ports, which becomes one
// ipv4:/ipv6: target that round_robin balances over.
bool Target(const std::string& server, std::string& target, std::string& error) {
  if (server.find(',') == std::string::npos) {
    target = server;
    return true;
  }
  std::string v4, v6;
  std::stringstream list(server);
  for (std::string item; std::getline(list, item, ',');) {
    const std::size_t colon = item.rfind(':');
    const std::string host = colon == std::string::npos ? "" : item.substr(0, colon);
    const bool port_ok = colon != std::string::npos && colon + 1 < item.size() &&
                         item.find_first_not_of("0123456789", colon + 1) == std::string::npos;
    in6_addr a6;
    if (port_ok && IsIPv4(host)) {
      v4 += (v4.empty() ? "" : ",") + item;
    } else if (port_ok && host.size() > 2 && host.front() == '[' && host.back() == ']' &&
               inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a6) == 1) {
      v6 += (v6.empty() ? "" : ",") + item;
    } else {
      error = "--server " + server + ": '" + item +
              "' is not IP:PORT; a list takes IP addresses (IPv4 or [IPv6]), or give one DNS "
              "name that resolves to every server (dns:///NAME:PORT)";
      return false;
    }
  }
  if (!v4.empty() && !v6.empty()) {
    error = "--server " + server + ": a list is all IPv4 or all IPv6";
    return false;
  }
  target = v4.empty() ? "ipv6:" + v6 : "ipv4:" + v4;
  return true;
}

}  // namespace

bool TakeConnectionFlag(const std::vector<std::string>& args, std::size_t& i, Connection& c,
                        bool& bad) {
  const std::string& a = args[i];
  std::string* into = a == "--server"       ? &c.server
                      : a == "--tls-ca"     ? &c.tls_ca
                      : a == "--tls-cert"   ? &c.tls_cert
                      : a == "--tls-key"    ? &c.tls_key
                      : a == "--token-file" ? &c.token_file
                      : a == "--tls-server-name" ? &c.tls_server_name
                                            : nullptr;
  if (a == "--plaintext") {
    c.plaintext = true;
    return true;
  }
  if (!into) return false;
  if (i + 1 >= args.size()) {
    bad = true;
    return true;
  }
  *into = args[++i];
  return true;
}

std::shared_ptr<grpc::Channel> OpenChannel(const Connection& c, std::string& error) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessage);
  args.SetMaxSendMessageSize(kMaxMessage);
  // Every call goes to the next server that is up, among all the addresses
  // of the list or of the DNS name; a server that goes away is skipped.
  args.SetLoadBalancingPolicyName("round_robin");
  std::string target;
  if (!Target(c.server, target, error)) return nullptr;
  if (c.plaintext) {
    if (!c.tls_ca.empty() || !c.tls_cert.empty() || !c.tls_key.empty() || !c.token_file.empty() ||
        !c.tls_server_name.empty()) {
      error = "--plaintext cannot be combined with --tls-ca, --tls-cert, --tls-key, "
              "--tls-server-name or --token-file (a token is never sent without TLS)";
      return nullptr;
    }
    return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  }
  if (!c.tls_server_name.empty()) args.SetSslTargetNameOverride(c.tls_server_name);
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    error = "--tls-cert and --tls-key go together";
    return nullptr;
  }
  grpc::SslCredentialsOptions ssl;
  if (!c.tls_ca.empty() && !ReadText("--tls-ca", c.tls_ca, ssl.pem_root_certs, error))
    return nullptr;
  if (!c.tls_cert.empty() && (!ReadText("--tls-cert", c.tls_cert, ssl.pem_cert_chain, error) ||
                              !ReadText("--tls-key", c.tls_key, ssl.pem_private_key, error)))
    return nullptr;
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(ssl);
  if (!c.token_file.empty()) {
    std::string token;
    if (!ReadText("--token-file", c.token_file, token, error)) return nullptr;
    token = token.substr(0, token.find_first_of("\r\n"));
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.pop_back();
    if (token.empty()) {
      error = "--token-file " + c.token_file + ": the first line is empty";
      return nullptr;
    }
    // Sent as "authorization: Bearer TOKEN" on every call of the channel.
    credentials =
        grpc::CompositeChannelCredentials(credentials, grpc::AccessTokenCredentials(token));
  }
  return grpc::CreateCustomChannel(target, credentials, args);
}

}  // namespace scangate::cli
