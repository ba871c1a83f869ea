// See memory_budget.h.
#include "server/memory_budget.h"

#include <algorithm>

#include "pipeline/decode/decode.h"

namespace scangate {

std::uint64_t JudgingCost(std::string_view bytes) {
  // What the checks hold beside the decoded planes (ink map, blur and skew
  // working images): about 2 bytes a pixel. An 80 Mpx 16-bit RGBA PNG peaks
  // at 468 MB judged, the whole process included (decode_test's child
  // process); this costs it 480 MB.
  constexpr std::uint64_t kChecksBytesPerPixel = 2;
  const Fallible<ImageProbe> probe = ProbeImage(
      {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, DecodeLimits{});
  std::uint64_t largest = 0;
  if (probe.ok())
    for (const FrameInfo& f : probe.value().frames)
      largest = std::max(largest, DecodeBytes(f) + std::uint64_t(f.width) * f.height *
                                                       kChecksBytesPerPixel);
  return bytes.size() + largest;
}

}  // namespace scangate
