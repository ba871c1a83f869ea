// The hot-folder station's policy (`scangate scan --watch DIR`; its command
// line is watch_command.cc, its Scan stream scan_stream_client.h). The
// counter's scanner writes one image file per page into DIR; the clerk drops
// a stack that may hold several transactions. Each finished file is streamed at once into the
// open batch and its verdict awaited (one page in flight: at a counter's line
// rate of ~2.3 pages/s and ~0.1 s verdicts this keeps up, and it lets the
// station move a page to the next batch before sending another).
//
// Splitting the stack: a page whose verdict carries the profile's transaction
// barcode starts a transaction. When such a page lands in an open batch that
// already holds pages of another transaction (or of none), it is deleted
// there (DeletePage), that batch is closed, a batch named after the new
// transaction is opened and the page is sent again. A file arriving while no
// batch is open is first judged alone (CheckPage) to learn where it belongs:
// the first page of a stack, or a rescan for a rejected batch.
//
// Rescans: a rejected batch with rejected pages waits for correction. While
// it waits and no batch is open, each new file that is not a new summary
// sheet replaces its next rejected page (OpenBatch{resume}, ReplacePage,
// CloseBatch: the verdict is recomputed). A new summary sheet ends the wait.
//
// Files stay where the scanner wrote them until their batch's verdict is
// final, then move to DIR/accepted/<batch>/ or DIR/rejected/<batch>/
// (replaced originals into .../replaced/). DIR/.scangate/journal holds the
// open batch, its files and their page indexes, and the batches waiting; it
// is written before each request that changes the ledger, so a restarted
// station reconciles with the ledger (by file name, the verdicts' source) and
#include "clients/watch_station.h"

#include <grpcpp/grpcpp.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "clients/counter_screen.h"
#include "clients/hot_folder.h"
#include "clients/scan_stream_client.h"
#include "clients/verdict_print.h"
#include "common/sha256.h"
#include "wire/file_names.h"
#include "wire/names.h"

namespace scangate::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

bool SignalPending() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT);
}

class Station {
 public:
  explicit Station(WatchOptions o) : o_(std::move(o)), stream_(o_.channel) {
    state_dir_ = o_.dir / ".scangate";
    journal_path_ = state_dir_ / "journal";
  }

  int Run() {
    std::error_code ec;
    if (!fs::is_directory(o_.dir, ec)) {
      std::cerr << "scangate scan --watch: " << o_.dir.string() << " is not a folder\n";
      return 2;
    }
    fs::create_directories(state_dir_, ec);
    if (ec) {
      std::cerr << "scangate scan --watch: " << ec.message() << "\n";
      return 2;
    }
    if (Outcome loaded = journal_.Load(journal_path_); !loaded.ok()) {
      std::cerr << "scangate scan --watch: " << loaded.error().message << "\n";
      return 2;
    }
    last_file_ = last_page_ = Clock::now();
    if (!o_.screen.empty()) {
      screen_ = std::make_unique<CounterScreen>(o_.station, o_.dir.string(), o_.profile);
      if (Outcome started = screen_->Start(o_.screen); !started.ok()) {
        std::cerr << "scangate scan --watch: " << started.error().message << "\n";
        return 2;
      }
      const std::string host = o_.screen.substr(0, o_.screen.rfind(':'));
      Print("counter screen on http://%s:%d/\n", host.c_str(), screen_->port());
    }
    if (int rc = CheckProfile(); rc >= 0) return rc;
    Print("watching %s for profile %s on %s\n", o_.dir.c_str(), o_.profile.c_str(),
          o_.connection.server.c_str());
    HotFolder folder(o_.dir, std::chrono::milliseconds(long(o_.settle * 1000)));
    bool recover = true;
    while (!SignalPending()) {
      std::string current;
      try {
        if (recover) {
          Recover();
          recover = false;
        }
        const std::set<std::string> known = journal_.Names();
        for (std::string& name : folder.Poll([&](const std::string& n) { return known.count(n) > 0; }))
          Enqueue(std::move(name));
        const auto now = Clock::now();
        if (!queue_.empty()) {
          current = queue_.front();
          queue_.pop_front();
          Handle(current);
          continue;
        }
        if (journal_.Open() && Seconds(now - last_page_) >= o_.idle_close) {
          Print("no new file for %.1f s: closing the batch\n", o_.idle_close);
          CloseOpen();
        }
        if (o_.until_idle > 0 && Seconds(now - last_file_) >= o_.until_idle) {
          if (journal_.Open()) CloseOpen();
          EndWaits("the station stops");
          Print("no new file for %.1f s: done\n", o_.until_idle);
          EndStream();
          return 0;
        }
      } catch (const ServerError& e) {
        Print("server: %s; trying again in 2 s\n", e.what());
        if (e.code == grpc::StatusCode::PERMISSION_DENIED && o_.station.empty())
          Print("  (with the STATION role alone, give the station its --station id: a "
                "restart finds its batches by it)\n");
        EndStream();
        if (!current.empty() && !journal_.Names().count(current)) queue_.push_front(current);
        recover = true;
        for (int i = 0; i < 20 && !SignalPending(); ++i) Sleep(0.1);
        continue;
      } catch (const std::exception& e) {
        std::cerr << "scangate scan --watch: " << e.what() << "\n";
        EndStream();
        return 2;
      }
      Sleep(0.1);
    }
    // A signal: the page in flight has its verdict (every request above
    // waits for its answer); the open batch stays open in the ledger and in
    // the journal, and the next start resumes it.
    EndStream();
    if (const JournalBatch* open = journal_.Open())
      Print("stopped; batch %s stays open and is resumed at the next start\n", open->id.c_str());
    else
      Print("stopped\n");
    return 0;
  }

 private:
  static double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
  static void Sleep(double s) {
    std::this_thread::sleep_for(std::chrono::microseconds(long(s * 1e6)));
  }

  __attribute__((format(printf, 2, 3))) void Print(const char* format, ...) {
    va_list args;
    va_start(args, format);
    std::vprintf(format, args);
    va_end(args);
    std::fflush(stdout);
  }

  void Save() {
    if (Outcome saved = journal_.Save(journal_path_); !saved.ok())
      throw std::runtime_error(saved.error().message);
  }

  void Enqueue(std::string name) {
    if (std::find(queue_.begin(), queue_.end(), name) == queue_.end()) queue_.push_back(std::move(name));
  }

  // -1: go on; otherwise the exit code.
  int CheckProfile() {
    const auto give_up = Clock::now() + std::chrono::duration<double>(
                                            o_.until_idle > 0 ? o_.until_idle : 1e9);
    while (!SignalPending()) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      v1::ListProfilesResponse response;
      grpc::Status status = stream_.stub().ListProfiles(&ctx, {}, &response);
      if (status.ok()) {
        for (const v1::ProfileSummary& p : response.profiles())
          if (p.name() == o_.profile) return -1;
        std::cerr << "scangate scan --watch: the server has no profile '" << o_.profile << "'\n";
        return 2;
      }
      if (Clock::now() > give_up) {
        std::cerr << "scangate scan --watch: " << status.error_message() << "\n";
        return 2;
      }
      Print("server: %s; trying again in 2 s\n", status.error_message().c_str());
      for (int i = 0; i < 20 && !SignalPending(); ++i) Sleep(0.1);
    }
    return 0;
  }

  // The transaction number the page carries, as the server's batch rule
  // reads it (the profile's barcode rule, applied by the server).
  static const std::string& TransactionOf(const v1::PageVerdict& v) { return v.transaction_id(); }

  void PrintPage(const v1::PageVerdict& v, const std::string& batch) {
    // Printed as a page's file name is: a barcode's text may hold anything.
    const std::string txn = HotFolder::SourceName(TransactionOf(v));
    Print("  [%s] page %u %s: %s\n", batch.c_str(), v.page_index(), v.source().c_str(),
          PageVerdictText(v, txn.empty() ? "" : " (summary sheet, transaction " + txn + ")")
              .c_str());
  }

  std::string ReadPage(const std::string& name) {
    Expected<std::string> bytes =
        HotFolder::ReadPage(o_.dir, name, std::size_t(kMaxMessage) - (1 << 20));
    if (bytes.ok()) return std::move(bytes.value());
    // Sent empty: the page's verdict says it is unreadable.
    Print("  %s\n", bytes.error().message.c_str());
    return {};
  }

  // --- the counter screen (--screen) -------------------------------------------

  // Made while the server judges the page (the request is out): the screen
  // costs the station no time per page on a machine with a core to spare.
  Thumbnail Thumb(const std::string& bytes, std::uint32_t frame = 0) {
    return screen_ ? MakeThumbnail(bytes, frame) : Thumbnail{};
  }

  void ScreenPage(const std::string& id, const std::string& name, const v1::PageVerdict& v,
                  Thumbnail thumbnail) {
    if (screen_) screen_->PageJudged(id, HotFolder::SourceName(name), v, std::move(thumbnail));
  }

  // Pages of batch `id` the screen does not show yet (a restart, a resume),
  // with thumbnails from their files where the folder still holds them.
  void ScreenFill(const std::string& id,
                  const google::protobuf::RepeatedPtrField<v1::PageVerdict>& pages) {
    if (!screen_) return;
    const JournalBatch* b = journal_.Find(id);
    for (const v1::PageVerdict& p : pages) {
      if (screen_->HasPage(id, p.page_index())) continue;
      const JournalFile* f = b ? b->FileAt(p.page_index()) : nullptr;
      // A file that is gone or unreadable gets the placeholder.
      Expected<std::string> bytes =
          f ? HotFolder::ReadPage(o_.dir, f->name, std::size_t(kMaxMessage) - (1 << 20))
            : Expected<std::string>(Error{"no file"});
      screen_->PageJudged(id, f ? HotFolder::SourceName(f->name) : p.source(), p,
                          bytes.ok() ? MakeThumbnail(bytes.value(), p.frame()) : Thumbnail{});
    }
  }

  // The page the next file replaces: what Handle takes a rescan for.
  void ScreenNext() {
    if (!screen_) return;
    for (const JournalBatch& b : journal_.batches) {
      if (b.state != JournalBatch::State::kAwaiting || b.rescan.empty()) continue;
      const JournalFile* f = b.FileAt(b.rescan.front());
      screen_->SetNext(NextRescan{b.id, b.rescan.front(), f ? HotFolder::SourceName(f->name) : ""});
      return;
    }
    screen_->SetNext(std::nullopt);
  }

  // --- calls to the server ---------------------------------------------------

  void EndStream() { stream_.End(); }
  void Write(const v1::ScanRequest& request) { stream_.Write(request); }
  v1::ScanResponse ReadUntil(v1::ScanResponse::KindCase kind) { return stream_.ReadUntil(kind); }
  v1::BatchVerdict CloseStream() { return stream_.Close(); }
  v1::BatchOpened OpenStream(const std::string& id, bool resume) {
    return stream_.Open(OpenRequest(id, o_.profile, o_.station, o_.op, resume));
  }

  std::optional<v1::BatchVerdict> Lookup(const std::string& id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::GetBatchVerdictRequest request;
    request.set_batch_id(id);
    // Its own batches only: what the STATION role may read without BRANCH.
    request.set_station_id(o_.station);
    v1::BatchVerdict verdict;
    grpc::Status status = stream_.stub().GetBatchVerdict(&ctx, request, &verdict);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) return std::nullopt;
    if (!status.ok()) throw ServerError(status.error_message(), status.error_code());
    return verdict;
  }

  v1::PageVerdict CheckFile(const std::string& name) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::CheckPageRequest request;
    request.set_profile(o_.profile);
    request.mutable_page()->set_content(ReadPage(name));
    request.mutable_page()->set_file_name(HotFolder::SourceName(name));
    v1::CheckPageResponse response;
    grpc::Status status = stream_.stub().CheckPage(&ctx, request, &response);
    if (!status.ok()) throw ServerError(status.error_message(), status.error_code());
    return response.pages_size() ? response.pages(0) : v1::PageVerdict{};
  }

  // --- batches --------------------------------------------------------------

  // The station's own id for a batch: its station id (or "stack"), the time
  // and a sequence number.
  std::string StackId() {
    char stamp[32];
    std::time_t t = std::time(nullptr);
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::gmtime(&t));
    const std::string suffix = std::string("-") + stamp + "-" + std::to_string(++journal_.sequence);
    const std::string id = (o_.station.empty() ? std::string("stack") : o_.station) + suffix;
    return IdProblem("batch_id", id).empty() ? id : "stack" + suffix;
  }

  // A batch is named after its transaction where the server takes that as
  // a batch id (names.h); a transaction too long or unprintable to be one
  // gets the station's own id (the journal still files it under the transaction).
  std::string ChooseId(const std::string& transaction) {
    std::string base = transaction.empty() ? StackId() : transaction;
    for (int n = 1;; ++n) {
      std::string id = n == 1 ? base : base + "-" + std::to_string(n);
      if (!IdProblem("batch_id", id, false).empty()) {
        base = StackId();
        n = 0;
        continue;
      }
      if (std::find(journal_.used_ids.begin(), journal_.used_ids.end(), id) == journal_.used_ids.end())
        return id;
    }
  }

  // Files of `b` the ledger does not hold (`recorded`: page source, as
  // HotFolder::SourceName sent it -> index) go back to the front of the
  // queue; the others get their page index.
  void Reconcile(JournalBatch& b, const google::protobuf::RepeatedPtrField<v1::PageVerdict>& pages) {
    std::map<std::string, std::uint32_t> recorded;
    for (const v1::PageVerdict& p : pages) recorded.emplace(p.source(), p.page_index());
    std::vector<JournalFile> kept;
    std::vector<std::string> again;
    for (JournalFile& f : b.files) {
      auto it = recorded.find(HotFolder::SourceName(f.name));
      if (it == recorded.end()) {
        again.push_back(f.name);
      } else {
        f.index = it->second;
        kept.push_back(f);
      }
    }
    b.files = std::move(kept);
    for (auto it = again.rbegin(); it != again.rend(); ++it) {
      queue_.erase(std::remove(queue_.begin(), queue_.end(), *it), queue_.end());
      queue_.push_front(*it);
    }
  }

  // After a start or a lost stream: the open batch gets a live stream again
  // (resumed, or found closed), and the ledger decides which files it holds.
  void EnsureOpenStream() {
    JournalBatch* b = journal_.Open();
    if (!b || stream_.IsOpenOn(b->id)) return;
    EndStream();
    const std::string id = b->id;
    std::optional<v1::BatchVerdict> stored = Lookup(id);
    if (!stored) {  // the open never reached the ledger
      OpenStream(id, false);
      b = journal_.Find(id);
      b->opened = true;
      Reconcile(*b, {});
      Save();
      if (screen_) screen_->BatchOpened(id, b->transaction);
      last_page_ = Clock::now();
      Print("batch %s opened\n", id.c_str());
      return;
    }
    if (stored->final()) {  // closed before a restart, the journal not told yet
      Reconcile(*b, stored->pages());
      Save();
      Print("batch %s was closed before the restart\n", id.c_str());
      return Decided(id, *stored);
    }
    v1::BatchOpened opened = OpenStream(id, true);
    b = journal_.Find(id);
    b->opened = true;
    Reconcile(*b, opened.pages());
    Save();
    if (screen_) screen_->BatchOpened(id, b->transaction);
    ScreenFill(id, opened.pages());
    last_page_ = Clock::now();
    Print("batch %s resumed: %d pages recorded, %zu files to send again\n", id.c_str(),
          opened.pages_size(), queue_.size());
  }

  void StartBatch(const std::string& name, const std::string& transaction) {
    std::string id;
    for (;;) {
      id = ChooseId(transaction);
      JournalBatch b;
      b.id = id;
      b.transaction = transaction;
      journal_.batches.push_back(std::move(b));
      journal_.used_ids.push_back(id);
      Save();
      try {
        OpenStream(id, false);
        break;
      } catch (const ServerError& e) {
        // The ledger holds the id (another station, an earlier run): a final
        // verdict is never reopened, so the next suffix is tried.
        if (e.code != grpc::StatusCode::ALREADY_EXISTS) throw;
        journal_.Remove(id);
        Save();
      }
    }
    journal_.Find(id)->opened = true;
    Save();
    if (screen_) screen_->BatchOpened(id, transaction);
    Print("batch %s opened%s\n", id.c_str(),
          transaction.empty()
              ? " (no summary sheet yet)"
              : (" for transaction " + HotFolder::SourceName(transaction)).c_str());
    last_page_ = Clock::now();
    SendIntoOpen(name);
  }

  // Streams one file into the open batch (live stream) and waits for its verdict.
  void SendIntoOpen(const std::string& name) {
    JournalBatch* b = journal_.Open();
    const std::string id = b->id;
    v1::ScanRequest page;
    page.mutable_page()->set_content(ReadPage(name));
    page.mutable_page()->set_file_name(HotFolder::SourceName(name));
    page.mutable_page()->set_category(o_.category);
    b->files.push_back({name, -1});
    Save();  // before the ledger can hold it
    Write(page);
    Thumbnail thumbnail = Thumb(page.page().content());
    const v1::PageVerdict v = ReadUntil(v1::ScanResponse::kPage).page();
    KeepArchiveCopy(name, v);
    // The zones a repaired page's verdict places are on its archive copy.
    if (v.has_repair() && !v.repair().archive_copy().empty())
      thumbnail = Thumb(v.repair().archive_copy());
    ScreenPage(id, name, v, std::move(thumbnail));
    b = journal_.Find(id);
    for (JournalFile& f : b->files)
      if (f.name == name) f.index = v.page_index();
    Save();
    PrintPage(v, id);
    last_page_ = Clock::now();

    const std::string transaction = TransactionOf(v);
    if (transaction.empty() || transaction == b->transaction || b->files.size() <= 1) return;
    // A new transaction's summary sheet: it leaves this batch and opens the next.
    Print("  %s starts transaction %s: it moves to a new batch, batch %s is closed\n",
          HotFolder::SourceName(name).c_str(), HotFolder::SourceName(transaction).c_str(),
          id.c_str());
    v1::ScanRequest del;
    del.mutable_delete_()->set_page_index(v.page_index());
    Write(del);
    ReadUntil(v1::ScanResponse::kDeleted);
    if (screen_) screen_->PageRemoved(id, v.page_index());
    b = journal_.Find(id);
    b->files.erase(std::remove_if(b->files.begin(), b->files.end(),
                                  [&](const JournalFile& f) { return f.name == name; }),
                   b->files.end());
    Save();
    Decided(id, CloseStream());
    StartBatch(name, transaction);
  }

  void CloseOpen() {
    EnsureOpenStream();
    JournalBatch* b = journal_.Open();
    if (!b) return;
    const std::string id = b->id;
    Decided(id, CloseStream());
  }

  // The batch's final verdict is in: accepted (files move), rejected with
  // pages to rescan (it waits), or rejected for the batch alone (files move).
  void Decided(const std::string& id, const v1::BatchVerdict& verdict) {
    ScreenFill(id, verdict.pages());
    JournalBatch* b = journal_.Find(id);
    const bool accepted = verdict.decision() == v1::ACCEPT;
    Print("batch %s: %s, %s\n", id.c_str(), accepted ? "ACCEPTED" : "REJECTED",
          BatchVerdictDetails(verdict).c_str());
    b->rescan.clear();
    if (accepted) {
      b->state = JournalBatch::State::kAccepted;
      Save();
      if (screen_) screen_->BatchDecided(id, verdict, false);
      ScreenNext();
      return Move(id);
    }
    for (const v1::PageVerdict& p : verdict.pages()) {
      if (p.decision() != v1::REJECT) continue;
      b->rescan.push_back(p.page_index());
      const JournalFile* f = b->FileAt(p.page_index());
      Print("  rescan page %u (%s) of batch %s:%s\n", p.page_index(),
            f ? HotFolder::SourceName(f->name).c_str() : p.source().c_str(), id.c_str(),
            ReasonList(p.reasons()).c_str());
    }
    if (b->rescan.empty()) {
      b->state = JournalBatch::State::kRejected;
      Save();
      if (screen_) screen_->BatchDecided(id, verdict, false);
      ScreenNext();
      Print("  no page to rescan: the batch stays rejected\n");
      return Move(id);
    }
    b->state = JournalBatch::State::kAwaiting;
    Save();
    if (screen_) screen_->BatchDecided(id, verdict, true);
    ScreenNext();
    Print("  batch %s waits for %zu rescan(s): drop them into the folder in this order; a new "
          "summary sheet ends the wait\n",
          id.c_str(), b->rescan.size());
  }

  // Rejected batches waiting for rescans stay rejected.
  void EndWaits(const char* why) {
    std::vector<std::string> ids;
    for (const JournalBatch& b : journal_.batches)
      if (b.state == JournalBatch::State::kAwaiting) ids.push_back(b.id);
    for (const std::string& id : ids) {
      JournalBatch* b = journal_.Find(id);
      b->state = JournalBatch::State::kRejected;
      b->rescan.clear();
      Save();
      if (screen_) screen_->WaitEnded(id, std::string("stays rejected: ") + why);
      ScreenNext();
      Print("batch %s stays rejected (%s)\n", id.c_str(), why);
      Move(id);
    }
  }

  void MoveFile(const fs::path& from, fs::path to) {
    std::error_code ec;
    if (!fs::exists(from, ec)) return;  // moved before a restart
    fs::create_directories(to.parent_path(), ec);
    for (int n = 2; fs::exists(to, ec); ++n)  // never overwrite a kept file
      to = to.parent_path() / (to.stem().string() + "-" + std::to_string(n) + to.extension().string());
    fs::rename(from, to, ec);
    if (ec) throw std::runtime_error("cannot move " + from.string() + ": " + ec.message());
  }

  // --- archive copies of repaired pages ------------------------------------------

  // Where a page file's archive copy waits until its batch is filed:
  // DIR/.scangate/archive/NAME.EXT (EXT from the copy's media type).
  fs::path ArchiveCopyPath(const std::string& name, const std::string& media_type) const {
    const char* ext = media_type == "image/tiff"   ? ".tif"
                      : media_type == "image/jpeg" ? ".jpg"
                                                   : ".png";
    return o_.dir / ".scangate" / "archive" / (name + ext);
  }

  // The copy of `name` kept by KeepArchiveCopy, if any.
  std::optional<fs::path> KeptArchiveCopy(const std::string& name) const {
    std::error_code ec;
    for (const char* type : {"image/tiff", "image/jpeg", "image/png"})
      if (fs::path p = ArchiveCopyPath(name, type); fs::exists(p, ec)) return p;
    return std::nullopt;
  }

  // A repaired page's archive copy, from its verdict, written beside the
  // journal (temporary file, fsync, rename) until the batch is filed. A
  // copy whose bytes do not hash to what the verdict records is not kept.
  void KeepArchiveCopy(const std::string& name, const v1::PageVerdict& v) {
    if (!v.has_repair() || v.repair().archive_copy().empty()) {
      // Sent again (into the next transaction's batch) and not repaired
      // this time: an older copy is not this page's.
      std::error_code ec;
      while (std::optional<fs::path> old = KeptArchiveCopy(name)) {
        if (!fs::remove(*old, ec)) break;
      }
      return;
    }
    const std::string& bytes = v.repair().archive_copy();
    if (Sha256Hex(bytes) != v.repair().archive_sha256()) {
      Print("  the archive copy of %s does not match its SHA-256: not kept\n",
            HotFolder::SourceName(name).c_str());
      return;
    }
    const fs::path to = ArchiveCopyPath(name, v.repair().archive_media_type());
    std::error_code ec;
    fs::create_directories(to.parent_path(), ec);
    const fs::path tmp = to.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), std::streamsize(bytes.size()));
      if (!out) throw std::runtime_error("cannot write " + tmp.string());
    }
    if (int fd = ::open(tmp.c_str(), O_RDONLY); fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
    fs::rename(tmp, to, ec);
    if (ec) throw std::runtime_error("cannot write " + to.string() + ": " + ec.message());
  }

  // A page file moved into `folder`: where the server repaired it, its
  // archive copy takes its place (NAME's stem, the copy's extension) and
  // the original goes into `folder`/original/, never deleted.
  void MovePage(const std::string& name, const fs::path& folder) {
    std::optional<fs::path> copy = KeptArchiveCopy(name);
    if (!copy) return MoveFile(o_.dir / name, folder / name);
    MoveFile(o_.dir / name, folder / "original" / name);
    MoveFile(*copy, folder / (fs::path(name).stem().string() + copy->extension().string()));
  }

  void Move(const std::string& id) {
    JournalBatch* b = journal_.Find(id);
    const bool accepted = b->state == JournalBatch::State::kAccepted;
    // The batch id is data (a transaction printed on a page): escaped into
    // one folder name of its own, never a path.
    const fs::path to = o_.dir / (accepted ? "accepted" : "rejected") / FileNameFor(id);
    for (const JournalFile& f : b->files) MovePage(f.name, to);
    for (const std::string& r : b->replaced) MovePage(r, to / "replaced");
    if (!b->pending_file.empty()) MoveFile(o_.dir / b->pending_file, to / "replaced" / b->pending_file);
    Print("  %zu files moved to %s/%s/\n", b->files.size() + b->replaced.size(),
          accepted ? "accepted" : "rejected", to.filename().c_str());
    journal_.Remove(id);
    Save();
  }

  // A rescan replaces page `index` of the waiting batch `id`.
  void Rescan(const std::string& name, const std::string& id, std::uint32_t index) {
    JournalBatch* b = journal_.Find(id);
    b->pending_file = name;
    b->pending_index = index;
    Save();
    SendReplacement(id);
  }

  void SendReplacement(const std::string& id) {
    JournalBatch* b = journal_.Find(id);
    const std::string name = b->pending_file;
    const std::uint32_t index = std::uint32_t(b->pending_index);
    auto apply = [&] {
      JournalBatch* batch = journal_.Find(id);
      for (JournalFile& f : batch->files) {
        if (f.index != std::int64_t(index)) continue;
        batch->replaced.push_back(f.name);
        f.name = name;
      }
      batch->pending_file.clear();
      batch->pending_index = -1;
      Save();
    };
    try {
      OpenStream(id, true);
    } catch (const ServerError& e) {
      if (e.code != grpc::StatusCode::FAILED_PRECONDITION) throw;
      // Accepted and final: the replacement was done before a restart.
      std::optional<v1::BatchVerdict> stored = Lookup(id);
      if (!stored) throw;
      apply();
      return Decided(id, *stored);
    }
    Print("batch %s resumed: %s replaces page %u\n", id.c_str(), HotFolder::SourceName(name).c_str(),
          index);
    v1::ScanRequest replace;
    replace.mutable_replace()->set_page_index(index);
    replace.mutable_replace()->mutable_page()->set_content(ReadPage(name));
    replace.mutable_replace()->mutable_page()->set_file_name(HotFolder::SourceName(name));
    replace.mutable_replace()->mutable_page()->set_category(o_.category);
    Write(replace);
    Thumbnail thumbnail = Thumb(replace.replace().page().content());
    const v1::PageVerdict v = ReadUntil(v1::ScanResponse::kPage).page();
    KeepArchiveCopy(name, v);
    // The zones a repaired page's verdict places are on its archive copy.
    if (v.has_repair() && !v.repair().archive_copy().empty())
      thumbnail = Thumb(v.repair().archive_copy());
    ScreenPage(id, name, v, std::move(thumbnail));
    PrintPage(v, id);
    const v1::BatchVerdict verdict = CloseStream();
    apply();
    Decided(id, verdict);
  }

  // A start (or a lost server): moves what is decided, finishes rescans in
  // flight, and resumes the open batch.
  void Recover() {
    std::vector<std::string> ids;
    for (const JournalBatch& b : journal_.batches) ids.push_back(b.id);
    for (const std::string& id : ids) {
      JournalBatch* b = journal_.Find(id);
      if (!b) continue;
      if (b->state == JournalBatch::State::kAccepted || b->state == JournalBatch::State::kRejected)
        Move(id);
      else if (b->state == JournalBatch::State::kAwaiting && !b->pending_file.empty())
        SendReplacement(id);
      else if (b->state == JournalBatch::State::kAwaiting) {
        Print("batch %s waits for %zu rescan(s)\n", id.c_str(), b->rescan.size());
        // After a restart the screen shows the waiting batch too, from the ledger.
        if (screen_ && !screen_->HasPage(id, 0))
          if (std::optional<v1::BatchVerdict> stored = Lookup(id)) {
            screen_->BatchOpened(id, b->transaction);
            ScreenFill(id, stored->pages());
            screen_->BatchDecided(id, *stored, true);
          }
      }
    }
    EnsureOpenStream();
    ScreenNext();
  }

  void Handle(const std::string& name) {
    last_file_ = Clock::now();
    if (journal_.Open()) {
      EnsureOpenStream();
      if (journal_.Open()) return SendIntoOpen(name);
    }
    // No batch open: judge the page alone to learn where it belongs.
    const v1::PageVerdict v = CheckFile(name);
    const std::string transaction = TransactionOf(v);
    const JournalBatch* target = nullptr;
    for (const JournalBatch& b : journal_.batches) {
      if (b.state != JournalBatch::State::kAwaiting || b.rescan.empty()) continue;
      if (transaction.empty() || b.transaction == transaction) {
        target = &b;
        break;
      }
    }
    if (target) {
      const std::string id = target->id;
      std::uint32_t index = target->rescan.front();
      if (!transaction.empty()) {
        // A rescanned summary sheet replaces the rejected page that carried it.
        if (std::optional<v1::BatchVerdict> stored = Lookup(id))
          for (const v1::PageVerdict& p : stored->pages())
            if (TransactionOf(p) == transaction || p.summary_sheet())
              if (std::count(target->rescan.begin(), target->rescan.end(), p.page_index())) {
                index = p.page_index();
                break;
              }
      }
      JournalBatch* b = journal_.Find(id);
      b->rescan.erase(std::find(b->rescan.begin(), b->rescan.end(), index));
      ScreenNext();
      return Rescan(name, id, index);
    }
    if (!transaction.empty())
      EndWaits(("a new summary sheet, transaction " + HotFolder::SourceName(transaction)).c_str());
    StartBatch(name, transaction);
  }

  WatchOptions o_;
  fs::path state_dir_, journal_path_;
  ScanStreamClient stream_;  // the open batch's stream, and the unary calls
  Journal journal_;
  std::deque<std::string> queue_;
  Clock::time_point last_file_, last_page_;
  std::unique_ptr<CounterScreen> screen_;  // --screen
};

}  // namespace

int RunStation(WatchOptions options) { return Station(std::move(options)).Run(); }

}  // namespace scangate::cli
