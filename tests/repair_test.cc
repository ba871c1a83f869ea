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

TEST(Repair, AnUpsideDownSkewedCertificateOnABlackBorderIsRepairedAndAccepted) {
  const corpus::CorpusPage page = Certificate();
  // As scanned: rejected, turned and skewed.
  const PageVerdict before = JudgeOne(page.bytes, Profile{});
  ASSERT_EQ(before.decision, Decision::kReject);
  EXPECT_TRUE(Has(before.reasons, ReasonCode::kPageTurned));
  EXPECT_TRUE(Has(before.reasons, ReasonCode::kSkewed));

  const PageVerdict v = JudgeOne(page.bytes, Repairing());
  ASSERT_EQ(v.decision, Decision::kAccept) << (v.reasons.empty() ? "" : v.reasons[0].detail);
  ASSERT_TRUE(v.repair);
  const RepairRecord& r = *v.repair;
  EXPECT_EQ(r.turned_degrees, 180);
  EXPECT_NEAR(r.deskewed_degrees, 3.0, 0.15);
  EXPECT_GT(r.cropped_left_mm + r.cropped_right_mm + r.cropped_top_mm + r.cropped_bottom_mm, 1.0);
  EXPECT_TRUE(Has(r.original_reasons, ReasonCode::kPageTurned));
  EXPECT_TRUE(Has(r.original_reasons, ReasonCode::kSkewed));
  ASSERT_GE(r.done.size(), 2u);
  EXPECT_EQ(r.done[0], "turned 180 degrees");
  // The repaired page's own measurements: level and upright.
  EXPECT_EQ(v.orientation.degrees, 0);
  EXPECT_LE(std::abs(v.skew.degrees), 0.05) << v.skew.degrees;
  EXPECT_EQ(v.sha256, before.sha256) << "the verdict still names the file the station sent";
  // Text no less sharp than it was scanned.
  EXPECT_LE(v.blur.sigma_300dpi, before.blur.sigma_300dpi + 0.15);

  // The archive copy: the repaired page, colour, dpi kept, judged the same.
  EXPECT_EQ(r.archive_media_type, "image/png");
  ASSERT_FALSE(r.archive_copy.empty());
  EXPECT_EQ(r.archive_sha256.size(), 64u);
  const PageVerdict copy = JudgeOne(r.archive_copy, Profile{});
  EXPECT_EQ(copy.decision, Decision::kAccept)
      << (copy.reasons.empty() ? "" : copy.reasons[0].detail);
  EXPECT_EQ(copy.color_mode, ColorMode::kColor);
  EXPECT_NEAR(copy.resolution.dpi, 200, 0.5);
  EXPECT_FALSE(copy.resolution.inferred);
  EXPECT_EQ(copy.width, v.width);
  EXPECT_EQ(copy.height, v.height);
}

TEST(Repair, AProfileWithoutTheRuleJudgesAsBefore) {
  const corpus::CorpusPage page = Certificate();
  Profile plain;
  const PageVerdict v = JudgeOne(page.bytes, plain);
  EXPECT_FALSE(v.repair);
  EXPECT_EQ(v.decision, Decision::kReject);
  EXPECT_TRUE(Has(v.reasons, ReasonCode::kPageTurned));
  // The rule present but every repair off is the same.
  Profile off;
  off.repair.jpeg_quality = 80;
  const PageVerdict w = JudgeOne(page.bytes, off);
  EXPECT_FALSE(w.repair);
  ASSERT_EQ(w.reasons.size(), v.reasons.size());
  for (std::size_t i = 0; i < v.reasons.size(); ++i) EXPECT_EQ(w.reasons[i].detail, v.reasons[i].detail);
  EXPECT_EQ(w.width, v.width);
  EXPECT_DOUBLE_EQ(w.skew.degrees, v.skew.degrees);
}

TEST(Repair, APageWhoseRepairWouldNotPassKeepsItsOwnReasons) {
  // Skewed beyond what the rule may deskew: no repair, its own reasons.
  Profile narrow = Repairing();
  narrow.repair.deskew_up_to_degrees = 2;
  const corpus::CorpusPage page = Certificate();
  const PageVerdict v = JudgeOne(page.bytes, narrow);
  EXPECT_EQ(v.decision, Decision::kReject);
  EXPECT_FALSE(v.repair);
  EXPECT_TRUE(Has(v.reasons, ReasonCode::kPageTurned));
  EXPECT_TRUE(Has(v.reasons, ReasonCode::kSkewed));

  // Turned and blurred: blur is not repaired; the page keeps every reason.
  corpus::Recipe r;
  r.seed = 2102;
  r.content = corpus::Content::kTextPage;
  r.dpi = 200;
  r.turn_degrees = 180;
  r.rotation_degrees = 2;
  r.blur = corpus::BlurKind::kGaussian;
  r.blur_amount = 3;
  const corpus::CorpusPage blurred = corpus::RenderPage(r, Scans(), "blurred");
  const PageVerdict b = JudgeOne(blurred.bytes, Repairing());
  EXPECT_EQ(b.decision, Decision::kReject);
  EXPECT_FALSE(b.repair);
  EXPECT_TRUE(Has(b.reasons, ReasonCode::kBlurred));
  EXPECT_TRUE(Has(b.reasons, ReasonCode::kPageTurned));
}

TEST(Repair, AOneBitScanStaysOneBitAndItsStrokesKeepTheirWidth) {
  if (!Scans().SkewKnown("pageseg1.tif")) GTEST_SKIP() << "shared scans not found";
  corpus::Recipe r;
  r.seed = 2103;
  r.content = corpus::Content::kScan;
  r.scan = "pageseg1.tif";
  r.dpi = 200;
  r.turn_degrees = 180;
  r.rotation_degrees = 2.5;
  r.color = corpus::Color::kBilevel;
  r.encoding = corpus::Encoding::kTiffG4;
  const corpus::CorpusPage page = corpus::RenderPage(r, Scans(), "bilevel");
  const PageVerdict v = JudgeOne(page.bytes, Repairing());
  ASSERT_EQ(v.decision, Decision::kAccept) << (v.reasons.empty() ? "" : v.reasons[0].detail);
  ASSERT_TRUE(v.repair);
  EXPECT_EQ(v.repair->archive_media_type, "image/tiff");
  const PageVerdict copy = JudgeOne(v.repair->archive_copy, Profile{});
  EXPECT_EQ(copy.color_mode, ColorMode::kBilevel);
  EXPECT_NEAR(copy.resolution.dpi, 200, 0.5);
  // Levelled whole: the scan's own skew went with the glass's.
  EXPECT_LE(std::abs(copy.skew.degrees), 0.05);
  EXPECT_EQ(copy.orientation.degrees, 0);
  // Strokes as wide as before: the ink's share of the page within 3 %.
  const std::vector<std::uint8_t> in(page.bytes.begin(), page.bytes.end());
  const std::string& out_bytes = v.repair->archive_copy;
  const std::vector<std::uint8_t> out(out_bytes.begin(), out_bytes.end());
  auto ink_pixels = [](const std::vector<std::uint8_t>& bytes) {
    Fallible<ImageProbe> probe = ProbeImage(bytes, DecodeLimits{});
    Fallible<PageImage> decoded = DecodeFrame(bytes, probe.value(), 0);
    return double(cv::countNonZero(decoded.value().gray < 128));
  };
  const double before = ink_pixels(in), after = ink_pixels(out);
  EXPECT_NEAR(after / before, 1.0, 0.03) << before << " -> " << after;
}

TEST(Repair, DeskewingLeavesThePageAsScannedAsItWas) {
  for (ColorMode mode : {ColorMode::kGray, ColorMode::kColor, ColorMode::kBilevel}) {
    PageImage page;
    page.color_mode = mode;
    page.gray = cv::Mat(300, 200, CV_8U, cv::Scalar(255));
    cv::rectangle(page.gray, cv::Rect(40, 100, 120, 8), cv::Scalar(0), cv::FILLED);
    if (mode == ColorMode::kColor) cv::cvtColor(page.gray, page.color, cv::COLOR_GRAY2BGR);
    const cv::Mat gray = page.gray.clone();
    const PageImage level = DeskewPage(page, 3.0);
    EXPECT_EQ(cv::countNonZero(page.gray != gray), 0) << int(mode);
    EXPECT_NE(cv::countNonZero(level.gray != gray), 0) << int(mode);
    EXPECT_NE(level.gray.data, page.gray.data) << int(mode);
  }
}

TEST(Repair, IsolatedSpecksGoAndFullStopsStay) {
  cv::Mat page(600, 600, CV_8U, cv::Scalar(255));
  // A word with a full stop 0.3 mm after its last letter, at 300 dpi.
  cv::rectangle(page, cv::Rect(100, 100, 30, 40), cv::Scalar(0), cv::FILLED);
  cv::rectangle(page, cv::Rect(134, 136, 4, 4), cv::Scalar(0), cv::FILLED);
  // Specks of one and two pixels far from anything.
  for (int i = 0; i < 30; ++i) page.at<std::uint8_t>(300 + (i / 6) * 40, 50 + (i % 6) * 80) = 0;
  page(cv::Rect(500, 500, 2, 1)).setTo(0);
  cv::Mat copy = page.clone();
  EXPECT_EQ(Despeckle(copy, 300, false), 31);
  EXPECT_EQ(cv::countNonZero(copy != page), 0) << "counting paints nothing";
  EXPECT_EQ(Despeckle(copy, 300, true), 31);
  EXPECT_EQ(copy.at<std::uint8_t>(500, 500), 255);
  EXPECT_EQ(copy.at<std::uint8_t>(137, 136), 0) << "the full stop stays";
  EXPECT_EQ(cv::countNonZero(copy < 128), 30 * 40 + 16);
}

}  // namespace
}  // namespace scangate
