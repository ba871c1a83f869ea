// `scangate scan`: streams one batch to a server and shows each verdict as
// it arrives. A sender thread writes pages while the main thread reads
// verdicts; gRPC's flow control paces the sender to the server's engine. On a
// long batch a progress line also comes while no verdict does.
#include "clients/commands.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <iostream>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "clients/channel.h"
#include "clients/files.h"
#include "clients/scan_stream_client.h"
#include "clients/verdict_print.h"
#include "common/read_file.h"
#include "common/sha256.h"
#include "scangate/v1/scangate.grpc.pb.h"

namespace scangate::cli {
namespace {

const std::string kScanUsage =
    std::string("usage: scangate scan --server HOST:PORT [CONNECTION] --profile NAME\n"
                "                     [--batch-id ID] [--station ID] [--operator ID]\n"
                "                     [--category NAME] FILE|DIR...\n"
                "       scangate scan --server HOST:PORT [CONNECTION] --resume --batch-id ID\n"
                "                     [--replace INDEX=FILE]... [--delete INDEX]... [FILE|DIR...]\n"
                "                     [--set-category INDEX=NAME]... [--waive INDEX=CODE:NOTE]...\n"
                "       scangate scan --watch DIR --server HOST:PORT [CONNECTION] --profile NAME\n"
                "                     [--station ID] [--operator ID] [--settle SECONDS]\n"
                "                     [--idle-close SECONDS] [--until-idle SECONDS]\n"
                "  --resume   continue an open, incomplete or rejected batch: files are added,\n"
                "             --replace rescans a page, --delete removes one; then it is closed\n"
                "  --category NAME      the clerk files the FILEs after it under category NAME of\n"
                "             the profile's archive structure ('' stops)\n"
                "  --waive INDEX=CODE:NOTE  a supervisor accepts page INDEX despite its reason CODE\n"
                "             (e.g. 3=SKEWED:form printed askew): needs the SUPERVISOR role, and is\n"
                "             recorded under the caller's identity (with --plaintext, --operator)\n"
                "  --set-category INDEX=NAME  the clerk's correction of a judged page's category,\n"
                "             recorded with --operator\n"
                "  --watch    hot-folder station: streams each file the scanner finishes in DIR,\n"
                "             splits the stack into batches at each summary sheet, takes rescans,\n"
                "             files pages into DIR/accepted/BATCH/ and DIR/rejected/BATCH/\n"
                "             (scangate scan --watch --help for more)\n"
                "exit: 0 batch accepted, 1 rejected, 2 error\n") +
    kConnectionUsage;

// Pages sent, judged and rejected so far, for the progress lines.
class Progress {
 public:
  explicit Progress(std::size_t files) : files_(files) {}
  std::atomic<std::size_t> sent{0}, judged{0}, rejected{0};

  // "[3/40 sent, 2 judged, 1 rejected, 1.8 pages/s]"
  std::string Line() const {
    char text[160];
    std::snprintf(text, sizeof text, "[%zu/%zu sent, %zu judged, %zu rejected, %.1f pages/s]",
                  sent.load(), files_, judged.load(), rejected.load(), PagesPerSecond());
    return text;
  }
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  double PagesPerSecond() const {
    double s = Seconds();
    return s > 0 ? double(judged.load()) / s : 0.0;
  }

  // Prints a line of output; the ticker stays quiet while lines come.
  __attribute__((format(printf, 2, 3))) void Print(const char* format, ...) {
    std::lock_guard lock(mu_);
    va_list args;
    va_start(args, format);
    std::vprintf(format, args);
    va_end(args);
    std::fflush(stdout);
    last_line_ = std::chrono::steady_clock::now();
  }

  // Every `period` without output, a progress line, until Stop().
  void StartTicker(std::chrono::seconds period) {
    ticker_ = std::thread([this, period] {
      std::unique_lock lock(mu_);
      while (!stopping_) {
        ticker_wake_.wait_for(lock, std::chrono::seconds(1));
        if (stopping_ || std::chrono::steady_clock::now() - last_line_ < period) continue;
        std::printf("  %s waiting for verdicts...\n", Line().c_str());
        std::fflush(stdout);
        last_line_ = std::chrono::steady_clock::now();
      }
    });
  }
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    ticker_wake_.notify_all();
    if (ticker_.joinable()) ticker_.join();
  }
  ~Progress() { Stop(); }

 private:
  const std::size_t files_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::mutex mu_;
  std::condition_variable ticker_wake_;
  std::chrono::steady_clock::time_point last_line_ = start_;
  bool stopping_ = false;
  std::thread ticker_;
};

// Streams tried again after the server in use was lost (about 15 s in all,
// the next server of a list each time), and how long a station keeps trying
// when the servers refuse it as busy ("retry later").
constexpr int kFailoverAttempts = 8;
constexpr auto kBusyRetry = std::chrono::seconds(60);

}  // namespace

int RunScan(const std::vector<std::string>& args) {
  for (const std::string& a : args)
    if (a == "--watch") return RunWatch(args);  // the hot-folder station (watch_command.cc)
  if (WantsHelp(args)) {
    std::cout << kScanUsage;
    return 0;
  }
  Connection connection;
  std::string profile, batch_id, station, op;
  std::vector<std::string> inputs;
  std::vector<std::string> input_categories;  // the --category in force for each input
  std::string category;
  std::vector<std::pair<std::uint32_t, std::string>> category_fixes;
  std::vector<v1::WaiveReason> waivers;
  bool resume = false;
  std::vector<std::pair<std::uint32_t, std::string>> replacements;
  std::vector<std::uint32_t> deletions;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& into) {
      if (i + 1 >= args.size()) return false;
      into = args[++i];
      return true;
    };
    bool ok = true, bad = false;
    if (TakeConnectionFlag(args, i, connection, bad)) ok = !bad;
    else if (a == "--profile") ok = value(profile);
    else if (a == "--batch-id") ok = value(batch_id);
    else if (a == "--station") ok = value(station);
    else if (a == "--operator") ok = value(op);
    else if (a == "--resume") resume = true;
    else if (a == "--category") ok = value(category);
    else if (a == "--waive") {
      std::string v;
      ok = value(v);
      const auto eq = v.find('='), colon = v.find(':', eq == std::string::npos ? 0 : eq);
      v1::ReasonCode code;
      ok = ok && eq != std::string::npos && eq > 0 &&
           v1::ReasonCode_Parse(v.substr(eq + 1, colon == std::string::npos ? std::string::npos
                                                                            : colon - eq - 1),
                                &code);
      try {
        if (ok) {
          v1::WaiveReason w;
          w.set_page_index(std::uint32_t(std::stoul(v.substr(0, eq))));
          w.set_code(code);
          if (colon != std::string::npos) w.set_note(v.substr(colon + 1));
          waivers.push_back(std::move(w));
        }
      } catch (const std::exception&) {
        ok = false;
      }
    }
    else if (a == "--set-category") {
      std::string v;
      ok = value(v);
      auto eq = v.find('=');
      ok = ok && eq != std::string::npos && eq > 0;
      try {
        if (ok) category_fixes.emplace_back(std::uint32_t(std::stoul(v.substr(0, eq))), v.substr(eq + 1));
      } catch (const std::exception&) {
        ok = false;
      }
    }
    else if (a == "--replace" || a == "--delete") {
      std::string v;
      ok = value(v);
      try {
        if (a == "--delete") {
          deletions.push_back(std::uint32_t(std::stoul(v)));
        } else {
          auto eq = v.find('=');
          ok = eq != std::string::npos;
          if (ok) replacements.emplace_back(std::uint32_t(std::stoul(v.substr(0, eq))), v.substr(eq + 1));
        }
      } catch (const std::exception&) {
        ok = false;
      }
    }
    else if (!a.empty() && a[0] == '-') ok = false;
    else {
      inputs.push_back(a);
      input_categories.push_back(category);
    }
    if (!ok) {
      std::cerr << kScanUsage;
      return 2;
    }
  }
  bool corrections = !replacements.empty() || !deletions.empty() || !category_fixes.empty() ||
                     !waivers.empty();
  if (connection.server.empty() || (resume ? batch_id.empty() : profile.empty()) ||
      (inputs.empty() && !(resume && corrections))) {
    std::cerr << kScanUsage;
    return 2;
  }
  std::vector<std::string> files;
  std::vector<std::string> file_categories;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    for (std::string& f : ExpandPageFiles({inputs[i]})) {
      files.push_back(std::move(f));
      file_categories.push_back(input_categories[i]);
    }

  Expected<std::shared_ptr<grpc::Channel>> channel = OpenChannel(connection);
  if (!channel.ok()) {
    std::cerr << "scangate scan: " << channel.error().message << "\n";
    return 2;
  }
  auto stub = v1::Scangate::NewStub(channel.value());

  // One stream to one server: open (or resume), corrections, the files the
  // batch lacks, close. A resume learns from BatchOpened which pages the
  // ledger holds, and a file whose bytes (SHA-256) it holds is not sent
  // again: resuming with the same files adds nothing.
  Progress progress(files.size());
  struct Outcome {
    grpc::Status status;
    std::string batch_id;  // set once the server opened the batch
    int exit_code = 2;     // 0 accepted, 1 rejected, 2 no batch verdict
  };
  auto run_stream = [&](const std::string& id, bool resuming, bool send_corrections) {
    Outcome outcome;
    grpc::ClientContext context;
    auto stream = stub->Scan(&context);
    std::promise<std::set<std::string>> held_promise;
    std::future<std::set<std::string>> held = held_promise.get_future();
    bool held_told = false;
    auto tell_held = [&](std::set<std::string> shas) {
      if (held_told) return;
      held_told = true;
      held_promise.set_value(std::move(shas));
    };
    std::thread sender([&] {
      if (!stream->Write(OpenRequest(id, profile, station, op, resuming))) return;
      if (send_corrections) {
        for (std::uint32_t index : deletions) {
          v1::ScanRequest del;
          del.mutable_delete_()->set_page_index(index);
          if (!stream->Write(del)) return;
        }
        for (const v1::WaiveReason& w : waivers) {
          v1::ScanRequest waive;
          *waive.mutable_waive_reason() = w;
          if (!stream->Write(waive)) return;
        }
        for (const auto& [index, name] : category_fixes) {
          v1::ScanRequest fix;
          fix.mutable_set_category()->set_page_index(index);
          fix.mutable_set_category()->set_category(name);
          if (!stream->Write(fix)) return;
        }
        for (const auto& [index, path] : replacements) {
          v1::ScanRequest rescan;
          rescan.mutable_replace()->set_page_index(index);
          if (auto read = ReadFileBytes(path, std::size_t(kMaxMessage) - (1 << 20)); read.ok())
            rescan.mutable_replace()->mutable_page()->set_content(std::move(read.value()));
          else
            std::cerr << "scangate scan: " << read.error().message << "\n";
          rescan.mutable_replace()->mutable_page()->set_file_name(BaseName(path));
          if (!stream->Write(rescan)) return;
        }
      }
      // What the ledger holds: known once the batch is opened (the reader
      // tells, or tells nothing when the stream ended before).
      const std::set<std::string> in_ledger =
          resuming ? held.get() : std::set<std::string>();
      for (std::size_t f = 0; f < files.size(); ++f) {
        const std::string& path = files[f];
        v1::ScanRequest page;
        page.mutable_page()->set_category(file_categories[f]);
        // An unreadable file is sent as an empty page: it gets its own error
        // verdict in its place, and the batch shows it.
        if (auto read = ReadFileBytes(path, std::size_t(kMaxMessage) - (1 << 20)); read.ok())
          page.mutable_page()->set_content(std::move(read.value()));
        else
          std::cerr << "scangate scan: " << read.error().message << "\n";
        const std::string& bytes = page.page().content();
        if (!bytes.empty() &&
            in_ledger.count(Sha256Hex(bytes))) {
          progress.Print("  %s is in the batch already: not sent again\n",
                                             BaseName(path).c_str());
          ++progress.sent;
          continue;
        }
        page.mutable_page()->set_file_name(BaseName(path));
        if (!stream->Write(page)) return;
        ++progress.sent;
      }
      v1::ScanRequest close;
      close.mutable_close();
      stream->Write(close);
      stream->WritesDone();
    });

    v1::ScanResponse response;
    while (stream->Read(&response)) {
      if (response.has_opened()) {
        const v1::BatchOpened& opened = response.opened();
        outcome.batch_id = opened.batch_id();
        progress.Print("batch %s %s (profile %s, version %s), %zu files given\n",
                       opened.batch_id().c_str(), resuming ? "resumed" : "opened",
                       opened.profile().c_str(), opened.profile_version().c_str(), files.size());
        std::set<std::string> shas;
        for (const v1::PageVerdict& v : opened.pages()) {
          shas.insert(v.sha256());
          progress.Print("  recorded page %u %s: %s\n", v.page_index(), v.source().c_str(),
                         v1::Decision_Name(v.decision()).c_str());
        }
        tell_held(std::move(shas));
      } else if (response.has_deleted()) {
        progress.Print("  page %u deleted\n", response.deleted().page_index());
      } else if (response.has_page()) {
        const v1::PageVerdict& v = response.page();
        ++progress.judged;
        progress.rejected += v.decision() != v1::ACCEPT;
        progress.Print("  %s page %u %s: %s\n", progress.Line().c_str(), v.page_index(),
                       v.source().c_str(), PageVerdictText(v).c_str());
      } else if (response.has_batch()) {
        const v1::BatchVerdict& b = response.batch();
        progress.Print("batch %s: %s, %s\n", b.batch_id().c_str(),
                       v1::Decision_Name(b.decision()).c_str(), BatchVerdictDetails(b).c_str());
        outcome.exit_code = b.decision() == v1::ACCEPT ? 0 : 1;
      }
    }
    tell_held({});  // a sender still waiting to learn what the ledger holds
    sender.join();  // a Write after the call ended returns false at once
    outcome.status = stream->Finish();
    return outcome;
  };

  progress.StartTicker(std::chrono::seconds(5));
  Outcome outcome = run_stream(batch_id, resume, true);
  // The server was lost mid-batch: carry the batch to another server of the
  // list (the channel moves on to the next one that is up) and send what the
  // ledger lacks. Only a batch of pages: a correction sent twice could do
  // twice what the clerk asked once.
  const bool carries_on = !corrections;
  auto worth_again = [&](const Outcome& o) {
    if (!carries_on || o.exit_code != 2) return false;
    switch (o.status.error_code()) {
      case grpc::StatusCode::UNAVAILABLE:
        // Lost before the batch was named: another open could leave a batch
        // of its own behind unless the station chose the id.
        return !(o.batch_id.empty() && batch_id.empty());
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
        // Refused at admission ("retry later"): nothing was taken.
        return true;
      default:
        return false;
    }
  };
  const auto busy_until = std::chrono::steady_clock::now() + kBusyRetry;
  int lost = 0;
  for (int attempt = 1; worth_again(outcome); ++attempt) {
    const bool busy = outcome.status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
    if (busy ? std::chrono::steady_clock::now() >= busy_until : ++lost > kFailoverAttempts) break;
    // Unanswered open: the batch may or may not exist on the ledger.
    const bool was_opened = !outcome.batch_id.empty() || resume;
    const std::string id = outcome.batch_id.empty() ? batch_id : outcome.batch_id;
    if (busy)
      progress.Print("scangate scan: %s; %s batch %s again in a moment\n",
                     outcome.status.error_message().c_str(), was_opened ? "resuming" : "opening",
                     id.c_str());
    else
      progress.Print("scangate scan: %s (code %d); %s batch %s on another server (%d of %d)\n",
                     outcome.status.error_message().c_str(), int(outcome.status.error_code()),
                     was_opened ? "resuming" : "opening", id.c_str(), lost, kFailoverAttempts);
    std::this_thread::sleep_for(std::chrono::milliseconds(500) * std::min(attempt, 4));
    progress.sent = 0;
    Outcome next = run_stream(id, was_opened, false);
    if (!was_opened && next.status.error_code() == grpc::StatusCode::ALREADY_EXISTS)
      next = run_stream(id, true, false);  // the lost open had reached the ledger
    if (next.batch_id.empty()) next.batch_id = outcome.batch_id;
    outcome = std::move(next);
  }
  progress.Stop();
  progress.Print("%zu files sent, %zu pages judged, %zu rejected in %.1f s (%.1f pages/s)\n",
                 progress.sent.load(), progress.judged.load(), progress.rejected.load(),
                 progress.Seconds(), progress.PagesPerSecond());
  if (!outcome.status.ok()) {
    std::cerr << "scangate scan: " << outcome.status.error_message() << " (code "
              << outcome.status.error_code() << ")\n";
    if (outcome.exit_code == 2 && !outcome.batch_id.empty())
      std::cerr << "scangate scan: batch " << outcome.batch_id
                << " is held open in the ledger; to finish it, run again with --resume"
                   " --batch-id "
                << outcome.batch_id << (station.empty() ? "" : " --station " + station)
                << " and the same files (those it holds are not sent twice)\n";
    if (outcome.exit_code != 1) return 2;
  }
  return outcome.exit_code;
}

}  // namespace scangate::cli
