// What the server counts before it judges a file: its memory at the peak and
// its work in A4 pages (server/memory_budget.h), from the header alone.
#include "server/memory_budget.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "pipeline/engine.h"
#include "tests/support/hostile_files.h"
#include "tests/support/synthetic_page.h"

namespace scangate {
namespace {

TEST(EstimateJudging, AProfileThatRepairsCountsTheRepairedPageToo) {
  const std::string one = synth::EncodeTiffMultiPage({cv::Mat(3508, 2480, CV_8U, cv::Scalar(255))}, 300);
  const std::uint64_t plain = EstimateJudging(one).memory_bytes;
  const std::uint64_t repairing = EstimateJudging(one, true).memory_bytes;
  // The repaired planes, their checks and the archive copy: 9 bytes a pixel.
  EXPECT_EQ(repairing - plain, 2480ull * 3508ull * 9);
  // A multi-page file is judged as it came: nothing more.
  const std::string two = synth::EncodeTiffMultiPage(
      {cv::Mat(3508, 2480, CV_8U, cv::Scalar(255)), cv::Mat(3508, 2480, CV_8U, cv::Scalar(255))}, 300);
  EXPECT_EQ(EstimateJudging(two, true).memory_bytes, EstimateJudging(two).memory_bytes);
}

TEST(EstimateJudging, AMultiFrameFileWeighsWhatItsFramesWeigh) {
  // A4 at 300 dpi is one page of work; eight of them in one TIFF are eight.
  const std::string one = synth::BlankG4Tiff(2480, 3508, 1);
  const std::string eight = synth::BlankG4Tiff(2480, 3508, 8);
  EXPECT_EQ(EstimateJudging(one).work_pages, 1u);
  EXPECT_EQ(EstimateJudging(eight).work_pages, 8u);
  // Frames are judged one after the other: memory is the largest frame's.
  EXPECT_EQ(EstimateJudging(eight).memory_bytes - eight.size(),
            EstimateJudging(one).memory_bytes - one.size());
}

TEST(EstimateJudging, PixelsNotFilesSetTheWork) {
  // A4 at 600 dpi holds four pages' pixels; a small ID card is still one.
  EXPECT_EQ(EstimateJudging(synth::BlankG4Tiff(4960, 7016, 1)).work_pages, 4u);
  EXPECT_EQ(EstimateJudging(synth::BlankG4Tiff(1012, 638, 1)).work_pages, 1u);
}

TEST(EstimateJudging, BytesWithoutAHeaderCostTheirSizeAndOnePage) {
  const std::string junk(5000, 'x');
  const JudgingEstimate e = EstimateJudging(junk);
  EXPECT_EQ(e.memory_bytes, junk.size());
  EXPECT_EQ(e.work_pages, 1u);
}

TEST(MemoryBudget, AReservationThatDoesNotFitIsRefusedAndReleasedBytesReturn) {
  MemoryBudget budget(100);
  auto a = budget.TryReserve(60);
  ASSERT_TRUE(a);
  EXPECT_FALSE(budget.TryReserve(50));
  // Bytes gRPC holds already are counted over the limit: the budget is full.
  auto held = budget.Charge(50);
  EXPECT_TRUE(budget.full());
  a.reset();
  held.reset();
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_TRUE(budget.TryReserve(100));
}

std::vector<PageVerdict> Sleepy(std::span<const std::uint8_t>, const std::string& source,
                                const Profile&, const JudgeOptions&) {
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  PageVerdict v;
  v.source = source;
  return {v};
}

TEST(Engine, WorkInFlightCountsEachFilesPagesUntilItIsJudged) {
  Engine engine({.threads = 1, .judge = {}, .judge_fn = Sleepy});
  auto profile = std::make_shared<const Profile>();
  PageJob heavy{"", "heavy", profile};
  heavy.work_pages = 64;
  engine.Submit(std::move(heavy), [](PageJob&, std::vector<PageVerdict>) {});
  engine.Submit({"", "light", profile}, [](PageJob&, std::vector<PageVerdict>) {});
  EXPECT_EQ(engine.in_flight(), 2u);
  EXPECT_EQ(engine.work_in_flight(), 65u);
  engine.WaitIdle();
  EXPECT_EQ(engine.work_in_flight(), 0u);
}

}  // namespace
}  // namespace scangate
