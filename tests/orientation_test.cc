// Orientation and wide skew on real scans from ../shared/data/scans turned
// to each quarter and to 20, 30 and 45 degrees, on a Chinese text page, and
// the reasons a verdict gives for them (PAGE_TURNED, SKEW_UNCERTAIN,
// ORIENTATION_UNCERTAIN); blank pages never get one. The accuracy over the
// orientation corpus is the image-checks bench's.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "bench/corpus/image_corpus.h"
#include "pipeline/judge.h"
#include "tests/support/test_data.h"

namespace scangate {
namespace {

namespace corpus = scangate::corpus;

const corpus::ScanLibrary& Scans() {
  static const corpus::ScanLibrary scans(testing::SharedData("scans"));
  return scans;
}

PageVerdict JudgeRecipe(const corpus::Recipe& recipe, const Profile& profile = Profile{}) {
  const corpus::CorpusPage page = corpus::RenderPage(recipe, Scans(), "orientation-page");
  const std::vector<std::uint8_t> data(page.bytes.begin(), page.bytes.end());
  std::vector<PageVerdict> v = JudgeFile(data, page.name, profile, JudgeOptions{});
  EXPECT_EQ(v.size(), 1u);
  return v.empty() ? PageVerdict{} : v[0];
}

bool Has(const PageVerdict& v, ReasonCode code) {
  for (const Reason& r : v.reasons)
    if (r.code == code) return true;
  return false;
}

// A real 300-dpi scan, 1-bit as the shared data has it, laid on the glass
// `turn` degrees round (the content turned counter-clockwise by as much)
// and rotated by `degrees` more; gray at 200 dpi keeps the test quick.
corpus::Recipe Scan(const std::string& file, int turn, double degrees) {
  corpus::Recipe r;
  r.seed = 17 + std::uint32_t(turn) + std::uint32_t(std::lround(degrees * 10));
  r.content = corpus::Content::kScan;
  r.scan = file;
  r.dpi = 200;
  r.turn_degrees = turn;
  r.rotation_degrees = degrees;
  r.noise_sigma = 2;
  return r;
}

TEST(Orientation, RealScansAtEachQuarterTurnReadWhichWayUp) {
  if (!Scans().SkewKnown("pageseg1.tif")) GTEST_SKIP() << "shared scans not found";
  for (const char* file : {"pageseg1.tif", "feyn.tif"}) {
    for (int turn : {0, 90, 180, 270}) {
      const PageVerdict v = JudgeRecipe(Scan(file, turn, 0));
      EXPECT_EQ(v.orientation.degrees, turn) << file << " turned " << turn;
      EXPECT_GE(v.orientation.confidence, Profile{}.min_orientation_confidence)
          << file << " turned " << turn;
      EXPECT_EQ(Has(v, ReasonCode::kPageTurned), turn != 0) << file << " turned " << turn;
      EXPECT_EQ(v.decision == Decision::kReject, turn != 0) << file << " turned " << turn;
      // Turned by quarters, the page is as straight as it was scanned.
      EXPECT_NEAR(v.skew.degrees, Scans().InherentSkew(file), 0.2) << file << " turned " << turn;
    }
  }
}

TEST(Orientation, AProfileThatTurnsPagesItselfAcceptsThemAndSaysSo) {
  if (!Scans().SkewKnown("pageseg1.tif")) GTEST_SKIP() << "shared scans not found";
  Profile profile;
  profile.accept_turned_pages = true;
  const PageVerdict v = JudgeRecipe(Scan("pageseg1.tif", 180, 0), profile);
  EXPECT_EQ(v.orientation.degrees, 180);
  EXPECT_TRUE(v.accepted_turned);
  EXPECT_FALSE(Has(v, ReasonCode::kPageTurned));
  EXPECT_EQ(v.decision, Decision::kAccept);
}

// 45 itself is as far from one axis as from the next; 42 stands for it.
TEST(Orientation, RealScansTurned20To45DegreesAreMeasuredAndRejectedAsSkewed) {
  if (!Scans().SkewKnown("pageseg1.tif")) GTEST_SKIP() << "shared scans not found";
  const double own = Scans().InherentSkew("pageseg1.tif");
  for (double degrees : {20.0, -30.0, 30.0, 42.0, -42.0}) {
    const PageVerdict v = JudgeRecipe(Scan("pageseg1.tif", 0, degrees));
    EXPECT_NEAR(v.skew.degrees, degrees + own, 0.5) << degrees;
    EXPECT_GE(v.skew.confidence, Profile{}.min_skew_confidence) << degrees;
    EXPECT_EQ(v.orientation.degrees, 0) << degrees;
    EXPECT_TRUE(Has(v, ReasonCode::kSkewed)) << degrees;
  }
  // And a page turned a quarter more: the skew is measured against its
  // orientation.
  const PageVerdict v = JudgeRecipe(Scan("pageseg1.tif", 270, 25));
  EXPECT_NEAR(v.skew.degrees, 25 + own, 0.5);
  EXPECT_EQ(v.orientation.degrees, 270);
}

// A dense real page turned beyond 15 degrees and a quarter or half turn
// round: a newspaper page (narrow columns of small 1-bit type). A sweep of
// the ink's projections over the half circle lost its line axis among the
// columns' blocks (skew read 0-11 degrees, off by 20-40); the gradients'
// directions find it, and the orientation follows from the lines.
TEST(Orientation, ADenseNewspaperPageTurnedBeyond15DegreesReadsItsSkewAndWayUp) {
  if (!Scans().available()) GTEST_SKIP() << "shared scans not found";
  struct Case {
    const char* file;
    int turn;
    double degrees;
    corpus::Color color;
  };
  for (const Case& c : {Case{"scots-frag.tif", 270, -21, corpus::Color::kGray},
                        Case{"scots-frag.tif", 180, 29, corpus::Color::kBilevel},
                        Case{"scots-frag.tif", 90, 41, corpus::Color::kGray}}) {
    corpus::Recipe r = Scan(c.file, c.turn, c.degrees);
    r.color = c.color;
    const PageVerdict v = JudgeRecipe(r);
    const double want = c.degrees + Scans().InherentSkew(c.file);
    EXPECT_NEAR(v.skew.degrees, want, 0.5) << c.file << " turned " << c.turn << " and " << c.degrees;
    EXPECT_EQ(v.orientation.degrees, c.turn) << c.file << " turned " << c.turn << " and " << c.degrees;
  }
}

// A page of lottery tickets (digits and capitals only, each ticket at its
// own skew, lines touching), scanned at 300 dpi: no ascenders, no ragged
// line ends, and its rows profile as flat as its columns. The lines gave no
// cue (confidence 0, the guess upright or sideways whatever the turn); the
// glyphs' own shapes (taller than wide, more ink in their top half) tell
// the axis and the way up.
TEST(Orientation, APageOfDigitsAndCapitalsReadsWhichWayUpFromItsGlyphs) {
  if (!Scans().available()) GTEST_SKIP() << "shared scans not found";
  for (int turn : {90, 180}) {
    corpus::Recipe r = Scan("tickets.tif", turn, 3);
    r.dpi = 300;
    const PageVerdict v = JudgeRecipe(r);
    EXPECT_EQ(v.orientation.degrees, turn) << "turned " << turn;
    EXPECT_GE(v.orientation.confidence, Profile{}.min_orientation_confidence) << "turned " << turn;
    EXPECT_TRUE(Has(v, ReasonCode::kPageTurned)) << "turned " << turn;
  }
}

TEST(Orientation, ChinesePagesReadWhichWayUpByTheirLineStartsAndEnds) {
  for (int turn : {0, 90, 180, 270}) {
    corpus::Recipe r;
    r.seed = 900 + std::uint32_t(turn);
    r.content = corpus::Content::kChinesePage;
    r.dpi = 200;
    r.turn_degrees = turn;
    r.rotation_degrees = 2.5;
    r.noise_sigma = 3;
    const PageVerdict v = JudgeRecipe(r);
    EXPECT_EQ(v.orientation.degrees, turn) << "turned " << turn;
    EXPECT_GE(v.orientation.confidence, Profile{}.min_orientation_confidence) << "turned " << turn;
  }
}

TEST(Orientation, BlankPagesAreNeverRejectedForTheirAngleOrOrientation) {
  for (std::uint32_t seed : {3u, 4u, 5u}) {
    corpus::Recipe r;
    r.seed = seed;
    r.content = corpus::Content::kBlank;
    r.dpi = 200;
    r.noise_sigma = 4;
    r.artefacts = corpus::kDust | corpus::kPunchHoles | corpus::kShowThrough;
    const PageVerdict v = JudgeRecipe(r);
    EXPECT_TRUE(v.is_blank);
    EXPECT_LT(v.orientation.confidence, 0.3);
    EXPECT_EQ(v.decision, Decision::kAccept);
    for (const Reason& reason : v.reasons) ADD_FAILURE() << reason.detail;
  }
}

}  // namespace
}  // namespace scangate
