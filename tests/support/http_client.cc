// See http_client.h.
#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>

namespace scangate::testing {
namespace {

// Waits for `events` on `fd` until `deadline`; false on timeout.
bool WaitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
  if (left <= 0) return false;
  pollfd p{fd, events, 0};
  return poll(&p, 1, int(left)) > 0;
}

}  // namespace

HttpResponse HttpGet(const std::string& address, const std::string& target, int timeout_ms) {
  HttpResponse response;
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return response;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(std::uint16_t(std::stoi(address.substr(colon + 1))));
  if (inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr) != 1) return response;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);

  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return response;
  std::string raw;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string request =
        "GET " + target + " HTTP/1.0\r\nHost: " + address + "\r\nConnection: close\r\n\r\n";
    bool sent = send(fd, request.data(), request.size(), MSG_NOSIGNAL) == ssize_t(request.size());
    char buf[16384];
    while (sent && WaitFor(fd, POLLIN, deadline)) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      raw.append(buf, std::size_t(n));
    }
  }
  close(fd);

  auto header_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || header_end == std::string::npos) return response;
  if (std::sscanf(raw.c_str(), "HTTP/1.%*d %d", &response.status) != 1) response.status = 0;
  std::string headers = raw.substr(0, header_end);
  for (char& c : headers) c = char(std::tolower(static_cast<unsigned char>(c)));
  auto type = headers.find("\r\ncontent-type:");
  if (type != std::string::npos) {
    auto start = raw.find_first_not_of(' ', type + 15);
    response.content_type = raw.substr(start, raw.find("\r\n", start) - start);
  }
  response.body = raw.substr(header_end + 4);
  return response;
}

std::string UrlEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

}  // namespace scangate::testing
