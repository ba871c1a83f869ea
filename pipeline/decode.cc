// Format sniffing, limit checks and decoding. See decode.h.
#include "decode.h"

#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image_headers.h"

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
  for (std::size_t i = 0; i < probe.value().frames.size(); ++i) {
    const FrameInfo& f = probe.value().frames[i];
    std::uint64_t pixels = std::uint64_t(f.width) * f.height;
    if (pixels > limits.max_pixels)
      return PageError{PageErrorKind::kTooManyPixels,
                       std::string(ImageFormatName(probe.value().format)) + " page " +
                           std::to_string(i) + " is " + std::to_string(f.width) + "x" +
                           std::to_string(f.height) + " pixels, above the limit of " +
                           std::to_string(limits.max_pixels)};
  }
  return probe;
}

namespace {

// Brings whatever OpenCV decoded to 8-bit gray, plus 8-bit BGR for colour.
PageImage Normalise(cv::Mat decoded, const FrameInfo& info) {
  if (decoded.depth() == CV_16U) decoded.convertTo(decoded, CV_8U, 1.0 / 257.0);
  PageImage page;
  page.file_dpi_x = info.dpi_x;
  page.file_dpi_y = info.dpi_y > 0 ? info.dpi_y : info.dpi_x;
  switch (decoded.channels()) {
    case 1:
      page.gray = decoded;
      break;
    case 2: {  // gray + alpha: compose over white paper
      cv::Mat planes[2];
      cv::split(decoded, planes);
      cv::Mat inv_alpha;
      cv::subtract(cv::Scalar(255), planes[1], inv_alpha);
      page.gray = planes[0].mul(planes[1], 1.0 / 255) + inv_alpha;
      break;
    }
    case 4: {
      cv::Mat bgr, alpha;
      cv::cvtColor(decoded, bgr, cv::COLOR_BGRA2BGR);
      cv::extractChannel(decoded, alpha, 3);
      cv::Mat alpha3, white(bgr.size(), CV_8UC3, cv::Scalar::all(255));
      cv::cvtColor(alpha, alpha3, cv::COLOR_GRAY2BGR);
      cv::Mat inv;
      cv::subtract(cv::Scalar::all(255), alpha3, inv);
      page.color = bgr.mul(alpha3, 1.0 / 255) + inv;
      break;
    }
    default:
      page.color = decoded;
      break;
  }
  if (!page.color.empty()) {
    cv::cvtColor(page.color, page.gray, cv::COLOR_BGR2GRAY);
    page.color_mode = ColorMode::kColor;
  } else {
    page.color_mode = info.bilevel ? ColorMode::kBilevel : ColorMode::kGray;
  }
  return page;
}

}  // namespace

Fallible<PageImage> DecodeFrame(std::span<const std::uint8_t> bytes, const ImageProbe& probe,
                                std::size_t frame) {
  if (frame >= probe.frames.size())
    return PageError{PageErrorKind::kInternal, "no page " + std::to_string(frame) + " in the file"};
  if (probe.format == ImageFormat::kTiff) return headers::DecodeTiffFrame(bytes, frame);
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
