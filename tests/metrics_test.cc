// The metrics port of an in-process server (port 0): after a batch streams
// through, /metrics holds every promised series with the right values, named
// by Prometheus conventions with labels only from fixed sets; the dashboard
// and its data are served beside them. Also the recent-history arithmetic the
// dashboard shows.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "server/recent_pages.h"
#include "scangate/v1/scangate.grpc.pb.h"
#include "server/server_runner.h"
#include "tests/support/http_client.h"

namespace scangate {
namespace {

using testing::HttpGet;

std::string TextPagePng(int seed) {
  cv::Mat page(1100, 850, CV_8UC1, cv::Scalar(255));  // Letter at 100 dpi
  for (int y = 80; y < 1000; y += 30)
    cv::putText(page, "Line " + std::to_string(seed) + " of an archived application form", {60, y},
                cv::FONT_HERSHEY_SIMPLEX, 0.7, cv::Scalar(0), 2);
  std::vector<std::uint8_t> buf;
  cv::imencode(".png", page, buf);
  return std::string(buf.begin(), buf.end());
}

// "name{labels}" -> value, from the text exposition format.
std::map<std::string, double> Samples(const std::string& exposition) {
  std::map<std::string, double> samples;
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

// Lets a test hold pages in the engine: files whose name starts with
// "hold" wait until Release().
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void Release() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
  JudgeFn Judge() {
    return [this](std::span<const std::uint8_t> bytes, const std::string& source,
                  const Profile& profile, const JudgeOptions& options) {
      if (source.rfind("hold", 0) == 0) {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return open; });
      }
      return JudgeFile(bytes, source, profile, options);
    };
  }
};

class MetricsPort : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.metrics_listen = "127.0.0.1:0";
    options.engine.threads = 2;
    options.engine.judge_fn = gate_.Judge();
    options.service.max_in_flight_per_stream = 2;
    options.dashboard.stations = 3;
    options.dashboard.latency_target_seconds = 0.3;
    server_ = std::make_unique<ServerRunner>(options, ProfileStore());
    Outcome started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    ASSERT_GT(server_->metrics_port(), 0);
    metrics_address_ = "127.0.0.1:" + std::to_string(server_->metrics_port());
    stub_ = v1::Scangate::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
    // Serving: the self-check page has left the engine.
    ASSERT_EQ(ScrapeUntil("scangate_serving", 1)["scangate_serving"], 1);
  }
  void TearDown() override {
    gate_.Release();
    server_->Shutdown(std::chrono::seconds(5));
  }

  std::map<std::string, double> Scrape() {
    testing::HttpResponse r = HttpGet(metrics_address_, "/metrics");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type.rfind("text/plain; version=0.0.4", 0), 0u) << r.content_type;
    return Samples(r.body);
  }

  // Scrapes until `series` shows `value` (a gauge the server updates just
  // after the client saw its call end), for at most 5 s.
  std::map<std::string, double> ScrapeUntil(const std::string& series, double value) {
    std::map<std::string, double> m = Scrape();
    for (int i = 0; i < 100 && m[series] != value; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      m = Scrape();
    }
    return m;
  }

  // Streams one batch: 8 pages, page 3 truncated, page 5 not an image.
  // Returns the bytes sent.
  std::size_t StreamBatch() {
    grpc::ClientContext ctx;
    auto stream = stub_->Scan(&ctx);
    v1::ScanRequest open;
    open.mutable_open()->set_batch_id("batch-metrics-7781");
    open.mutable_open()->set_profile("default");
    EXPECT_TRUE(stream->Write(open));
    std::size_t bytes_sent = 0;
    for (int i = 0; i < 8; ++i) {
      std::string bytes = TextPagePng(i);
      if (i == 3) bytes = bytes.substr(0, bytes.size() / 2);
      if (i == 5) bytes = "garbage, not an image";
      bytes_sent += bytes.size();
      v1::ScanRequest page;
      page.mutable_page()->set_content(bytes);
      page.mutable_page()->set_file_name("scan-file-" + std::to_string(i) + ".png");
      EXPECT_TRUE(stream->Write(page));
    }
    v1::ScanRequest close;
    close.mutable_close();
    EXPECT_TRUE(stream->Write(close));
    stream->WritesDone();
    v1::ScanResponse response;
    while (stream->Read(&response)) {
    }
    EXPECT_TRUE(stream->Finish().ok());
    return bytes_sent;
  }

  Gate gate_;
  std::unique_ptr<ServerRunner> server_;
  std::string metrics_address_;
  std::unique_ptr<v1::Scangate::Stub> stub_;
};

TEST_F(MetricsPort, ABatchStreamedThroughShowsInEveryMetric) {
  std::size_t bytes_sent = StreamBatch();
  auto m = ScrapeUntil("scangate_open_streams", 0);

  EXPECT_EQ(m["scangate_pages_total{decision=\"accept\"}"] +
                m["scangate_pages_total{decision=\"reject\"}"],
            8);
  EXPECT_GE(m["scangate_pages_total{decision=\"reject\"}"], 2);
  EXPECT_EQ(m["scangate_page_rejects_total{reason=\"decode_error\"}"], 2);
  EXPECT_EQ(m["scangate_decode_errors_total{kind=\"truncated\"}"] +
                m["scangate_decode_errors_total{kind=\"corrupt\"}"],
            1);
  EXPECT_EQ(m["scangate_decode_errors_total{kind=\"unsupported\"}"], 1);
  EXPECT_EQ(m["scangate_batches_total{decision=\"reject\"}"], 1);
  EXPECT_EQ(m["scangate_batches_total{decision=\"accept\"}"], 0);
  EXPECT_EQ(m["scangate_batch_rejects_total{reason=\"decode_error\"}"], 1);
  // Each check ran on the six pages that decoded.
  for (const char* check : {"decode", "resolution", "ink", "skew", "blank", "blur", "barcode"})
    EXPECT_EQ(m[std::string("scangate_check_duration_seconds_count{check=\"") + check + "\"}"], 6)
        << check;
  EXPECT_GT(m["scangate_check_duration_seconds_sum{check=\"decode\"}"], 0);
  EXPECT_EQ(m["scangate_page_latency_seconds_count"], 8);
  EXPECT_GT(m["scangate_page_latency_seconds_sum"], 0);
  EXPECT_EQ(m["scangate_page_latency_seconds_bucket{le=\"+Inf\"}"], 8);
  // The latency target (250 ms by default) is a bucket edge: pages within it
  // are counted, not interpolated.
  EXPECT_EQ(m.count("scangate_page_latency_seconds_bucket{le=\"0.25\"}"), 1u);
  EXPECT_GE(m["scangate_engine_wait_seconds_count"], 8);  // and the self-check page
  EXPECT_GE(m["scangate_ledger_commit_seconds_count"], 1);
  EXPECT_EQ(m["scangate_received_bytes_total"], double(bytes_sent));
  EXPECT_EQ(m["scangate_open_streams"], 0);
  EXPECT_EQ(m["scangate_pages_in_flight"], 0);
}

TEST_F(MetricsPort, OneShotChecksAreCountedToo) {
  v1::CheckPageRequest request;
  request.set_profile("default");
  request.mutable_page()->set_content(TextPagePng(1));
  request.mutable_page()->set_file_name("one-shot.png");
  v1::CheckPageResponse response;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub_->CheckPage(&ctx, request, &response).ok());
  auto m = Scrape();
  EXPECT_EQ(m["scangate_pages_total{decision=\"accept\"}"] +
                m["scangate_pages_total{decision=\"reject\"}"],
            1);
  EXPECT_EQ(m["scangate_page_latency_seconds_count"], 1);
  EXPECT_EQ(m["scangate_received_bytes_total"], double(request.page().content().size()));
}

TEST_F(MetricsPort, GaugesShowAStreamWithPagesInTheEngine) {
  grpc::ClientContext ctx;
  auto stream = stub_->Scan(&ctx);
  v1::ScanRequest open;
  open.mutable_open()->set_profile("default");
  ASSERT_TRUE(stream->Write(open));
  for (int i = 0; i < 2; ++i) {
    v1::ScanRequest page;
    page.mutable_page()->set_content(TextPagePng(i));
    page.mutable_page()->set_file_name("hold-" + std::to_string(i) + ".png");
    ASSERT_TRUE(stream->Write(page));
  }
  std::map<std::string, double> m;
  for (int i = 0; i < 100 && m["scangate_pages_in_flight"] < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    m = Scrape();
  }
  EXPECT_EQ(m["scangate_open_streams"], 1);
  EXPECT_EQ(m["scangate_pages_in_flight"], 2);

  gate_.Release();
  stream->WritesDone();
  v1::ScanResponse response;
  while (stream->Read(&response)) {
  }
  stream->Finish();
  m = ScrapeUntil("scangate_open_streams", 0);
  EXPECT_EQ(m["scangate_open_streams"], 0);
  EXPECT_EQ(m["scangate_pages_in_flight"], 0);
}

TEST_F(MetricsPort, NamesFollowPrometheusConventionsAndLabelsComeFromFixedSets) {
  StreamBatch();
  testing::HttpResponse r = HttpGet(metrics_address_, "/metrics");
  ASSERT_EQ(r.status, 200);
  std::istringstream lines(r.body);
  std::string line;
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  std::regex type_line(R"(# TYPE (\S+) (\S+))"), help_line(R"(# HELP (\S+) .+)");
  std::regex label(R"re(([a-z_]+)="([^"]*)")re");
  std::set<std::string> label_names;
  while (std::getline(lines, line)) {
    std::smatch match;
    if (std::regex_match(line, match, type_line)) types[match[1]] = match[2];
    if (std::regex_match(line, match, help_line)) helped.insert(match[1]);
    if (line.empty() || line[0] == '#') continue;
    for (std::sregex_iterator it(line.begin(), line.end(), label), end; it != end; ++it) {
      label_names.insert((*it)[1]);
      // Never a batch id or a file name.
      EXPECT_EQ((*it)[2].str().find("batch-metrics"), std::string::npos) << line;
      EXPECT_EQ((*it)[2].str().find("scan-file"), std::string::npos) << line;
    }
  }
  std::set<std::string> expected = {"scangate_pages_total",
                                    "scangate_page_rejects_total",
                                    "scangate_batches_total",
                                    "scangate_batch_rejects_total",
                                    "scangate_check_duration_seconds",
                                    "scangate_page_latency_seconds",
                                    "scangate_decode_errors_total",
                                    "scangate_received_bytes_total",
                                    "scangate_pages_in_flight",
                                    "scangate_open_streams",
                                    "scangate_engine_wait_seconds",
                                    "scangate_ledger_commit_seconds",
                                    "scangate_serving"};
  for (const std::string& name : expected) EXPECT_TRUE(types.count(name)) << name;
  for (const auto& [name, type] : types) {
    EXPECT_EQ(name.rfind("scangate_", 0), 0u) << name;
    EXPECT_TRUE(helped.count(name)) << name << " has no HELP";
    bool total = name.size() > 6 && name.substr(name.size() - 6) == "_total";
    EXPECT_EQ(total, type == "counter") << name << ": _total on counters only";
    if (type == "histogram") {
      EXPECT_EQ(name.substr(name.size() - 8), "_seconds") << name << ": durations in seconds";
    }
  }
  EXPECT_EQ(label_names, (std::set<std::string>{"decision", "reason", "kind", "check", "le"}));
}

TEST_F(MetricsPort, DashboardIsSelfContainedAndItsDataFollowsTheMetrics) {
  StreamBatch();
  ScrapeUntil("scangate_open_streams", 0);
  testing::HttpResponse page = HttpGet(metrics_address_, "/dashboard");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type.rfind("text/html", 0), 0u);
  EXPECT_NE(page.body.find("<script>"), std::string::npos);
  // The counter network has no internet: nothing may load from elsewhere.
  EXPECT_EQ(page.body.find("http://"), std::string::npos);
  EXPECT_EQ(page.body.find("https://"), std::string::npos);
  EXPECT_EQ(page.body.find(" src="), std::string::npos);
  EXPECT_EQ(page.body.find("<link"), std::string::npos);

  testing::HttpResponse data = HttpGet(metrics_address_, "/dashboard/data");
  ASSERT_EQ(data.status, 200);
  EXPECT_EQ(data.content_type, "application/json");
  google::protobuf::Struct json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(data.body, &json).ok()) << data.body;
  const auto& f = json.fields();
  const auto& pages = f.at("pages").struct_value().fields();
  EXPECT_EQ(pages.at("accept").number_value() + pages.at("reject").number_value(), 8);
  EXPECT_EQ(f.at("page_rejects").struct_value().fields().at("decode_error").number_value(), 2);
  EXPECT_EQ(f.at("recent").struct_value().fields().at("judged").number_value(), 8);
  EXPECT_GT(f.at("pages_per_minute").number_value(), 0);
  EXPECT_EQ(f.at("line_rate").struct_value().fields().at("pages_per_minute").number_value(),
            3 * 140);
  // The dashboard colours latency against the target the server was given.
  EXPECT_DOUBLE_EQ(f.at("latency_target_seconds").number_value(), 0.3);
  const auto& latency = f.at("latency_seconds").struct_value().fields();
  EXPECT_EQ(latency.at("count").number_value(), 8);
  EXPECT_GT(latency.at("p50").number_value(), 0);
  EXPECT_GE(latency.at("p99").number_value(), latency.at("p50").number_value());
  EXPECT_EQ(
      f.at("history").struct_value().fields().at("pages_per_minute").list_value().values_size(),
      RecentPages::kSlots - 1);
  EXPECT_EQ(f.at("open_streams").number_value(), 0);

  EXPECT_EQ(HttpGet(metrics_address_, "/metricsx").status, 404);
  EXPECT_EQ(HttpGet(metrics_address_, "/dashboard/other").status, 404);
}

TEST_F(MetricsPort, HalfOpenConnectionsDoNotHoldUpTheMetrics) {
  // Clients that connect, send part of a request line and wait (a stuck
  // scraper, a slow-loris): twice as many as the port once had threads.
  std::vector<int> held;
  for (int i = 0; i < 8; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(std::uint16_t(server_->metrics_port()));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    const char partial[] = "GET /metr";
    ASSERT_EQ(::send(fd, partial, sizeof partial - 1, MSG_NOSIGNAL), ssize_t(sizeof partial - 1));
    held.push_back(fd);
  }
  // While they are held, a scrape is answered at once (a generous bound
  // for a shared machine; the half-open ones would hold it 10 s before).
  const auto start = std::chrono::steady_clock::now();
  testing::HttpResponse r = HttpGet(metrics_address_, "/metrics", 5000);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.status, 200);
  EXPECT_LT(seconds, 2.0);
  for (int fd : held) ::close(fd);
}

TEST(MetricsOptions, ATakenMetricsPortFailsTheStart) {
  ServerOptions first_options;
  first_options.listen = "127.0.0.1:0";
  first_options.metrics_listen = "127.0.0.1:0";
  ServerRunner first(first_options, ProfileStore());
  scangate::Outcome started = first.Start();
  ASSERT_TRUE(started.ok()) << started.error().message;

  ServerOptions second_options = first_options;
  second_options.metrics_listen = "127.0.0.1:" + std::to_string(first.metrics_port());
  ServerRunner second(second_options, ProfileStore());
  scangate::Outcome refused = second.Start();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("metrics"), std::string::npos) << refused.error().message;
}

TEST(BucketQuantile, InterpolatesInsideTheBucketLikeHistogramQuantile) {
  std::vector<double> bounds = {1, 2, 4};
  // 10 observations in (1, 2].
  std::vector<std::uint64_t> counts = {0, 10, 0, 0};
  EXPECT_DOUBLE_EQ(*BucketQuantile(0.5, bounds, counts), 1.5);
  EXPECT_DOUBLE_EQ(*BucketQuantile(1.0, bounds, counts), 2.0);
  // 10 in [0, 1], 10 in (2, 4]: the 75th percentile is half way up (2, 4].
  counts = {10, 0, 10, 0};
  EXPECT_DOUBLE_EQ(*BucketQuantile(0.75, bounds, counts), 3.0);
  EXPECT_DOUBLE_EQ(*BucketQuantile(0.25, bounds, counts), 0.5);
  // Above every bound: the highest bound is all that is known.
  counts = {0, 0, 0, 5};
  EXPECT_DOUBLE_EQ(*BucketQuantile(0.5, bounds, counts), 4.0);
  EXPECT_FALSE(BucketQuantile(0.5, bounds, std::vector<std::uint64_t>{0, 0, 0, 0}).has_value());
}

TEST(RecentPages, RatesRejectsAndPercentilesCoverTheirWindowsOnly) {
  using namespace std::chrono_literals;
  const auto t0 = RecentPages::Clock::time_point() + 1000s;
  RecentPages recent({0.1, 0.5, 1, 5}, {0.01, 0.1}, t0);
  // Minute one: a page every 2 s, every tenth rejected as blurred.
  for (int s = 0; s < 60; s += 2) {
    bool reject = s % 20 == 0;
    std::vector<int> reasons;
    if (reject) reasons.push_back(int(ReasonCode::kBlurred));
    recent.AddJudged(reject, reasons, t0 + std::chrono::seconds(s));
    recent.AddLatency(0.3, t0 + std::chrono::seconds(s));
  }
  auto s = recent.Summarize(t0 + 60s);
  EXPECT_NEAR(s.pages_per_minute, 30, 0.01);
  EXPECT_EQ(s.judged, 30u);
  EXPECT_EQ(s.rejected, 3u);
  EXPECT_EQ(s.rejects_by_reason[int(ReasonCode::kBlurred)], 3u);
  EXPECT_EQ(s.latency.count, 30u);
  EXPECT_GT(*s.latency.p50, 0.1);
  EXPECT_LE(*s.latency.p50, 0.5);
  ASSERT_EQ(s.history.size(), std::size_t(RecentPages::kSlots - 1));
  EXPECT_DOUBLE_EQ(*s.history.back(), 30);      // 5 pages in the last 10 s slot
  EXPECT_FALSE(s.history.front().has_value());  // before the start

  // Two idle minutes later the rate is zero; the rejects are still within
  // 15 minutes, the latencies still within 5.
  s = recent.Summarize(t0 + 180s);
  EXPECT_EQ(s.pages_per_minute, 0);
  EXPECT_EQ(s.rejected, 3u);
  EXPECT_EQ(s.latency.count, 30u);
  // Ten minutes later the latencies have left their 5-minute window.
  s = recent.Summarize(t0 + 600s);
  EXPECT_EQ(s.latency.count, 0u);
  EXPECT_FALSE(s.latency.p50.has_value());
  EXPECT_EQ(s.rejected, 3u);
  // After 15 minutes slots are reused: the first slot's pages give way.
  recent.AddJudged(false, {}, t0 + 905s);
  s = recent.Summarize(t0 + 906s);
  EXPECT_EQ(s.judged, 26u);  // slots 1 to 5, and the new page
  s = recent.Summarize(t0 + 960s);
  EXPECT_EQ(s.judged, 1u);
}

}  // namespace
}  // namespace scangate
