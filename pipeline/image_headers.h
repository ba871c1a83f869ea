// Header parsers for each format: dimensions, dpi and completeness, read from
// the first bytes without decoding pixels. Bounds-checked: input is hostile.
#pragma once

#include <cstdint>
#include <span>

#include "decode.h"

namespace scangate::headers {

Fallible<ImageProbe> ProbePng(std::span<const std::uint8_t> bytes);
Fallible<ImageProbe> ProbeJpeg(std::span<const std::uint8_t> bytes);
Fallible<ImageProbe> ProbeBmp(std::span<const std::uint8_t> bytes);
Fallible<ImageProbe> ProbeWebp(std::span<const std::uint8_t> bytes);
// Walks every directory of the file, stopping once max_frames is exceeded.
Fallible<ImageProbe> ProbeTiff(std::span<const std::uint8_t> bytes, unsigned max_frames);

// Decodes one TIFF directory (OpenCV cannot decode multi-page TIFF from memory).
Fallible<PageImage> DecodeTiffFrame(std::span<const std::uint8_t> bytes, std::size_t frame);

}  // namespace scangate::headers
