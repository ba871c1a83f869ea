// Header parsers for PNG, JPEG, BMP and WebP. See image_headers.h.
#include "pipeline/decode/image_headers.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace scangate::headers {
namespace {

using Bytes = std::span<const std::uint8_t>;

std::uint32_t Be16(Bytes b, std::size_t at) { return (b[at] << 8) | b[at + 1]; }
std::uint32_t Be32(Bytes b, std::size_t at) {
  return (std::uint32_t(b[at]) << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
}
std::uint32_t Le16(Bytes b, std::size_t at) { return b[at] | (b[at + 1] << 8); }
std::uint32_t Le24(Bytes b, std::size_t at) { return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16); }
std::uint32_t Le32(Bytes b, std::size_t at) {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (std::uint32_t(b[at + 3]) << 24);
}

PageError Truncated(const char* format, const std::string& where) {
  return {PageErrorKind::kTruncated, std::string(format) + " data is truncated (" + where + ")"};
}
PageError Corrupt(const char* format, const std::string& what) {
  return {PageErrorKind::kCorrupt, std::string(format) + " header is corrupt: " + what};
}

// `decoded_samples`: samples per pixel of an image the decoder hands back
// whole before it is brought to the page's 8-bit planes (alpha composed over
// white), 0 when it decodes straight into them.
ImageProbe Single(ImageFormat format, std::uint32_t w, std::uint32_t h, double dpi_x, double dpi_y,
                  bool bilevel, unsigned samples, unsigned bits, unsigned decoded_samples = 0,
                  std::uint64_t decoder_bytes = 0) {
  ImageProbe probe;
  probe.format = format;
  FrameInfo f{w, h, dpi_x, dpi_y, bilevel};
  f.samples_per_pixel = samples;
  f.bits_per_sample = bits;
  f.decoder_bytes = std::uint64_t(w) * h * decoded_samples + decoder_bytes;
  probe.frames.push_back(f);
  return probe;
}

// Resolution from an EXIF block (a TIFF structure): XResolution, YResolution,
// ResolutionUnit in IFD0. Returns false when absent or malformed.
bool ExifDpi(Bytes tiff, double& dpi_x, double& dpi_y) {
  if (tiff.size() < 8) return false;
  bool le = tiff[0] == 'I' && tiff[1] == 'I';
  if (!le && !(tiff[0] == 'M' && tiff[1] == 'M')) return false;
  auto u16 = [&](std::size_t at) { return le ? Le16(tiff, at) : Be16(tiff, at); };
  auto u32 = [&](std::size_t at) { return le ? Le32(tiff, at) : Be32(tiff, at); };
  std::size_t ifd = u32(4);
  if (ifd + 2 > tiff.size()) return false;
  std::size_t count = u16(ifd);
  double x = 0, y = 0;
  unsigned unit = 2;  // inch, TIFF's default
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.size()) return false;
    unsigned tag = u16(entry);
    if (tag == 296) unit = u16(entry + 8);
    if (tag == 282 || tag == 283) {
      std::size_t off = u32(entry + 8);
      if (off + 8 > tiff.size()) continue;
      std::uint32_t num = u32(off), den = u32(off + 4);
      if (den == 0) continue;
      (tag == 282 ? x : y) = double(num) / den;
    }
  }
  if (x <= 0) return false;
  if (y <= 0) y = x;
  double scale = unit == 3 ? 2.54 : (unit == 2 ? 1.0 : 0.0);
  if (scale == 0) return false;
  dpi_x = x * scale;
  dpi_y = y * scale;
  return true;
}

}  // namespace

Fallible<ImageProbe> ProbePng(Bytes b) {
  // Signature, then IHDR first: length(4) type(4) width(4) height(4) depth(1).
  if (b.size() < 33) return Truncated("PNG", "no complete IHDR");
  if (std::memcmp(b.data() + 12, "IHDR", 4) != 0) return Corrupt("PNG", "IHDR is not first");
  std::uint32_t w = Be32(b, 16), h = Be32(b, 20);
  unsigned depth = b[24], colour_type = b[25];
  if (w == 0 || h == 0) return Corrupt("PNG", "zero width or height");
  double dpi_x = 0, dpi_y = 0;
  bool saw_data = false, saw_end = false;
  std::size_t at = 8;
  while (at + 12 <= b.size()) {
    std::uint32_t len = Be32(b, at);
    if (len > b.size() - at - 12) return Truncated("PNG", "chunk runs past the end");
    const std::uint8_t* type = b.data() + at + 4;
    if (std::memcmp(type, "pHYs", 4) == 0 && len >= 9 && b[at + 16] == 1) {
      dpi_x = Be32(b, at + 8) * 0.0254;  // pixels per metre
      dpi_y = Be32(b, at + 12) * 0.0254;
    } else if (std::memcmp(type, "IDAT", 4) == 0) {
      saw_data = true;
    } else if (std::memcmp(type, "IEND", 4) == 0) {
      saw_end = true;
      break;
    }
    at += 12 + len;
  }
  if (!saw_end) return Truncated("PNG", saw_data ? "no IEND chunk" : "no image data");
  // Colour types 0 gray, 2 RGB, 3 palette, 4 gray and alpha, 6 RGBA.
  const unsigned samples = colour_type == 2 || colour_type == 3 ? 3
                           : colour_type == 4                   ? 2
                           : colour_type == 6                   ? 4
                                                                : 1;
  // Decoded row by row into the page's own planes (png_codec.cc): libpng
  // holds two rows at the file's depth.
  const std::uint64_t rows = 2 * ((std::uint64_t(w) * samples * depth + 7) / 8 + 1);
  return Single(ImageFormat::kPng, w, h, dpi_x, dpi_y, depth == 1 && colour_type == 0, samples,
                depth, 0, rows);
}

Fallible<ImageProbe> ProbeJpeg(Bytes b) {
  std::size_t at = 2;
  std::uint32_t w = 0, h = 0;
  double dpi_x = 0, dpi_y = 0;
  bool exif_dpi = false, saw_scan = false, progressive = false;
  unsigned precision = 8, components = 1;
  std::uint64_t coefficient_bytes = 0;
  while (at + 4 <= b.size()) {
    if (b[at] != 0xFF) return Corrupt("JPEG", "marker expected at byte " + std::to_string(at));
    unsigned marker = b[at + 1];
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      at += 2;
      continue;
    }
    std::size_t len = Be16(b, at + 2);
    if (len < 2) return Corrupt("JPEG", "segment length below 2");
    if (at + 2 + len > b.size()) return Truncated("JPEG", "segment runs past the end");
    Bytes seg = b.subspan(at + 4, len - 2);
    bool sof = (marker >= 0xC0 && marker <= 0xCF) && marker != 0xC4 && marker != 0xC8 &&
               marker != 0xCC;
    if (sof && seg.size() >= 6) {
      precision = seg[0];
      h = Be16(seg, 1);
      w = Be16(seg, 3);
      components = seg[5];
      // Progressive (and hierarchical or arithmetic progressive) frames keep
      // every coefficient of the image until the last scan.
      progressive = marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE;
      // libjpeg keeps them as 2-byte values in whole 8x8 blocks, each
      // component at its own sampling (chroma is usually half each way).
      unsigned h_max = 1, v_max = 1;
      for (unsigned c = 0; c < components && 6 + 3 * c + 1 < seg.size(); ++c) {
        h_max = std::max(h_max, unsigned(seg[7 + 3 * c] >> 4));
        v_max = std::max(v_max, unsigned(seg[7 + 3 * c] & 15));
      }
      coefficient_bytes = 0;
      for (unsigned c = 0; c < components && 6 + 3 * c + 1 < seg.size(); ++c) {
        const std::uint64_t cw = (std::uint64_t(w) * (seg[7 + 3 * c] >> 4) + h_max - 1) / h_max;
        const std::uint64_t ch = (std::uint64_t(h) * (seg[7 + 3 * c] & 15) + v_max - 1) / v_max;
        coefficient_bytes += 2 * ((cw + 7) / 8 * 8) * ((ch + 7) / 8 * 8);
      }
    } else if (marker == 0xE0 && seg.size() >= 12 && std::memcmp(seg.data(), "JFIF", 5) == 0 &&
               !exif_dpi) {
      unsigned unit = seg[7];
      double sx = Be16(seg, 8), sy = Be16(seg, 10);
      if (unit == 1 || unit == 2) {
        double k = unit == 2 ? 2.54 : 1.0;
        dpi_x = sx * k;
        dpi_y = sy * k;
      }
    } else if (marker == 0xE1 && seg.size() > 6 && std::memcmp(seg.data(), "Exif\0\0", 6) == 0) {
      exif_dpi = ExifDpi(seg.subspan(6), dpi_x, dpi_y);
    } else if (marker == 0xDA) {
      saw_scan = true;
      break;
    }
    at += 2 + len;
  }
  if (!saw_scan) return Truncated("JPEG", "no image data");
  if (w == 0 || h == 0) return Corrupt("JPEG", "no frame size before the image data");
  // A complete file ends with EOI; scanners may pad a few bytes after it.
  std::size_t tail = std::min<std::size_t>(b.size() - at, 4096);
  bool has_eoi = false;
  for (std::size_t i = b.size() - 1; i >= b.size() - tail + 1 && i > 0; --i) {
    if (b[i - 1] == 0xFF && b[i] == 0xD9) {
      has_eoi = true;
      break;
    }
  }
  if (!has_eoi) return Truncated("JPEG", "no end-of-image marker");
  return Single(ImageFormat::kJpeg, w, h, dpi_x, dpi_y, false, components, precision, 0,
                progressive ? coefficient_bytes : 0);
}

Fallible<ImageProbe> ProbeBmp(Bytes b) {
  if (b.size() < 26) return Truncated("BMP", "header");
  std::uint32_t offset = Le32(b, 10), dib = Le32(b, 14);
  std::int64_t w = 0, h = 0;
  unsigned bpp = 0, compression = 0;
  double dpi_x = 0, dpi_y = 0;
  if (dib == 12) {
    w = Le16(b, 18);
    h = Le16(b, 20);
    bpp = Le16(b, 24);
  } else if (dib >= 40) {
    if (b.size() < 14 + 40) return Truncated("BMP", "info header");
    w = std::int32_t(Le32(b, 18));
    h = std::int32_t(Le32(b, 22));
    bpp = Le16(b, 28);
    compression = Le32(b, 30);
    dpi_x = std::int32_t(Le32(b, 38)) * 0.0254;
    dpi_y = std::int32_t(Le32(b, 42)) * 0.0254;
  } else {
    return Corrupt("BMP", "unknown info header size " + std::to_string(dib));
  }
  if (h < 0) h = -h;
  if (w <= 0 || h == 0) return Corrupt("BMP", "non-positive width or height");
  if (bpp == 0 || bpp > 32) return Corrupt("BMP", "bits per pixel " + std::to_string(bpp));
  // Uncompressed rows are padded to 4 bytes; the pixel array must be whole.
  if (compression == 0 || compression == 3) {
    std::uint64_t row = ((std::uint64_t(w) * bpp + 31) / 32) * 4;
    if (std::uint64_t(offset) + row * std::uint64_t(h) > b.size())
      return Truncated("BMP", "pixel array runs past the end");
  }
  if (dpi_x < 0) dpi_x = 0;
  if (dpi_y < 0) dpi_y = 0;
  // OpenCV hands back 32-bit pixels as BGRA, to compose over white; palettes
  // and 16/24-bit pixels as BGR, which the page keeps.
  return Single(ImageFormat::kBmp, std::uint32_t(w), std::uint32_t(h), dpi_x, dpi_y, bpp == 1,
                bpp == 32 ? 4 : 3, bpp <= 8 ? bpp : 8, bpp == 32 ? 4 : 0);
}

Fallible<ImageProbe> ProbeWebp(Bytes b) {
  if (b.size() < 30) return Truncated("WebP", "header");
  std::uint64_t riff = Le32(b, 4);
  if (riff + 8 > b.size()) return Truncated("WebP", "RIFF size exceeds the data");
  std::uint32_t w = 0, h = 0;
  bool alpha = false;
  if (std::memcmp(b.data() + 12, "VP8 ", 4) == 0) {
    if (b[23] != 0x9d || b[24] != 0x01 || b[25] != 0x2a) return Corrupt("WebP", "VP8 start code");
    w = Le16(b, 26) & 0x3FFF;
    h = Le16(b, 28) & 0x3FFF;
  } else if (std::memcmp(b.data() + 12, "VP8L", 4) == 0) {
    if (b[20] != 0x2f) return Corrupt("WebP", "VP8L signature");
    std::uint32_t bits = Le32(b, 21);
    w = (bits & 0x3FFF) + 1;
    h = ((bits >> 14) & 0x3FFF) + 1;
    alpha = (bits >> 28) & 1;
  } else if (std::memcmp(b.data() + 12, "VP8X", 4) == 0) {
    w = Le24(b, 24) + 1;
    h = Le24(b, 27) + 1;
    alpha = b[20] & 0x10;
  } else {
    return Corrupt("WebP", "unknown first chunk");
  }
  if (w == 0 || h == 0) return Corrupt("WebP", "zero width or height");
  // With alpha, OpenCV hands back BGRA, composed over white afterwards.
  return Single(ImageFormat::kWebp, w, h, 0, 0, false, alpha ? 4 : 3, 8, alpha ? 4 : 0);
}

}  // namespace scangate::headers
