// A real Prometheus (Debian's prometheus package) scraping a running
// scangate-server every second while a station streams: its HTTP API must
// show scangate_pages_total rising. Also the files in ops/ that larger sites
// use: the scrape configuration passes promtool, and the Grafana dashboard
// queries only metrics the server exports.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/station_loop.h"
#include "tests/support/test_data.h"

namespace scangate {
namespace {

namespace fs = std::filesystem;
using testing::BackgroundProcess;
using testing::HttpGet;
using testing::ServerProcess;
using testing::StationLoop;

constexpr const char* kPrometheus = "/usr/bin/prometheus";
constexpr const char* kPromtool = "/usr/bin/promtool";

class WithPrometheus : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kPrometheus)) << "install Debian's prometheus (scripts/setup.sh does)";
    dir_ = fs::temp_directory_path() / ("scangate-prometheus-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// The first sample's value of an instant-query answer; -1 when there is none.
double FirstValue(const std::string& answer) {
  google::protobuf::Struct json;
  if (!google::protobuf::util::JsonStringToMessage(answer, &json).ok()) return -1;
  const auto& f = json.fields();
  if (!f.count("data")) return -1;
  const auto& result = f.at("data").struct_value().fields().at("result").list_value();
  if (result.values_size() == 0) return -1;
  const auto& value = result.values(0).struct_value().fields().at("value").list_value();
  return std::stod(value.values(1).string_value());
}

TEST_F(WithPrometheus, RateOfPagesJudgedRisesWhileABatchStreams) {
  testing::WriteTextPages((dir_ / "batch").string(), 10);
  ServerProcess server({"--metrics-listen", "127.0.0.1:0", "--data-dir", (dir_ / "data").string(),
                        "--threads", "2"});
  ASSERT_TRUE(server.started());
  ASSERT_FALSE(server.metrics_address().empty());

  std::ofstream(dir_ / "prometheus.yml") << "global:\n"
                                            "  scrape_interval: 1s\n"
                                            "  evaluation_interval: 1s\n"
                                            "scrape_configs:\n"
                                            "  - job_name: scangate\n"
                                            "    static_configs:\n"
                                            "      - targets: ['"
                                         << server.metrics_address() << "']\n";
  BackgroundProcess prometheus(
      {kPrometheus, "--config.file=" + (dir_ / "prometheus.yml").string(),
       "--storage.tsdb.path=" + (dir_ / "tsdb").string(), "--web.listen-address=127.0.0.1:0"},
      (dir_ / "prometheus.log").string());
  // Port 0: Prometheus logs the address it got.
  std::string address =
      prometheus.WaitForLine("msg=\"Listening on\" address=", std::chrono::seconds(30));
  ASSERT_FALSE(address.empty()) << prometheus.Log();

  StationLoop station(server.address(), (dir_ / "batch").string());
  const std::string query =
      "/api/v1/query?query=" + testing::UrlEncode("sum(rate(scangate_pages_total[5s]))");
  double rate = -1;
  std::string answer;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (rate <= 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    answer = HttpGet(address, query).body;
    rate = FirstValue(answer);
  }
  EXPECT_GT(rate, 0) << "last answer: " << answer << "\n" << prometheus.Log();
  // Prometheus saw the target up, and the series with their labels.
  EXPECT_EQ(FirstValue(HttpGet(address,
                               "/api/v1/query?query=" + testing::UrlEncode("up{job=\"scangate\"}"))
                           .body),
            1);
  EXPECT_GE(
      FirstValue(HttpGet(address, "/api/v1/query?query=" +
                                      testing::UrlEncode("count(scangate_page_rejects_total)"))
                     .body),
      10);

  station.Stop();
  EXPECT_EQ(prometheus.Stop(SIGTERM, std::chrono::seconds(20)), 0) << prometheus.Log();
}

TEST_F(WithPrometheus, OpsScrapeConfigurationPassesPromtool) {
  ASSERT_TRUE(fs::exists(kPromtool));
  testing::CommandResult check = testing::Run(
      {kPromtool, "check", "config", std::string(SCANGATE_SOURCE_DIR) + "/ops/prometheus.yml"});
  EXPECT_EQ(check.exit_code, 0) << check.out;
}

TEST_F(WithPrometheus, GrafanaDashboardQueriesOnlyMetricsTheServerExports) {
  std::string dashboard =
      testing::ReadAll(std::string(SCANGATE_SOURCE_DIR) + "/ops/grafana-dashboard.json");
  google::protobuf::Struct json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(dashboard, &json).ok());
  ASSERT_TRUE(json.fields().count("panels"));

  ServerProcess server({"--metrics-listen", "127.0.0.1:0", "--data-dir", (dir_ / "data").string()});
  ASSERT_TRUE(server.started());
  std::string exposition = HttpGet(server.metrics_address(), "/metrics").body;
  std::set<std::string> exported;
  std::regex type_line(R"(# TYPE (\S+) (\S+))");
  for (std::sregex_iterator it(exposition.begin(), exposition.end(), type_line), end; it != end;
       ++it) {
    exported.insert((*it)[1]);
    if ((*it)[2] == "histogram")
      for (const char* suffix : {"_bucket", "_sum", "_count"})
        exported.insert((*it)[1].str() + suffix);
  }
  std::regex metric(R"(scangate_[a-z_]+)");
  std::set<std::string> queried;
  for (std::sregex_iterator it(dashboard.begin(), dashboard.end(), metric), end; it != end; ++it)
    queried.insert(it->str());
  EXPECT_GE(queried.size(), 8u);
  for (const std::string& name : queried) EXPECT_TRUE(exported.count(name)) << name;
}

}  // namespace
}  // namespace scangate
