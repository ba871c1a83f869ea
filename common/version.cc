// See version.h.
#include "common/version.h"

#include "scangate_version.h"

namespace scangate {

std::string VersionLine(std::string_view program) {
  return std::string(program) + " " SCANGATE_VERSION " (git " SCANGATE_GIT_COMMIT ")";
}

}  // namespace scangate
