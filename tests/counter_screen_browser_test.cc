// The counter screen (`scangate scan --watch DIR --screen 127.0.0.1:PORT`)
// in a real browser: scangate-server runs as a process, a hot-folder
// station serves its screen, the test drops pages into the folder as a
// counter's scanner does, and headless Chromium (Debian's chromium package)
// loads the screen. The rejected summary sheet's failed zone must be drawn
// (red, data-state="fail") where the server found it, and the rescan must
// clear it. Chromium missing is a failure, never a skip: scripts/setup.sh
// installs it. Saves a screenshot of the rejected state in the build folder
// (docs/counter-screen.png is one).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/support/process.h"
#include "tests/support/summary_forms.h"
#include "tests/support/synthetic_page.h"

namespace scangate {
namespace {

namespace fs = std::filesystem;
using testing::BackgroundProcess;
using testing::Built;
using testing::ServerProcess;
using namespace std::chrono_literals;

constexpr const char* kChromium = "/usr/bin/chromium";

// The pension-claim slip as a counter fills it; `signed_by_applicant`
// false leaves the applicant's signature box empty (SIGNATURE_MISSING).
std::string Sheet(const std::string& transaction, bool signed_by_applicant) {
  const synth::FormDesign& form = synth::BundledForm("pension-claim");
  synth::FormFill fill = synth::RandomFill(form, 7, true);
  fill.stamp = synth::StampStyle{};
  fill.stamp_over_signature = -1;
  fill.stamp_offset_mm = 2;
  if (!signed_by_applicant) fill.signatures[0] = synth::SignatureEntry::kEmpty;
  cv::Mat page = synth::PrintedForm(form, 300, transaction);
  synth::FillForm(page, form, 300, fill);
  return synth::EncodeJpeg(page, 85, 300);
}

std::string TextPage(std::uint32_t seed) {
  synth::PageSpec spec;
  spec.dpi = 200;
  spec.seed = seed;
  return synth::EncodeJpeg(synth::TextPage(spec), 85, 200);
}

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The element of `dom` (serialised by Chromium) whose start tag holds all of `attributes`.
bool HasElement(const std::string& dom, const std::vector<std::string>& attributes) {
  static const std::regex tag("<[a-zA-Z][^>]*>");
  for (std::sregex_iterator it(dom.begin(), dom.end(), tag), end; it != end; ++it) {
    const std::string t = it->str();
    bool all = true;
    for (const std::string& a : attributes) all = all && t.find(a) != std::string::npos;
    if (all) return true;
  }
  return false;
}

class CounterScreenInBrowser : public ::testing::Test {
 protected:
  void SetUp() override {
    // A failure, not a skip: a suite without a browser would pass untested.
    ASSERT_TRUE(fs::exists(kChromium))
        << kChromium << " is missing: install Debian's chromium package (scripts/setup.sh does)";
    dir_ = fs::temp_directory_path() / ("scangate-screen-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    fs::create_directories(hot());
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  fs::path hot() const { return dir_ / "hot"; }

  // The scanner writes under a temporary name, then renames.
  void Drop(const std::string& name, const std::string& bytes) {
    std::ofstream(hot() / (name + ".part"), std::ios::binary) << bytes;
    fs::rename(hot() / (name + ".part"), hot() / name);
  }

  // Chromium headless, offline in every way it can be told to be.
  std::vector<std::string> Chromium(const std::string& url, std::vector<std::string> extra) {
    std::vector<std::string> argv = {
        kChromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + (dir_ / "chromium").string(),
        "--window-size=1400,900",
        // Long enough for the page's first poll and its thumbnails.
        "--virtual-time-budget=3000"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(url);
    return argv;
  }

  std::string Dom(const std::string& url) {
    testing::CommandResult dom = testing::Run(Chromium(url, {"--dump-dom"}), 60);
    EXPECT_EQ(dom.exit_code, 0) << dom.out;
    return dom.out;
  }

  fs::path dir_;
};

TEST_F(CounterScreenInBrowser, ShowsTheFailedZoneInRedAndClearsItWhenTheRescanArrives) {
  const std::string t1 = "SI2026120300101", t2 = "SI2026120300102";
  const std::string good1 = Sheet(t1, true), unsigned2 = Sheet(t2, false), good2 = Sheet(t2, true);
  const std::string page_a = TextPage(501), page_b = TextPage(502);

  ServerProcess server({"--data-dir", (dir_ / "data").string(), "--profiles",
                        std::string(SCANGATE_SOURCE_DIR) + "/profiles"});
  ASSERT_TRUE(server.started());
  BackgroundProcess station(
      {Built("clients/scangate"), "scan", "--plaintext", "--watch", hot().string(), "--server",
       server.address(), "--profile", "pension-claim", "--station", "counter-3", "--screen",
       "127.0.0.1:0", "--idle-close", "2", "--until-idle", "60"},
      (dir_ / "station.log").string());
  const std::string at = station.WaitForLine("counter screen on ", 30s);
  ASSERT_NE(at, "") << station.Log();
  const std::string url = at;  // http://127.0.0.1:PORT/
  ASSERT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << url;
  ASSERT_NE(station.WaitForLine("watching ", 30s), "") << station.Log();

  // Before any page: the screen loads, and says it waits.
  const std::string empty = Dom(url);
  EXPECT_NE(empty.find("Ready: scan the next stack"), std::string::npos) << empty;

  // One stack, two transactions: the first accepted (the second's slip
  // closes it), the second's slip lacks the applicant's signature.
  Drop("001-slip.jpg", good1);
  // A file name is untrusted text: shown as text, never as markup.
  const std::string hostile = "002-<img src=x onerror=alert(1)> & \"q\".jpg";
  Drop(hostile, page_a);
  Drop("003-slip.jpg", unsigned2);
  Drop("004-id-copy.jpg", page_b);
  const std::string rescan = station.WaitForLine("  rescan page ", 60s);
  ASSERT_EQ(rescan, "0 (003-slip.jpg) of batch " + t2 + ":") << station.Log();

  const std::string rejected = Dom(url);
  // The open batch first, its verdict in large type; the first one below it.
  EXPECT_TRUE(HasElement(rejected, {"data-batch=\"" + t2 + "\"", "data-state=\"waiting\""}))
      << rejected;
  EXPECT_TRUE(HasElement(rejected, {"data-batch=\"" + t1 + "\"", "data-state=\"accepted\""}))
      << rejected;
  EXPECT_LT(rejected.find("data-batch=\"" + t2 + "\""), rejected.find("data-batch=\"" + t1 + "\""));
  EXPECT_TRUE(HasElement(rejected, {"class=\"verdict\"", "data-verdict=\"REJECTED\""})) << rejected;
  // The failed zone, drawn red where the server found it; the others green.
  EXPECT_TRUE(HasElement(rejected, {"<polygon", "data-kind=\"signature\"",
                                    "data-name=\"applicant_signature\"", "data-state=\"fail\"",
                                    "class=\"zone fail\""}))
      << rejected;
  EXPECT_EQ(Count(rejected, "data-state=\"fail\""), 1u) << rejected;
  EXPECT_TRUE(HasElement(rejected, {"<polygon", "data-kind=\"seal\"", "data-state=\"pass\""}));
  EXPECT_TRUE(HasElement(rejected, {"<polygon", "data-kind=\"field\"", "data-name=\"citizen_id\"",
                                    "data-state=\"pass\""}));
  EXPECT_TRUE(HasElement(rejected, {"<polygon", "data-kind=\"barcode\"", "data-state=\"pass\""}));
  // Zones in the page's pixel frame: the slip is 2480 x 3508 px.
  EXPECT_NE(rejected.find("viewBox=\"0 0 2480 3508\""), std::string::npos);
  // Every page has its thumbnail from the station; the skew is shown.
  EXPECT_EQ(Count(rejected, "src=\"/thumb/"), 4u) << rejected;
  EXPECT_GE(Count(rejected, "data-skew=\""), 4u);
  // The hostile name is text: no element came of it.
  EXPECT_EQ(rejected.find("<img src=x"), std::string::npos) << rejected;
  EXPECT_EQ(rejected.find("<img src=\"x\""), std::string::npos) << rejected;
  EXPECT_NE(rejected.find("002-&lt;img src=x onerror=alert(1)&gt; &amp; \"q\".jpg"), std::string::npos)
      << rejected;
  // What to do next, in words.
  EXPECT_TRUE(HasElement(rejected, {"id=\"next\"", "class=\"rescan\"", "data-page=\"0\""}))
      << rejected;
  EXPECT_NE(rejected.find("Rescan next: page 0 (003-slip.jpg) of batch " + t2), std::string::npos);
  EXPECT_NE(rejected.find("SIGNATURE_MISSING [applicant_signature]"), std::string::npos);

  // The screenshot the README shows (docs/counter-screen.png).
  const fs::path screenshot = fs::path(SCANGATE_BINARY_DIR) / "counter-screen.png";
  fs::remove(screenshot);
  testing::CommandResult shot = testing::Run(
      Chromium(url, {"--screenshot=" + screenshot.string(), "--hide-scrollbars"}), 60);
  ASSERT_EQ(shot.exit_code, 0);
  ASSERT_TRUE(fs::exists(screenshot));
  EXPECT_GT(fs::file_size(screenshot), 30000u);

  // The clerk rescans the slip, signed: it replaces page 0 and the batch is accepted.
  Drop("005-slip-rescan.jpg", good2);
  ASSERT_NE(station.WaitForLine("batch " + t2 + ": ACCEPTED", 60s), "") << station.Log();
  const std::string cleared = Dom(url);
  EXPECT_TRUE(HasElement(cleared, {"data-batch=\"" + t2 + "\"", "data-state=\"accepted\""}))
      << cleared;
  EXPECT_EQ(Count(cleared, "data-state=\"fail\""), 0u) << cleared;
  EXPECT_TRUE(HasElement(cleared, {"<polygon", "data-kind=\"signature\"",
                                   "data-name=\"applicant_signature\"", "data-state=\"pass\""}))
      << cleared;
  EXPECT_NE(cleared.find("005-slip-rescan.jpg (rescan of 003-slip.jpg)"), std::string::npos)
      << cleared;
  EXPECT_EQ(cleared.find("class=\"rescan\""), std::string::npos) << cleared;
  EXPECT_EQ(Count(cleared, "data-verdict=\"REJECTED\""), 0u);

  EXPECT_EQ(station.Stop(SIGTERM), 0) << station.Log();
}

// The screen binds where it is told, and refuses every interface at once.
TEST_F(CounterScreenInBrowser, RefusesToServeEveryInterface) {
  for (const std::string bad : {"0.0.0.0:8080", "[::]:8080", "example.org:8080", "127.0.0.1:x"}) {
    testing::CommandResult r = testing::Run(
        {Built("clients/scangate"), "scan", "--plaintext", "--watch", hot().string(), "--server",
         "127.0.0.1:1", "--profile", "pension-claim", "--screen", bad},
        30);
    EXPECT_EQ(r.exit_code, 2) << bad;
  }
}

}  // namespace
}  // namespace scangate
