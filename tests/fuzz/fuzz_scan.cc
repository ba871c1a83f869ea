// libFuzzer target over the Scan protocol: what a station can send on its
// streams, against the real service in-process (the engine, the bundled
// profiles, a SQLite ledger on disk, signed verdicts, the production
// defaults for in-flight files, per-client, busy and open streams, queued
// pages and the memory budget). An input is a program of requests and
// client actions (scan_ops.h): opens and resumes, pages (small real files
// from tests/fuzz/scan_pages, cut or altered, or raw bytes), rescans,
// deletions, categories, waivers, closes, malformed requests, waits for the
// answers, new streams, two streams at once (on one batch too),
// cancellations and a server drain.
//
// A crash, a sanitizer report, a hang, or a broken invariant is a finding:
//   - every stream ends with a status, one a station can act on (never
//     INTERNAL, UNKNOWN or DEADLINE_EXCEEDED; UNAVAILABLE only after a
//     drain, CANCELLED only when the station cancelled or another stream
//     resumed its batch);
//   - the answers are BatchOpened first (and only after an OpenBatch), at
//     most one batch verdict, nothing after it; an OK stream that opened a
//     batch ends with its verdict; final only when the station closed it,
//     signed with a signature that verifies, consistent with its reasons;
//   - the batch verdict's pages are exactly what the station was answered
//     (the opened batch's pages, then every page, correction and deletion in
//     order), and so is what GetBatchVerdict reads from the ledger after the
//     stream ends (unless another stream had the same batch open meanwhile);
//   - no two final verdicts of one batch carry the same version;
//   - after each input no stream is left registered, the engine is idle and
//     the memory budget is back to zero.
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/engine.h"
#include "server/metrics.h"
#include "wire/profile_store.h"
#include "tests/fuzz/scan_ops.h"
#include "server/scan_service.h"
#include "server/sqlite_ledger.h"
#include "wire/verdict_signature.h"

namespace {

using namespace scangate;
using namespace scangate::fuzz_scan;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// What one input may do: enough for every state of a batch, few enough
// pages that an input takes well under a second even under ASan.
constexpr int kMaxStreams = 4;
constexpr int kMaxRequests = 48;
constexpr int kMaxPages = 12;
// A fresh ledger (and service and server) after this many inputs, so that
// the ledger stays small over a long run.
constexpr int kInputsPerLedger = 500;
// Past this a stream is stalled, not slow. Generous: a fuzzer run at the
// lowest priority beside busy builds gets almost no CPU for minutes
// (libFuzzer's -timeout is the finer hang detector).
constexpr auto kStreamDeadline = std::chrono::minutes(10);

[[noreturn]] void Finding(const std::string& what) {
  std::fprintf(stderr, "fuzz_scan: FINDING: %s\n", what.c_str());
  std::abort();
}

// `bytes` with every byte that is not part of a well-formed UTF-8 sequence
// replaced by '?'. Names are proto3 strings: libprotobuf sends invalid UTF-8
// (logging an error) but the server cannot parse the message, and gRPC tells
// its reactor a message it could not parse exactly as it tells the end of
// the station's requests (OnReadDone(false)). Control characters, bidi
// overrides and the like stay: the server's name checks are for them.
std::string ValidUtf8(std::string bytes) {
  auto at = [&](std::size_t i) { return i < bytes.size() ? std::uint8_t(bytes[i]) : 0; };
  for (std::size_t i = 0; i < bytes.size();) {
    const std::uint8_t c = at(i);
    std::size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                               : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    // The second byte's range excludes overlong forms, surrogates and
    // code points past U+10FFFF.
    const std::uint8_t lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
    const std::uint8_t hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
    if (n > 1 && (at(i + 1) < lo || at(i + 1) > hi)) n = 0;
    for (std::size_t k = 2; n && k < n; ++k)
      if ((at(i + k) & 0xc0) != 0x80) n = 0;
    if (n == 0) {
      bytes[i++] = '?';
    } else {
      i += n;
    }
  }
  return bytes;
}

// The input, read front to back; zeros past its end.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  std::uint8_t U8() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::string Take(std::size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }
  // A length byte, then that many bytes, as valid UTF-8 (see ValidUtf8).
  std::string Str() { return ValidUtf8(Take(U8())); }
  // A two-byte length (little endian), then that many bytes.
  std::string Blob() {
    std::size_t n = U8();
    n |= std::size_t(U8()) << 8;
    return Take(n);
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

fs::path MakeTempDir() {
  // tmpfs when there is one: the ledger syncs every commit.
  std::string base = fs::is_directory("/dev/shm") && access("/dev/shm", W_OK) == 0
                         ? "/dev/shm"
                         : fs::temp_directory_path().string();
  std::string tmpl = base + "/fuzz_scan-XXXXXX";
  if (!mkdtemp(tmpl.data())) Finding("cannot make a temporary folder in " + base);
  return tmpl;
}

// What lives for the whole run.
struct World {
  fs::path dir;
  std::vector<std::pair<std::string, std::string>> pages;  // file name, bytes
  ProfileStore profiles;
  std::unique_ptr<ServerMetrics> metrics;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<VerdictSigner> signer;
  std::string public_key;
  ServiceOptions options;
};

World& TheWorld() {
  static World* world = [] {
    auto* w = new World;  // never destroyed: engine threads outlive exit handlers
    w->dir = MakeTempDir();
    std::atexit([] { std::error_code ec; fs::remove_all(TheWorld().dir, ec); });
    const fs::path pages_dir = fs::path(SCANGATE_SOURCE_DIR) / "tests/fuzz/scan_pages";
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(pages_dir)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      std::ifstream in(f, std::ios::binary);
      w->pages.emplace_back(f.filename().string(),
                            std::string(std::istreambuf_iterator<char>(in), {}));
    }
    if (w->pages.empty()) Finding("no pages in " + pages_dir.string());
    if (Outcome loaded = w->profiles.LoadFolder(std::string(SCANGATE_SOURCE_DIR) + "/profiles");
        !loaded.ok())
      Finding("profiles: " + loaded.error().message);
    w->metrics = std::make_unique<ServerMetrics>();
    EngineOptions engine;
    engine.threads = 2;
    // Small pages keep inputs fast (as fuzz_page does); the decoder's own
    // limits are fuzz_page's to explore.
    engine.judge.limits.max_pixels = 1'000'000;
    engine.judge.limits.max_file_pixels = 2'000'000;
    engine.judge.limits.max_frames = 4;
    engine.on_judge_start = [m = w->metrics.get()](double s) { m->EngineWaited(s); };
    w->engine = std::make_unique<Engine>(engine);
    auto signer = VerdictSigner::LoadOrCreate((w->dir / "verdict-signing.key").string());
    if (!signer.ok()) Finding("signing key: " + signer.error().message);
    w->signer = std::move(signer.value());
    w->public_key = w->signer->public_key_pem();
    // The production defaults, as scangate-server sets them for its engine threads.
    w->options.max_scan_streams = 10 * w->engine->threads();
    w->options.max_queued_pages = 8 * w->engine->threads();
    w->options.signer = w->signer.get();
    return w;
  }();
  return *world;
}

// The service, its ledger and an in-process server: rebuilt with a fresh
// ledger every kInputsPerLedger inputs and after a drain.
struct Stack {
  fs::path ledger_dir;
  std::unique_ptr<SqliteLedger> ledger;
  std::unique_ptr<ScangateService> service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::Scangate::Stub> stub;
  int inputs = 0;
  bool drained = false;

  void Start(int generation) {
    World& w = TheWorld();
    ledger_dir = w.dir / ("ledger-" + std::to_string(generation));
    fs::create_directories(ledger_dir);
    auto opened = SqliteLedger::Open((ledger_dir / "ledger.sqlite3").string());
    if (!opened.ok()) Finding("ledger: " + opened.error().message);
    ledger = std::move(opened.value());
    service = std::make_unique<ScangateService>(*w.engine, w.profiles, *ledger, w.options,
                                                w.metrics.get());
    grpc::ServerBuilder builder;
    builder.RegisterService(service.get());
    builder.SetMaxReceiveMessageSize(int(w.options.max_message_bytes));
    builder.SetMaxSendMessageSize(int(w.options.max_message_bytes));
    server = builder.BuildAndStart();
    if (!server) Finding("the in-process server did not start");
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(int(w.options.max_message_bytes));
    args.SetMaxSendMessageSize(int(w.options.max_message_bytes));
    stub = v1::Scangate::NewStub(server->InProcessChannel(args));
    inputs = 0;
    drained = false;
  }

  void Stop() {
    stub.reset();
    service->Drain();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server->Wait();
    TheWorld().engine->WaitIdle();
    server.reset();
    service.reset();
    ledger.reset();
    std::error_code ec;
    fs::remove_all(ledger_dir, ec);
  }
};

Stack*& StackOnce() {
  static Stack* stack = [] {
    auto* s = new Stack;
    s->Start(0);
    return s;
  }();
  return stack;
}

Stack& TheStack() {
  Stack*& stack = StackOnce();
  static int generation = 0;
  if (stack->drained || stack->inputs >= kInputsPerLedger) {
    stack->Stop();
    stack->Start(++generation);
  }
  return *stack;
}

bool Same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

// One Scan stream: written from the fuzzer's thread, read on its own (as a
// station does), so that the server's flow control never waits on us.
class StreamRun {
 public:
  static void NewInput() { final_versions_.clear(); }

  // Another stream open at the same time (the input's other slot).
  void Overlaps(StreamRun* other) {
    overlapped_.push_back(other);
    other->overlapped_.push_back(this);
  }
  // Whether this stream asked for batch `id` or was answered with it.
  bool Names(const std::string& id) const {
    if (id.empty()) return false;
    if (std::find(requested_.begin(), requested_.end(), id) != requested_.end()) return true;
    std::lock_guard lock(mu_);
    return !responses_.empty() && responses_.front().has_opened() &&
           responses_.front().opened().batch_id() == id;
  }

  explicit StreamRun(v1::Scangate::Stub& stub) {
    context_.set_deadline(std::chrono::system_clock::now() + kStreamDeadline);
    stream_ = stub.Scan(&context_);
    reader_ = std::thread([this] {
      v1::ScanResponse r;
      while (stream_->Read(&r)) {
        std::lock_guard lock(mu_);
        responses_.push_back(r);
        changed_.notify_all();
      }
      std::lock_guard lock(mu_);
      read_done_ = true;
      changed_.notify_all();
    });
  }

  // Sends `request`, which is answered with at least `answers` responses
  // unless it is refused. False once the stream has ended or was cancelled.
  bool Write(const v1::ScanRequest& request) {
    if (ended_ || cancelled_) return false;
    if (!stream_->Write(request)) {
      ended_ = true;
      return false;
    }
    switch (request.kind_case()) {
      case v1::ScanRequest::kOpen:
        wrote_open_ = true;
        requested_.push_back(request.open().batch_id());
        break;
      case v1::ScanRequest::kClose: wrote_close_ = true; break;
      default: break;
    }
    ++written_;
    expected_ += request.kind_case() != v1::ScanRequest::KIND_NOT_SET;
    return true;
  }

  // Until every request written has had its answer (or the stream ended).
  void Wait() {
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, std::chrono::seconds(20),
                      [&] { return read_done_ || responses_.size() >= expected_; });
  }

  void Cancel() {
    context_.TryCancel();
    cancelled_ = true;
  }

  // Whether a stream open at the same time named a batch this one did: one
  // of them may have superseded the other, and the ledger holds both's work.
  bool SharesBatch() const {
    for (const StreamRun* other : overlapped_) {
      for (const std::string& id : requested_)
        if (other->Names(id)) return true;
      std::lock_guard lock(mu_);
      if (!responses_.empty() && responses_.front().has_opened() &&
          other->Names(responses_.front().opened().batch_id()))
        return true;
    }
    return false;
  }

  // Ends the stream and checks what it answered.
  void Finish(v1::Scangate::Stub& stub, bool drained) {
    if (!cancelled_) stream_->WritesDone();
    reader_.join();
    const grpc::Status status = stream_->Finish();
    if (std::getenv("FUZZ_SCAN_TRACE")) Trace(status);
    Check(stub, status, drained);
  }

 private:
  void Check(v1::Scangate::Stub& stub, const grpc::Status& status, bool drained) const {
    const std::string where = "stream ended " + std::to_string(status.error_code()) + " '" +
                              status.error_message() + "': ";
    switch (status.error_code()) {
      case grpc::StatusCode::OK:
      case grpc::StatusCode::INVALID_ARGUMENT:
      case grpc::StatusCode::FAILED_PRECONDITION:
      case grpc::StatusCode::NOT_FOUND:
      case grpc::StatusCode::ALREADY_EXISTS:
      case grpc::StatusCode::RESOURCE_EXHAUSTED: break;
      case grpc::StatusCode::UNAVAILABLE:
        if (drained || cancelled_) break;
        Finding(where + "UNAVAILABLE without a drain");
      case grpc::StatusCode::CANCELLED:
        if (cancelled_ || SharesBatch()) break;
        Finding(where + "CANCELLED by no one");
      default: Finding(where + "a status a station cannot act on");
    }
    if (status.error_message().empty() && !status.ok()) Finding(where + "an error without a message");

    // The answers' shape.
    const v1::BatchVerdict* batch = nullptr;
    for (std::size_t i = 0; i < responses_.size(); ++i) {
      const v1::ScanResponse& r = responses_[i];
      if (batch) Finding(where + "an answer after the batch verdict");
      switch (r.kind_case()) {
        case v1::ScanResponse::kOpened:
          if (i != 0) Finding(where + "BatchOpened after other answers");
          break;
        case v1::ScanResponse::kBatch: batch = &r.batch(); break;
        case v1::ScanResponse::kPage:
        case v1::ScanResponse::kDeleted: break;
        case v1::ScanResponse::KIND_NOT_SET: Finding(where + "an empty answer");
      }
      if (i == 0 && !r.has_opened()) Finding(where + "the first answer is not BatchOpened");
    }
    if (!responses_.empty() && !wrote_open_) Finding(where + "answers without an OpenBatch");
    // What a cancelled (or superseded) call was told may stop anywhere.
    if (cancelled_ || status.error_code() == grpc::StatusCode::CANCELLED) return;
    if (status.ok() && responses_.empty() && written_ > 0)
      Finding(where + "OK for requests that were never answered");
    if (status.ok() && !responses_.empty() && !batch)
      Finding(where + "OK after BatchOpened without a batch verdict");
    if (responses_.empty()) return;

    // What the station was told, page by page.
    const v1::BatchOpened& opened = responses_.front().opened();
    std::map<std::uint32_t, v1::PageVerdict> seen;
    for (const v1::PageVerdict& p : opened.pages()) seen[p.page_index()] = p;
    for (const v1::ScanResponse& r : responses_) {
      if (r.has_page()) {
        const v1::PageVerdict& p = r.page();
        CheckPage(where, p);
        seen[p.page_index()] = p;
      } else if (r.has_deleted()) {
        if (!seen.erase(r.deleted().page_index()))
          Finding(where + "deleted page " + std::to_string(r.deleted().page_index()) +
                  " the station was never told of");
      }
    }
    if (batch) CheckBatch(where, opened, *batch, seen, drained);
    // Another stream open at the same time on this batch may have changed it
    // since (a resume after this stream's end).
    if (SharesBatch()) return;

    // What the ledger holds is what the station was told.
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kStreamDeadline);
    v1::GetBatchVerdictRequest request;
    request.set_batch_id(opened.batch_id());
    v1::BatchVerdict stored;
    const grpc::Status read = stub.GetBatchVerdict(&context, request, &stored);
    if (!read.ok())
      Finding(where + "GetBatchVerdict('" + opened.batch_id() + "') failed: " +
              read.error_message());
    if (batch && !Same(stored, *batch))
      Finding(where + "the ledger's verdict differs from the one the station got:\n" +
              stored.DebugString() + "\nvs\n" + batch->DebugString());
    std::map<std::uint32_t, v1::PageVerdict> held;
    for (const v1::PageVerdict& p : stored.pages()) held[p.page_index()] = p;
    if (held.size() != seen.size() ||
        !std::equal(held.begin(), held.end(), seen.begin(), [](const auto& a, const auto& b) {
          return a.first == b.first && Same(a.second, b.second);
        }))
      Finding(where + "the ledger holds " + std::to_string(held.size()) +
              " pages, not the " + std::to_string(seen.size()) + " the station was told of");
  }

  // FUZZ_SCAN_TRACE=1: each stream's answers and status on stderr.
  void Trace(const grpc::Status& status) const {
    std::fprintf(stderr, "stream: %d requests%s\n", written_, cancelled_ ? ", cancelled" : "");
    for (const v1::ScanResponse& r : responses_) {
      if (r.has_opened())
        std::fprintf(stderr, "  opened %s (%s), %d pages held\n", r.opened().batch_id().c_str(),
                     r.opened().profile().c_str(), r.opened().pages_size());
      if (r.has_page()) {
        std::string reasons;
        for (const v1::Reason& reason : r.page().reasons())
          reasons += " " + v1::ReasonCode_Name(reason.code()) +
                     (reason.waived_by().empty() ? "" : "(waived)");
        std::fprintf(stderr, "  page %u %s %s [%s]%s\n", r.page().page_index(),
                     r.page().source().c_str(), v1::Decision_Name(r.page().decision()).c_str(),
                     r.page().category().c_str(), reasons.c_str());
      }
      if (r.has_deleted()) std::fprintf(stderr, "  deleted %u\n", r.deleted().page_index());
      if (r.has_batch())
        std::fprintf(stderr, "  batch %s %s%s v%u, %u pages\n", r.batch().batch_id().c_str(),
                     v1::Decision_Name(r.batch().decision()).c_str(),
                     r.batch().final() ? " final" : "", r.batch().version(),
                     r.batch().page_count());
    }
    std::fprintf(stderr, "  status %d %s\n", int(status.error_code()),
                 status.error_message().c_str());
  }

  static void CheckPage(const std::string& where, const v1::PageVerdict& p) {
    bool rejects = false;
    for (const v1::Reason& r : p.reasons()) rejects |= r.waived_by().empty();
    if ((p.decision() == v1::REJECT) != rejects)
      Finding(where + "page " + std::to_string(p.page_index()) + " is " +
              v1::Decision_Name(p.decision()) + " against its reasons");
  }

  void CheckBatch(const std::string& where, const v1::BatchOpened& opened,
                  const v1::BatchVerdict& batch,
                  const std::map<std::uint32_t, v1::PageVerdict>& seen, bool drained) const {
    if (batch.batch_id() != opened.batch_id()) Finding(where + "the verdict names another batch");
    if (batch.final() && !wrote_close_) Finding(where + "final without a CloseBatch");
    if (!batch.final() && !drained && wrote_close_ && !ended_)
      Finding(where + "a CloseBatch that was read gave an incomplete verdict");
    bool rejects = false;
    for (const v1::Reason& r : batch.reasons()) rejects |= r.waived_by().empty();
    if ((batch.decision() == v1::REJECT) != rejects)
      Finding(where + "batch " + v1::Decision_Name(batch.decision()) + " against its reasons");
    if (batch.decision() == v1::ACCEPT && !batch.final()) Finding(where + "accepted, not final");
    if (batch.final()) {
      const Outcome verified = VerifyVerdict(batch, TheWorld().public_key);
      if (batch.signature().empty() || !verified.ok())
        Finding(where + "a final verdict whose signature does not verify: " +
                (verified.ok() ? std::string("unsigned") : verified.error().message));
    } else if (!batch.signature().empty()) {
      Finding(where + "an incomplete verdict signed");
    }
    std::uint32_t counted = 0;
    std::map<std::uint32_t, v1::PageVerdict> pages;
    for (const v1::PageVerdict& p : batch.pages()) {
      if (!pages.emplace(p.page_index(), p).second)
        Finding(where + "page " + std::to_string(p.page_index()) + " twice in the verdict");
      counted += !p.separator_sheet();
    }
    if (batch.page_count() != counted)
      Finding(where + "page_count " + std::to_string(batch.page_count()) + " for " +
              std::to_string(counted) + " pages");
    if (pages.size() != seen.size() ||
        !std::equal(pages.begin(), pages.end(), seen.begin(), [](const auto& a, const auto& b) {
          return a.first == b.first && Same(a.second, b.second);
        }))
      Finding(where + "the verdict's " + std::to_string(pages.size()) +
              " pages are not the " + std::to_string(seen.size()) + " the station was answered");
    if (batch.final() &&
        !final_versions_[batch.batch_id()].insert(batch.version()).second)
      Finding(where + "a second final verdict of batch '" + batch.batch_id() + "' as version " +
              std::to_string(batch.version()));
  }

  // The versions of the final verdicts this input was given, by batch.
  static inline std::map<std::string, std::set<std::uint32_t>> final_versions_;

  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ScanRequest, v1::ScanResponse>> stream_;
  std::thread reader_;
  mutable std::mutex mu_;
  std::vector<StreamRun*> overlapped_;  // alive until the input ends
  std::vector<std::string> requested_;   // the batch ids of its OpenBatch requests
  std::condition_variable changed_;
  std::vector<v1::ScanResponse> responses_;
  bool read_done_ = false;
  std::size_t expected_ = 0;  // answers at least, for the requests written
  int written_ = 0;
  bool wrote_open_ = false, wrote_close_ = false, cancelled_ = false, ended_ = false;
};

std::string Person(Input& in, const char* a, const char* b) {
  switch (in.U8() % kPersonChoices) {
    case 0: return "";
    case 1: return a;
    case 2: return b;
    default: return in.Str();
  }
}

std::string Category(Input& in) {
  const std::uint8_t c = in.U8() % kCategoryChoices;
  return c == kCategoryRaw ? in.Str() : kCategories[c];
}

void ReadPage(Input& in, v1::PageContent& page) {
  const World& w = TheWorld();
  const std::size_t source = in.U8() % (w.pages.size() + 1);
  std::string name = source < w.pages.size() ? w.pages[source].first : "raw.bin";
  std::string bytes = source < w.pages.size() ? w.pages[source].second : in.Blob();
  switch (in.U8() % kModifiers) {
    case 1: bytes.resize(bytes.size() / 2); break;
    case 2: {
      const std::size_t at = bytes.size() * in.U8() / 256;
      if (at < bytes.size()) bytes[at] = char(~bytes[at]);
      break;
    }
    case 3: bytes.resize(std::min<std::size_t>(bytes.size(), 64)); break;
    default: break;
  }
  switch (in.U8() % kNameChoices) {
    case 0: name.clear(); break;
    case kNameRaw: name = in.Str(); break;
    case kNameTooLong: name.assign(256, 'f'); break;
    default: break;
  }
  page.set_content(std::move(bytes));
  page.set_file_name(std::move(name));
  page.set_category(Category(in));
}

std::uint32_t Index(Input& in) {
  const std::uint8_t i = in.U8();
  return i == 255 ? 0xffffffffu : i;
}

std::uint64_t inputs_run = 0;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  TheWorld();
  TheStack();
  // At exit (between inputs), the server and the ledger are stopped and
  // their threads joined before LeakSanitizer's check at exit looks: what
  // those threads hold on their stacks is not a leak.
  std::atexit([] {
    if (Stack*& stack = StackOnce()) {
      stack->Stop();
      delete stack;
      stack = nullptr;
    }
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& w = TheWorld();
  Stack& stack = TheStack();
  ++stack.inputs;
  // Batch ids are this input's own: the ledger holds nothing an input
  // refers to unless it made it (raw ids aside).
  const std::string prefix = "f" + std::to_string(++inputs_run) + "-";
  StreamRun::NewInput();
  Input in(data, size);
  // Every stream of the input, finished or not; two slots may be open at once.
  std::vector<std::unique_ptr<StreamRun>> runs;
  StreamRun* slots[2] = {nullptr, nullptr};
  int slot = 0;
  int requests = 0, pages = 0;
  auto end_stream = [&] {
    if (StreamRun* stream = slots[slot]) stream->Finish(*stack.stub, stack.drained);
    slots[slot] = nullptr;
  };
  auto send = [&](const v1::ScanRequest& request) {
    StreamRun*& stream = slots[slot];
    if (!stream) {
      if (runs.size() == kMaxStreams) return;
      runs.push_back(std::make_unique<StreamRun>(*stack.stub));
      stream = runs.back().get();
      if (StreamRun* other = slots[1 - slot]) stream->Overlaps(other);
    }
    if (request.has_page() || request.has_replace()) {
      if (pages == kMaxPages) return;
      ++pages;
    }
    ++requests;
    stream->Write(request);
  };

  while (!in.empty() && requests < kMaxRequests) {
    v1::ScanRequest request;
    switch (in.U8() % kOpCount) {
      case kOpen: {
        auto* open = request.mutable_open();
        const std::uint8_t flags = in.U8();
        open->set_resume(flags & 1);
        const std::uint8_t id = in.U8() % kIdChoices;
        if (id < kIds) open->set_batch_id(prefix + char('a' + id));
        else if (id == kIdRawPrefixed) open->set_batch_id(prefix + in.Str());
        else if (id == kIdRaw) open->set_batch_id(in.Str());
        const std::uint8_t profile = in.U8() % kProfileChoices;
        open->set_profile(profile == kProfileRaw ? in.Str() : kProfiles[profile]);
        open->set_station_id(Person(in, "counter-1", "counter-2"));
        open->set_operator_id(Person(in, "clerk-7", "clerk-8"));
        send(request);
        break;
      }
      case kPage: ReadPage(in, *request.mutable_page()); send(request); break;
      case kReplace:
        request.mutable_replace()->set_page_index(Index(in));
        ReadPage(in, *request.mutable_replace()->mutable_page());
        send(request);
        break;
      case kDelete: request.mutable_delete_()->set_page_index(Index(in)); send(request); break;
      case kSetCategory:
        request.mutable_set_category()->set_page_index(Index(in));
        request.mutable_set_category()->set_category(Category(in));
        send(request);
        break;
      case kWaive: {
        auto* waive = request.mutable_waive_reason();
        waive->set_page_index(Index(in));
        waive->set_code(static_cast<v1::ReasonCode>(in.U8()));
        switch (in.U8() % kNoteChoices) {
          case 1: waive->set_note("checked at the counter"); break;
          case kNoteRaw: waive->set_note(in.Str()); break;
          case kNoteTooLong: waive->set_note(std::string(1025, 'n')); break;
          default: break;
        }
        send(request);
        break;
      }
      case kClose: request.mutable_close(); send(request); break;
      case kEmpty: send(request); break;
      case kRaw:
        if (request.ParseFromString(in.Str())) send(request);
        break;
      case kWait:
        if (slots[slot]) slots[slot]->Wait();
        break;
      case kNextStream: end_stream(); break;
      case kCancel:
        if (slots[slot]) slots[slot]->Cancel();
        end_stream();
        break;
      case kDrain:
        stack.service->Drain();
        stack.drained = true;
        break;
      case kSwitch: slot = 1 - slot; break;
    }
  }
  end_stream();
  slot = 1 - slot;
  end_stream();

  // Nothing outlives the input: every stream gone, the engine idle, the
  // memory budget whole again.
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (stack.service->open_streams() > 0) {
    if (Clock::now() > deadline)
      Finding(std::to_string(stack.service->open_streams()) +
              " Scan streams still registered after their calls ended");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  w.engine->WaitIdle();
  while (stack.service->memory_budget().used() > 0) {
    if (Clock::now() > deadline)
      Finding("the memory budget still holds " +
              std::to_string(stack.service->memory_budget().used()) +
              " bytes with nothing in flight");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return 0;
}
