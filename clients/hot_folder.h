// The hot folder a counter's scanner writes into (`scangate scan --watch`):
// finding the image files the scanner has finished, and the station's
// journal that keeps every taken file accounted for across restarts.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace scangate::cli {

// Regular image files in the folder's top level that the scanner has
// finished: a file is ready once its size (non-zero) and modification time
// stayed unchanged for `settle`. Links (which could lead anywhere), hidden
// files, temporary names (*.tmp, *.part, *.partial, *.crdownload, *~) and
// non-image names are never taken.
class HotFolder {
 public:
  using Clock = std::chrono::steady_clock;
  HotFolder(std::filesystem::path dir, std::chrono::milliseconds settle)
      : dir_(std::move(dir)), settle_(settle) {}

  // Files that became ready since the last call, oldest modification first
  // (then by name). `known(name)` true: already taken, skipped.
  std::vector<std::string> Poll(const std::function<bool(const std::string&)>& known);

  // True when the name could be a page file (not hidden, not temporary, an image).
  static bool IsPageName(const std::string& name);

  // Reads the regular file `name` of `dir` (never through a link), at most
  // `limit` + 1 bytes; the error says why it cannot.
  static Expected<std::string> ReadPage(const std::filesystem::path& dir, const std::string& name,
                                        std::size_t limit);

  // The file name a page is sent with (its verdict's source): the name
  // itself where the server takes it (wire/names.h) and it holds no '%';
  // otherwise escaped as file_names.h escapes a batch id. One source per name.
  static std::string SourceName(const std::string& name);

 private:
  struct Seen {
    std::uintmax_t size = 0;
    std::filesystem::file_time_type mtime;
    Clock::time_point since;
  };
  std::filesystem::path dir_;
  std::chrono::milliseconds settle_;
  std::map<std::string, Seen> seen_;
  std::set<std::string> returned_;
};

// A page file of a batch and its page index there (-1: sent, no verdict seen).
struct JournalFile {
  std::string name;
  std::int64_t index = -1;
};

struct JournalBatch {
  enum class State { kOpen, kAwaiting, kAccepted, kRejected };
  std::string id;
  std::string transaction;  // empty: the batch has no summary sheet
  State state = State::kOpen;
  bool opened = false;  // the server acknowledged OpenBatch at least once
  std::vector<JournalFile> files;
  std::vector<std::string> replaced;   // originals replaced by rescans
  std::vector<std::uint32_t> rescan;   // kAwaiting: rejected page indexes, in order
  // kAwaiting: a rescan being sent to replace page `pending_index`.
  std::string pending_file;
  std::int64_t pending_index = -1;

  const JournalFile* FileAt(std::uint32_t index) const;
};

// DIR/.scangate/journal: written to a temporary file, flushed and renamed
// over the old one on every change, so it is always one whole state. Names
// in it are escaped (any file name, a newline included, is one word); a
// journal of the earlier unescaped format still loads.
struct Journal {
  std::uint64_t sequence = 0;            // for batch ids without a transaction
  std::vector<std::string> used_ids;     // batch ids this station has opened
  std::vector<JournalBatch> batches;     // not yet moved out of the folder

  // Every file name a batch holds, replaced or pending (never taken again).
  std::set<std::string> Names() const;
  JournalBatch* Open();                  // the batch in State::kOpen, if any
  JournalBatch* Find(const std::string& id);
  void Remove(const std::string& id);

  // No file yet is an empty journal.
  Outcome Load(const std::filesystem::path& path);
  Outcome Save(const std::filesystem::path& path) const;
};

}  // namespace scangate::cli
