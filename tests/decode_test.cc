// Decoding: every supported format, and every kind of bad input refused with
// a clear error before anything large is allocated.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "decode.h"
#include "judge.h"
#include "support/hostile_files.h"
#include "support/synthetic_page.h"
#include "support/test_data.h"

namespace scangate {
namespace {

using Bytes = std::span<const std::uint8_t>;

Bytes AsBytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string Encode(const cv::Mat& image, const std::string& ext, std::vector<int> params = {}) {
  std::vector<std::uint8_t> buf;
  EXPECT_TRUE(cv::imencode(ext, image, buf, params));
  return std::string(buf.begin(), buf.end());
}

cv::Mat Document(int type = CV_8UC1) {
  cv::Mat page(400, 300, type, cv::Scalar::all(255));
  for (int y = 40; y < 360; y += 24)
    cv::putText(page, "Archive page text", {20, y}, cv::FONT_HERSHEY_SIMPLEX, 0.6,
                cv::Scalar(20, 40, 200), 2);
  return page;
}

Fallible<PageImage> DecodeFirst(const std::string& bytes, ImageProbe* probe_out = nullptr) {
  auto probe = ProbeImage(AsBytes(bytes), DecodeLimits{});
  if (!probe.ok()) return probe.error();
  if (probe_out) *probe_out = probe.value();
  return DecodeFrame(AsBytes(bytes), probe.value(), 0);
}

PageErrorKind ProbeErrorOf(const std::string& bytes, DecodeLimits limits = {}) {
  auto probe = ProbeImage(AsBytes(bytes), limits);
  EXPECT_FALSE(probe.ok());
  return probe.ok() ? PageErrorKind::kInternal : probe.error().kind;
}

TEST(Decode, PngKeepsGrayAsGray) {
  auto page = DecodeFirst(Encode(Document(), ".png"));
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page.value().color_mode, ColorMode::kGray);
  EXPECT_TRUE(page.value().color.empty());
  EXPECT_EQ(page.value().gray.size(), cv::Size(300, 400));
}

TEST(Decode, JpegKeepsColour) {
  auto page = DecodeFirst(Encode(Document(CV_8UC3), ".jpg"));
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page.value().color_mode, ColorMode::kColor);
  EXPECT_EQ(page.value().color.type(), CV_8UC3);
  EXPECT_EQ(page.value().gray.type(), CV_8UC1);
}

TEST(Decode, BmpAndWebpDecode) {
  for (const char* ext : {".bmp", ".webp"}) {
    auto page = DecodeFirst(Encode(Document(CV_8UC3), ext));
    ASSERT_TRUE(page.ok()) << ext << ": " << page.error().message;
    EXPECT_EQ(page.value().gray.size(), cv::Size(300, 400)) << ext;
  }
}

TEST(Decode, PngWithAlphaIsComposedOverWhitePaper) {
  cv::Mat rgba(50, 50, CV_8UC4, cv::Scalar(0, 0, 0, 0));  // fully transparent black
  auto page = DecodeFirst(Encode(rgba, ".png"));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(cv::mean(page.value().gray)[0], 255.0);
}

TEST(Decode, SixteenBitPngBecomesEightBit) {
  cv::Mat deep(40, 40, CV_16UC1, cv::Scalar(65535));
  auto page = DecodeFirst(Encode(deep, ".png"));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page.value().gray.depth(), CV_8U);
  EXPECT_EQ(cv::mean(page.value().gray)[0], 255.0);
}

TEST(Decode, TiffReadsDpiAndGray) {
  auto bytes = Encode(Document(), ".tif",
                      {cv::IMWRITE_TIFF_RESUNIT, 2, cv::IMWRITE_TIFF_XDPI, 300,
                       cv::IMWRITE_TIFF_YDPI, 300});
  auto page = DecodeFirst(bytes);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page.value().color_mode, ColorMode::kGray);
  EXPECT_DOUBLE_EQ(page.value().file_dpi_x, 300);
  EXPECT_EQ(cv::countNonZero(page.value().gray < 128) > 100, true);
}

TEST(Decode, RealBilevelG4ScanIsBilevelWithItsDpi) {
  std::string bytes = testing::ReadAll(testing::SharedData("scans/feyn.tif"));
  ASSERT_FALSE(bytes.empty());
  ImageProbe probe;
  auto page = DecodeFirst(bytes, &probe);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(probe.format, ImageFormat::kTiff);
  EXPECT_EQ(page.value().color_mode, ColorMode::kBilevel);
  EXPECT_NEAR(page.value().file_dpi_x, 300, 1);
  double ink = cv::countNonZero(page.value().gray == 0) / double(page.value().gray.total());
  EXPECT_GT(ink, 0.01);  // black text on white, not inverted
  EXPECT_LT(ink, 0.3);
}

TEST(Decode, RealColourJpegKeepsColour) {
  std::string bytes = testing::ReadAll(testing::SharedData("scans/colorpage.030.jpg"));
  auto page = DecodeFirst(bytes);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page.value().color_mode, ColorMode::kColor);
}

TEST(Decode, MultiPageTiffIsSeveralPagesEachWithItsOwnVerdict) {
  synth::PageSpec spec;
  spec.dpi = 100;
  cv::Mat text = synth::TextPage(spec);
  std::string tiff =
      synth::EncodeTiffMultiPage({synth::ToBilevel(text), text, synth::BlankBack(spec)}, 100);
  auto probe = ProbeImage(AsBytes(tiff), {});
  ASSERT_TRUE(probe.ok()) << probe.error().message;
  ASSERT_EQ(probe.value().frames.size(), 3u);
  std::vector<PageVerdict> pages = JudgeFile(AsBytes(tiff), "stack.tif", Profile{}, {});
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages[0].color_mode, ColorMode::kBilevel);
  EXPECT_EQ(pages[1].color_mode, ColorMode::kGray);
  for (std::uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(pages[i].frame, i);
    EXPECT_EQ(pages[i].source, "stack.tif");
    EXPECT_TRUE(pages[i].error.empty()) << pages[i].error;
    EXPECT_NEAR(pages[i].resolution.dpi, 100, 0.5);
    EXPECT_FALSE(pages[i].resolution.inferred);
  }
}

TEST(DecodeRefuses, TiffWithMorePagesThanTheLimit) {
  cv::Mat tiny(20, 20, CV_8UC1, cv::Scalar(255));
  std::string tiff = synth::EncodeTiffMultiPage(std::vector<cv::Mat>(65, tiny), 100);
  EXPECT_EQ(ProbeErrorOf(tiff), PageErrorKind::kTooManyFrames);
  std::vector<PageVerdict> pages = JudgeFile(AsBytes(tiff), "thousands.tif", Profile{}, {});
  ASSERT_EQ(pages.size(), 1u);  // one clear error, not 65 verdicts
  EXPECT_NE(pages[0].error.find("more than 64 pages"), std::string::npos) << pages[0].error;
}

TEST(DecodeRefuses, ZeroBytes) { EXPECT_EQ(ProbeErrorOf(""), PageErrorKind::kEmpty); }

TEST(DecodeRefuses, UnknownFormat) {
  EXPECT_EQ(ProbeErrorOf("%PDF-1.7 this is not an image"), PageErrorKind::kUnsupported);
}

TEST(DecodeRefuses, TruncatedPng) {
  std::string png = Encode(Document(), ".png");
  EXPECT_EQ(ProbeErrorOf(png.substr(0, png.size() / 2)), PageErrorKind::kTruncated);
}

TEST(DecodeRefuses, TruncatedJpeg) {
  std::string jpg = Encode(Document(), ".jpg");
  EXPECT_EQ(ProbeErrorOf(jpg.substr(0, jpg.size() * 2 / 3)), PageErrorKind::kTruncated);
}

TEST(DecodeRefuses, TruncatedBmp) {
  std::string bmp = Encode(Document(), ".bmp");
  EXPECT_EQ(ProbeErrorOf(bmp.substr(0, bmp.size() - 100)), PageErrorKind::kTruncated);
}

TEST(DecodeRefuses, TruncatedWebp) {
  std::string webp = Encode(Document(), ".webp");
  EXPECT_EQ(ProbeErrorOf(webp.substr(0, webp.size() / 2)), PageErrorKind::kTruncated);
}

TEST(DecodeRefuses, CorruptTiff) {
  std::string tif = Encode(Document(), ".tif");
  for (std::size_t i = 4; i < 8; ++i) tif[i] = '\xFF';  // first directory offset
  EXPECT_EQ(ProbeErrorOf(tif), PageErrorKind::kCorrupt);
}

TEST(DecodeRefuses, CorruptJpegDataIsAnErrorNotACrash) {
  std::string jpg = Encode(Document(), ".jpg");
  for (std::size_t i = jpg.size() / 3; i < jpg.size() - 2; i += 7) jpg[i] = char(0xFF);
  auto probe = ProbeImage(AsBytes(jpg), {});
  if (probe.ok()) {
    auto page = DecodeFrame(AsBytes(jpg), probe.value(), 0);
    if (!page.ok()) {
      EXPECT_FALSE(page.error().message.empty());
    }
  } else {
    EXPECT_FALSE(probe.error().message.empty());
  }
}

TEST(DecodeRefuses, FileOverTheByteLimit) {
  DecodeLimits limits;
  limits.max_bytes = 1000;
  EXPECT_EQ(ProbeErrorOf(Encode(Document(), ".bmp"), limits), PageErrorKind::kTooManyBytes);
}

TEST(DecodeRefuses, HugePngFromItsHeaderWithoutDecoding) {
  // Valid, under 1 MB, and 900 Mpx once decoded: refused from the header.
  std::string png = synth::UniformPng(30000, 30000);
  ASSERT_LT(png.size(), 1u << 20);
  EXPECT_EQ(ProbeErrorOf(png), PageErrorKind::kTooManyPixels);
}

TEST(DecodeRefuses, JpegHeaderClaimingHugeSize) {
  std::string jpg = Encode(Document(), ".jpg");
  // Rewrite the SOF0 frame size to 65000 x 65000.
  for (std::size_t i = 2; i + 9 < jpg.size(); ++i)
    if (std::uint8_t(jpg[i]) == 0xFF && std::uint8_t(jpg[i + 1]) == 0xC0) {
      jpg[i + 5] = jpg[i + 7] = char(0xFD);
      jpg[i + 6] = jpg[i + 8] = char(0xE8);
      break;
    }
  EXPECT_EQ(ProbeErrorOf(jpg), PageErrorKind::kTooManyPixels);
}

// Little-endian TIFF built by hand: `ifds` IFDs of `width` x `height` 8-bit
// gray, chained one after the other (the last pointing to `last_next`), all
// sharing one strip of `strip_bytes` zero bytes.
std::string HandMadeTiff(std::uint32_t width, std::uint32_t height, int ifds,
                         std::uint32_t strip_bytes, bool loop_to_first = false) {
  std::string t = "II*";
  t += '\0';
  auto u16 = [&](std::uint16_t v) { t += char(v & 0xFF); t += char(v >> 8); };
  auto u32 = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) t += char((v >> (8 * i)) & 0xFF); };
  u32(8);
  const std::uint32_t strip_at = 8 + std::uint32_t(ifds) * (2 + 8 * 12 + 4);
  for (int i = 0; i < ifds; ++i) {
    const std::uint32_t here = std::uint32_t(t.size());
    u16(8);
    auto entry = [&](std::uint16_t tag, std::uint16_t type, std::uint32_t value) {
      u16(tag); u16(type); u32(1);
      if (type == 3) { u16(std::uint16_t(value)); u16(0); } else { u32(value); }
    };
    entry(256, 4, width);            // ImageWidth
    entry(257, 4, height);           // ImageLength
    entry(258, 3, 8);                // BitsPerSample
    entry(259, 3, 1);                // Compression: none
    entry(262, 3, 1);                // Photometric: black is zero
    entry(273, 4, strip_at);         // StripOffsets
    entry(278, 4, height);           // RowsPerStrip
    entry(279, 4, strip_bytes);      // StripByteCounts
    const bool last = i + 1 == ifds;
    u32(last ? (loop_to_first ? 8u : 0u) : here + 2 + 8 * 12 + 4);
  }
  t.append(strip_bytes, '\0');
  return t;
}

TEST(DecodeRefuses, TiffHeaderClaimingHugeSize) {
  // 100000 x 100000 pixels claimed by a 200-byte file.
  const std::string tiff = HandMadeTiff(100000, 100000, 1, 16);
  ASSERT_LT(tiff.size(), 300u);
  EXPECT_EQ(ProbeErrorOf(tiff), PageErrorKind::kTooManyPixels);
  std::vector<PageVerdict> pages = JudgeFile(AsBytes(tiff), "bomb.tif", Profile{}, {});
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_TRUE(pages[0].error_kind.has_value());
}

TEST(DecodeRefuses, TiffWithThousandsOfPagesOrALoopOfPages) {
  const std::string thousands = HandMadeTiff(20, 20, 5000, 400);
  EXPECT_EQ(ProbeErrorOf(thousands), PageErrorKind::kTooManyFrames);
  // The last page points back to the first: a reader that follows the chain
  // blindly never ends.
  const std::string loop = HandMadeTiff(20, 20, 3, 400, /*loop_to_first=*/true);
  auto probe = ProbeImage(AsBytes(loop), DecodeLimits{});
  if (probe.ok()) EXPECT_LE(probe.value().frames.size(), 64u);
  std::vector<PageVerdict> pages = JudgeFile(AsBytes(loop), "loop.tif", Profile{}, {});
  EXPECT_GE(pages.size(), 1u);
  EXPECT_LE(pages.size(), 3u);
}

TEST(DecodeRefuses, WebpHeaderClaimingHugeSize) {
  // RIFF/WEBP with a VP8X chunk: canvas 16384 x 16384 (268 Mpx), no image data.
  std::string webp = "RIFF";
  auto u32 = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) webp += char((v >> (8 * i)) & 0xFF); };
  auto u24 = [&](std::uint32_t v) { for (int i = 0; i < 3; ++i) webp += char((v >> (8 * i)) & 0xFF); };
  u32(4 + 8 + 10);
  webp += "WEBPVP8X";
  u32(10);
  webp += std::string(4, '\0');  // flags and reserved
  u24(16383);                     // canvas width - 1
  u24(16383);                     // canvas height - 1
  EXPECT_EQ(ProbeErrorOf(webp), PageErrorKind::kTooManyPixels);
}

TEST(DecodeRefuses, DecodedSizeDifferentFromHeader) {
  std::string png = Encode(Document(), ".png");
  // IHDR says 301 wide, the data holds 300: the decoder fails or disagrees.
  png[19] = char(std::uint8_t(png[19]) + 1);
  auto probe = ProbeImage(AsBytes(png), {});
  if (probe.ok()) {
    EXPECT_FALSE(DecodeFrame(AsBytes(png), probe.value(), 0).ok());
  }
}

}  // namespace
}  // namespace scangate
