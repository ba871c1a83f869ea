// The dashboard in a real browser: scangate-server runs as a process with
// its metrics port, a station streams batches through it, and headless
// Chromium (Debian's chromium package) loads /dashboard; the numbers its
// script renders must be live ones. Saves a screenshot in the build folder.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/station_loop.h"

namespace scangate {
namespace {

namespace fs = std::filesystem;
using testing::Built;
using testing::ServerProcess;
using testing::StationLoop;

constexpr const char* kChromium = "/usr/bin/chromium";

class DashboardInBrowser : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kChromium)) << "install Debian's chromium (scripts/setup.sh does)";
    dir_ = fs::temp_directory_path() / ("scangate-dashboard-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Chromium headless, offline in every way it can be told to be.
  std::vector<std::string> Chromium(const std::string& url, std::vector<std::string> extra,
                                    const std::string& size = "1600,900") {
    std::vector<std::string> argv = {
        kChromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + (dir_ / "chromium").string(),
        "--window-size=" + size,
        // Long enough for the script's first polls.
        "--virtual-time-budget=8000"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(url);
    return argv;
  }

  fs::path dir_;
};

// Pages judged so far, from the server's /metrics.
double PagesJudged(const std::string& metrics_address) {
  std::string exposition = testing::HttpGet(metrics_address, "/metrics").body;
  std::regex sample(R"(scangate_pages_total\{[^}]*\} ([0-9.e+]+))");
  double total = 0;
  for (std::sregex_iterator it(exposition.begin(), exposition.end(), sample), end; it != end; ++it)
    total += std::stod((*it)[1]);
  return total;
}

// The number an element of the dashboard shows, from its data-value.
double Shown(const std::string& dom, const std::string& id) {
  std::smatch m;
  std::regex value("id=\"" + id + "\"[^>]*data-value=\"([0-9.]+)\"");
  return std::regex_search(dom, m, value) ? std::stod(m[1]) : -1;
}

TEST_F(DashboardInBrowser, ShowsLiveNumbersWhileABatchStreamsAndSavesAScreenshot) {
  testing::WriteTextPages((dir_ / "batch").string(), 12);
  ServerProcess server({"--metrics-listen", "127.0.0.1:0", "--data-dir", (dir_ / "data").string(),
                        "--threads", "2", "--stations", "2"});
  ASSERT_TRUE(server.started());
  ASSERT_FALSE(server.metrics_address().empty());
  StationLoop station(server.address(), (dir_ / "batch").string());

  // Wait for the first verdicts, so there is something live to show.
  bool judged = false;
  for (int i = 0; i < 300 && !judged; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    judged = PagesJudged(server.metrics_address()) > 0;
  }
  ASSERT_TRUE(judged) << "no page judged within 30 s";

  const std::string url = "http://" + server.metrics_address() + "/dashboard";
  testing::CommandResult dom = testing::Run(Chromium(url, {"--dump-dom"}), 90);
  ASSERT_EQ(dom.exit_code, 0) << dom.out;
  // Rendered by the page's script from /dashboard/data, not in the HTML.
  EXPECT_GT(Shown(dom.out, "pages-judged"), 0) << dom.out;
  EXPECT_GT(Shown(dom.out, "ppm"), 0) << dom.out;
  EXPECT_NE(dom.out.find("id=\"status\" class=\"ok\">SERVING<"), std::string::npos) << dom.out;
  EXPECT_NE(dom.out.find("line rate 280/min (2 stations × 140)"), std::string::npos);

  const fs::path screenshot = fs::path(SCANGATE_BINARY_DIR) / "dashboard.png";
  fs::remove(screenshot);
  testing::CommandResult shot =
      testing::Run(Chromium(url, {"--screenshot=" + screenshot.string(), "--hide-scrollbars"}), 90);
  ASSERT_EQ(shot.exit_code, 0);
  ASSERT_TRUE(fs::exists(screenshot));
  EXPECT_GT(fs::file_size(screenshot), 20000u);
  std::ifstream png(screenshot, std::ios::binary);
  char magic[8] = {};
  png.read(magic, 8);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");

  // Nothing clipped, nothing past the edge, no sideways scrolling (the page
  // lists what does not fit on <body data-clipped>). The layout is in
  // screen units with no breakpoints: it scales with the screen, so a size
  // of each shape stands for its shape. 16:9 (1280x720, 1600x900,
  // 1920x1080) in the dump above; 14:9 at 1400x900.
  auto clipped = [](const std::string& page_dom) {
    std::smatch m;
    return std::regex_search(page_dom, m, std::regex(R"re(<body[^>]*data-clipped="([^"]*)")re"))
               ? m[1].str()
               : std::string("(not rendered)");
  };
  EXPECT_EQ(clipped(dom.out), "") << "at 1600x900";
  testing::CommandResult at_1400 = testing::Run(Chromium(url, {"--dump-dom"}, "1400,900"), 90);
  ASSERT_EQ(at_1400.exit_code, 0);
  EXPECT_EQ(clipped(at_1400.out), "") << "at 1400x900";

  station.Stop();
  EXPECT_GT(station.batches(), 0) << "the station's batches did not go through";
}

}  // namespace
}  // namespace scangate
