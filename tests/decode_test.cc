// Decoding: every supported format, and every kind of bad input refused with
// a clear error before anything large is allocated.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "pipeline/decode/decode.h"
#include "pipeline/judge.h"
#include "tests/support/hostile_files.h"
#include "tests/support/synthetic_page.h"
#include "tests/support/test_data.h"

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

// libjpeg only warns about damaged data and hands back the page with grey
// blocks where it went wrong; OpenCV passed that on as a good page. Damaged
// data is an error of its own (kCorrupt) that names what libjpeg found.
TEST(DecodeRefuses, CorruptJpegDataIsRefusedAsCorrupt) {
  std::string jpg = Encode(Document(), ".jpg");
  for (std::size_t i = jpg.size() / 3; i < jpg.size() - 2; i += 7) jpg[i] = char(0xFF);
  auto probe = ProbeImage(AsBytes(jpg), {});
  ASSERT_TRUE(probe.ok()) << probe.error().message;  // the header is intact
  auto page = DecodeFrame(AsBytes(jpg), probe.value(), 0);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().kind, PageErrorKind::kCorrupt);
  EXPECT_NE(page.error().message.find("jpeg data"), std::string::npos) << page.error().message;
  std::vector<PageVerdict> verdicts = JudgeFile(AsBytes(jpg), "damaged.jpg", Profile{}, {});
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0].decision, Decision::kReject);

  // The scan's data cut short and the file closed (an interrupted transfer
  // that a writer finished with an end marker): libjpeg goes on with a
  // warning and fills the rest with grey, and the page is still refused.
  const std::string whole = Encode(Document(), ".jpg");
  const std::string cut = whole.substr(0, whole.size() * 2 / 3) + "\xFF\xD9";
  auto warned = DecodeFrame(AsBytes(cut), ProbeImage(AsBytes(cut), {}).value(), 0);
  ASSERT_FALSE(warned.ok());
  EXPECT_EQ(warned.error().kind, PageErrorKind::kCorrupt);
  EXPECT_NE(warned.error().message.find("Corrupt JPEG data"), std::string::npos)
      << warned.error().message;
}

// The same decoder on good data: exactly the pixels OpenCV's decoder gives,
// gray and colour.
TEST(Decode, AGoodJpegDecodesToTheSamePixelsAsBefore) {
  for (bool colour : {false, true}) {
    cv::Mat image = Document();
    if (colour) cv::cvtColor(image, image, cv::COLOR_GRAY2BGR);
    std::vector<std::uint8_t> encoded;
    cv::imencode(".jpg", image, encoded, {cv::IMWRITE_JPEG_QUALITY, 85});
    const std::string jpg(encoded.begin(), encoded.end());
    auto probe = ProbeImage(AsBytes(jpg), {});
    ASSERT_TRUE(probe.ok());
    auto page = DecodeFrame(AsBytes(jpg), probe.value(), 0);
    ASSERT_TRUE(page.ok()) << page.error().message;
    const cv::Mat reference = cv::imdecode(encoded, cv::IMREAD_UNCHANGED);
    const cv::Mat& ours = colour ? page.value().color : page.value().gray;
    ASSERT_EQ(ours.size(), reference.size());
    ASSERT_EQ(ours.type(), reference.type());
    EXPECT_EQ(cv::norm(ours, reference, cv::NORM_INF), 0) << (colour ? "colour" : "gray");
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
// gray (or `samples` x `bits` RGB), chained one after the other (the last
// pointing to `last_next`), all sharing one strip of `strip_bytes` zero bytes,
// uncompressed or with `compression`.
std::string HandMadeTiff(std::uint32_t width, std::uint32_t height, int ifds,
                         std::uint32_t strip_bytes, bool loop_to_first = false,
                         std::uint16_t samples = 1, std::uint16_t bits = 8,
                         std::uint16_t compression = 1) {
  std::string t = "II*";
  t += '\0';
  auto u16 = [&](std::uint16_t v) { t += char(v & 0xFF); t += char(v >> 8); };
  auto u32 = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) t += char((v >> (8 * i)) & 0xFF); };
  u32(8);
  const std::uint32_t strip_at = 8 + std::uint32_t(ifds) * (2 + 9 * 12 + 4);
  for (int i = 0; i < ifds; ++i) {
    const std::uint32_t here = std::uint32_t(t.size());
    u16(9);
    auto entry = [&](std::uint16_t tag, std::uint16_t type, std::uint32_t value) {
      u16(tag); u16(type); u32(1);
      if (type == 3) { u16(std::uint16_t(value)); u16(0); } else { u32(value); }
    };
    entry(256, 4, width);            // ImageWidth
    entry(257, 4, height);           // ImageLength
    entry(258, 3, bits);             // BitsPerSample (one value for every sample)
    entry(259, 3, compression);      // Compression
    entry(262, 3, samples == 1 ? 1 : 2);  // Photometric: black is zero, or RGB
    entry(273, 4, strip_at);         // StripOffsets
    entry(277, 3, samples);          // SamplesPerPixel
    entry(278, 4, height);           // RowsPerStrip
    entry(279, 4, strip_bytes);      // StripByteCounts
    const bool last = i + 1 == ifds;
    u32(last ? (loop_to_first ? 8u : 0u) : here + 2 + 9 * 12 + 4);
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
  if (probe.ok()) {
    EXPECT_LE(probe.value().frames.size(), 64u);
  }
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

// The decoders check what they decoded against what the probe read from the
// header (the memory budget was reserved for that size). A probe that
// disagrees with the data, whatever made it so, ends the page as corrupt.
// (Editing a header in the file itself does not reach the check: PNG's CRC
// and the other formats' own parsers refuse such a file earlier.)
TEST(DecodeRefuses, DecodedSizeDifferentFromHeader) {
  for (const char* ext : {".png", ".jpg", ".bmp", ".webp"}) {
    const std::string file = Encode(Document(), ext);
    auto probe = ProbeImage(AsBytes(file), {});
    ASSERT_TRUE(probe.ok()) << ext;
    ImageProbe wrong = probe.value();
    wrong.frames[0].width += 1;
    auto page = DecodeFrame(AsBytes(file), wrong, 0);
    ASSERT_FALSE(page.ok()) << ext;
    EXPECT_EQ(page.error().kind, PageErrorKind::kCorrupt) << ext;
    EXPECT_NE(page.error().message.find("differs from its header"), std::string::npos)
        << ext << ": " << page.error().message;
  }
}

// ------------------------------------------------ a page within its budget

// 177 bytes, 100000 x 1 pixels: once it sized the blur grid from a dpi
// inferred off its 1-pixel side (1.6 GB, then an int overflow). No document
// has that shape: refused from the header, naming the limit.
TEST(DecodeRefuses, ShapeNoDocumentHasFromItsHeader) {
  const std::string strip = synth::UniformPng(100000, 1);
  ASSERT_LT(strip.size(), 300u);
  auto probe = ProbeImage(AsBytes(strip), DecodeLimits{});
  ASSERT_FALSE(probe.ok());
  EXPECT_EQ(probe.error().kind, PageErrorKind::kImplausibleGeometry);
  EXPECT_NE(probe.error().message.find("100000x1 pixels"), std::string::npos) << probe.error().message;
  EXPECT_NE(probe.error().message.find("limit"), std::string::npos) << probe.error().message;
  // A wide short strip and a thin tall one, each with a plausible short side.
  for (auto [w, h] : {std::pair<std::uint32_t, std::uint32_t>{20000, 1000}, {500, 9000}}) {
    auto wide = ProbeImage(AsBytes(synth::UniformPng(w, h)), DecodeLimits{});
    ASSERT_FALSE(wide.ok()) << w << "x" << h;
    EXPECT_EQ(wide.error().kind, PageErrorKind::kImplausibleGeometry);
    EXPECT_NE(wide.error().message.find("aspect ratio of 1:"), std::string::npos)
        << wide.error().message;
  }
  std::vector<PageVerdict> pages = JudgeFile(AsBytes(strip), "strip.png", Profile{}, {});
  ASSERT_EQ(pages.size(), 1u);
  ASSERT_TRUE(pages[0].error_kind.has_value());
  EXPECT_EQ(*pages[0].error_kind, PageErrorKind::kImplausibleGeometry);
  ASSERT_FALSE(pages[0].reasons.empty());
  EXPECT_EQ(pages[0].reasons[0].code, ReasonCode::kDecodeError);
}

TEST(Decode, LongReceiptsAndIdCardsAreWithinTheShapeLimits) {
  // A 1:8 receipt (80 x 640 mm at 200 dpi) and an ID card at 300 dpi.
  for (auto [w, h] : {std::pair<std::uint32_t, std::uint32_t>{630, 5040}, {1011, 638}}) {
    auto probe = ProbeImage(AsBytes(synth::UniformPng(w, h)), DecodeLimits{});
    EXPECT_TRUE(probe.ok()) << w << "x" << h << ": " << probe.error().message;
  }
}

// Where the shape limits are lifted, the page is still judged cheaply: the
// dpi inferred from a 1-pixel side is kept to what scanners use, and the
// blur grid is sized and indexed safely.
TEST(Decode, PageOfAbsurdShapeIsJudgedCheaplyWhereTheLimitsAllowIt) {
  JudgeOptions options;
  options.limits.max_aspect_ratio = 1e9;
  options.limits.min_short_side = 1;
  for (auto [w, h] : {std::pair<std::uint32_t, std::uint32_t>{100000, 1}, {1, 100000}, {60000, 3}}) {
    std::vector<PageVerdict> pages =
        JudgeFile(AsBytes(synth::UniformPng(w, h)), "strip.png", Profile{}, options);
    ASSERT_EQ(pages.size(), 1u);
    EXPECT_EQ(pages[0].error, "") << w << "x" << h;
    EXPECT_GE(pages[0].resolution.dpi, 50) << w << "x" << h;
    EXPECT_LE(pages[0].resolution.dpi, 2400) << w << "x" << h;
  }
}

TEST(DecodeRefuses, PagesOverTheFilePixelBudgetFromTheHeaderWalk) {
  // 64 blank A3-at-600-dpi-sized G4 pages: each within the page limit, 5.1
  // Gpx together, under 1 MB, and minutes of one engine thread if judged.
  const std::string tiff = synth::BlankG4Tiff(8000, 10000, 64);
  ASSERT_LT(tiff.size(), 1u << 20);
  auto probe = ProbeImage(AsBytes(tiff), DecodeLimits{});
  ASSERT_FALSE(probe.ok());
  EXPECT_EQ(probe.error().kind, PageErrorKind::kTooManyPixels);
  EXPECT_NE(probe.error().message.find("5120000000 pixels in 64 pages"), std::string::npos)
      << probe.error().message;
  EXPECT_NE(probe.error().message.find("per file"), std::string::npos) << probe.error().message;
  std::vector<PageVerdict> pages = JudgeFile(AsBytes(tiff), "stack.tif", Profile{}, {});
  ASSERT_EQ(pages.size(), 1u);  // one error, not 64 pages judged
  EXPECT_EQ(pages[0].error_kind, PageErrorKind::kTooManyPixels);
}

TEST(Decode, ProbeCountsThePixelsOfEveryPage) {
  const std::string tiff = synth::BlankG4Tiff(800, 1000, 3);
  auto probe = ProbeImage(AsBytes(tiff), DecodeLimits{});
  ASSERT_TRUE(probe.ok()) << probe.error().message;
  EXPECT_EQ(probe.value().frames.size(), 3u);
  EXPECT_EQ(probe.value().total_pixels, 3u * 800 * 1000);
  DecodeLimits limits;
  limits.max_file_pixels = 2 * 800 * 1000;
  EXPECT_EQ(ProbeErrorOf(tiff, limits), PageErrorKind::kTooManyPixels);
}

TEST(DecodeRefuses, PageWhoseDecodingNeedsMoreThanTheMemoryBudget) {
  // 80 Mpx of 16-bit RGBA in 640 KB: within the pixel limit; decoded to the
  // 8-bit BGR and gray a page keeps it needs 320 MB.
  const std::string png = synth::UniformPng(8000, 10000, 16, 6);
  ASSERT_LT(png.size(), 1u << 20);
  ASSERT_TRUE(ProbeImage(AsBytes(png), DecodeLimits{}).ok());
  DecodeLimits limits;
  limits.max_decode_bytes = 256'000'000;
  auto refused = ProbeImage(AsBytes(png), limits);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, PageErrorKind::kTooMuchMemory);
  EXPECT_NE(refused.error().message.find("4x16-bit samples: decoding needs 320 MB, above the "
                                         "limit of 256 MB per page"),
            std::string::npos)
      << refused.error().message;
  // libtiff's RGBA reader holds the whole page as RGBA, and a single-strip
  // deflated 16-bit RGB page as one 6-byte-a-pixel strip besides: 1.1 GB
  // for 80 Mpx. (libtiff cuts an uncompressed single strip into small ones.)
  const std::string tiff = HandMadeTiff(8000, 10000, 1, 16, false, 3, 16, /*deflate=*/8);
  auto deep = ProbeImage(AsBytes(tiff), DecodeLimits{});
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().kind, PageErrorKind::kTooMuchMemory);
  EXPECT_NE(deep.error().message.find("3x16-bit samples: decoding needs 1120 MB"), std::string::npos)
      << deep.error().message;
}

// libjpeg keeps a progressive JPEG's coefficients (2 bytes each, chroma at
// its own sampling) until the last scan; a baseline one it decodes by rows.
TEST(Decode, ProgressiveJpegCountsItsCoefficientsInTheDecodingBudget) {
  const cv::Mat page = Document(CV_8UC3);
  auto baseline = ProbeImage(AsBytes(Encode(page, ".jpg")), DecodeLimits{});
  auto progressive =
      ProbeImage(AsBytes(Encode(page, ".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1})), DecodeLimits{});
  ASSERT_TRUE(baseline.ok() && progressive.ok());
  const double pixels = double(page.total());
  EXPECT_EQ(baseline.value().frames[0].decoder_bytes, 0u);
  EXPECT_EQ(baseline.value().frames[0].samples_per_pixel, 3u);
  // 4:2:0 sampling is 3 bytes a pixel; 4:4:4 is 6.
  EXPECT_GE(progressive.value().frames[0].decoder_bytes, 3 * pixels);
  EXPECT_LE(progressive.value().frames[0].decoder_bytes, 6.2 * pixels);
  EXPECT_EQ(DecodeBytes(progressive.value().frames[0]),
            4 * page.total() + progressive.value().frames[0].decoder_bytes);
}

TEST(Decode, SixteenBitColourPngWithAlphaIsEightBitBgrOverWhitePaper) {
  cv::Mat deep(40, 60, CV_16UC4, cv::Scalar(0x2020, 0x8080, 0xC0C0, 65535));  // BGRA
  deep(cv::Rect(0, 0, 20, 40)).setTo(cv::Scalar(0, 0, 0, 0));  // left half transparent
  auto page = DecodeFirst(Encode(deep, ".png"));
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page.value().color_mode, ColorMode::kColor);
  ASSERT_EQ(page.value().color.type(), CV_8UC3);
  EXPECT_EQ(page.value().color.at<cv::Vec3b>(10, 30), cv::Vec3b(0x20, 0x80, 0xC0));
  EXPECT_EQ(page.value().color.at<cv::Vec3b>(10, 5), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(page.value().gray.type(), CV_8UC1);
}

// The peak resident memory of judging `bytes` in a process of its own: the
// test binary runs itself on the file (JudgeFileInAChildProcess below), and
// the kernel keeps the child's peak (ru_maxrss, kB). Returns -1 when the
// child fails.
long ChildPeakRssMb(const std::string& bytes) {
  char path[] = "/tmp/scangate-judge-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return -1;
  ::close(fd);
  std::ofstream(path, std::ios::binary) << bytes;
  const std::string filter =
      "--gtest_filter=JudgeFileInAChildProcess.DISABLED_JudgesTheFileNamedInItsEnvironment";
  const std::string env = std::string("SCANGATE_JUDGE_FILE=") + path;
  char* argv[] = {const_cast<char*>("decode_test"), const_cast<char*>(filter.c_str()),
                  const_cast<char*>("--gtest_also_run_disabled_tests"), nullptr};
  char* envp[] = {const_cast<char*>(env.c_str()), nullptr};
  pid_t pid = -1;
  posix_spawn_file_actions_t quiet;
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
  // posix_spawn: the child runs a fresh image, not a copy of this process.
  const int spawned = posix_spawn(&pid, "/proc/self/exe", &quiet, nullptr, argv, envp);
  posix_spawn_file_actions_destroy(&quiet);
  int status = 0;
  const bool ran = spawned == 0 && waitpid(pid, &status, 0) == pid;
  std::remove(path);
  if (!ran || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return usage.ru_maxrss / 1024;
}

TEST(JudgeFileInAChildProcess, DISABLED_JudgesTheFileNamedInItsEnvironment) {
  const char* path = std::getenv("SCANGATE_JUDGE_FILE");
  ASSERT_NE(path, nullptr);
  const std::string bytes = testing::ReadAll(path);
  std::vector<PageVerdict> pages = JudgeFile(AsBytes(bytes), "child", Profile{}, {});
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(pages[0].error, "");
  EXPECT_EQ(pages[0].color_mode, ColorMode::kColor);
}

// 642 KB of 16-bit RGBA, 80 Mpx: once 1.87 GB at the peak (decoded at 16
// bits with alpha, converted, composed through whole-page temporaries). Now
// decoded straight to 8-bit BGR and gray (320 MB) and judged: the whole
// judging process stays within a few hundred MB.
TEST(Decode, SixteenBitRgbaPngOf80MpxIsJudgedWithinItsBudget) {
  const std::string png = synth::UniformPng(8000, 10000, 16, 6);
  const long peak_mb = ChildPeakRssMb(png);
  ASSERT_GT(peak_mb, 0) << "the child judging the page failed";
  std::printf("judging 80 Mpx of 16-bit RGBA peaked at %ld MB\n", peak_mb);
  // 468 MB in the release build. AddressSanitizer keeps freed memory in its
  // quarantine (256 MB by default) and adds its shadow: 600 MB there.
#if defined(__SANITIZE_ADDRESS__)
  constexpr long kBoundMb = 900;
#else
  constexpr long kBoundMb = 600;
#endif
  EXPECT_LT(peak_mb, kBoundMb) << "peak resident memory " << peak_mb << " MB";
}

}  // namespace
}  // namespace scangate
