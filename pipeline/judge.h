// Judging one file: decode every page it holds, run every check, decide.
// The one place where exceptions from OpenCV, ZXing or allocation become an
// error verdict for that page.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pipeline/decode/decode.h"
#include "pipeline/profile.h"
#include "pipeline/verdict.h"

namespace scangate {

struct JudgeOptions {
  DecodeLimits limits;
};

// One verdict per page in the file (several for a multi-page TIFF); a file
// that cannot be read gives exactly one error verdict. Never throws.
std::vector<PageVerdict> JudgeFile(std::span<const std::uint8_t> bytes, const std::string& source,
                                   const Profile& profile, const JudgeOptions& options);


}  // namespace scangate
