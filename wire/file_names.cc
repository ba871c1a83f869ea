// See file_names.h.
#include "wire/file_names.h"

#include "common/sha256.h"

namespace scangate {
namespace {

bool Safe(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

}  // namespace

std::string FileNameFor(std::string_view name) {
  if (name.empty()) return "%";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (Safe(c) && !(i == 0 && c == '.')) {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (out.size() <= kMaxMappedNameBytes) return out;
  const std::string digest =
      Sha256Hex(name);
  std::size_t keep = kMaxMappedNameBytes - 1 - digest.size();
  // Never half an escape.
  if (keep >= 1 && out[keep - 1] == '%')
    keep -= 1;
  else if (keep >= 2 && out[keep - 2] == '%')
    keep -= 2;
  return out.substr(0, keep) + "~" + digest;
}

}  // namespace scangate
