// Reading a file the program is given, within a bound.
#pragma once

#include <cstddef>
#include <string>

#include "common/result.h"

namespace scangate {

// A reason for the person who named the file ("PATH: cannot be opened").
struct FileError {
  std::string message;
};

// Reads at most `limit` + 1 bytes: enough for the caller to refuse a file
// over the limit without holding all of it.
Result<std::string, FileError> ReadFileBytes(const std::string& path, std::size_t limit);

}  // namespace scangate
