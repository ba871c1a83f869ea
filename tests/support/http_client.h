// A tiny HTTP/1.0 client for tests: GET from the metrics port, Prometheus's
// API. Enough for 127.0.0.1 and plain responses; nothing more.
#pragma once

#include <string>

namespace scangate::testing {

struct HttpResponse {
  int status = 0;  // 0: no answer (refused, timed out, garbled)
  std::string content_type;
  std::string body;
};

// GET http://ADDRESS/TARGET, where ADDRESS is IP:PORT and TARGET starts
// with '/' and may carry a query.
HttpResponse HttpGet(const std::string& address, const std::string& target, int timeout_ms = 5000);

// Percent-encodes everything but unreserved characters (for query values).
std::string UrlEncode(const std::string& text);

}  // namespace scangate::testing
