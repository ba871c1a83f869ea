// The scangate command line as other tools run it: `check --json` prints the
// contract's field names, and hostile files cost it neither a crash nor memory.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

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

}  // namespace
}  // namespace scangate
