// Where a name (a batch id) becomes a file or folder name: the stations'
// DIR/accepted/<batch>/, the followers' <batch>.json. The same mapping is in
// clients/python/scangate_client.py (file_name_for); tests hold them equal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace scangate {

// The longest name FileNameFor returns: room on a 255-byte file system for
// a suffix (".json") and a temporary name beside it (".NAME.json.tmp").
inline constexpr std::size_t kMaxMappedNameBytes = 200;

// One path component for `name`, and a different one for every other name:
// the bytes A-Z a-z 0-9 - _ . stay (a leading '.' excepted), every other byte
// becomes %XX (upper-case hex), and the empty name becomes "%". So it is
// never empty, ".", "..", hidden, or holds a '/' or a NUL. Past
// kMaxMappedNameBytes, a prefix of that, '~', and the SHA-256 of the name
// in hex ('~' is escaped everywhere else, so no short name meets a long one).
// A name of safe bytes that does not start with '.' maps to itself, as the
// followers have always named manifests.
std::string FileNameFor(std::string_view name);

}  // namespace scangate
