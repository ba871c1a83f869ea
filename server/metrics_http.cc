// See metrics_http.h.
#include "server/metrics_http.h"

#include <CivetServer.h>
#include <prometheus/text_serializer.h>

#include <functional>

namespace scangate {
class MetricsHttpServer::Handler : public CivetHandler {
 public:
  // Returns the body; sets the content type.
  using Respond = std::function<std::string(std::string& content_type)>;
  explicit Handler(Respond respond) : respond_(std::move(respond)) {}

  bool handleGet(CivetServer*, mg_connection* conn) override {
    std::string content_type;
    std::string body = respond_(content_type);
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\n"
              "Content-Type: %s\r\n"
              "Content-Length: %zu\r\n"
              "Cache-Control: no-store\r\n"
              "Connection: close\r\n\r\n",
              content_type.c_str(), body.size());
    mg_write(conn, body.data(), body.size());
    return true;
  }

 private:
  Respond respond_;
};

MetricsHttpServer::MetricsHttpServer(ServerMetrics& metrics, DashboardOptions dashboard)
    : metrics_(metrics), dashboard_(dashboard) {}

MetricsHttpServer::~MetricsHttpServer() = default;

Outcome MetricsHttpServer::Start(const std::string& listen) {
  // civetweb takes IP addresses only.
  std::string address = listen;
  if (address.rfind("localhost:", 0) == 0) address = "127.0.0.1" + address.substr(9);
  metrics_handler_ = std::make_unique<Handler>([this](std::string& type) {
    type = "text/plain; version=0.0.4; charset=utf-8";
    return prometheus::TextSerializer().Serialize(metrics_.Collect());
  });
  page_handler_ = std::make_unique<Handler>([](std::string& type) {
    type = "text/html; charset=utf-8";
    return std::string(DashboardPage());
  });
  data_handler_ = std::make_unique<Handler>([this](std::string& type) {
    type = "application/json";
    return DashboardJson(metrics_, dashboard_);
  });
  root_handler_ = std::make_unique<Handler>([](std::string& type) {
    type = "text/html; charset=utf-8";
    return std::string(
        "<!doctype html><title>Scangate</title><a href=\"/dashboard\">dashboard</a> "
        "<a href=\"/metrics\">metrics</a>");
  });
  // Prometheus and a few wall screens are all it serves, but each
  // connection holds a thread until its request is in: threads to spare
  // for clients that connect and send nothing (a stuck scraper, a port
  // scan), and a request time short enough that they let go soon.
  auto listener = HttpListener::Start(address, kMetricsThreads, kMetricsRequestTimeoutMs, "metrics");
  if (!listener.ok()) return listener.error();
  listener_ = std::move(listener.value());
  // `$`: exact paths only, so /metricsfoo is a 404, not the metrics.
  listener_->Handle("/metrics$", *metrics_handler_);
  listener_->Handle("/dashboard$", *page_handler_);
  listener_->Handle("/dashboard/data$", *data_handler_);
  listener_->Handle("/$", *root_handler_);
  return Ok{};
}

}  // namespace scangate
