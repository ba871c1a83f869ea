// The validation split of every labelled set the benches measure: a file
// (or a generated page) belongs to it by a hash of its name alone, fixed
// before any threshold was tuned, so no threshold can have been chosen to
// suit it. Benches print the tuning and the validation figures side by
// side; a drop of more than a couple of points from one to the other is a
// finding, not a pass.
#pragma once

#include <cstdint>
#include <string>

namespace scangate::bench {

// FNV-1a over the file name (no folder): a third of the names validate.
inline bool InValidation(const std::string& name) {
  const std::string base = name.substr(name.find_last_of('/') + 1);
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : base) h = (h ^ c) * 1099511628211ull;
  return h % 3 == 0;
}

inline const char* SplitName(bool validation) { return validation ? "validation" : "tuning"; }

}  // namespace scangate::bench
