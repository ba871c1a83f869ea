// Reading a file the program is given, within a bound.
#pragma once

#include <cstddef>
#include <string>

#include "common/result.h"

namespace scangate {

// Reads at most `limit` + 1 bytes: enough for the caller to refuse a file
// over the limit without holding all of it. The error names the path.
Expected<std::string> ReadFileBytes(const std::string& path, std::size_t limit);

}  // namespace scangate
