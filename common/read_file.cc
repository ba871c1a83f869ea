// See read_file.h.
#include "common/read_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace scangate {

Expected<std::string> ReadFileBytes(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot be opened"};
  std::error_code ec;
  std::uintmax_t size = std::filesystem::file_size(path, ec);
  std::string out(ec ? limit + 1 : std::min<std::uintmax_t>(size, limit + 1), '\0');
  in.read(out.data(), std::streamsize(out.size()));
  out.resize(std::size_t(in.gcount()));
  if (in.bad()) return Error{path + ": read error"};
  return out;
}

}  // namespace scangate
