// See memory_budget.h.
#include "memory_budget.h"

#include <algorithm>

#include "decode.h"

namespace scangate {

std::uint64_t JudgingCost(std::string_view bytes) {
  constexpr std::uint64_t kBytesPerPixel = 8;
  const Fallible<ImageProbe> probe = ProbeImage(
      {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, DecodeLimits{});
  std::uint64_t largest = 0;
  if (probe.ok())
    for (const FrameInfo& f : probe.value().frames)
      largest = std::max<std::uint64_t>(largest, std::uint64_t(f.width) * f.height);
  return bytes.size() + largest * kBytesPerPixel;
}

}  // namespace scangate
