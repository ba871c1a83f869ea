// Header parsers for each format: dimensions, dpi and completeness, read from
// the first bytes without decoding pixels. Bounds-checked: input is hostile.
#pragma once

#include <cstdint>
#include <span>

#include "pipeline/decode/decode.h"

namespace scangate::headers {

Fallible<ImageProbe> ProbePng(std::span<const std::uint8_t> bytes);
Fallible<ImageProbe> ProbeJpeg(std::span<const std::uint8_t> bytes);
Fallible<ImageProbe> ProbeBmp(std::span<const std::uint8_t> bytes);
Fallible<ImageProbe> ProbeWebp(std::span<const std::uint8_t> bytes);
// Walks every directory of the file, stopping once max_frames is exceeded.
Fallible<ImageProbe> ProbeTiff(std::span<const std::uint8_t> bytes, unsigned max_frames);

// Decodes a PNG straight to 8-bit gray or BGR, alpha composed over white,
// holding no more than a row at the file's own depth.
Fallible<PageImage> DecodePngFrame(std::span<const std::uint8_t> bytes, const FrameInfo& info);

// Decodes a JPEG to 8-bit gray or BGR with libjpeg-turbo; data libjpeg warns
// is damaged is an error (kCorrupt, or kTruncated when the file ends early),
// never a page with grey blocks. CMYK and YCCK files set needs_other_decoder.
Fallible<PageImage> DecodeJpegFrame(std::span<const std::uint8_t> bytes, const FrameInfo& info,
                                    bool& needs_other_decoder);

// Decodes one TIFF directory (OpenCV cannot decode multi-page TIFF from memory).
Fallible<PageImage> DecodeTiffFrame(std::span<const std::uint8_t> bytes, std::size_t frame);

}  // namespace scangate::headers
