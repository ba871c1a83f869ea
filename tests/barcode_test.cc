#include "barcode.h"

#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#ifndef SCANGATE_SHARED_DATA_DIR
#error "the build defines SCANGATE_SHARED_DATA_DIR (the shared data folder)"
#endif

namespace scangate {
namespace {

std::string SharedData(const std::string& rel) {
  const char* env = std::getenv("SCANGATE_SHARED_DATA");
  std::string base = env && *env ? env : SCANGATE_SHARED_DATA_DIR;
  return base + "/" + rel;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

cv::Mat ReadGray(const std::string& path) {
  cv::Mat gray = cv::imread(path, cv::IMREAD_GRAYSCALE);
  EXPECT_FALSE(gray.empty()) << "cannot read " << path
                             << " (set SCANGATE_SHARED_DATA to the shared data folder)";
  return gray;
}

BarcodeRule Wanting(std::vector<std::string> formats) {
  BarcodeRule rule;
  rule.formats = std::move(formats);
  return rule;
}

cv::Point2f CenterOf(const BarcodeMeasure& m) {
  cv::Point2f c;
  for (int i = 0; i < 4; ++i) c += cv::Point2f(m.corners[2 * i], m.corners[2 * i + 1]) * 0.25f;
  return c;
}

// A Code 128 symbol as printed: `module` pixels per module, `height` tall,
// ten modules of quiet zone on both sides.
cv::Mat Code128(const std::string& text, int module, int height) {
  ZXing::BitMatrix bits =
      ZXing::MultiFormatWriter(ZXing::BarcodeFormat::Code128).setMargin(10).encode(text, 0, 0);
  cv::Mat row(1, bits.width(), CV_8U);
  for (int x = 0; x < bits.width(); ++x) row.at<uint8_t>(0, x) = bits.get(x, 0) ? 0 : 255;
  cv::Mat symbol;
  cv::resize(row, symbol, cv::Size(bits.width() * module, height), 0, 0, cv::INTER_NEAREST);
  return symbol;
}

// A summary sheet as the scanner delivers it: A4 at 300 dpi, slightly grey
// paper, lines of word-like ink, codes pasted rotated by a few degrees, a
// little blur and sensor noise.
class A4Page {
 public:
  A4Page() : pixels_(3508, 2480, CV_8U, cv::Scalar(243)) {
    std::mt19937 rng(7);
    auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    for (int y = 700; y < 3300; y += uniform(50, 70)) {
      for (int x = 200; x < 2200; x += uniform(20, 40)) {
        int word = uniform(40, 200);
        for (int letter = x; letter < x + word; letter += uniform(12, 20)) {
          cv::rectangle(pixels_, cv::Rect(letter, y + uniform(0, 5), uniform(4, 11), uniform(18, 26)),
                        cv::Scalar(uniform(10, 60)), cv::FILLED);
        }
        x += word;
      }
    }
  }

  void Paste(const cv::Mat& symbol, cv::Point2f center, double degrees) {
    int side = static_cast<int>(std::hypot(symbol.cols, symbol.rows)) + 4;
    cv::Mat canvas(side, side, CV_8U, cv::Scalar(255));
    symbol.copyTo(canvas(cv::Rect((side - symbol.cols) / 2, (side - symbol.rows) / 2,
                                  symbol.cols, symbol.rows)));
    cv::Mat turn = cv::getRotationMatrix2D(cv::Point2f(side / 2.f, side / 2.f), degrees, 1.0);
    cv::warpAffine(canvas, canvas, turn, canvas.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                   cv::Scalar(255));
    cv::Rect where(static_cast<int>(center.x) - side / 2, static_cast<int>(center.y) - side / 2,
                   side, side);
    cv::Rect on_page = where & cv::Rect(0, 0, pixels_.cols, pixels_.rows);
    canvas(on_page - where.tl()).copyTo(pixels_(on_page));
  }

  cv::Mat Scanned() const {
    cv::Mat page;
    cv::GaussianBlur(pixels_, page, cv::Size(0, 0), 0.8);
    cv::Mat noise(page.size(), CV_16S);
    cv::randn(noise, 0, 6);
    cv::Mat wide;
    page.convertTo(wide, CV_16S);
    wide += noise;
    wide.convertTo(page, CV_8U);
    return page;
  }

 private:
  cv::Mat pixels_;
};

TEST(ReadPageBarcodes, ReadsTheCode128SampleThatAbortsPlainZXing) {
  // Plain ZXing::ReadBarcodes with default options takes the process down on
  // this image (it finds the code again in a downscaled copy).
  cv::Mat gray = ReadGray(SharedData("barcodes/zxing-samples/code128-1/4.png"));
  ASSERT_FALSE(gray.empty());
  std::string expected = ReadText(SharedData("barcodes/zxing-samples/code128-1/4.txt"));

  BarcodeMeasures codes = ReadPageBarcodes(gray, BarcodeRule{});

  ASSERT_EQ(codes.size(), 1u);
  EXPECT_EQ(codes[0].format, "Code128");
  EXPECT_EQ(codes[0].text, expected);
}

TEST(ReadPageBarcodes, ReadsCode128OnA4SummarySheet) {
  A4Page sheet;
  sheet.Paste(Code128("SG-2024-000123", 3, 150), {1700, 300}, 1.5);
  cv::Mat page = sheet.Scanned();
  BarcodeMeasures codes = ReadPageBarcodes(page, Wanting({"Code128"}));

  ASSERT_EQ(codes.size(), 1u);
  EXPECT_EQ(codes[0].format, "Code128");
  EXPECT_EQ(codes[0].text, "SG-2024-000123");
  EXPECT_NEAR(codes[0].orientation_degrees, 0, 3);  // ZXing's scan direction
  cv::Point2f center = CenterOf(codes[0]);
  EXPECT_NEAR(center.x, 1700, 40);
  EXPECT_NEAR(center.y, 300, 40);
  // The corners cover the bars, not just the two scan lines ZXing read.
  EXPECT_GT(std::abs(codes[0].corners[7] - codes[0].corners[1]), 120);
}

TEST(ReadPageBarcodes, ReadsCode128OnA4SheetWhenEveryFormatIsWanted) {
  A4Page sheet;
  sheet.Paste(Code128("SG-2024-000123", 4, 200), {600, 3200}, -2.0);

  BarcodeMeasures codes = ReadPageBarcodes(sheet.Scanned(), BarcodeRule{});

  ASSERT_EQ(codes.size(), 1u);
  EXPECT_EQ(codes[0].format, "Code128");
  EXPECT_EQ(codes[0].text, "SG-2024-000123");
}

TEST(ReadPageBarcodes, ReportsBothCopiesOfACodePrintedTwice) {
  // Two equal linear codes in one ZXing call trip its assertion even without
  // downscaling; here each copy is reported once.
  A4Page sheet;
  sheet.Paste(Code128("BATCH-77", 3, 160), {600, 300}, 0.5);
  sheet.Paste(Code128("BATCH-77", 3, 160), {1800, 3250}, -1.0);

  BarcodeMeasures codes = ReadPageBarcodes(sheet.Scanned(), Wanting({"Code128"}));

  ASSERT_EQ(codes.size(), 2u);
  EXPECT_EQ(codes[0].text, "BATCH-77");
  EXPECT_EQ(codes[1].text, "BATCH-77");
  EXPECT_NEAR(CenterOf(codes[0]).y, 300, 40);  // top of the page first
  EXPECT_NEAR(CenterOf(codes[1]).y, 3250, 40);
}

TEST(ReadPageBarcodes, ReadsACodeTurnedSideways) {
  A4Page sheet;
  cv::Mat symbol;
  cv::rotate(Code128("SIDEWAYS-9", 3, 180), symbol, cv::ROTATE_90_COUNTERCLOCKWISE);
  sheet.Paste(symbol, {2200, 1500}, 0);

  BarcodeMeasures codes = ReadPageBarcodes(sheet.Scanned(), Wanting({"Code128"}));

  ASSERT_EQ(codes.size(), 1u);
  EXPECT_EQ(codes[0].text, "SIDEWAYS-9");
  EXPECT_NEAR(std::abs(codes[0].orientation_degrees), 90, 2);
}

TEST(ReadPageBarcodes, ReadsFromARegionOfInterestInPageCoordinatesOfTheRegion) {
  A4Page sheet;
  sheet.Paste(Code128("ROI-42", 3, 150), {1700, 300}, 0);
  cv::Mat page = sheet.Scanned();
  cv::Mat top_right = page(cv::Rect(1200, 0, 1280, 800));  // rows are not contiguous
  ASSERT_FALSE(top_right.isContinuous());

  BarcodeMeasures codes = ReadPageBarcodes(top_right, Wanting({"Code128"}));

  ASSERT_EQ(codes.size(), 1u);
  EXPECT_EQ(codes[0].text, "ROI-42");
  EXPECT_NEAR(CenterOf(codes[0]).x, 500, 40);
  EXPECT_NEAR(CenterOf(codes[0]).y, 300, 40);
}

TEST(ReadPageBarcodes, FindsNothingOnAnEmptyWhitePage) {
  cv::Mat white(3508, 2480, CV_8U, cv::Scalar(255));

  EXPECT_TRUE(ReadPageBarcodes(white, BarcodeRule{}).empty());
}

TEST(ReadPageBarcodes, FindsNothingOnTheFalsePositiveSamples) {
  const std::filesystem::path folder = SharedData("barcodes/zxing-samples/falsepositives-1");
  ASSERT_TRUE(std::filesystem::is_directory(folder)) << folder;
  int images = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    cv::Mat gray = cv::imread(entry.path().string(), cv::IMREAD_GRAYSCALE);
    if (gray.empty()) continue;
    ++images;
    BarcodeMeasures codes = ReadPageBarcodes(gray, BarcodeRule{});
    EXPECT_TRUE(codes.empty()) << entry.path() << ": " << codes.size() << " codes, first "
                               << (codes.empty() ? "" : codes[0].format + " " + codes[0].text);
  }
  EXPECT_GT(images, 0);
}

TEST(ReadPageBarcodes, IgnoresUnknownFormatNames) {
  A4Page sheet;
  sheet.Paste(Code128("SG-1", 3, 150), {1700, 300}, 0);

  BarcodeMeasures codes = ReadPageBarcodes(sheet.Scanned(), Wanting({"NoSuchFormat", "Code128"}));

  ASSERT_EQ(codes.size(), 1u);
  EXPECT_EQ(codes[0].text, "SG-1");
}

TEST(ReadPageBarcodes, ReadsNothingOfFormatsNotAskedFor) {
  A4Page sheet;
  sheet.Paste(Code128("SG-1", 3, 150), {1700, 300}, 0);

  EXPECT_TRUE(ReadPageBarcodes(sheet.Scanned(), Wanting({"QRCode", "Code39"})).empty());
}

TEST(ReadPageBarcodes, GivesTheSameAnswerWhenCalledFromSeveralThreads) {
  A4Page sheet;
  sheet.Paste(Code128("SG-2024-000123", 3, 150), {1700, 300}, 1.0);
  sheet.Paste(Code128("BATCH-77", 3, 150), {700, 3200}, -1.0);
  const cv::Mat page = sheet.Scanned();
  const BarcodeRule rule = Wanting({"Code128"});
  const BarcodeMeasures alone = ReadPageBarcodes(page, rule);
  ASSERT_EQ(alone.size(), 2u);

  std::vector<std::future<BarcodeMeasures>> runs;
  for (int i = 0; i < 4; ++i) {
    runs.push_back(std::async(std::launch::async, [&] { return ReadPageBarcodes(page, rule); }));
  }
  for (auto& run : runs) {
    BarcodeMeasures together = run.get();
    ASSERT_EQ(together.size(), alone.size());
    for (size_t i = 0; i < alone.size(); ++i) {
      EXPECT_EQ(together[i].text, alone[i].text);
      for (int c = 0; c < 8; ++c) EXPECT_EQ(together[i].corners[c], alone[i].corners[c]);
    }
  }
}

}  // namespace
}  // namespace scangate
