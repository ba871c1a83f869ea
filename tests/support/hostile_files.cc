// See hostile_files.h.
#include "hostile_files.h"

#include <zlib.h>

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

std::string UniformPng(std::uint32_t width, std::uint32_t height) {
  std::string ihdr;
  Be32(ihdr, width);
  Be32(ihdr, height);
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit gray, no interlace
  std::string row(width + 1, '\xFF');
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
