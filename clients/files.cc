// See files.h.
#include "files.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

namespace scangate::cli {
namespace fs = std::filesystem;

namespace {

bool IsImageName(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* e : {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"})
    if (ext == e) return true;
  return false;
}

}  // namespace

std::vector<std::string> ExpandPageFiles(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  for (const std::string& arg : args) {
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<std::string> in_dir;
      for (const auto& entry : fs::directory_iterator(arg, ec))
        if (entry.is_regular_file() && IsImageName(entry.path()))
          in_dir.push_back(entry.path().string());
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else {
      files.push_back(arg);
    }
  }
  return files;
}

bool ReadFileBytes(const std::string& path, std::size_t limit, std::string& out,
                   std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot be opened";
    return false;
  }
  std::error_code ec;
  std::uintmax_t size = fs::file_size(path, ec);
  out.assign(ec ? limit + 1 : std::min<std::uintmax_t>(size, limit + 1), '\0');
  in.read(out.data(), std::streamsize(out.size()));
  out.resize(std::size_t(in.gcount()));
  if (in.bad()) {
    error = path + ": read error";
    return false;
  }
  return true;
}

std::string BaseName(const std::string& path) { return fs::path(path).filename().string(); }

}  // namespace scangate::cli
