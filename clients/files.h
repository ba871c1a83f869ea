// Finding the page files a client is given (common/read_file.h reads them).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace scangate::cli {

// Files as given, and the image files in each directory (sorted by name).
// Unreadable paths are returned too, so that each gets its own error.
std::vector<std::string> ExpandPageFiles(const std::vector<std::string>& args);

std::string BaseName(const std::string& path);

}  // namespace scangate::cli
