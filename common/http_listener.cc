// See http_listener.h.
#include "common/http_listener.h"

#include <CivetServer.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace scangate {
namespace {

// Opens and closes one connection to host:port (numeric host).
void Knock(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return;
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    connect(fd, found->ai_addr, found->ai_addrlen);
    close(fd);
  }
  freeaddrinfo(found);
}

}  // namespace

Expected<std::unique_ptr<HttpListener>> HttpListener::Start(const std::string& address,
                                                            int threads, int request_timeout_ms,
                                                            const std::string& what) {
  std::unique_ptr<HttpListener> listener(new HttpListener);
  try {
    listener->civet_ = std::make_unique<CivetServer>(std::vector<std::string>{
        "listening_ports", address, "num_threads", std::to_string(threads), "request_timeout_ms",
        std::to_string(request_timeout_ms)});
  } catch (const CivetException& e) {
    return Error{"cannot serve " + what + " on " + address + ": " + e.what()};
  }
  const std::vector<int> ports = listener->civet_->getListeningPorts();
  if (ports.empty() || ports[0] <= 0) {
    listener->civet_.reset();
    return Error{"cannot serve " + what + " on " + address};
  }
  listener->port_ = ports[0];
  std::string host = address.substr(0, address.rfind(':'));
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  listener->knock_host_ = host.empty() || host == "0.0.0.0" ? "127.0.0.1"
                          : host == "::"                    ? "::1"
                                                            : host;
  return listener;
}

HttpListener::~HttpListener() {
  if (!civet_) return;
  std::atomic<bool> closed{false};
  std::thread knocker([&] {
    while (!closed) {
      Knock(knock_host_, port_);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  civet_->close();
  closed = true;
  knocker.join();
}

void HttpListener::Handle(const std::string& uri_pattern, CivetHandler& handler) {
  civet_->addHandler(uri_pattern, handler);
}

}  // namespace scangate
