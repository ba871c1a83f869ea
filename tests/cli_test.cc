// The scangate command line as other tools run it: `check --json` prints the
// contract's field names, and hostile files cost it neither a crash nor memory.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "scangate/v1/verdict.pb.h"
#include "tests/support/hostile_files.h"
#include "tests/support/process.h"
#include "tests/support/test_data.h"

namespace scangate {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

TEST(CheckJson, PrintsEveryContractFieldForARealScan) {
  auto run = testing::Run({testing::Built("clients/scangate"), "check", "--json",
                           testing::SharedData("scans/feyn.tif")});
  auto lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 1u) << run.out;
  const std::string& json = lines[0];
  for (const char* key :
       {"\"source\":\"feyn.tif\"", "\"decision\":", "\"reasons\":", "\"error\":\"\"", "\"dpi\":300",
        "\"dpi_inferred\":false", "\"blur\":{\"score\":", "\"blurred\":", "\"skew\":{\"degrees\":",
        "\"confidence\":", "\"blank\":{\"blank\":false", "\"ink_ratio\":", "\"barcodes\":[]"})
    EXPECT_NE(json.find(key), std::string::npos) << key << " missing in " << json;
  v1::PageVerdict parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok());
  EXPECT_EQ(parsed.color_mode(), v1::BILEVEL);
  EXPECT_EQ(parsed.sha256().size(), 64u);
}

TEST(CheckJson, BarcodesOnATicketScanAreListedWithFormatAndText) {
  auto run = testing::Run({testing::Built("clients/scangate"), "check", "--json",
                           testing::SharedData("scans/tickets.tif")});
  v1::PageVerdict parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(Lines(run.out).at(0), &parsed).ok());
  ASSERT_GT(parsed.barcodes_size(), 0);
  EXPECT_FALSE(parsed.barcodes(0).format().empty());
  EXPECT_FALSE(parsed.barcodes(0).text().empty());
}

TEST(CheckJson, AHugePngIsAnErrorVerdictWithoutDecodingIt) {
  // 30000 x 30000 gray, valid, under 1 MB: 900 MB once decoded.
  const fs::path png = fs::temp_directory_path() / ("scangate-huge-" + std::to_string(::getpid()) + ".png");
  {
    std::string file = synth::UniformPng(30000, 30000);
    ASSERT_LT(file.size(), 1u << 20);
    std::ofstream(png, std::ios::binary) << file;
  }
  auto run = testing::Run({testing::Built("clients/scangate"), "check", "--json", png.string()});
  fs::remove(png);
  EXPECT_EQ(run.exit_code, 1);  // rejected, not crashed
  EXPECT_NE(run.out.find("30000x30000 pixels, above the limit"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\"code\":\"DECODE_ERROR\""), std::string::npos);
  EXPECT_LT(run.peak_rss_kib, 300 * 1024) << "peak RSS " << run.peak_rss_kib << " KiB";
}

TEST(CheckCommand, AMissingFileIsAnErrorExitAndTheOthersAreStillJudged) {
  auto run = testing::Run({testing::Built("clients/scangate"), "check", "--json", "/no/such/file.png",
                           testing::SharedData("scans/pageseg2.tif")});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(Lines(run.out).size(), 1u);
}

// What a new user tries first: --help prints to stdout and exits 0 for the
// binaries and every command; --version names the version and the commit.
TEST(Usage, HelpGoesToStdoutAndExitsZeroEverywhere) {
  const std::string scangate = testing::Built("clients/scangate");
  for (const std::vector<std::string>& argv : std::vector<std::vector<std::string>>{
           {scangate, "--help"},
           {scangate, "scan", "--help"},
           {scangate, "scan", "--watch", "DIR", "--help"},
           {scangate, "check", "--help"},
           {scangate, "verdict", "--help"},
           {scangate, "follow", "--help"},
           {scangate, "verify", "--help"},
           {scangate, "reload-profiles", "--help"},
           {scangate, "scan", "-h"},
           {testing::Built("server/scangate-server"), "--help"},
           {testing::Built("tests/support/scangate-sample-batch"), "--help"},
           {testing::Built("tests/support/scangate-make-forms"), "--help"}}) {
    auto run = testing::Run(argv, 30);
    EXPECT_EQ(run.exit_code, 0) << argv.back() << " of " << argv[0] << " " << argv[1];
    EXPECT_NE(run.out.find("usage: "), std::string::npos) << run.out;
  }
  // Without arguments, or with a mistake, the usage is an error.
  EXPECT_EQ(testing::Run({scangate}, 30).exit_code, 2);
  EXPECT_EQ(testing::Run({scangate, "check", "--no-such-flag", "x.png"}, 30).exit_code, 2);
}

TEST(Usage, TheSampleBatchToolNeverMakesAFolderNamedLikeAnOption) {
  const fs::path cwd = fs::temp_directory_path() / ("scangate-cli-" + std::to_string(::getpid()));
  fs::create_directories(cwd);
  const fs::path previous = fs::current_path();
  fs::current_path(cwd);
  EXPECT_EQ(testing::Run({testing::Built("tests/support/scangate-sample-batch"), "--help"}, 30)
                .exit_code,
            0);
  EXPECT_EQ(testing::Run({testing::Built("tests/support/scangate-sample-batch"), "--hepl"}, 30)
                .exit_code,
            2);
  fs::current_path(previous);
  EXPECT_TRUE(fs::is_empty(cwd)) << "no folder named --help or --hepl";
  fs::remove_all(cwd);
}

TEST(Usage, BothBinariesNameTheirVersionAndCommit) {
  for (const char* binary : {"clients/scangate", "server/scangate-server"}) {
    auto run = testing::Run({testing::Built(binary), "--version"}, 30);
    EXPECT_EQ(run.exit_code, 0) << binary;
    const std::string name = fs::path(binary).filename().string();
    EXPECT_EQ(run.out.rfind(name + " " + SCANGATE_VERSION_STRING + " (git ", 0), 0u) << run.out;
    // Twelve hex digits of the commit, or "unknown" outside git.
    const auto git = run.out.find("(git ");
    ASSERT_NE(git, std::string::npos);
    const std::string commit = run.out.substr(git + 5, 12);
    EXPECT_TRUE(commit.find_first_not_of("0123456789abcdef") == std::string::npos ||
                run.out.find("(git unknown)") != std::string::npos)
        << run.out;
  }
}

TEST(CheckCommand, AProfileIsTakenByNameAsScanTakesItOrByPath) {
  const std::string scangate = testing::Built("clients/scangate");
  const std::string page = testing::SharedData("scans/pageseg2.tif");
  const std::string profiles = std::string(SCANGATE_SOURCE_DIR) + "/profiles";
  auto by_name = testing::Run({scangate, "check", "--json", "--profiles", profiles, "--profile",
                               "pension-claim", page}, 60);
  auto by_path = testing::Run({scangate, "check", "--json", "--profile",
                               profiles + "/pension-claim.textproto", page}, 60);
  auto bundled = testing::Run({scangate, "check", "--json", "--profile", "pension-claim", page}, 60);
  // The same verdicts but for the time each took.
  auto verdicts = [](const std::string& out) {
    std::vector<std::string> lines = Lines(out);
    for (std::string& line : lines) {
      const auto at = line.find("\"judge_seconds\":");
      if (at != std::string::npos) line.erase(at, line.find(',', at) - at);
    }
    return lines;
  };
  EXPECT_LE(by_name.exit_code, 1) << by_name.out;
  EXPECT_EQ(by_name.exit_code, by_path.exit_code);
  EXPECT_NE(by_name.out.find("\"profile\":\"pension-claim\""), std::string::npos) << by_name.out;
  EXPECT_EQ(verdicts(by_name.out), verdicts(by_path.out)) << "the same profile either way";
  EXPECT_EQ(verdicts(bundled.out), verdicts(by_path.out)) << "the bundled profiles by default";
  EXPECT_LE(testing::Run({scangate, "check", "--profile", "default", page}, 60).exit_code, 1);

  auto unknown = testing::Run({scangate, "check", "--profiles", profiles, "--profile",
                               "no-such-profile", page}, 60);
  EXPECT_EQ(unknown.exit_code, 2);
}

}  // namespace
}  // namespace scangate
