// See channel.h.
#include "channel.h"

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

}  // namespace

bool TakeConnectionFlag(const std::vector<std::string>& args, std::size_t& i, Connection& c,
                        bool& bad) {
  const std::string& a = args[i];
  std::string* into = a == "--server"       ? &c.server
                      : a == "--tls-ca"     ? &c.tls_ca
                      : a == "--tls-cert"   ? &c.tls_cert
                      : a == "--tls-key"    ? &c.tls_key
                      : a == "--token-file" ? &c.token_file
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
  if (c.plaintext) {
    if (!c.tls_ca.empty() || !c.tls_cert.empty() || !c.tls_key.empty() || !c.token_file.empty()) {
      error = "--plaintext cannot be combined with --tls-ca, --tls-cert, --tls-key or "
              "--token-file (a token is never sent without TLS)";
      return nullptr;
    }
    return grpc::CreateCustomChannel(c.server, grpc::InsecureChannelCredentials(), args);
  }
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
  return grpc::CreateCustomChannel(c.server, credentials, args);
}

}  // namespace scangate::cli
