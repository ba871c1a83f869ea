// The counter screen (`scangate scan --watch DIR --screen 127.0.0.1:PORT`):
// one self-contained page for the clerk's monitor, served by the station
// itself. It shows the open batch and the last few, each page as a
// thumbnail the station makes from its own file (in memory: page bytes
// never reach the screen from the server, nor the disk), the zones the
// server measured outlined on it (red failed, green passed), the skew and
// orientation, the batch verdict, and which page to rescan next. The page
// polls /state.json; thumbnails are /thumb/N.jpg.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/http_listener.h"
#include "common/result.h"
#include "scangate/v1/scangate.pb.h"

namespace scangate::cli {

// Thumbnails are at most this many pixels on their long side.
inline constexpr int kThumbnailLongSide = 600;
// Batches the screen keeps: the open one and the last ones decided.
inline constexpr std::size_t kScreenBatches = 6;
// Thumbnail bytes the screen keeps at most; past it the oldest batches'
// thumbnails give way to placeholders.
inline constexpr std::size_t kScreenThumbnailBytes = 32u << 20;

// A page's thumbnail, JPEG in memory; empty when the file could not be
// decoded (the screen shows a placeholder).
struct Thumbnail {
  std::string jpeg;
  int width = 0, height = 0;
};

// Made from the page file's bytes (frame `frame` of a multi-page file),
// within the pipeline's decoding limits. Never throws.
Thumbnail MakeThumbnail(const std::string& bytes, std::uint32_t frame = 0);

// Where the screen listens.
struct ScreenAddress {
  std::string address;  // IP:PORT or [IPv6]:PORT, as civetweb takes it
  bool loopback = true;
};

// --screen's value: IP:PORT, [IPv6]:PORT, localhost:PORT, or PORT alone
// (127.0.0.1). A loopback address is taken as it is; another address only
// when it names one interface (0.0.0.0 and [::], every interface, are
// refused): the screen has no access control and shows page images.
Expected<ScreenAddress> ParseScreenAddress(const std::string& value);

// The rejected page the station takes the next file for.
struct NextRescan {
  std::string batch_id;
  std::uint32_t page = 0;
  std::string file;  // its file name, printable
};

class CounterScreen {
 public:
  CounterScreen(std::string station, std::string folder, std::string profile);
  ~CounterScreen();
  CounterScreen(const CounterScreen&) = delete;
  CounterScreen& operator=(const CounterScreen&) = delete;

  // Binds `address` (ParseScreenAddress's) and serves.
  Outcome Start(const std::string& address);
  int port() const { return listener_ ? listener_->port() : 0; }

  // What the station does, as it happens. Every string is shown as text.
  void BatchOpened(const std::string& id, const std::string& transaction);
  // A page's verdict (a rescan replaces the page at its index; `file` is
  // the file's printable name).
  void PageJudged(const std::string& id, const std::string& file, const v1::PageVerdict& page,
                  Thumbnail thumbnail);
  void PageRemoved(const std::string& id, std::uint32_t index);
  // `waiting`: the batch waits for rescans of its rejected pages.
  void BatchDecided(const std::string& id, const v1::BatchVerdict& verdict, bool waiting);
  // A waiting batch stays rejected (`why`).
  void WaitEnded(const std::string& id, const std::string& why);
  void SetNext(std::optional<NextRescan> next);
  // True when the screen holds a thumbnail (or a placeholder for an
  // unreadable file) for that page: the station need not read it again.
  bool HasPage(const std::string& id, std::uint32_t index) const;

  // The screen's state as JSON (/state.json).
  std::string StateJson() const;
  // A thumbnail by its number, or null.
  std::shared_ptr<const std::string> ThumbnailBytes(std::uint64_t number) const;

 private:
  struct Page {
    std::uint32_t index = 0;
    std::string file;
    v1::PageVerdict verdict;
    std::shared_ptr<const std::string> jpeg;  // null: placeholder
    std::uint64_t thumb = 0;
    int thumb_width = 0, thumb_height = 0;
    std::string replaces;  // the rejected file this rescan replaced
  };
  struct Batch {
    std::string id, transaction;
    std::string state = "open";  // open, accepted, rejected, waiting
    v1::BatchVerdict verdict;
    bool decided = false;
    std::string note;
    std::vector<Page> pages;  // by index
  };
  Batch& Find(const std::string& id);  // made (newest first) when missing
  void Bound();
  void Changed() { ++version_; }

  class Handler;
  std::string station_, folder_, profile_;
  mutable std::mutex mu_;
  std::deque<Batch> batches_;  // newest first
  std::optional<NextRescan> next_;
  std::uint64_t version_ = 1, next_thumb_ = 1;
  std::vector<std::unique_ptr<Handler>> handlers_;
  std::unique_ptr<HttpListener> listener_;  // last: stops before the handlers go
};

}  // namespace scangate::cli
