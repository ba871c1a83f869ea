// `scangate scan --watch DIR`: the hot-folder station. The counter's scanner
// writes one image file per page into DIR; the clerk drops a stack that may
// hold several transactions. Each finished file is streamed at once into the
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
// resumes the open batch instead of starting another.
#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "clients/channel.h"
#include "common/signals.h"
#include "clients/commands.h"
#include "wire/file_names.h"
#include "clients/hot_folder.h"
#include "wire/names.h"
#include "scangate/v1/scangate.grpc.pb.h"

namespace scangate::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kWatchUsage = std::string(
    "usage: scangate scan --watch DIR --server HOST:PORT [CONNECTION] --profile NAME\n"
    "                     [--station ID]\n"
    "                     [--operator ID] [--settle SECONDS] [--idle-close SECONDS]\n"
    "                     [--until-idle SECONDS] [--category NAME]\n"
    "  --watch DIR       hot-folder station: take each image file the scanner finishes\n"
    "                    in DIR, split the stack into batches at each summary sheet,\n"
    "                    replace rejected pages with rescans dropped into DIR, and move\n"
    "                    files into DIR/accepted/BATCH/ or DIR/rejected/BATCH/\n"
    "  --settle S        a file is finished when its size and time stayed the same for S\n"
    "                    seconds (default 0.5); *.tmp, *.part and hidden files are ignored\n"
    "  --idle-close S    close the open batch after S seconds without a new file (default 10)\n"
    "  --until-idle S    exit after S seconds without a new file (default: run until\n"
    "                    SIGINT/SIGTERM, which leave the open batch to resume at the next start)\n"
    "  --category NAME   the clerk files every page of this run under category NAME of\n"
    "                    the profile's archive structure\n"
    "exit: 0 stopped, 2 error\n") + kConnectionUsage;

struct ServerError : std::runtime_error {
  ServerError(const std::string& what, grpc::StatusCode c) : std::runtime_error(what), code(c) {}
  grpc::StatusCode code;
};

struct Options {
  Connection connection;
  std::shared_ptr<grpc::Channel> channel;
  std::string profile, station, op, category;
  fs::path dir;
  double settle = 0.5, idle_close = 10, until_idle = 0;
};

std::string ReasonList(const google::protobuf::RepeatedPtrField<v1::Reason>& reasons) {
  std::string out;
  for (const v1::Reason& r : reasons) {
    out += "\n      - " + v1::ReasonCode_Name(r.code());
    if (r.has_page()) out += " (page " + std::to_string(r.page()) + ")";
    if (!r.detail().empty()) out += ": " + r.detail();
  }
  return out;
}

bool SignalPending() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT);
}

class Station {
 public:
  explicit Station(Options o) : o_(std::move(o)) {
    state_dir_ = o_.dir / ".scangate";
    journal_path_ = state_dir_ / "journal";
    stub_ = v1::Scangate::NewStub(o_.channel);
  }

  int Run() {
    std::error_code ec;
    if (!fs::is_directory(o_.dir, ec)) {
      std::cerr << "scangate scan --watch: " << o_.dir.string() << " is not a folder\n";
      return 2;
    }
    fs::create_directories(state_dir_, ec);
    std::string error;
    if (ec || !journal_.Load(journal_path_, error)) {
      std::cerr << "scangate scan --watch: " << (ec ? ec.message() : error) << "\n";
      return 2;
    }
    last_file_ = last_page_ = Clock::now();
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
    std::string error;
    if (!journal_.Save(journal_path_, error)) throw std::runtime_error(error);
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
      grpc::Status status = stub_->ListProfiles(&ctx, {}, &response);
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
    const bool accepted = v.decision() == v1::ACCEPT;
    // Printed as a page's file name is: a barcode's text may hold anything.
    const std::string txn = HotFolder::SourceName(TransactionOf(v));
    std::string filed;
    if (!v.category().empty())
      filed = std::string(v.separator_sheet() ? " [separator sheet: " : " [") + v.category() + "]";
    Print("  [%s] page %u %s: %s%s%s%s%s\n", batch.c_str(), v.page_index(), v.source().c_str(),
          accepted ? "ACCEPT" : "REJECT", v.blank().blank() ? " (blank)" : "",
          txn.empty() ? "" : (" (summary sheet, transaction " + txn + ")").c_str(), filed.c_str(),
          ReasonList(v.reasons()).c_str());
  }

  std::string ReadPage(const std::string& name) {
    std::string bytes, error;
    if (!HotFolder::ReadPage(o_.dir, name, std::size_t(kMaxMessage) - (1 << 20), bytes, error))
      Print("  %s\n", error.c_str());  // sent empty: the page's verdict says it is unreadable
    return bytes;
  }

  // --- the Scan stream of the open batch ------------------------------------

  void EndStream() {
    if (!stream_) return;
    ctx_->TryCancel();
    stream_->Finish();
    stream_.reset();
    ctx_.reset();
    stream_batch_.clear();
  }

  [[noreturn]] void StreamBroke() {
    grpc::Status status = stream_->Finish();
    stream_.reset();
    ctx_.reset();
    stream_batch_.clear();
    throw ServerError(status.ok() ? "the stream ended early" : status.error_message(),
                      status.ok() ? grpc::StatusCode::UNAVAILABLE : status.error_code());
  }

  void Write(const v1::ScanRequest& request) {
    if (!stream_->Write(request)) StreamBroke();
  }

  v1::ScanResponse ReadUntil(v1::ScanResponse::KindCase kind) {
    v1::ScanResponse r;
    while (stream_->Read(&r)) {
      if (r.kind_case() == kind) return r;
      if (r.has_batch()) StreamBroke();  // the server ended the batch (shutting down)
    }
    StreamBroke();
  }

  v1::BatchOpened OpenStream(const std::string& id, bool resume) {
    EndStream();
    ctx_ = std::make_unique<grpc::ClientContext>();
    stream_ = stub_->Scan(ctx_.get());
    v1::ScanRequest open;
    open.mutable_open()->set_batch_id(id);
    open.mutable_open()->set_profile(o_.profile);
    open.mutable_open()->set_station_id(o_.station);
    open.mutable_open()->set_operator_id(o_.op);
    open.mutable_open()->set_resume(resume);
    Write(open);
    v1::BatchOpened opened = ReadUntil(v1::ScanResponse::kOpened).opened();
    stream_batch_ = id;
    return opened;
  }

  v1::BatchVerdict CloseStream() {
    v1::ScanRequest close;
    close.mutable_close();
    Write(close);
    stream_->WritesDone();
    v1::BatchVerdict verdict = ReadUntil(v1::ScanResponse::kBatch).batch();
    for (v1::ScanResponse rest; stream_->Read(&rest);) {
    }
    stream_->Finish();
    stream_.reset();
    ctx_.reset();
    stream_batch_.clear();
    return verdict;
  }

  std::optional<v1::BatchVerdict> Lookup(const std::string& id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::GetBatchVerdictRequest request;
    request.set_batch_id(id);
    // Its own batches only: what the STATION role may read without BRANCH.
    request.set_station_id(o_.station);
    v1::BatchVerdict verdict;
    grpc::Status status = stub_->GetBatchVerdict(&ctx, request, &verdict);
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
    grpc::Status status = stub_->CheckPage(&ctx, request, &response);
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
    if (!b || (stream_ && stream_batch_ == b->id)) return;
    EndStream();
    const std::string id = b->id;
    std::optional<v1::BatchVerdict> stored = Lookup(id);
    if (!stored) {  // the open never reached the ledger
      OpenStream(id, false);
      b = journal_.Find(id);
      b->opened = true;
      Reconcile(*b, {});
      Save();
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
    const v1::PageVerdict v = ReadUntil(v1::ScanResponse::kPage).page();
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
    JournalBatch* b = journal_.Find(id);
    const bool accepted = verdict.decision() == v1::ACCEPT;
    Print("batch %s: %s, %u pages (%u counted)%s%s\n", id.c_str(),
          accepted ? "ACCEPTED" : "REJECTED", verdict.page_count(), verdict.counted_pages(),
          verdict.transaction_id().empty()
              ? ""
              : (", transaction " + HotFolder::SourceName(verdict.transaction_id())).c_str(),
          ReasonList(verdict.reasons()).c_str());
    b->rescan.clear();
    if (accepted) {
      b->state = JournalBatch::State::kAccepted;
      Save();
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
      Print("  no page to rescan: the batch stays rejected\n");
      return Move(id);
    }
    b->state = JournalBatch::State::kAwaiting;
    Save();
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

  void Move(const std::string& id) {
    JournalBatch* b = journal_.Find(id);
    const bool accepted = b->state == JournalBatch::State::kAccepted;
    // The batch id is data (a transaction printed on a page): escaped into
    // one folder name of its own, never a path.
    const fs::path to = o_.dir / (accepted ? "accepted" : "rejected") / FileNameFor(id);
    for (const JournalFile& f : b->files) MoveFile(o_.dir / f.name, to / f.name);
    for (const std::string& r : b->replaced) MoveFile(o_.dir / r, to / "replaced" / r);
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
    PrintPage(ReadUntil(v1::ScanResponse::kPage).page(), id);
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
      else if (b->state == JournalBatch::State::kAwaiting)
        Print("batch %s waits for %zu rescan(s)\n", id.c_str(), b->rescan.size());
    }
    EnsureOpenStream();
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
      return Rescan(name, id, index);
    }
    if (!transaction.empty())
      EndWaits(("a new summary sheet, transaction " + HotFolder::SourceName(transaction)).c_str());
    StartBatch(name, transaction);
  }

  Options o_;
  fs::path state_dir_, journal_path_;
  std::unique_ptr<v1::Scangate::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ScanRequest, v1::ScanResponse>> stream_;
  std::string stream_batch_;
  Journal journal_;
  std::deque<std::string> queue_;
  Clock::time_point last_file_, last_page_;
};

}  // namespace

int RunWatch(const std::vector<std::string>& args) {
  Options o;
  for (const std::string& a : args)
    if (a == "--help" || a == "-h") {
      std::cout << kWatchUsage;
      return 0;
    }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool ok = i + 1 < args.size();
    try {
      bool bad = false;
      if (TakeConnectionFlag(args, i, o.connection, bad)) {
        ok = !bad;
      } else if (!ok) {
      } else if (a == "--watch") o.dir = args[++i];
      else if (a == "--profile") o.profile = args[++i];
      else if (a == "--station") o.station = args[++i];
      else if (a == "--operator") o.op = args[++i];
      else if (a == "--category") o.category = args[++i];
      else if (a == "--settle") o.settle = std::stod(args[++i]);
      else if (a == "--idle-close") o.idle_close = std::stod(args[++i]);
      else if (a == "--until-idle") o.until_idle = std::stod(args[++i]);
      else ok = false;
    } catch (const std::exception&) {
      ok = false;
    }
    if (!ok) {
      std::cerr << kWatchUsage;
      return 2;
    }
  }
  if (o.dir.empty() || o.connection.server.empty() || o.profile.empty() || o.settle < 0 ||
      o.idle_close <= 0 || o.until_idle < 0) {
    std::cerr << kWatchUsage;
    return 2;
  }
  // The server would refuse every batch: said once, here, not retried forever.
  for (auto [flag, value] : {std::pair{"--profile", &o.profile}, {"--station", &o.station},
                             {"--operator", &o.op}, {"--category", &o.category}})
    if (std::string problem = IdProblem(flag, *value); !problem.empty()) {
      std::cerr << "scangate scan --watch: " << problem << "\n";
      return 2;
    }
  // Signals are taken between pages, never in the middle of one; blocked
  // before gRPC starts its threads, so that they inherit the mask.
  BlockTerminationSignals();
  std::string channel_error;
  o.channel = OpenChannel(o.connection, channel_error);
  if (!o.channel) {
    std::cerr << "scangate scan --watch: " << channel_error << "\n";
    return 2;
  }
  return Station(std::move(o)).Run();
}

}  // namespace scangate::cli
