// See hot_folder.h.
#include "clients/hot_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "wire/file_names.h"
#include "wire/names.h"

namespace scangate::cli {
namespace fs = std::filesystem;

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const char* StateName(JournalBatch::State s) {
  switch (s) {
    case JournalBatch::State::kOpen: return "open";
    case JournalBatch::State::kAwaiting: return "awaiting";
    case JournalBatch::State::kAccepted: return "accepted";
    case JournalBatch::State::kRejected: return "rejected";
  }
  return "open";
}

// Journal version 2 writes every name with '%', spaces and control bytes as
// %XX, so a name is one word whatever it holds (a newline, a leading space);
// version 1 wrote names raw, as the rest of their line.
constexpr const char* kJournalV1 = "scangate-watch-journal 1";
constexpr const char* kJournalV2 = "scangate-watch-journal 2";

std::string EscapeName(const std::string& name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : name) {
    if (c <= 0x20 || c == 0x7F || c == '%') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += char(c);
    }
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// False for a malformed escape.
bool UnescapeName(const std::string& text, std::string& name) {
  name.clear();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      name += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return false;
    const int hi = HexDigit(text[i + 1]), lo = HexDigit(text[i + 2]);
    if (hi < 0 || lo < 0) return false;
    name += char(hi * 16 + lo);
    i += 2;
  }
  return true;
}

}  // namespace

bool HotFolder::IsPageName(const std::string& name) {
  if (name.empty() || name[0] == '.') return false;
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  for (const char* temp : {".tmp", ".part", ".partial", ".crdownload", "~"})
    if (EndsWith(lower, temp)) return false;
  for (const char* ext : {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"})
    if (EndsWith(lower, ext)) return true;
  return false;
}

std::vector<std::string> HotFolder::Poll(const std::function<bool(const std::string&)>& known) {
  const Clock::time_point now = Clock::now();
  std::set<std::string> present;
  std::vector<std::pair<fs::file_time_type, std::string>> ready;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_, ec)) {
    std::error_code e;
    // The entry itself, not what a link points at: a link could bring any
    // file of the machine to the server.
    if (!fs::is_regular_file(entry.symlink_status(e))) continue;
    const std::string name = entry.path().filename().string();
    if (!IsPageName(name)) continue;
    present.insert(name);
    if (returned_.count(name) || known(name)) continue;
    const std::uintmax_t size = entry.file_size(e);
    if (e) continue;
    const fs::file_time_type mtime = entry.last_write_time(e);
    if (e) continue;
    auto it = seen_.find(name);
    if (it == seen_.end() || it->second.size != size || it->second.mtime != mtime) {
      seen_[name] = {size, mtime, now};  // new or still being written
      continue;
    }
    if (size > 0 && now - it->second.since >= settle_) ready.emplace_back(mtime, name);
  }
  // Forget files that went away (moved into accepted/ or rejected/, or
  // renamed by the scanner), so that a later file of the same name is new.
  for (auto it = seen_.begin(); it != seen_.end();)
    it = present.count(it->first) ? std::next(it) : seen_.erase(it);
  for (auto it = returned_.begin(); it != returned_.end();)
    it = present.count(*it) ? std::next(it) : returned_.erase(it);
  std::sort(ready.begin(), ready.end());
  std::vector<std::string> names;
  for (auto& [mtime, name] : ready) {
    seen_.erase(name);
    returned_.insert(name);
    names.push_back(std::move(name));
  }
  return names;
}

Expected<std::string> HotFolder::ReadPage(const fs::path& dir, const std::string& name,
                                          std::size_t limit) {
  const fs::path path = dir / name;
  // O_NOFOLLOW: the name may have become a link since it was listed.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) ::close(fd);
    return Error{SourceName(name) + ": not a regular file of the folder"};
  }
  // At most limit + 1 bytes: enough for the server to refuse a file over it.
  std::string out;
  out.resize(std::min<std::size_t>(std::size_t(std::max<off_t>(st.st_size, 0)), limit) + 1);
  std::size_t got = 0;
  for (ssize_t n; got < out.size() && (n = ::read(fd, out.data() + got, out.size() - got)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Error{SourceName(name) + ": read error"};
    }
    got += std::size_t(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

std::string HotFolder::SourceName(const std::string& name) {
  if (name.find('%') == std::string::npos && FileNameProblem("file_name", name).empty())
    return name;
  return FileNameFor(name);
}

const JournalFile* JournalBatch::FileAt(std::uint32_t index) const {
  for (const JournalFile& f : files)
    if (f.index == std::int64_t(index)) return &f;
  return nullptr;
}

std::set<std::string> Journal::Names() const {
  std::set<std::string> names;
  for (const JournalBatch& b : batches) {
    for (const JournalFile& f : b.files) names.insert(f.name);
    names.insert(b.replaced.begin(), b.replaced.end());
    if (!b.pending_file.empty()) names.insert(b.pending_file);
  }
  return names;
}

JournalBatch* Journal::Open() {
  for (JournalBatch& b : batches)
    if (b.state == JournalBatch::State::kOpen) return &b;
  return nullptr;
}

JournalBatch* Journal::Find(const std::string& id) {
  for (JournalBatch& b : batches)
    if (b.id == id) return &b;
  return nullptr;
}

void Journal::Remove(const std::string& id) {
  batches.erase(std::remove_if(batches.begin(), batches.end(),
                               [&](const JournalBatch& b) { return b.id == id; }),
                batches.end());
}

// One record a line: "KEYWORD VALUE... NAME"; a name is the last word of
// its line (version 2, escaped) or the rest of it (version 1).
Outcome Journal::Load(const fs::path& path) {
  *this = {};
  std::ifstream in(path);
  if (!in) return Ok{};  // no journal yet: a fresh folder
  std::string line;
  if (!std::getline(in, line) || (line != kJournalV1 && line != kJournalV2)) {
    return Error{path.string() + ": not a scangate watch journal"};
  }
  const bool escaped = line == kJournalV2;
  JournalBatch* batch = nullptr;
  int number = 1;
  while (std::getline(in, line)) {
    ++number;
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    bool ok = true;
    auto rest = [&] {
      std::string r, name;
      std::getline(fields >> std::ws, r);
      if (!escaped) return r;
      ok = ok && UnescapeName(r, name);
      return name;
    };
    if (key == "sequence") {
      ok = bool(fields >> sequence);
    } else if (key == "used") {
      used_ids.push_back(rest());
    } else if (key == "batch") {
      std::string state;
      int opened = 0;
      ok = bool(fields >> state >> opened);
      JournalBatch b;
      b.id = rest();
      b.opened = opened != 0;
      if (state == "open") b.state = JournalBatch::State::kOpen;
      else if (state == "awaiting") b.state = JournalBatch::State::kAwaiting;
      else if (state == "accepted") b.state = JournalBatch::State::kAccepted;
      else if (state == "rejected") b.state = JournalBatch::State::kRejected;
      else ok = false;
      ok = ok && !b.id.empty();
      batches.push_back(std::move(b));
      batch = &batches.back();
    } else if (batch && key == "transaction") {
      batch->transaction = rest();
    } else if (batch && key == "file") {
      JournalFile f;
      ok = bool(fields >> f.index);
      f.name = rest();
      batch->files.push_back(std::move(f));
    } else if (batch && key == "replaced") {
      batch->replaced.push_back(rest());
    } else if (batch && key == "rescan") {
      std::uint32_t index = 0;
      ok = bool(fields >> index);
      batch->rescan.push_back(index);
    } else if (batch && key == "pending") {
      ok = bool(fields >> batch->pending_index);
      batch->pending_file = rest();
    } else if (!key.empty()) {
      ok = false;
    }
    if (!ok)
      return Error{path.string() + ":" + std::to_string(number) + ": cannot read '" + line + "'"};
  }
  return Ok{};
}

Outcome Journal::Save(const fs::path& path) const {
  std::ostringstream out;
  out << kJournalV2 << "\n";
  out << "sequence " << sequence << "\n";
  // The last ids are enough to never reuse one by accident; the ledger is
  // asked too before an id is chosen.
  std::size_t from = used_ids.size() > 500 ? used_ids.size() - 500 : 0;
  for (std::size_t i = from; i < used_ids.size(); ++i)
    out << "used " << EscapeName(used_ids[i]) << "\n";
  for (const JournalBatch& b : batches) {
    out << "batch " << StateName(b.state) << " " << (b.opened ? 1 : 0) << " " << EscapeName(b.id)
        << "\n";
    if (!b.transaction.empty()) out << "transaction " << EscapeName(b.transaction) << "\n";
    for (const JournalFile& f : b.files)
      out << "file " << f.index << " " << EscapeName(f.name) << "\n";
    for (const std::string& r : b.replaced) out << "replaced " << EscapeName(r) << "\n";
    for (std::uint32_t r : b.rescan) out << "rescan " << r << "\n";
    if (!b.pending_file.empty())
      out << "pending " << b.pending_index << " " << EscapeName(b.pending_file) << "\n";
  }
  const std::string text = out.str();
  const fs::path tmp = path.parent_path() / (path.filename().string() + ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == ssize_t(text.size()) &&
            ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) return Error{"cannot write " + path.string()};
  return Ok{};
}

}  // namespace scangate::cli
