// Where tests find the real images shared beside the project.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace scangate::testing {

// ../shared/data by default; SCANGATE_SHARED_DATA overrides it.
inline std::string SharedData(const std::string& relative) {
  const char* env = std::getenv("SCANGATE_SHARED_DATA");
  std::string root = env && *env ? env : SCANGATE_SHARED_DATA_DIR;
  return root + "/" + relative;
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace scangate::testing
