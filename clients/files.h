// Finding and reading the page files a client is given.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace scangate::cli {

// Files as given, and the image files in each directory (sorted by name).
// Unreadable paths are returned too, so that each gets its own error.
std::vector<std::string> ExpandPageFiles(const std::vector<std::string>& args);

// Reads at most `limit` + 1 bytes: enough for the decoder to refuse a file
// over the limit without the client holding all of it. False if unreadable.
bool ReadFileBytes(const std::string& path, std::size_t limit, std::string& out,
                   std::string& error);

std::string BaseName(const std::string& path);

}  // namespace scangate::cli
