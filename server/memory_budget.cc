// See memory_budget.h.
#include "server/memory_budget.h"

#include <algorithm>

#include "pipeline/decode/decode.h"

namespace scangate {

JudgingEstimate EstimateJudging(std::string_view bytes, bool repairs) {
  // Repair holds, beside the page as decoded, the repaired page's gray and
  // colour planes (4 bytes a pixel), the checks on it (2) and the archive
  // copy (at most 3 bytes a pixel: a PNG of noise, or the bound).
  constexpr std::uint64_t kRepairBytesPerPixel = 9;
  // What the checks hold beside the decoded planes (ink map, blur and skew
  // working images): about 2 bytes a pixel. An 80 Mpx 16-bit RGBA PNG peaks
  // at 468 MB judged, the whole process included (decode_test's child
  // process); this costs it 480 MB.
  constexpr std::uint64_t kChecksBytesPerPixel = 2;
  // An A4 page at 300 dpi: 2480 x 3508 pixels.
  constexpr std::uint64_t kPagePixels = 2480ull * 3508ull;
  const Fallible<ImageProbe> probe = ProbeImage(
      {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, DecodeLimits{});
  std::uint64_t largest = 0, pixels = 0;
  if (probe.ok())
    for (const FrameInfo& f : probe.value().frames) {
      const std::uint64_t frame_pixels = std::uint64_t(f.width) * f.height;
      const bool repaired = repairs && probe.value().frames.size() == 1;
      largest = std::max(largest, DecodeBytes(f) + frame_pixels * kChecksBytesPerPixel +
                                      (repaired ? frame_pixels * kRepairBytesPerPixel : 0));
      pixels += frame_pixels;
    }
  // Bounded by DecodeLimits' pixels per file long before 2^32 pages.
  const std::uint64_t pages = std::max<std::uint64_t>(1, (pixels + kPagePixels - 1) / kPagePixels);
  return {bytes.size() + largest, std::uint32_t(std::min<std::uint64_t>(pages, 1u << 20))};
}

}  // namespace scangate
