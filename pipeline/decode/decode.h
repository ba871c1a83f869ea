// Decoding untrusted image bytes into pages, with limits enforced from the
// headers before anything large is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pipeline/page_error.h"
#include "pipeline/decode/page_image.h"

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
  // Pixels of all the file's pages together: the CPU one file may take. A
  // page costs an engine thread ~15 ms per Mpx, so 64 A4 pages at 300 dpi
  // (8.7 Mpx each, 557 Mpx) take ~10 s and fit; 64 pages of 80 Mpx (5 Gpx,
  // a 354 KB G4 file) would hold a thread for minutes.
  std::uint64_t max_file_pixels = 640'000'000;
  // Long side over short side. The longest things counters scan are long
  // receipts and tickets, up to ~1:8 (an ID card is 1:1.6, A4 1:1.41); twice
  // that is still paper, while 100000 x 1 pixels is no document and would
  // size every check's grid from a one-pixel side.
  double max_aspect_ratio = 16;
  // The short side, pixels: a 40-mm card at 50 dpi is ~80 px; below this no
  // check has anything to read.
  std::uint32_t min_short_side = 32;
  // Bytes decoding one page may allocate at its peak (DecodeBytes), from the
  // header, before anything large is allocated. Pages decode straight to the
  // 8-bit gray (1 byte/px) and, for colour, 8-bit BGR (3 bytes/px) they keep:
  // an 80 Mpx colour page needs 320 MB. Decoders needing the whole image at
  // their own depth first (libtiff's RGBA reader, BMP or WebP with alpha,
  // progressive JPEG's coefficients) need up to twice that: a 70 Mpx A3
  // colour scan at 600 dpi (560 MB through libtiff) still fits.
  std::uint64_t max_decode_bytes = 640'000'000;
};

struct FrameInfo {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  double dpi_x = 0;  // 0: not in the file
  double dpi_y = 0;
  bool bilevel = false;  // 1 bit per pixel in the file
  // Samples as stored: 1 gray, 2 gray and alpha, 3 colour, 4 colour and
  // alpha (or CMYK); bits per sample.
  unsigned samples_per_pixel = 1;
  unsigned bits_per_sample = 8;
  // Working memory the format's decoder holds beside the page's own 8-bit
  // planes: a whole decoded image at the decoder's depth where it needs one
  // (libtiff's RGBA reader, alpha to compose over white), libtiff's largest
  // strip or tile, progressive JPEG's coefficients.
  std::uint64_t decoder_bytes = 0;
};

// What the header says, read without decoding pixels.
struct ImageProbe {
  ImageFormat format = ImageFormat::kUnknown;
  std::vector<FrameInfo> frames;
  // Pixels of all frames together: what judging the file costs, for
  // admission to count pixels rather than files.
  std::uint64_t total_pixels = 0;
};

// Bytes decoding `frame` allocates at its peak, from the header alone: the
// 8-bit planes the page keeps plus the decoder's own working memory.
std::uint64_t DecodeBytes(const FrameInfo& frame);

// Identifies the format from magic bytes alone.
ImageFormat SniffFormat(std::span<const std::uint8_t> bytes);

// Parses the headers, checks every limit (bytes, geometry, pixels per page
// and per file, frames, decoding memory) and that the data is not
// truncated. Cheap: no pixel data is decoded.
Fallible<ImageProbe> ProbeImage(std::span<const std::uint8_t> bytes, const DecodeLimits& limits);

// Decodes one frame of a probed file to 8 bits per sample, alpha composed
// over white paper. Colour is kept where present.
Fallible<PageImage> DecodeFrame(std::span<const std::uint8_t> bytes, const ImageProbe& probe,
                                std::size_t frame);

}  // namespace scangate
