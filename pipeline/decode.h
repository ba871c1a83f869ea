// Decoding untrusted image bytes into pages, with limits enforced from the
// headers before anything large is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "page_error.h"
#include "page_image.h"

namespace scangate {

enum class ImageFormat { kUnknown, kJpeg, kPng, kTiff, kBmp, kWebp };

const char* ImageFormatName(ImageFormat format);

struct DecodeLimits {
  // A 600-dpi A4 colour page, uncompressed (BMP or raw TIFF), is ~105 MB.
  std::size_t max_bytes = 128u << 20;
  // An A3 page at 600 dpi is 70 Mpx; nothing a counter scans is larger.
  std::uint64_t max_pixels = 80'000'000;
  // Pages in one multi-page file.
  unsigned max_frames = 64;
};

struct FrameInfo {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  double dpi_x = 0;  // 0: not in the file
  double dpi_y = 0;
  bool bilevel = false;  // 1 bit per pixel in the file
};

// What the header says, read without decoding pixels.
struct ImageProbe {
  ImageFormat format = ImageFormat::kUnknown;
  std::vector<FrameInfo> frames;
};

// Identifies the format from magic bytes alone.
ImageFormat SniffFormat(std::span<const std::uint8_t> bytes);

// Parses the headers, checks the byte, pixel and frame limits and that the
// data is not truncated. Cheap: no pixel data is decoded.
Fallible<ImageProbe> ProbeImage(std::span<const std::uint8_t> bytes, const DecodeLimits& limits);

// Decodes one frame of a probed file. Colour is kept where present.
Fallible<PageImage> DecodeFrame(std::span<const std::uint8_t> bytes, const ImageProbe& probe,
                                std::size_t frame);

}  // namespace scangate
