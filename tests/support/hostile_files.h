// Files built to hurt a decoder, for tests of the limits.
#pragma once

#include <cstdint>
#include <string>

namespace scangate::synth {

// A valid 8-bit gray PNG of width x height white pixels: a decompression
// bomb, since identical rows deflate to almost nothing (30000 x 30000 is
// under 1 MB and 900 MB decoded).
std::string UniformPng(std::uint32_t width, std::uint32_t height);

}  // namespace scangate::synth
