// A civetweb listener that stops at once: the metrics port and the counter
// screen both serve through one. civetweb's accept loop sees its stop flag
// only between polls of up to 2 s; closing knocks on the port until the
// loop has seen it, so a stop takes milliseconds.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"

class CivetHandler;
class CivetServer;

namespace scangate {

class HttpListener {
 public:
  // Binds `address` (numeric IP:PORT or [IPv6]:PORT; port 0 picks a free
  // one) with `threads` worker threads, each connection dropped after
  // `request_timeout_ms` over its request. `what` names the service in the
  // error ("metrics", "the counter screen").
  static Expected<std::unique_ptr<HttpListener>> Start(const std::string& address, int threads,
                                                       int request_timeout_ms,
                                                       const std::string& what);
  ~HttpListener();  // stops serving; handlers in progress finish first
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Serves `uri_pattern` (civetweb's: "/metrics$" is that path alone) with
  // `handler`, which must outlive the listener.
  void Handle(const std::string& uri_pattern, CivetHandler& handler);
  int port() const { return port_; }

 private:
  HttpListener() = default;
  std::unique_ptr<CivetServer> civet_;
  int port_ = 0;
  std::string knock_host_;  // where this host reaches the port
};

}  // namespace scangate
