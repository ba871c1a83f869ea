// The engine: verdicts in submission order, the in-flight bound, and one
// failing page never stopping the others.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "pipeline/engine.h"

namespace scangate {
namespace {

std::string PagePng(int size) {
  cv::Mat page(size, size, CV_8UC1, cv::Scalar(255));
  cv::putText(page, "page", {10, size / 2}, cv::FONT_HERSHEY_SIMPLEX, 1.0, cv::Scalar(0), 2);
  std::vector<std::uint8_t> buf;
  cv::imencode(".png", page, buf);
  return std::string(buf.begin(), buf.end());
}

auto DefaultProfile() { return std::make_shared<const Profile>(); }

// A judge whose time per file is set by the file's name, to make late
// submissions finish first.
std::vector<PageVerdict> SleepyJudge(std::span<const std::uint8_t>, const std::string& source,
                                     const Profile&, const JudgeOptions&) {
  std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(source)));
  PageVerdict v;
  v.source = source;
  v.decision = Decision::kAccept;
  return {v};
}

TEST(Engine, DeliversVerdictsInSubmissionOrderWhateverFinishesFirst) {
  Engine engine({.threads = 2, .judge = {}, .judge_fn = SleepyJudge});
  std::mutex mu;
  std::vector<std::string> order;
  std::vector<std::uint32_t> indices;
  auto seq = VerdictSequencer::Create(engine, 8, [&](std::vector<PageVerdict> v, auto) {
    std::lock_guard lock(mu);
    for (auto& p : v) {
      order.push_back(p.source);
      indices.push_back(p.page_index);
    }
  });
  const std::vector<std::string> delays = {"60", "5", "40", "1", "20", "2"};
  for (const auto& d : delays) seq->Submit({"", d, DefaultProfile()});
  engine.WaitIdle();
  EXPECT_EQ(order, delays);
  EXPECT_EQ(indices, (std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5}));
}

TEST(Engine, InFlightBoundHolds) {
  std::atomic<int> running{0}, peak{0};
  auto judge = [&](std::span<const std::uint8_t>, const std::string& s, const Profile&,
                   const JudgeOptions&) {
    int now = ++running;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    --running;
    return std::vector<PageVerdict>{PageVerdict{.source = s}};
  };
  Engine engine({.threads = 2, .judge = {}, .judge_fn = judge});
  std::atomic<int> delivered{0};
  auto seq = VerdictSequencer::Create(engine, 3, [&](std::vector<PageVerdict>, auto) { ++delivered; });
  std::size_t max_seen = 0;
  for (int i = 0; i < 30; ++i) {
    seq->WaitForCapacity();
    ASSERT_TRUE(seq->HasCapacity());
    seq->Submit({"", std::to_string(i), DefaultProfile()});
    max_seen = std::max(max_seen, seq->InFlight());
    EXPECT_LE(seq->InFlight(), 3u);
  }
  engine.WaitIdle();
  EXPECT_EQ(delivered.load(), 30);
  EXPECT_EQ(max_seen, 3u);
  EXPECT_LE(peak.load(), 2);  // never more than the engine's threads
}

TEST(Engine, AThrowingCheckBecomesThatPagesErrorVerdictAndTheRestGoOn) {
  auto judge = [](std::span<const std::uint8_t> bytes, const std::string& s, const Profile& p,
                  const JudgeOptions& o) -> std::vector<PageVerdict> {
    if (s == "bad") throw std::runtime_error("check exploded");
    return JudgeFile(bytes, s, p, o);
  };
  Engine engine({.threads = 2, .judge = {}, .judge_fn = judge});
  std::vector<PageVerdict> got;
  std::mutex mu;
  auto seq = VerdictSequencer::Create(engine, 4, [&](std::vector<PageVerdict> v, auto) {
    std::lock_guard lock(mu);
    for (auto& p : v) got.push_back(std::move(p));
  });
  const std::string png = PagePng(200);
  for (const char* name : {"a", "bad", "c", "bad", "e"}) {
    seq->WaitForCapacity();
    seq->Submit({png, name, DefaultProfile()});
  }
  engine.WaitIdle();
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[1].source, "bad");
  EXPECT_EQ(got[1].decision, Decision::kReject);
  EXPECT_NE(got[1].error.find("check exploded"), std::string::npos);
  ASSERT_FALSE(got[1].reasons.empty());
  EXPECT_EQ(got[1].reasons[0].code, ReasonCode::kInternalError);
  for (int i : {0, 2, 4}) EXPECT_TRUE(got[std::size_t(i)].error.empty()) << got[std::size_t(i)].error;
}

TEST(Engine, CorruptBytesGiveADecodeErrorVerdict) {
  Engine engine({.threads = 1});
  std::vector<PageVerdict> got;
  auto seq = VerdictSequencer::Create(engine, 4, [&](std::vector<PageVerdict> v, auto) {
    for (auto& p : v) got.push_back(std::move(p));
  });
  seq->Submit({"not an image at all", "junk.bin", DefaultProfile()});
  engine.WaitIdle();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].reasons.at(0).code, ReasonCode::kDecodeError);
  EXPECT_EQ(got[0].source, "junk.bin");
  EXPECT_FALSE(got[0].sha256.empty());
}

}  // namespace
}  // namespace scangate
