// Format sniffing, limit checks and decoding. See decode.h.
#include "pipeline/decode/decode.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "pipeline/decode/image_headers.h"

namespace scangate {

const char* ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "jpeg";
    case ImageFormat::kPng: return "png";
    case ImageFormat::kTiff: return "tiff";
    case ImageFormat::kBmp: return "bmp";
    case ImageFormat::kWebp: return "webp";
    case ImageFormat::kUnknown: break;
  }
  return "unknown";
}

const char* PageErrorKindName(PageErrorKind kind) {
  switch (kind) {
    case PageErrorKind::kEmpty: return "empty";
    case PageErrorKind::kUnsupported: return "unsupported";
    case PageErrorKind::kTruncated: return "truncated";
    case PageErrorKind::kCorrupt: return "corrupt";
    case PageErrorKind::kTooManyBytes: return "too_many_bytes";
    case PageErrorKind::kTooManyPixels: return "too_many_pixels";
    case PageErrorKind::kTooManyFrames: return "too_many_frames";
    case PageErrorKind::kImplausibleGeometry: return "implausible_geometry";
    case PageErrorKind::kTooMuchMemory: return "too_much_memory";
    case PageErrorKind::kInternal: return "internal";
  }
  return "internal";
}

ImageFormat SniffFormat(std::span<const std::uint8_t> b) {
  auto starts = [&](const char* magic, std::size_t n) {
    return b.size() >= n && std::memcmp(b.data(), magic, n) == 0;
  };
  if (starts("\xFF\xD8\xFF", 3)) return ImageFormat::kJpeg;
  if (starts("\x89PNG\r\n\x1A\n", 8)) return ImageFormat::kPng;
  if (starts("II*\0", 4) || starts("MM\0*", 4)) return ImageFormat::kTiff;
  if (starts("BM", 2)) return ImageFormat::kBmp;
  if (b.size() >= 12 && starts("RIFF", 4) && std::memcmp(b.data() + 8, "WEBP", 4) == 0)
    return ImageFormat::kWebp;
  return ImageFormat::kUnknown;
}

std::uint64_t DecodeBytes(const FrameInfo& f) {
  const std::uint64_t pixels = std::uint64_t(f.width) * f.height;
  // 8-bit gray, plus 8-bit BGR where the file holds colour (gray and alpha
  // is gray; palette and CMYK count as colour).
  const std::uint64_t kept = f.samples_per_pixel >= 3 ? 4 : 1;
  return pixels * kept + f.decoder_bytes;
}

namespace {

std::string OneDecimal(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", v);
  return text;
}

std::string Megabytes(std::uint64_t bytes) {
  return std::to_string((bytes + 500'000) / 1'000'000) + " MB";
}

// The limits one page of the file is held to, from its header alone.
std::optional<PageError> CheckFrame(const char* format, std::size_t index, const FrameInfo& f,
                                    const DecodeLimits& limits) {
  auto page = [&] {
    return std::string(format) + " page " + std::to_string(index) + " is " +
           std::to_string(f.width) + "x" + std::to_string(f.height) + " pixels";
  };
  const std::uint64_t pixels = std::uint64_t(f.width) * f.height;
  if (pixels > limits.max_pixels)
    return PageError{PageErrorKind::kTooManyPixels,
                     page() + ", above the limit of " + std::to_string(limits.max_pixels)};
  const std::uint32_t short_side = std::min(f.width, f.height);
  const std::uint32_t long_side = std::max(f.width, f.height);
  if (short_side < limits.min_short_side)
    return PageError{PageErrorKind::kImplausibleGeometry,
                     page() + ": its short side is below the limit of " +
                         std::to_string(limits.min_short_side) + " pixels"};
  if (double(long_side) > limits.max_aspect_ratio * short_side)
    return PageError{PageErrorKind::kImplausibleGeometry,
                     page() + ": its aspect ratio of 1:" +
                         OneDecimal(double(long_side) / short_side) + " is above the limit of 1:" +
                         OneDecimal(limits.max_aspect_ratio)};
  const std::uint64_t bytes = DecodeBytes(f);
  if (bytes > limits.max_decode_bytes)
    return PageError{PageErrorKind::kTooMuchMemory,
                     page() + " of " + std::to_string(f.samples_per_pixel) + "x" +
                         std::to_string(f.bits_per_sample) + "-bit samples: decoding needs " +
                         Megabytes(bytes) + ", above the limit of " +
                         Megabytes(limits.max_decode_bytes) + " per page"};
  return std::nullopt;
}

}  // namespace

Fallible<ImageProbe> ProbeImage(std::span<const std::uint8_t> bytes, const DecodeLimits& limits) {
  if (bytes.empty()) return PageError{PageErrorKind::kEmpty, "the file is empty (0 bytes)"};
  if (bytes.size() > limits.max_bytes)
    return PageError{PageErrorKind::kTooManyBytes,
                     "the file has " + std::to_string(bytes.size()) + " bytes, above the limit of " +
                         std::to_string(limits.max_bytes)};
  Fallible<ImageProbe> probe = PageError{PageErrorKind::kUnsupported, ""};
  switch (SniffFormat(bytes)) {
    case ImageFormat::kJpeg: probe = headers::ProbeJpeg(bytes); break;
    case ImageFormat::kPng: probe = headers::ProbePng(bytes); break;
    case ImageFormat::kTiff: probe = headers::ProbeTiff(bytes, limits.max_frames); break;
    case ImageFormat::kBmp: probe = headers::ProbeBmp(bytes); break;
    case ImageFormat::kWebp: probe = headers::ProbeWebp(bytes); break;
    case ImageFormat::kUnknown:
      return PageError{PageErrorKind::kUnsupported,
                       "not a supported image (JPEG, PNG, TIFF, BMP or WebP expected)"};
  }
  if (!probe.ok()) return probe;
  ImageProbe& p = probe.value();
  const char* format = ImageFormatName(p.format);
  p.total_pixels = 0;
  for (std::size_t i = 0; i < p.frames.size(); ++i) {
    if (std::optional<PageError> refused = CheckFrame(format, i, p.frames[i], limits))
      return *refused;
    // Each page is at most max_pixels: the sum cannot wrap.
    p.total_pixels += std::uint64_t(p.frames[i].width) * p.frames[i].height;
  }
  if (p.total_pixels > limits.max_file_pixels)
    return PageError{PageErrorKind::kTooManyPixels,
                     std::string(format) + " file holds " + std::to_string(p.total_pixels) +
                         " pixels in " + std::to_string(p.frames.size()) +
                         " pages, above the limit of " + std::to_string(limits.max_file_pixels) +
                         " per file"};
  return probe;
}

namespace {

// Each pixel over white paper by its alpha, row by row: whole-image
// temporaries would cost several times the page.
cv::Mat OverWhite(const cv::Mat& with_alpha) {
  const int colours = with_alpha.channels() - 1;
  cv::Mat out(with_alpha.size(), CV_8UC(colours));
  for (int y = 0; y < with_alpha.rows; ++y) {
    const std::uint8_t* in = with_alpha.ptr<std::uint8_t>(y);
    std::uint8_t* o = out.ptr<std::uint8_t>(y);
    for (int x = 0; x < with_alpha.cols; ++x, in += colours + 1, o += colours) {
      const int alpha = in[colours];
      for (int c = 0; c < colours; ++c)
        o[c] = std::uint8_t((in[c] * alpha + 255 * (255 - alpha) + 127) / 255);
    }
  }
  return out;
}

// Brings what OpenCV decoded (JPEG, BMP, WebP: 8 bits already) to 8-bit
// gray, plus 8-bit BGR for colour.
PageImage Normalise(cv::Mat decoded, const FrameInfo& info) {
  if (decoded.depth() != CV_8U) decoded.convertTo(decoded, CV_8U, 1.0 / 257.0);
  if (decoded.channels() == 2 || decoded.channels() == 4) decoded = OverWhite(decoded);
  PageImage page;
  page.file_dpi_x = info.dpi_x;
  page.file_dpi_y = info.dpi_y > 0 ? info.dpi_y : info.dpi_x;
  if (decoded.channels() == 1) {
    page.gray = decoded;
    page.color_mode = info.bilevel ? ColorMode::kBilevel : ColorMode::kGray;
  } else {
    page.color = decoded;
    cv::cvtColor(page.color, page.gray, cv::COLOR_BGR2GRAY);
    page.color_mode = ColorMode::kColor;
  }
  return page;
}

}  // namespace

Fallible<PageImage> DecodeFrame(std::span<const std::uint8_t> bytes, const ImageProbe& probe,
                                std::size_t frame) {
  if (frame >= probe.frames.size())
    return PageError{PageErrorKind::kInternal, "no page " + std::to_string(frame) + " in the file"};
  if (probe.format == ImageFormat::kTiff) return headers::DecodeTiffFrame(bytes, frame);
  if (probe.format == ImageFormat::kPng) return headers::DecodePngFrame(bytes, probe.frames[frame]);
  if (probe.format == ImageFormat::kJpeg) {
    bool needs_other_decoder = false;
    Fallible<PageImage> page = headers::DecodeJpegFrame(bytes, probe.frames[frame], needs_other_decoder);
    if (!needs_other_decoder) return page;
  }
  // imdecode only reads the buffer; the Mat header is how it takes bytes.
  cv::Mat raw(1, int(bytes.size()), CV_8UC1, const_cast<std::uint8_t*>(bytes.data()));
  cv::Mat decoded = cv::imdecode(raw, cv::IMREAD_UNCHANGED);
  if (decoded.empty())
    return PageError{PageErrorKind::kCorrupt,
                     std::string(ImageFormatName(probe.format)) + " data cannot be decoded"};
  const FrameInfo& info = probe.frames[frame];
  if (decoded.cols != int(info.width) || decoded.rows != int(info.height))
    return PageError{PageErrorKind::kCorrupt,
                     std::string(ImageFormatName(probe.format)) +
                         " decoded size differs from its header"};
  return Normalise(std::move(decoded), info);
}

}  // namespace scangate
