// A regular expression from a profile, matched in full against untrusted
// text (barcode payloads). Compiled once, when the profile is loaded, by RE2:
// matching takes time linear in the text, never recurses, and its memory is
// bounded, whatever the pattern and the text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace scangate {

class Pattern {
 public:
  // Longest text a pattern is applied to; longer text never matches. A QR
  // code holds at most 7,089 digits (ISO/IEC 18004, version 40-L), a Data
  // Matrix 3,116, so every payload a code can carry is below the bound.
  static constexpr std::size_t kMaxTextBytes = 8192;
  // Longest pattern a profile may give.
  static constexpr std::size_t kMaxSourceBytes = 1024;
  // RE2's budget for one compiled pattern and its DFA caches (RE2's own
  // default is 8 MiB): a pattern whose program does not fit is refused at
  // load; a DFA that fills its cache falls back to RE2's NFA, still linear.
  static constexpr std::int64_t kMaxMemoryBytes = 1 << 20;

  // No pattern: empty() is true and nothing matches. Callers say what an
  // absent pattern means (a barcode rule: any payload; a category: no page).
  Pattern() = default;
  // Compiles `source` in RE2's syntax (github.com/google/re2/wiki/Syntax).
  // An empty source gives an empty pattern. When RE2 refuses it (a
  // backreference, lookaround, a syntax error, too large) ok() is false,
  // error() says why, and nothing matches.
  explicit Pattern(std::string source);

  bool empty() const { return source_.empty(); }
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& source() const { return source_; }
  // Capturing groups in the pattern (0 when empty or refused).
  int groups() const;

  // True when the whole of `text` matches (never for text longer than
  // kMaxTextBytes, an empty or a refused pattern).
  bool FullMatch(std::string_view text) const;
  // What capturing group `group` (1 for the first) holds when the whole of
  // `text` matches; nothing when it does not match or the group took no part.
  std::optional<std::string> FullMatchGroup(std::string_view text, int group) const;

 private:
  std::string source_;
  std::string error_;
  // Immutable once compiled, so shared by copies and used from any thread.
  std::shared_ptr<const re2::RE2> re_;
};

}  // namespace scangate
