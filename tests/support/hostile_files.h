// Files built to hurt a decoder, for tests of the limits.
#pragma once

#include <cstdint>
#include <string>

namespace scangate::synth {

// A valid PNG of width x height white, opaque pixels: a decompression bomb,
// since identical rows deflate to almost nothing (30000 x 30000 8-bit gray
// is under 1 MB and 900 MB decoded; 80 Mpx of 16-bit RGBA is 640 KB and
// 640 MB decoded). `colour_type` as in PNG: 0 gray, 2 RGB, 4 gray and
// alpha, 6 RGBA; `bit_depth` 8 or 16.
std::string UniformPng(std::uint32_t width, std::uint32_t height, unsigned bit_depth = 8,
                       unsigned colour_type = 0);

// A valid multi-page TIFF of `pages` blank width x height 1-bit pages, CCITT
// G4 as scanners write them: a blank row codes as one bit, so 64 pages of
// 80 Mpx take well under 1 MB and judging them takes minutes.
std::string BlankG4Tiff(std::uint32_t width, std::uint32_t height, int pages);

}  // namespace scangate::synth
