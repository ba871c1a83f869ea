// See metrics_http.h.
#include "server/metrics_http.h"

#include <CivetServer.h>
#include <netdb.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

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

MetricsHttpServer::~MetricsHttpServer() {
  if (!civet_) return;
  // civetweb's accept loop sees its stop flag only between polls of up to
  // 2 s; knocking on the port wakes it, so a stop takes milliseconds.
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
  try {
    // Prometheus and a few wall screens are all it serves, but each
    // connection holds a thread until its request is in: threads to spare
    // for clients that connect and send nothing (a stuck scraper, a port
    // scan), and a request time short enough that they let go soon.
    civet_ = std::make_unique<CivetServer>(std::vector<std::string>{
        "listening_ports", address, "num_threads", std::to_string(kMetricsThreads),
        "request_timeout_ms", std::to_string(kMetricsRequestTimeoutMs)});
  } catch (const CivetException& e) {
    return Error{"cannot serve metrics on " + listen + ": " + e.what()};
  }
  std::vector<int> ports = civet_->getListeningPorts();
  if (ports.empty() || ports[0] <= 0) {
    civet_.reset();
    return Error{"cannot serve metrics on " + listen};
  }
  port_ = ports[0];
  // Where this host reaches the port, for the destructor's knock.
  std::string host = address.substr(0, address.rfind(':'));
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  knock_host_ = host.empty() || host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host;
  // `$`: exact paths only, so /metricsfoo is a 404, not the metrics.
  civet_->addHandler("/metrics$", *metrics_handler_);
  civet_->addHandler("/dashboard$", *page_handler_);
  civet_->addHandler("/dashboard/data$", *data_handler_);
  civet_->addHandler("/$", *root_handler_);
  return Ok{};
}

}  // namespace scangate
