// SHA-256 as lower-case hex: a page's identity in verdicts, ledgers and
// manifests, and a token's in the access file.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace scangate {

std::string Sha256Hex(std::span<const std::uint8_t> bytes);
std::string Sha256Hex(std::string_view bytes);

}  // namespace scangate
