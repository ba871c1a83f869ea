// `scangate follow`: the archive service's feed. Writes one JSON manifest per
// final batch verdict into a folder (temp file, fsync, rename) and keeps its
// cursor there, so a restart resumes after the last manifest written: no
// gap, and at worst the last verdict written again (at-least-once).
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "clients/channel.h"
#include "common/signals.h"
#include "clients/commands.h"
#include "wire/file_names.h"
#include "scangate/v1/scangate.grpc.pb.h"
#include "wire/wire.h"

namespace scangate::cli {
namespace {

namespace fs = std::filesystem;
constexpr const char* kCursorFile = ".scangate-cursor";

// Writes `text` to `path` so that a crash leaves either the old file or the
// new one, never a part.
bool WriteDurably(const fs::path& path, const std::string& text) {
  std::string name = ".";  // appended, not `"." + ...`: GCC 12 warns falsely (-Wrestrict)
  name += path.filename().string();
  name += ".tmp";
  const fs::path tmp = path.parent_path() / name;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) return false;
  int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return true;
}

std::uint64_t ReadCursor(const fs::path& dir) {
  std::ifstream in(dir / kCursorFile);
  std::uint64_t cursor = 0;
  in >> cursor;
  return cursor;
}

// Batch ids come from stations: escaped into one file name of their own
// (file_names.h), whatever their length or bytes.
std::string ManifestName(const std::string& batch_id) { return FileNameFor(batch_id) + ".json"; }

// Version 1 at OUT/NAME.json, as ever; a correction's version N at
// OUT/versions/NAME.vN.json: no version replaces another's manifest, and a
// name read from its right end gives back the batch and the version.
fs::path ManifestPath(const fs::path& out, const v1::BatchVerdict& verdict) {
  const std::string name = ManifestName(verdict.batch_id());
  if (verdict.version() <= 1) return out / name;
  const std::string stem = name.substr(0, name.size() - std::string(".json").size());
  return out / "versions" / (stem + ".v" + std::to_string(verdict.version()) + ".json");
}

}  // namespace

int RunFollow(const std::vector<std::string>& args) {
  const std::string usage =
      std::string("usage: scangate follow --server HOST:PORT [CONNECTION] --out DIR "
                  "[--until-idle SECONDS]\n"
                  "a server that becomes unavailable is followed again from the cursor\n"
                  "(through any server of a list of addresses)\n"
                  "exit: 0 stopped by a signal or idle, 1 the stream was refused, 2 error\n") +
      kConnectionUsage;
  if (WantsHelp(args)) {
    std::cout << usage;
    return 0;
  }
  Connection connection;
  std::string out;
  double until_idle = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    bool bad = false;
    if (TakeConnectionFlag(args, i, connection, bad) && !bad) continue;
    if (bad) {
      std::cerr << usage;
      return 2;
    }
    if (args[i] == "--out" && i + 1 < args.size()) out = args[++i];
    else if (args[i] == "--until-idle" && i + 1 < args.size()) until_idle = std::stod(args[++i]);
    else {
      std::cerr << usage;
      return 2;
    }
  }
  if (connection.server.empty() || out.empty()) {
    std::cerr << usage;
    return 2;
  }
  std::error_code ec;
  fs::create_directories(out, ec);
  if (!fs::is_directory(out)) {
    std::cerr << "scangate follow: " << out << " is not a folder\n";
    return 2;
  }

  // Signals stop the follower between manifests, never in the middle of one.
  BlockTerminationSignals();

  Expected<std::shared_ptr<grpc::Channel>> channel = OpenChannel(connection);
  if (!channel.ok()) {
    std::cerr << "scangate follow: " << channel.error().message << "\n";
    return 2;
  }
  auto stub = v1::Scangate::NewStub(channel.value());

  std::mutex mu;
  std::condition_variable wake;
  auto last_news = std::chrono::steady_clock::now();
  bool finished = false;
  bool stop = false;                           // idle, signalled or failed: no more streams
  grpc::ClientContext* current = nullptr;      // the stream being read, under mu
  std::thread watchdog([&] {
    std::unique_lock lock(mu);
    while (!finished) {
      wake.wait_for(lock, std::chrono::milliseconds(100));
      bool idle = until_idle > 0 &&
                  std::chrono::steady_clock::now() - last_news > std::chrono::duration<double>(until_idle);
      sigset_t pending;
      sigpending(&pending);
      bool signalled = sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT);
      if ((idle || signalled) && !stop) {
        stop = true;
        if (current) current->TryCancel();
        wake.notify_all();
      }
    }
  });

  std::size_t written = 0;
  int exit_code = 0;
  grpc::Status status;
  // A server that goes away (killed, restarted, drained) is not the end:
  // the follower opens a new stream from its cursor, through whichever
  // server of the list answers, so nothing is skipped.
  for (int attempt = 0;; ++attempt) {
    grpc::ClientContext ctx;
    {
      std::unique_lock lock(mu);
      if (attempt > 0) {
        wake.wait_for(lock, std::chrono::milliseconds(std::min(250 << std::min(attempt, 4), 3000)),
                      [&] { return stop; });
      }
      if (stop) break;
      current = &ctx;
    }
    v1::WatchVerdictsRequest request;
    request.set_after_sequence(ReadCursor(out));
    auto reader = stub->WatchVerdicts(&ctx, request);
    v1::VerdictEvent event;
    while (reader->Read(&event)) {
      {
        std::lock_guard lock(mu);
        last_news = std::chrono::steady_clock::now();
      }
      attempt = 0;
      v1::BatchVerdict verdict = event.verdict();
      verdict.set_sequence(event.sequence());
      const fs::path manifest = ManifestPath(out, verdict);
      std::error_code made;
      fs::create_directories(manifest.parent_path(), made);
      if (!WriteDurably(manifest, ToJson(verdict) + "\n") ||
          !WriteDurably(fs::path(out) / kCursorFile, std::to_string(event.sequence()) + "\n")) {
        std::cerr << "scangate follow: cannot write into " << out << "\n";
        exit_code = 2;
        std::lock_guard lock(mu);
        stop = true;
        ctx.TryCancel();
        break;
      }
      ++written;
      std::cout << "sequence " << event.sequence() << ": "
                << manifest.lexically_relative(out).string() << " "
                << v1::Decision_Name(verdict.decision()) << std::endl;
    }
    status = reader->Finish();
    std::lock_guard lock(mu);
    current = nullptr;
    if (stop) break;
    // Gone away (refused while draining, cancelled by its shutdown, not
    // reachable): follow again. Anything else (refused access, a bad
    // request) would only be refused again.
    const grpc::StatusCode code = status.error_code();
    if (code != grpc::StatusCode::UNAVAILABLE && code != grpc::StatusCode::CANCELLED &&
        code != grpc::StatusCode::ABORTED)
      break;
    std::cerr << "scangate follow: " << status.error_message() << "; following again from sequence "
              << ReadCursor(out) << "\n";
  }
  bool stopped_by_us;
  {
    std::lock_guard lock(mu);
    finished = true;
    stopped_by_us = stop;
  }
  wake.notify_all();
  watchdog.join();
  std::cout << written << " manifests written; cursor at " << ReadCursor(out) << std::endl;
  if (exit_code) return exit_code;
  if (stopped_by_us) return 0;
  std::cerr << "scangate follow: the stream ended: " << status.error_message() << "\n";
  return 1;
}

}  // namespace scangate::cli
