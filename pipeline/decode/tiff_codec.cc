// TIFF from memory through libtiff: every directory is a page; 1-bit CCITT G4
// scans are the common case. Errors go to a per-handle handler, so concurrent
// pages never share libtiff's global error state.
#include <tiffio.h>

#include <cstring>
#include <memory>
#include <opencv2/imgproc.hpp>
#include <string>

#include "pipeline/decode/image_headers.h"

namespace scangate::headers {
namespace {

struct MemoryFile {
  std::span<const std::uint8_t> bytes;
  toff_t pos = 0;
  std::string error;
};

tmsize_t Read(thandle_t h, void* buf, tmsize_t size) {
  auto* f = static_cast<MemoryFile*>(h);
  if (f->pos >= f->bytes.size()) return 0;
  tmsize_t n = std::min<tmsize_t>(size, tmsize_t(f->bytes.size() - f->pos));
  std::memcpy(buf, f->bytes.data() + f->pos, std::size_t(n));
  f->pos += toff_t(n);
  return n;
}
tmsize_t Write(thandle_t, void*, tmsize_t) { return 0; }
toff_t Seek(thandle_t h, toff_t off, int whence) {
  auto* f = static_cast<MemoryFile*>(h);
  toff_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->pos : f->bytes.size();
  f->pos = base + off;
  return f->pos;
}
int Close(thandle_t) { return 0; }
toff_t Size(thandle_t h) { return static_cast<MemoryFile*>(h)->bytes.size(); }
int Map(thandle_t h, void** base, toff_t* size) {
  auto* f = static_cast<MemoryFile*>(h);
  *base = const_cast<std::uint8_t*>(f->bytes.data());
  *size = f->bytes.size();
  return 1;
}
void Unmap(thandle_t, void*, toff_t) {}

int OnError(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto* f = static_cast<MemoryFile*>(user);
  char text[512];
  std::vsnprintf(text, sizeof text, fmt, ap);
  if (f->error.empty()) f->error = text;
  return 1;
}
int OnWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

struct TiffCloser {
  void operator()(TIFF* t) const { TIFFClose(t); }
};
using TiffPtr = std::unique_ptr<TIFF, TiffCloser>;

TiffPtr Open(MemoryFile& file) {
  TIFFOpenOptions* opts = TIFFOpenOptionsAlloc();
  TIFFOpenOptionsSetErrorHandlerExtR(opts, OnError, &file);
  TIFFOpenOptionsSetWarningHandlerExtR(opts, OnWarning, &file);
  // No single allocation beyond what the largest admitted page needs.
  TIFFOpenOptionsSetMaxSingleMemAlloc(opts, tmsize_t(512) << 20);
  TIFF* t = TIFFClientOpenExt("page", "rm", &file, Read, Write, Seek, Close, Size, Map, Unmap,
                              opts);
  TIFFOpenOptionsFree(opts);
  return TiffPtr(t);
}

PageError TiffError(MemoryFile& file, const std::string& what) {
  std::string message = "TIFF " + what;
  if (!file.error.empty()) message += ": " + file.error;
  return {PageErrorKind::kCorrupt, message};
}

// Strip-organised 1- and 8-bit gray pages are read row by row into the page
// (ReadGrayRows); everything else through libtiff's RGBA reader.
bool ReadsAsGrayRows(TIFF* t) {
  std::uint16_t bps = 1, spp = 1, photometric = PHOTOMETRIC_MINISWHITE;
  TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photometric);
  const bool gray_photometric =
      photometric == PHOTOMETRIC_MINISWHITE || photometric == PHOTOMETRIC_MINISBLACK;
  return spp == 1 && (bps == 1 || bps == 8) && gray_photometric && !TIFFIsTiled(t);
}

FrameInfo ReadInfo(TIFF* t) {
  FrameInfo info;
  std::uint32_t w = 0, h = 0;
  TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
  TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
  info.width = w;
  info.height = h;
  float xres = 0, yres = 0;
  std::uint16_t unit = RESUNIT_INCH, bps = 1, spp = 1;
  TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &unit);
  TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
  bool has_x = TIFFGetField(t, TIFFTAG_XRESOLUTION, &xres);
  bool has_y = TIFFGetField(t, TIFFTAG_YRESOLUTION, &yres);
  double scale = unit == RESUNIT_CENTIMETER ? 2.54 : unit == RESUNIT_INCH ? 1.0 : 0.0;
  if (has_x && xres > 0) info.dpi_x = xres * scale;
  if (has_y && yres > 0) info.dpi_y = yres * scale;
  if (info.dpi_y == 0) info.dpi_y = info.dpi_x;
  info.bilevel = bps == 1 && spp == 1;
  info.samples_per_pixel = spp;
  info.bits_per_sample = bps;
  // Row by row: one scanline. The RGBA reader: the whole page as RGBA, and
  // one strip or tile at the file's own depth (a single-strip page is all of
  // it: 16-bit RGB is 6 bytes a pixel).
  const std::uint64_t pixels = std::uint64_t(w) * h;
  if (ReadsAsGrayRows(t)) {
    info.decoder_bytes = TIFFScanlineSize64(t);
  } else {
    const std::uint64_t chunk = TIFFIsTiled(t) ? TIFFTileSize64(t) : TIFFStripSize64(t);
    info.decoder_bytes = 4 * pixels + chunk;
  }
  return info;
}

// Strip-organised 1- and 8-bit gray pages, read row by row (G4 needs that).
bool ReadGrayRows(TIFF* t, cv::Mat& gray, unsigned bps, bool min_is_white) {
  std::vector<std::uint8_t> row(std::size_t(TIFFScanlineSize(t)));
  for (int y = 0; y < gray.rows; ++y) {
    if (TIFFReadScanline(t, row.data(), std::uint32_t(y), 0) < 0) return false;
    std::uint8_t* out = gray.ptr<std::uint8_t>(y);
    if (bps == 1) {
      for (int x = 0; x < gray.cols; ++x) out[x] = (row[x >> 3] >> (7 - (x & 7))) & 1 ? 255 : 0;
    } else {
      std::memcpy(out, row.data(), std::size_t(gray.cols));
    }
    if (min_is_white)
      for (int x = 0; x < gray.cols; ++x) out[x] = std::uint8_t(255 - out[x]);
  }
  return true;
}

}  // namespace

Fallible<ImageProbe> ProbeTiff(std::span<const std::uint8_t> bytes, unsigned max_frames) {
  MemoryFile file{bytes, 0, {}};
  TiffPtr t = Open(file);
  if (!t) return TiffError(file, "cannot be opened");
  ImageProbe probe;
  probe.format = ImageFormat::kTiff;
  do {
    if (probe.frames.size() == max_frames)
      return PageError{PageErrorKind::kTooManyFrames,
                       "TIFF holds more than " + std::to_string(max_frames) + " pages"};
    FrameInfo info = ReadInfo(t.get());
    if (info.width == 0 || info.height == 0) return TiffError(file, "page without a size");
    probe.frames.push_back(info);
  } while (TIFFReadDirectory(t.get()));
  return probe;
}

Fallible<PageImage> DecodeTiffFrame(std::span<const std::uint8_t> bytes, std::size_t frame) {
  MemoryFile file{bytes, 0, {}};
  TiffPtr t = Open(file);
  if (!t || !TIFFSetDirectory(t.get(), tdir_t(frame)))
    return TiffError(file, "page " + std::to_string(frame) + " cannot be read");
  FrameInfo info = ReadInfo(t.get());
  std::uint16_t bps = 1, spp = 1, photometric = PHOTOMETRIC_MINISWHITE;
  TIFFGetFieldDefaulted(t.get(), TIFFTAG_BITSPERSAMPLE, &bps);
  TIFFGetFieldDefaulted(t.get(), TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetField(t.get(), TIFFTAG_PHOTOMETRIC, &photometric);
  const int w = int(info.width), h = int(info.height);

  PageImage page;
  page.file_dpi_x = info.dpi_x;
  page.file_dpi_y = info.dpi_y;
  if (ReadsAsGrayRows(t.get())) {
    page.gray.create(h, w, CV_8UC1);
    if (!ReadGrayRows(t.get(), page.gray, bps, photometric == PHOTOMETRIC_MINISWHITE))
      return PageError{PageErrorKind::kTruncated,
                       "TIFF page data is truncated or corrupt" +
                           (file.error.empty() ? std::string() : ": " + file.error)};
    page.color_mode = bps == 1 ? ColorMode::kBilevel : ColorMode::kGray;
    return page;
  }
  // Everything else (palette, YCbCr, tiles, 16-bit, ...) through libtiff's
  // RGBA interface, which knows every photometric interpretation.
  cv::Mat rgba(h, w, CV_8UC4);
  if (!TIFFReadRGBAImageOriented(t.get(), std::uint32_t(w), std::uint32_t(h),
                                 reinterpret_cast<std::uint32_t*>(rgba.data), ORIENTATION_TOPLEFT,
                                 0))
    return TiffError(file, "page data cannot be decoded");
  if (spp == 1 || (spp == 2 && photometric != PHOTOMETRIC_RGB)) {
    cv::cvtColor(rgba, page.gray, cv::COLOR_RGBA2GRAY);
    page.color_mode = bps == 1 ? ColorMode::kBilevel : ColorMode::kGray;
  } else {
    cv::cvtColor(rgba, page.color, cv::COLOR_RGBA2BGR);
    cv::cvtColor(page.color, page.gray, cv::COLOR_BGR2GRAY);
    page.color_mode = ColorMode::kColor;
  }
  return page;
}

}  // namespace scangate::headers
