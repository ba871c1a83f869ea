// See log.h.
#include "server/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace scangate::log {
namespace {

std::mutex sink_mu;
std::function<void(const std::string&)> sink;
std::atomic<int> minimum{int(Level::kInfo)};

const char* Name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

bool Plain(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == ':' || c == '/' || c == '@' || c == '+' || c == ',' ||
         c == '-';
}

void Hex(std::string& out, unsigned char c) {
  static const char* digits = "0123456789abcdef";
  out += "\\x";
  out += digits[c >> 4];
  out += digits[c & 15];
}

// The length of the UTF-8 sequence at `s` and its code point; 0 when it is
// not a valid, shortest-form sequence.
std::size_t Decode(std::string_view s, char32_t& cp) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  std::size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (n == 0 || s.size() < n) return 0;
  cp = n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
  for (std::size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i) & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

// Characters that reorder, hide or break text on a terminal.
bool Hidden(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
         (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const long ms = long(std::chrono::duration_cast<std::chrono::milliseconds>(
                           now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buffer;
}

}  // namespace

std::string Quote(std::string_view value) {
  bool plain = !value.empty();
  for (unsigned char c : value) plain = plain && Plain(c);
  if (plain) return std::string(value);
  std::string out = "\"";
  for (std::size_t i = 0; i < value.size();) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      Hex(out, c);
    } else if (c >= 0x80) {
      char32_t cp = 0;
      const std::size_t n = Decode(value.substr(i), cp);
      if (n == 0) {
        Hex(out, c);
      } else if (Hidden(cp)) {
        char buffer[16];
        std::snprintf(buffer, sizeof buffer, "\\u{%04x}", unsigned(cp));
        out += buffer;
        i += n;
        continue;
      } else {
        out.append(value.substr(i, n));
        i += n;
        continue;
      }
    } else {
      out += char(c);
    }
    ++i;
  }
  out += '"';
  return out;
}

std::string Format(Level level, std::string_view event, std::initializer_list<Field> fields) {
  std::string line = "level=";
  line += Name(level);
  line += " event=";
  line += Quote(event);
  for (const Field& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    line += Quote(f.value);
  }
  return line;
}

void Event(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (int(level) < minimum.load(std::memory_order_relaxed)) return;
  const std::string line = "ts=" + Timestamp() + " " + Format(level, event, fields) + "\n";
  std::lock_guard lock(sink_mu);
  if (sink) return sink(line);
  // One write per line: lines of several threads never interleave.
  for (std::size_t done = 0; done < line.size();) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) return;
    done += std::size_t(n);
  }
}

void SetMinimumLevel(Level level) { minimum.store(int(level), std::memory_order_relaxed); }

void SetSink(std::function<void(const std::string& line)> to) {
  std::lock_guard lock(sink_mu);
  sink = std::move(to);
}

}  // namespace scangate::log
