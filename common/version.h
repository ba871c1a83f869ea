// The version and the git commit a binary was built from (common/version.cmake).
#pragma once

#include <string>
#include <string_view>

namespace scangate {

// "PROGRAM 0.1.0 (git 0123456789ab)"; "-modified" after the commit when the
// tree had uncommitted changes, "unknown" when built outside git.
std::string VersionLine(std::string_view program);

}  // namespace scangate
