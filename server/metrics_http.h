// The metrics port: /metrics for Prometheus, /dashboard and /dashboard/data
// for a wall screen. civetweb directly, since prometheus::Exposer serves
// /metrics only and cannot take another handler.
#pragma once

#include <memory>
#include <string>

#include "common/http_listener.h"
#include "common/result.h"
#include "server/dashboard.h"
#include "server/metrics.h"

namespace scangate {

// civetweb's worker threads: each connection holds one until its request
// is in, so clients that connect and send nothing take one each.
inline constexpr int kMetricsThreads = 16;
// How long a connection may take over its request (and over the answer)
// before civetweb drops it and frees its thread.
inline constexpr int kMetricsRequestTimeoutMs = 2000;

class MetricsHttpServer {
 public:
  MetricsHttpServer(ServerMetrics& metrics, DashboardOptions dashboard);
  ~MetricsHttpServer();  // stops serving; handlers in progress finish first
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // Binds `listen` (IP:PORT, or [IPv6]:PORT; port 0 picks a free one) and
  // serves; the error says why it cannot.
  Outcome Start(const std::string& listen);
  int port() const { return listener_ ? listener_->port() : 0; }

 private:
  class Handler;
  ServerMetrics& metrics_;
  DashboardOptions dashboard_;
  std::unique_ptr<Handler> metrics_handler_, page_handler_, data_handler_, root_handler_;
  std::unique_ptr<HttpListener> listener_;  // last: stops before the handlers go
};

}  // namespace scangate
