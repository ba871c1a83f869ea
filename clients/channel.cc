// See channel.h.
#include "clients/channel.h"

#include <arpa/inet.h>

#include <fstream>
#include <sstream>

namespace scangate::cli {
namespace {

Expected<std::string> ReadText(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  std::string out = text.str();
  if (!in || out.empty()) return Error{flag + " " + path + ": cannot be read"};
  return out;
}

bool IsIPv4(const std::string& host) {
  in_addr a;
  return inet_pton(AF_INET, host.c_str(), &a) == 1;
}

// HOST:PORT, [V6]:PORT, a gRPC target URI (dns:///..., ipv4:..., unix:...),
// or a comma-separated list of IP addresses with ports, which becomes one
// ipv4:/ipv6: target that round_robin balances over.
Expected<std::string> Target(const std::string& server) {
  if (server.find(',') == std::string::npos) return server;
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
      return Error{"--server " + server + ": '" + item +
                   "' is not IP:PORT; a list takes IP addresses (IPv4 or [IPv6]), or give one "
                   "DNS name that resolves to every server (dns:///NAME:PORT)"};
    }
  }
  if (!v4.empty() && !v6.empty()) return Error{"--server " + server + ": a list is all IPv4 or all IPv6"};
  return v4.empty() ? "ipv6:" + v6 : "ipv4:" + v4;
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

Expected<std::shared_ptr<grpc::Channel>> OpenChannel(const Connection& c) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessage);
  args.SetMaxSendMessageSize(kMaxMessage);
  // Every call goes to the next server that is up, among all the addresses
  // of the list or of the DNS name; a server that goes away is skipped.
  args.SetLoadBalancingPolicyName("round_robin");
  Expected<std::string> target = Target(c.server);
  if (!target.ok()) return target.error();
  if (c.plaintext) {
    if (!c.tls_ca.empty() || !c.tls_cert.empty() || !c.tls_key.empty() || !c.token_file.empty() ||
        !c.tls_server_name.empty())
      return Error{"--plaintext cannot be combined with --tls-ca, --tls-cert, --tls-key, "
                   "--tls-server-name or --token-file (a token is never sent without TLS)"};
    return grpc::CreateCustomChannel(target.value(), grpc::InsecureChannelCredentials(), args);
  }
  if (!c.tls_server_name.empty()) args.SetSslTargetNameOverride(c.tls_server_name);
  if (c.tls_cert.empty() != c.tls_key.empty()) return Error{"--tls-cert and --tls-key go together"};
  grpc::SslCredentialsOptions ssl;
  // Each file the connection names, read into its place.
  auto read = [](const char* flag, const std::string& path, std::string& into) -> Outcome {
    Expected<std::string> text = ReadText(flag, path);
    if (!text.ok()) return text.error();
    into = std::move(text.value());
    return Ok{};
  };
  if (!c.tls_ca.empty())
    if (Outcome read_ca = read("--tls-ca", c.tls_ca, ssl.pem_root_certs); !read_ca.ok())
      return read_ca.error();
  if (!c.tls_cert.empty()) {
    if (Outcome read_cert = read("--tls-cert", c.tls_cert, ssl.pem_cert_chain); !read_cert.ok())
      return read_cert.error();
    if (Outcome read_key = read("--tls-key", c.tls_key, ssl.pem_private_key); !read_key.ok())
      return read_key.error();
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(ssl);
  if (!c.token_file.empty()) {
    std::string token;
    if (Outcome read_token = read("--token-file", c.token_file, token); !read_token.ok())
      return read_token.error();
    token = token.substr(0, token.find_first_of("\r\n"));
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.pop_back();
    if (token.empty()) return Error{"--token-file " + c.token_file + ": the first line is empty"};
    // Sent as "authorization: Bearer TOKEN" on every call of the channel.
    credentials =
        grpc::CompositeChannelCredentials(credentials, grpc::AccessTokenCredentials(token));
  }
  return grpc::CreateCustomChannel(target.value(), credentials, args);
}

}  // namespace scangate::cli
