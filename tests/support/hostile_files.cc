// See hostile_files.h.
#include "tests/support/hostile_files.h"

#include <tiffio.h>
#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <vector>

namespace scangate::synth {
namespace {

void Be32(std::string& s, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) s += char((v >> (i * 8)) & 0xFF);
}

void Chunk(std::string& out, const char* type, const std::string& data) {
  Be32(out, std::uint32_t(data.size()));
  std::string body = std::string(type, 4) + data;
  out += body;
  Be32(out, std::uint32_t(crc32(0, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size()))));
}

}  // namespace

std::string UniformPng(std::uint32_t width, std::uint32_t height, unsigned bit_depth,
                       unsigned colour_type) {
  std::string ihdr;
  Be32(ihdr, width);
  Be32(ihdr, height);
  ihdr += char(bit_depth);
  ihdr += char(colour_type);
  ihdr += std::string(3, '\0');  // deflate, adaptive filters, no interlace
  const unsigned samples = colour_type == 2 ? 3 : colour_type == 4 ? 2 : colour_type == 6 ? 4 : 1;
  std::string row(std::size_t(width) * samples * bit_depth / 8 + 1, '\xFF');
  row[0] = 0;  // filter: none
  z_stream z{};
  deflateInit(&z, 9);
  std::string idat;
  std::vector<unsigned char> buf(1 << 16);
  for (std::uint32_t y = 0; y <= height; ++y) {
    z.next_in = reinterpret_cast<Bytef*>(row.data());
    z.avail_in = y < height ? uInt(row.size()) : 0;
    do {
      z.next_out = buf.data();
      z.avail_out = uInt(buf.size());
      deflate(&z, y < height ? Z_NO_FLUSH : Z_FINISH);
      idat.append(reinterpret_cast<char*>(buf.data()), buf.size() - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  std::string png = "\x89PNG\r\n\x1A\n";
  Chunk(png, "IHDR", ihdr);
  Chunk(png, "IDAT", idat);
  Chunk(png, "IEND", "");
  return png;
}

}  // namespace scangate::synth

namespace scangate::synth {

std::string BlankG4Tiff(std::uint32_t width, std::uint32_t height, int pages) {
  char path[] = "/tmp/scangate-blank-g4-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("BlankG4Tiff: no temporary file");
  close(fd);
  TIFF* tif = TIFFOpen(path, "w");
  if (!tif) throw std::runtime_error("BlankG4Tiff: libtiff cannot open " + std::string(path));
  const std::vector<std::uint8_t> white_row((width + 7) / 8, 0);  // min-is-white: 0 is white
  for (int page = 0; page < pages; ++page) {
    TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
    TIFFSetField(tif, TIFFTAG_PAGENUMBER, std::uint16_t(page), std::uint16_t(pages));
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, width);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, height);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, height);
    TIFFSetField(tif, TIFFTAG_XRESOLUTION, 600.0f);
    TIFFSetField(tif, TIFFTAG_YRESOLUTION, 600.0f);
    TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    for (std::uint32_t y = 0; y < height; ++y)
      if (TIFFWriteScanline(tif, const_cast<std::uint8_t*>(white_row.data()), y, 0) < 0)
        throw std::runtime_error("BlankG4Tiff: a scanline was refused");
    if (!TIFFWriteDirectory(tif)) throw std::runtime_error("BlankG4Tiff: a page was refused");
  }
  TIFFClose(tif);
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  unlink(path);
  return bytes.str();
}

}  // namespace scangate::synth
