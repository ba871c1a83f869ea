// See encode.h.
#include "pipeline/decode/encode.h"

#include <tiffio.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace scangate {
namespace {

constexpr double kMetresPerInch = 0.0254;

bool Imencode(const char* ext, const cv::Mat& page, const std::vector<int>& params,
              std::string& out) {
  std::vector<std::uint8_t> bytes;
  try {
    if (!cv::imencode(ext, page, bytes, params)) return false;
  } catch (const cv::Exception&) {
    return false;
  }
  out.assign(bytes.begin(), bytes.end());
  return true;
}

void PutBe32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(char((v >> shift) & 0xFF));
}
void PutBe16At(std::string& out, std::size_t at, std::uint32_t v) {
  out[at] = char((v >> 8) & 0xFF);
  out[at + 1] = char(v & 0xFF);
}

// libtiff on a growing string, so no page image ever touches the disk.
struct MemoryFile {
  std::string bytes;
  std::size_t pos = 0;
};
tmsize_t Read(thandle_t h, void* buf, tmsize_t size) {
  auto* f = static_cast<MemoryFile*>(h);
  if (f->pos >= f->bytes.size()) return 0;
  std::size_t n = std::min<std::size_t>(std::size_t(size), f->bytes.size() - f->pos);
  std::memcpy(buf, f->bytes.data() + f->pos, n);
  f->pos += n;
  return tmsize_t(n);
}
tmsize_t Write(thandle_t h, void* buf, tmsize_t size) {
  auto* f = static_cast<MemoryFile*>(h);
  if (f->pos + std::size_t(size) > f->bytes.size()) f->bytes.resize(f->pos + std::size_t(size));
  std::memcpy(f->bytes.data() + f->pos, buf, std::size_t(size));
  f->pos += std::size_t(size);
  return size;
}
toff_t Seek(thandle_t h, toff_t off, int whence) {
  auto* f = static_cast<MemoryFile*>(h);
  toff_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->pos : f->bytes.size();
  f->pos = std::size_t(base + off);  // unsigned wrap-around gives negative SEEK_CUR offsets
  return f->pos;
}
int Close(thandle_t) { return 0; }
toff_t Size(thandle_t h) { return static_cast<MemoryFile*>(h)->bytes.size(); }
int Map(thandle_t, void**, toff_t*) { return 0; }
void Unmap(thandle_t, void*, toff_t) {}

struct TiffFailed {
  const char* what;
};
void Check(int ok, const char* what) {
  if (!ok) throw TiffFailed{what};
}

void SetResolution(TIFF* tif, double dpi) {
  Check(TIFFSetField(tif, TIFFTAG_XRESOLUTION, float(dpi)), "XResolution");
  Check(TIFFSetField(tif, TIFFTAG_YRESOLUTION, float(dpi)), "YResolution");
  Check(TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH), "ResolutionUnit");
}

// One directory holding a bilevel page as CCITT G4, black = 1 (min-is-white),
// the way document scanners store black-and-white pages.
void WriteG4(TIFF* tif, const cv::Mat& bilevel, double dpi) {
  Check(TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, std::uint32_t(bilevel.cols)), "ImageWidth");
  Check(TIFFSetField(tif, TIFFTAG_IMAGELENGTH, std::uint32_t(bilevel.rows)), "ImageLength");
  Check(TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1), "BitsPerSample");
  Check(TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1), "SamplesPerPixel");
  Check(TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4), "Compression");
  Check(TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE), "Photometric");
  Check(TIFFSetField(tif, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB), "FillOrder");
  Check(TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, std::uint32_t(bilevel.rows)), "RowsPerStrip");
  SetResolution(tif, dpi);
  const std::size_t row_bytes = (std::size_t(bilevel.cols) + 7) / 8;
  std::vector<std::uint8_t> packed(row_bytes * std::size_t(bilevel.rows), 0);
  for (int y = 0; y < bilevel.rows; ++y) {
    const std::uint8_t* in = bilevel.ptr<std::uint8_t>(y);
    std::uint8_t* out = packed.data() + std::size_t(y) * row_bytes;
    for (int x = 0; x < bilevel.cols; ++x)
      if (in[x] < 128) out[x / 8] |= std::uint8_t(0x80 >> (x % 8));
  }
  Check(TIFFWriteEncodedStrip(tif, 0, packed.data(), tmsize_t(packed.size())) >= 0, "G4 strip");
}

// One directory holding an 8-bit gray or RGB page, deflated.
void WriteContone(TIFF* tif, const cv::Mat& page, double dpi) {
  cv::Mat pixels = page;
  if (page.channels() == 3) cv::cvtColor(page, pixels, cv::COLOR_BGR2RGB);
  if (page.channels() == 4) cv::cvtColor(page, pixels, cv::COLOR_BGRA2RGB);
  const int samples = pixels.channels();
  Check(TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, std::uint32_t(pixels.cols)), "ImageWidth");
  Check(TIFFSetField(tif, TIFFTAG_IMAGELENGTH, std::uint32_t(pixels.rows)), "ImageLength");
  Check(TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8), "BitsPerSample");
  Check(TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, samples), "SamplesPerPixel");
  Check(TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG), "PlanarConfig");
  Check(TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE), "Compression");
  Check(TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, samples == 1 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB),
        "Photometric");
  Check(TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, TIFFDefaultStripSize(tif, 0)), "RowsPerStrip");
  SetResolution(tif, dpi);
  for (int y = 0; y < pixels.rows; ++y)
    Check(TIFFWriteScanline(tif, pixels.ptr(y), std::uint32_t(y), 0) >= 0, "scanline");
}

}  // namespace

bool IsBilevel(const cv::Mat& page) {
  if (page.type() != CV_8UC1) return false;
  cv::Mat between = (page > 0) & (page < 255);
  return cv::countNonZero(between) == 0;
}

Expected<std::string> EncodePngFile(const cv::Mat& page, double dpi, int level) {
  // The default strategy: OpenCV's default (level 1, RLE) makes a colour A4
  // page at 300 dpi some 60% larger than level 6 for 0.1 s saved.
  std::string png;
  if (!Imencode(".png", page,
                {cv::IMWRITE_PNG_COMPRESSION, std::clamp(level, 0, 9), cv::IMWRITE_PNG_STRATEGY,
                 cv::IMWRITE_PNG_STRATEGY_DEFAULT},
                png))
    return Error{"the page cannot be encoded as PNG"};
  // pHYs belongs before the first IDAT; right after IHDR (which ends at byte 33)
  // is where encoders put it. OpenCV writes none of its own.
  if (png.size() < 33 || png.compare(12, 4, "IHDR") != 0)
    return Error{"PNG encoder: IHDR is not first"};
  std::string chunk;
  PutBe32(chunk, 9);
  chunk += "pHYs";
  const std::uint32_t per_metre = std::uint32_t(std::lround(dpi / kMetresPerInch));
  PutBe32(chunk, per_metre);
  PutBe32(chunk, per_metre);
  chunk.push_back(1);  // unit: metre
  const auto* typed = reinterpret_cast<const Bytef*>(chunk.data() + 4);
  PutBe32(chunk, std::uint32_t(crc32(crc32(0, nullptr, 0), typed, 4 + 9)));
  png.insert(33, chunk);
  return png;
}

Expected<std::string> EncodeJpegFile(const cv::Mat& page, int quality, double dpi) {
  std::string jpeg;
  if (!Imencode(".jpg", page, {cv::IMWRITE_JPEG_QUALITY, quality, cv::IMWRITE_JPEG_OPTIMIZE, 1},
                jpeg))
    return Error{"the page cannot be encoded as JPEG"};
  // libjpeg writes a JFIF APP0 first: FFD8 FFE0 len "JFIF\0" ver(2) units X(2) Y(2).
  const bool jfif = jpeg.size() > 20 && std::uint8_t(jpeg[2]) == 0xFF &&
                    std::uint8_t(jpeg[3]) == 0xE0 && jpeg.compare(6, 5, std::string("JFIF\0", 5)) == 0;
  if (!jfif) {
    std::string app0("\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 18);
    jpeg.insert(2, app0);
  }
  const std::uint32_t density = std::uint32_t(std::lround(dpi));
  jpeg[13] = 1;  // units: dots per inch
  PutBe16At(jpeg, 14, density);
  PutBe16At(jpeg, 16, density);
  return jpeg;
}

Expected<std::string> EncodeTiffFile(const std::vector<cv::Mat>& pages, double dpi) {
  MemoryFile file;
  // "m": no memory mapping; the callbacks are the only way in.
  TIFF* tif = TIFFClientOpen("memory", "wm", &file, Read, Write, Seek, Close, Size, Map, Unmap);
  if (!tif) return Error{"libtiff: cannot open a memory TIFF"};
  try {
    for (std::size_t i = 0; i < pages.size(); ++i) {
      if (pages.size() > 1) {
        Check(TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE), "SubfileType");
        Check(TIFFSetField(tif, TIFFTAG_PAGENUMBER, std::uint16_t(i), std::uint16_t(pages.size())),
              "PageNumber");
      }
      if (IsBilevel(pages[i])) WriteG4(tif, pages[i], dpi);
      else WriteContone(tif, pages[i], dpi);
      Check(TIFFWriteDirectory(tif), "WriteDirectory");
    }
  } catch (const TiffFailed& failed) {
    TIFFClose(tif);
    return Error{std::string("libtiff: ") + failed.what + " failed"};
  }
  TIFFClose(tif);
  return std::move(file.bytes);
}

}  // namespace scangate
