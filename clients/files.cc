// See files.h.
#include "clients/files.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

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

std::string BaseName(const std::string& path) { return fs::path(path).filename().string(); }

}  // namespace scangate::cli
