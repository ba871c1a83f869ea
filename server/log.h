// The server's event log: one structured line on stderr per event that
// matters (journald takes stderr under systemd), e.g.
//
//   ts=2026-12-03T12:00:00.123Z level=info event=batch_decided batch=SI-1 decision=ACCEPT pages=3
//
// Keys are fixed words; every value is written bare when it is a plain word
// (letters, digits and . _ : / @ + , -) and otherwise in double quotes with
// \" \\ \n \r \t, \xHH for other control bytes and bytes that are not UTF-8,
// and \u{HHHH} for characters that would reorder or hide text on a terminal
// (bidirectional controls, line and paragraph separators, C1 controls): a
// value — a batch id is text from a station — can never start a line of its
// own, fake a field or hide one. Callers log names, codes and counts, never
// page content, tokens or keys.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace scangate::log {

enum class Level { kDebug, kInfo, kWarn, kError };

struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  template <class N, class = std::enable_if_t<std::is_arithmetic_v<N>>>
  Field(std::string_view k, N v) : key(k), value(Number(v)) {}
  std::string_view key;
  std::string value;

 private:
  template <class N>
  static std::string Number(N v) {
    if constexpr (std::is_floating_point_v<N>) {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.3f", double(v));
      return buffer;
    } else {
      return std::to_string(v);
    }
  }
};

// `value` as it appears after `key=`.
std::string Quote(std::string_view value);
// One line, without its timestamp and without the newline.
std::string Format(Level level, std::string_view event, std::initializer_list<Field> fields);
// Writes "ts=... " + Format(...) + "\n" to the sink (stderr), one write per line.
void Event(Level level, std::string_view event, std::initializer_list<Field> fields);

inline void Info(std::string_view event, std::initializer_list<Field> fields) {
  Event(Level::kInfo, event, fields);
}
inline void Warn(std::string_view event, std::initializer_list<Field> fields) {
  Event(Level::kWarn, event, fields);
}
inline void Error(std::string_view event, std::initializer_list<Field> fields) {
  Event(Level::kError, event, fields);
}

// Lines below `level` are dropped (default: info).
void SetMinimumLevel(Level level);
// Tests: where lines go instead of stderr (null: stderr again).
void SetSink(std::function<void(const std::string& line)> sink);

}  // namespace scangate::log
