// A Scan stream is a reactor (owned by gRPC, deleted in OnDone) over a
// session (shared with the engine's and the ledger's callbacks, which may
// outlive the reactor when a station disconnects mid-batch). At most one read
// and one write are in flight; reactions never block: ledger reads go to the
// service's blocking-work thread, ledger writes are acknowledged by callback.
//
// Every verdict is written to the station only after the ledger holds it, so
// whatever a station saw survives a crash of the server.
//
// One batch, one stream: a session claims its batch from the service when it
// opens it and lets go once it has ended and its last ledger write is done
// (the ledger's callbacks keep the session alive until then). A resume of a
// batch another stream holds (the station lost its connection and came back
// before the server noticed) supersedes that stream and waits for it to let
// go; a new batch under a held id is refused.
#include "server/scan_stream.h"

#include <atomic>
#include <chrono>
#include <deque>

#include "batch/batch_session.h"
#include "server/log.h"
#include "server/memory_budget.h"
#include "server/metrics.h"
#include "wire/names.h"
#include "wire/wire.h"
#include "wire/verdict_signature.h"
#include "server/verdict_size.h"

namespace scangate {
namespace {

grpc::Status StatusOf(const Refusal& refusal) {
  switch (refusal.kind) {
    case Refusal::Kind::kInvalidArgument:
      return {grpc::StatusCode::INVALID_ARGUMENT, refusal.message};
    case Refusal::Kind::kFailedPrecondition:
      return {grpc::StatusCode::FAILED_PRECONDITION, refusal.message};
    case Refusal::Kind::kNotFound: return {grpc::StatusCode::NOT_FOUND, refusal.message};
    case Refusal::Kind::kAlreadyExists:
      return {grpc::StatusCode::ALREADY_EXISTS, refusal.message};
  }
  return {grpc::StatusCode::INTERNAL, refusal.message};
}

std::int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

using Reactor = grpc::ServerBidiReactor<v1::ScanRequest, v1::ScanResponse>;

// What the caller of one Scan stream may do, settled when it opens.
struct Caller {
  std::string name;         // in the access file; empty without access control
  std::string key;          // whom quotas count it against (ClientKey)
  bool may_scan = true;     // STATION: open, pages, rescans, deletions, categories
  bool may_waive = true;    // SUPERVISOR: waivers
  bool access_control = false;
};

// The distinct codes of `reasons` that still reject (`waived`: that a
// supervisor waived), in order, comma-separated: a batch's reasons repeat a
// code for every page that has it.
std::string Codes(const google::protobuf::RepeatedPtrField<v1::Reason>& reasons, bool waived) {
  std::string out;
  for (const v1::Reason& r : reasons) {
    if (r.waived_by().empty() == waived) continue;
    const std::string code = v1::ReasonCode_Name(r.code());
    if (("," + out + ",").find("," + code + ",") == std::string::npos)
      out += (out.empty() ? "" : ",") + code;
  }
  return out;
}

// Responses queued for a station that has not read the earlier ones; beyond
// this the stream stops reading pages (HTTP/2 flow control then holds the
// station back).
constexpr std::size_t kMaxUnsentResponses = 16;

class ScanSession : public LiveStream, public std::enable_shared_from_this<ScanSession> {
 public:
  ScanSession(ScangateService& service, Reactor* reactor, Caller caller,
              grpc::CallbackServerContext* context)
      : service_(service), caller_(std::move(caller)), reactor_(reactor), context_(context) {}

  const Caller& caller() const { return caller_; }

  std::chrono::steady_clock::time_point last_activity() const override {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_activity_ns_.load(std::memory_order_relaxed)));
  }

  void Start() {
    std::lock_guard lock(mu_);
    StartReadLocked();
  }

  void OnReadDone(bool ok) {
    std::lock_guard lock(mu_);
    reading_ = false;
    TouchLocked();
    if (!reactor_ || finish_requested_) return;
    if (!ok) {  // the station half-closed (or went away) without CloseBatch
      input_ended_ = true;
      if (!OpenedLocked()) return FailLocked(grpc::Status::OK);
      return MaybeCloseBatchLocked();
    }
    if (draining_) return;  // pages arriving after a drain are not taken
    if (grpc::Status bad = CheckNames(request_); !bad.ok()) return FailLocked(std::move(bad));
    switch (request_.kind_case()) {
      case v1::ScanRequest::kOpen: return HandleOpenLocked();
      case v1::ScanRequest::kPage: return HandlePageLocked(std::nullopt);
      case v1::ScanRequest::kReplace: return HandlePageLocked(request_.replace().page_index());
      case v1::ScanRequest::kDelete: return HandleDeleteLocked();
      case v1::ScanRequest::kSetCategory: return HandleSetCategoryLocked();
      case v1::ScanRequest::kWaiveReason: return HandleWaiveReasonLocked();
      case v1::ScanRequest::kClose:
        if (!OpenedLocked())
          return FailLocked({grpc::StatusCode::FAILED_PRECONDITION, "CloseBatch before OpenBatch"});
        input_ended_ = closed_by_station_ = true;
        return MaybeCloseBatchLocked();
      case v1::ScanRequest::KIND_NOT_SET:
        return FailLocked({grpc::StatusCode::INVALID_ARGUMENT, "empty ScanRequest"});
    }
  }

  void OnWriteDone(bool ok) {
    std::lock_guard lock(mu_);
    writing_ = false;
    current_charge_.reset();
    TouchLocked();
    if (!ok) {
      writes_.clear();
      abandoned_ = true;
      FailLocked({grpc::StatusCode::UNAVAILABLE, "the station stopped reading verdicts"});
      // When the end was already requested, FailLocked does nothing: the
      // stream must still finish now that nothing more can be written.
      WriteNextLocked();
      return;
    }
    WriteNextLocked();
    if (OpenedLocked() && !draining_ && HasCapacityLocked()) StartReadLocked();
  }

  void OnCancel() {
    std::lock_guard lock(mu_);
    writes_.clear();
    abandoned_ = true;
    // The pages judged so far are in the ledger; the batch stays open there,
    // resumable by the station.
    FailLocked({grpc::StatusCode::CANCELLED,
                superseded_ ? "the batch was resumed on another stream" : "cancelled by the station"});
    WriteNextLocked();  // finishes even if the end had been requested before
  }

  void OnDone() {
    std::shared_ptr<VerdictSequencer> sequencer;
    {
      std::lock_guard lock(mu_);
      reactor_ = nullptr;
      context_ = nullptr;
      sequencer = sequencer_;
      LogClosedLocked();
    }
    if (sequencer) sequencer->Detach();
    service_.Unregister(this);
  }

  // The service's tick: a page waiting for the memory budget is tried
  // again, and a stream that has waited for a request longer than the idle
  // timeout with nothing in flight is ended (its batch stays open in the
  // ledger, resumable). A stream the server is holding back (it stopped
  // reading) is never idle.
  void Tick(std::chrono::steady_clock::time_point now) override {
    std::lock_guard lock(mu_);
    if (!reactor_ || finish_requested_) return;
    if (awaiting_claim_) {
      const v1::OpenBatch open = *awaiting_claim_;
      ResumeLocked(open, now);
      if (finish_requested_) return;
    }
    SubmitHeldLocked();
    if (OpenedLocked() && !draining_ && HasCapacityLocked()) StartReadLocked();
    const auto timeout = service_.options().scan_idle_timeout;
    const bool waiting_for_station = reading_ && !opening_ && !held_ && !writing_ &&
                                     writes_.empty() && files_judged_ == files_submitted_ &&
                                     ledger_pending_ == 0;
    if (timeout.count() > 0 && waiting_for_station && now - last_activity() >= timeout)
      FailLocked({grpc::StatusCode::DEADLINE_EXCEEDED,
                  "no request for " +
                      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                      " s: the stream is closed; its batch stays open and can be resumed"});
  }

  // Another stream resumed this one's batch: this call ends at once (its
  // pages in flight are dropped, what the ledger holds stays), and the batch
  // is let go for the newer stream once the last ledger write is done.
  void Supersede() override {
    std::lock_guard lock(mu_);
    if (!reactor_ || !context_ || superseded_) return;
    superseded_ = true;
    context_->TryCancel();  // OnCancel follows
  }

  void Drain() override {
    std::lock_guard lock(mu_);
    draining_ = true;
    if (!reactor_ || finish_requested_) return;
    input_ended_ = true;
    if (!OpenedLocked() && !opening_)
      return FailLocked({grpc::StatusCode::UNAVAILABLE, "server is shutting down"});
    MaybeCloseBatchLocked();
  }

 private:
  // Counted here, not read from the sequencer: a file counts as judged only
  // once its verdicts are with this session, so it never finishes early.
  // Verdicts waiting for the station to read them count too: a station that
  // never reads holds the server to a few, not to every page it sends.
  // A full memory budget stops every stream's reading: what gRPC would
  // receive next is not allocated until pages in flight finish.
  bool HasCapacityLocked() const {
    return !held_ && !service_.memory_budget().full() &&
           files_submitted_ - files_judged_ < service_.options().max_in_flight_per_stream &&
           writes_.size() < kMaxUnsentResponses;
  }

  void TouchLocked() {
    last_activity_ns_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                            std::memory_order_relaxed);
  }

  void StartReadLocked() {
    if (reading_ || input_ended_ || finish_requested_ || !reactor_ || opening_) return;
    reading_ = true;
    request_.Clear();
    reactor_->StartRead(&request_);
  }

  // Runs `then` under the session's lock once the ledger write is durable;
  // a failed write ends the stream, since nothing unrecorded may be shown.
  Ledger::Done Durable(std::function<void()> then) {
    ++ledger_pending_;
    // The session lives until the write is done: it holds its batch till then.
    return [self = shared_from_this(), then = std::move(then)](Ledger::Written written,
                                                                 const std::string& error) {
      std::lock_guard lock(self->mu_);
      --self->ledger_pending_;
      if (!self->LedgerWriteDoneLocked()) return;
      if (written != Ledger::Written::kDurable) return self->WriteRefusedLocked(written, error);
      then();
      self->MaybeCloseBatchLocked();
      self->WriteNextLocked();
    };
  }

  // After a ledger write: false when the call is gone (nothing more to do,
  // and the service may be going too). A session that has finished lets go
  // of its batch with its last write.
  bool LedgerWriteDoneLocked() {
    if (!reactor_) return false;
    if (finishing_ && ledger_pending_ == 0) ReleaseClaimLocked();
    return true;
  }

  // A write the ledger did not apply ends the stream: kTakenOver when a
  // later stream claimed the batch (a resume, perhaps on another server
  // sharing the ledger: ABORTED, the station's newer stream carries on),
  // else the ledger failed (INTERNAL). What was answered before stays.
  void WriteRefusedLocked(Ledger::Written written, const std::string& error) {
    abandoned_ = true;
    if (written == Ledger::Written::kTakenOver) {
      log::Warn("batch_taken_over", {{"batch", BatchIdLocked()}, {"client", caller_.key}});
      return FailLocked({grpc::StatusCode::ABORTED,
                         "batch '" + BatchIdLocked() +
                             "' was taken over by a later stream (a resume): this stream's "
                             "changes since are not recorded"});
    }
    log::Error("ledger_write_failed", {{"batch", BatchIdLocked()}, {"error", error}});
    FailLocked({grpc::StatusCode::INTERNAL, "the ledger refused a write: " + error});
  }

  void ReleaseClaimLocked() {
    if (claimed_.empty()) return;
    service_.ReleaseBatch(claimed_, this);
    claimed_.clear();
  }

  // Resumes `open`'s batch once this stream holds it: another stream that
  // holds it is superseded, and the service's tick calls again until it has
  // let go.
  void ResumeLocked(const v1::OpenBatch& open, std::chrono::steady_clock::time_point now) {
    if (!service_.ClaimBatch(open.batch_id(), shared_from_this(), true)) {
      if (!awaiting_claim_) {
        awaiting_claim_ = open;
        awaiting_since_ = now;
      } else if (draining_) {
        awaiting_claim_.reset();
        FailLocked({grpc::StatusCode::UNAVAILABLE, "server is shutting down"});
      } else if (now - awaiting_since_ > kClaimWait) {
        awaiting_claim_.reset();
        FailLocked({grpc::StatusCode::ABORTED,
                    "batch '" + open.batch_id() + "' is still held by another stream after " +
                        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kClaimWait)
                                           .count()) +
                        " s; try again"});
      }
      return;
    }
    awaiting_claim_.reset();
    claimed_ = open.batch_id();
    LoadLocked(open.batch_id(), [open](ScanSession& self, std::optional<StoredBatch> stored) {
      self.OnResumeLoaded(open, std::move(stored));
    });
  }

  // The core's phase, read under the session's lock.
  bool OpenedLocked() const { return core_.phase() != BatchSession::Phase::kAwaitingOpen; }

  // A request the batch refuses: an error of the call. Pages already sent
  // are still judged, recorded and answered first; the batch stays open in
  // the ledger, resumable.
  void RefuseLocked(const Refusal& refusal) { FailLocked(StatusOf(refusal)); }

  // A request this caller's roles do not allow: logged, and the stream ends
  // PERMISSION_DENIED naming the role it needs.
  void DenyLocked(const char* what, v1::Role needed) {
    log::Warn("access_denied", {{"client", caller_.name}, {"call", what},
                                {"needs", v1::Role_Name(needed)}, {"batch", BatchIdLocked()}});
    FailLocked({grpc::StatusCode::PERMISSION_DENIED,
                std::string(what) + ": '" + caller_.name + "' may not do this (needs the " +
                    v1::Role_Name(needed) + " role)"});
  }

  // The batch this stream opened, or the one it holds while opening or
  // resuming it (so that a failure on the way names it); "" before either.
  std::string BatchIdLocked() const {
    return OpenedLocked() ? core_.record().batch_id : claimed_;
  }

  void LogClosedLocked() {
    const grpc::StatusCode code = finish_requested_ ? finish_status_.error_code()
                                                    : grpc::StatusCode::CANCELLED;
    const bool failed = code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNKNOWN ||
                        code == grpc::StatusCode::DATA_LOSS;
    const bool refused = code != grpc::StatusCode::OK && code != grpc::StatusCode::CANCELLED &&
                         code != grpc::StatusCode::UNAVAILABLE;
    log::Event(failed ? log::Level::kError : refused ? log::Level::kWarn : log::Level::kInfo,
               "stream_closed",
               {{"call", "Scan"}, {"client", caller_.key}, {"batch", BatchIdLocked()},
                {"status", StatusCodeName(code)},
                {"message", finish_requested_ ? finish_status_.error_message() : "gone"},
                {"pages", core_.pages().size()}});
  }

  static std::string StatusCodeName(grpc::StatusCode code) {
    switch (code) {
      case grpc::StatusCode::OK: return "OK";
      case grpc::StatusCode::CANCELLED: return "CANCELLED";
      case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
      case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
      case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
      case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
      case grpc::StatusCode::ABORTED: return "ABORTED";
      case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
      case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
      case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
      case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
      case grpc::StatusCode::INTERNAL: return "INTERNAL";
      default: return std::to_string(int(code));
    }
  }

  void HandleOpenLocked() {
    if (OpenedLocked() || opening_)
      return FailLocked({grpc::StatusCode::FAILED_PRECONDITION, "the batch is already open"});
    const v1::OpenBatch open = request_.open();
    // The identity waivers are recorded under without access control.
    stream_operator_ = open.operator_id();
    if (!caller_.may_scan && !open.resume()) return DenyLocked("OpenBatch (a new batch)", v1::STATION);
    if (open.resume()) {
      if (open.batch_id().empty())
        return FailLocked({grpc::StatusCode::INVALID_ARGUMENT, "resume needs a batch_id"});
      opening_ = true;
      return ResumeLocked(open, std::chrono::steady_clock::now());
    }
    BatchProfile profile = FindProfileLocked(open.profile());
    if (!profile.rules)
      return FailLocked({grpc::StatusCode::NOT_FOUND, "unknown profile '" + open.profile() + "'"});
    BatchOpenRecord record = BatchSession::NewRecord(open, *profile.rules, NowUnix());
    if (!service_.ClaimBatch(record.batch_id, shared_from_this(), false))
      return FailLocked({grpc::StatusCode::ALREADY_EXISTS,
                         "batch '" + record.batch_id +
                             "' is open on another stream: a new batch needs a new id; its own "
                             "station may resume it"});
    claimed_ = record.batch_id;
    opening_ = true;
    ++ledger_pending_;
    service_.ledger().CreateBatch(
        record, [self = shared_from_this(), record, profile](Ledger::Creation outcome,
                                                             const std::string& error) mutable {
          std::lock_guard lock(self->mu_);
          --self->ledger_pending_;
          if (!self->LedgerWriteDoneLocked()) return;
          switch (outcome) {
            case Ledger::Creation::kFailed:
              self->opening_ = false;
              self->abandoned_ = true;
              return self->FailLocked(
                  {grpc::StatusCode::INTERNAL, "the ledger refused a write: " + error});
            case Ledger::Creation::kExists:
              // Never reopened: the refusal names what holds the id.
              self->ReleaseClaimLocked();
              return self->LoadLocked(record.batch_id, [id = record.batch_id](
                                                           ScanSession& s,
                                                           std::optional<StoredBatch> stored) {
                std::lock_guard held(s.mu_);
                s.opening_ = false;
                if (!s.reactor_ || s.finish_requested_) return;
                s.RefuseLocked(stored ? BatchSession::Exists(*stored)
                                      : Refusal{Refusal::Kind::kAlreadyExists,
                                                "batch '" + id + "' exists"});
              });
            case Ledger::Creation::kCreated:
              self->ledger_claim_ = Ledger::kFirstClaim;
              self->core_.Created(std::move(record), std::move(profile));
              self->OnOpenedLocked();
              self->WriteNextLocked();
              return;
          }
        });
  }

  BatchProfile FindProfileLocked(const std::string& name) const {
    BatchProfile profile{service_.profiles().Find(name), nullptr};
    if (profile.rules) profile.categories = service_.profiles().FindCategories(profile.rules->name);
    return profile;
  }

  // Reads the batch on the blocking-work thread, then calls `then` (without
  // the session's lock); a ledger that cannot be read ends the stream
  // UNAVAILABLE: the station may try again later.
  void LoadLocked(const std::string& batch_id,
                  std::function<void(ScanSession&, std::optional<StoredBatch>)> then) {
    service_.blocking_work().Post(
        [weak = weak_from_this(), batch_id, then = std::move(then), &ledger = service_.ledger()] {
          std::optional<StoredBatch> stored;
          try {
            stored = ledger.LoadBatch(batch_id);
          } catch (const LedgerUnavailable& e) {
            if (auto self = weak.lock()) self->OnLoadFailed(e.what());
            return;
          }
          if (auto self = weak.lock()) then(*self, std::move(stored));
        },
        [weak = weak_from_this()](const std::string& what) {
          if (auto self = weak.lock()) self->OnLoadFailed("the batch cannot be read: " + what);
        });
  }

  void OnLoadFailed(const std::string& why) {
    std::lock_guard lock(mu_);
    opening_ = false;
    if (!reactor_ || finish_requested_) return;
    FailLocked({grpc::StatusCode::UNAVAILABLE, why});
  }

  void OnResumeLoaded(const v1::OpenBatch& open, std::optional<StoredBatch> stored) {
    std::lock_guard lock(mu_);
    if (!reactor_ || finish_requested_) return;
    opening_ = false;
    if (!stored)
      return FailLocked(
          {grpc::StatusCode::NOT_FOUND, "no batch '" + open.batch_id() + "' to resume"});
    v1::OpenBatch resume = open;
    if (!caller_.may_scan) {
      // A supervisor is no station: it resumes any station's batch, but only
      // to waive and close it (no pages), and leaves its operator as it was.
      resume.set_station_id(stored->open.station_id);
      resume.clear_operator_id();
    }
    if (std::optional<Refusal> refused = BatchSession::CheckResume(resume, *stored))
      return RefuseLocked(*refused);
    BatchProfile profile = FindProfileLocked(stored->open.profile);
    if (!profile.rules)
      return FailLocked({grpc::StatusCode::NOT_FOUND,
                         "the batch's profile '" + stored->open.profile + "' is not loaded"});
    // Claim the batch in the ledger first, then read it again: pages a
    // stream on another server recorded before the claim are in what the
    // resume continues from, and that stream can write nothing after it.
    // The claim is taken only if the batch is still as checked above; if
    // another stream closed or resumed it in between, it is checked again.
    opening_ = true;
    ++ledger_pending_;
    service_.ledger().ReopenBatch(
        stored->open.batch_id, {stored->claim, stored->state},
        [self = shared_from_this(), open, resume, profile = std::move(profile)](
            Ledger::Reopened reopened, std::uint64_t claim, const std::string& error) mutable {
          std::lock_guard held(self->mu_);
          --self->ledger_pending_;
          if (!self->LedgerWriteDoneLocked()) return;
          if (reopened == Ledger::Reopened::kFailed)
            return self->WriteRefusedLocked(Ledger::Written::kFailed, error);
          if (reopened == Ledger::Reopened::kChanged) {
            if (++self->resume_checks_ >= kResumeChecks)
              return self->FailLocked(
                  {grpc::StatusCode::ABORTED, "batch '" + open.batch_id() +
                                                  "' kept changing while it was being resumed; "
                                                  "resume it again"});
            return self->LoadLocked(open.batch_id(), [open](ScanSession& s,
                                                            std::optional<StoredBatch> again) {
              s.OnResumeLoaded(open, std::move(again));
            });
          }
          self->ledger_claim_ = claim;
          self->LoadLocked(resume.batch_id(), [resume, profile = std::move(profile)](
                                                  ScanSession& s,
                                                  std::optional<StoredBatch> claimed) mutable {
            std::lock_guard guard(s.mu_);
            if (!s.reactor_ || s.finish_requested_) return;
            if (!claimed)
              return s.FailLocked({grpc::StatusCode::NOT_FOUND,
                                   "no batch '" + resume.batch_id() + "' to resume"});
            s.core_.Resumed(resume, std::move(profile), *claimed);
            s.OnOpenedLocked();
          });
        });
  }

  void OnOpenedLocked() {
    opening_ = false;
    sequencer_ = VerdictSequencer::Create(
        service_.engine(), service_.options().max_in_flight_per_stream,
        [weak = weak_from_this()](std::vector<PageVerdict> verdicts,
                                  std::optional<std::uint32_t> replaces) {
          if (auto self = weak.lock()) self->OnVerdicts(std::move(verdicts), replaces);
        },
        core_.next_page_index());
    v1::ScanResponse response;
    auto* opened = response.mutable_opened();
    opened->set_batch_id(core_.record().batch_id);
    opened->set_profile(core_.profile().name);
    opened->set_profile_version(core_.profile().version);
    for (const auto& [index, page] : core_.pages()) *opened->add_pages() = page;
    QueueLocked(std::move(response));
    if (draining_) return MaybeCloseBatchLocked();
    StartReadLocked();
  }

  void HandlePageLocked(std::optional<std::uint32_t> replaces) {
    if (!OpenedLocked())
      return FailLocked({grpc::StatusCode::FAILED_PRECONDITION, "a page was sent before OpenBatch"});
    if (!caller_.may_scan) return DenyLocked(replaces ? "ReplacePage" : "PageContent", v1::STATION);
    v1::PageContent* page =
        replaces ? request_.mutable_replace()->mutable_page() : request_.mutable_page();
    if (replaces)
      if (std::optional<Refusal> refused = core_.CheckReplace(*replaces))
        return RefuseLocked(*refused);
    if (auto* metrics = service_.metrics()) metrics->PageReceived(page->content().size());
    MemoryBudget& budget = service_.memory_budget();
    held_ = HeldPage{std::move(*page->mutable_content()), page->file_name(), page->category(),
                     replaces, std::chrono::steady_clock::now(), 0, 1, nullptr};
    const JudgingEstimate estimate =
        EstimateJudging(held_->bytes, core_.shared_profile() && core_.shared_profile()->repair.any());
    const std::uint64_t cost = estimate.memory_bytes;
    if (cost > budget.limit())
      return FailLocked({grpc::StatusCode::RESOURCE_EXHAUSTED,
                         "page '" + held_->file_name + "' would take " +
                             std::to_string(cost >> 20) +
                             " MiB to judge, more than the server's memory budget of " +
                             std::to_string(budget.limit() >> 20) + " MiB"});
    held_->charged = budget.Charge(held_->bytes.size());  // gRPC holds them already
    held_->judging = cost - held_->bytes.size();
    held_->work_pages = estimate.work_pages;
    SubmitHeldLocked();
  }

  // The page received is judged once its cost fits the server's memory
  // budget; until then it waits here and the stream is not read (HTTP/2 flow
  // control holds the station), and the service's tick tries again.
  void SubmitHeldLocked() {
    if (!held_) return;
    std::shared_ptr<const void> judging = service_.memory_budget().TryReserve(held_->judging);
    if (!judging) return;
    HeldPage page = std::move(*held_);
    held_.reset();
    // One handle for both: released when the engine's job ends.
    auto reservation = std::make_shared<std::pair<std::shared_ptr<const void>,
                                                  std::shared_ptr<const void>>>(
        std::move(page.charged), std::move(judging));
    received_at_.push_back(page.received);
    category_hints_.push_back(std::move(page.category));
    sequencer_->Submit({std::move(page.bytes), std::move(page.file_name), core_.shared_profile(),
                        page.replaces, std::move(reservation), page.work_pages});
    ++files_submitted_;
    // At the bound the stream is not read: HTTP/2 flow control then slows the
    // station, and memory stays bounded.
    if (HasCapacityLocked()) StartReadLocked();
  }

  void HandleDeleteLocked() {
    if (!OpenedLocked())
      return FailLocked({grpc::StatusCode::FAILED_PRECONDITION, "DeletePage before OpenBatch"});
    if (!caller_.may_scan) return DenyLocked("DeletePage", v1::STATION);
    const std::uint32_t index = request_.delete_().page_index();
    if (auto deleted = core_.Delete(index); !deleted.ok()) return RefuseLocked(deleted.error());
    service_.ledger().DeletePage(core_.record().batch_id, ledger_claim_, index, Durable([this, index] {
      v1::ScanResponse response;
      response.mutable_deleted()->set_page_index(index);
      QueueLocked(std::move(response));
    }));
    StartReadLocked();
  }

  // The clerk files a judged page under another category: recorded with the
  // batch's operator id, answered with the page's updated verdict.
  void HandleSetCategoryLocked() {
    if (!OpenedLocked())
      return FailLocked({grpc::StatusCode::FAILED_PRECONDITION, "SetCategory before OpenBatch"});
    if (!caller_.may_scan) return DenyLocked("SetCategory", v1::STATION);
    const v1::SetCategory& set = request_.set_category();
    auto page = core_.SetCategory(set.page_index(), set.category());
    if (!page.ok()) return RefuseLocked(page.error());
    RecordCorrectionLocked(page.value());
  }

  // A supervisor waives one of a judged page's reasons: it stays on the
  // page, marked with the supervisor's identity (the caller's name in the
  // access file; without access control, this stream's operator id) and
  // the note; the page's decision is recomputed.
  void HandleWaiveReasonLocked() {
    if (!OpenedLocked())
      return FailLocked({grpc::StatusCode::FAILED_PRECONDITION, "WaiveReason before OpenBatch"});
    if (!caller_.may_waive) return DenyLocked("WaiveReason", v1::SUPERVISOR);
    const v1::WaiveReason& waive = request_.waive_reason();
    const std::string& supervisor = caller_.access_control ? caller_.name : stream_operator_;
    auto page = core_.Waive(waive, supervisor);
    if (!page.ok()) return RefuseLocked(page.error());
    log::Info("reason_waived", {{"batch", core_.record().batch_id}, {"page", waive.page_index()},
                                {"code", v1::ReasonCode_Name(waive.code())},
                                {"supervisor", supervisor}});
    RecordCorrectionLocked(page.value());
  }

  // A clerk's correction of a judged page: recorded, then answered with the
  // page's updated verdict; the stream reads on.
  void RecordCorrectionLocked(const v1::PageVerdict& corrected) {
    service_.ledger().RecordPage(core_.record().batch_id, ledger_claim_, corrected, Durable([this, corrected] {
      v1::ScanResponse response;
      *response.mutable_page() = corrected;
      QueueLocked(std::move(response));
    }));
    StartReadLocked();
  }

  void OnVerdicts(std::vector<PageVerdict> verdicts, std::optional<std::uint32_t> replaces) {
    std::lock_guard lock(mu_);
    ++files_judged_;
    // The sequencer delivers in submission order: this file's receipt time.
    const auto received = received_at_.front();
    received_at_.pop_front();
    const std::string category_hint = std::move(category_hints_.front());
    category_hints_.pop_front();
    // After a protocol error the pages already sent are still judged,
    // recorded and answered; only a call that is gone drops them.
    if (!reactor_ || abandoned_ || finishing_) return WriteNextLocked();
    if (auto* metrics = service_.metrics())
      for (const PageVerdict& v : verdicts) metrics->PageJudged(v);
    auto pages = core_.AddJudged(verdicts, replaces, category_hint);
    if (!pages.ok()) return RefuseLocked(pages.error());
    for (std::size_t i = 0; i < pages.value().size(); ++i) {
      const v1::PageVerdict& page = pages.value()[i];
      // A repaired page's archive copy goes to the station with its answer
      // only: the ledger records its SHA-256, never its bytes.
      v1::PageVerdict copy;
      if (i < verdicts.size()) AttachArchiveCopy(verdicts[i], &copy);
      service_.ledger().RecordPage(
          core_.record().batch_id, ledger_claim_, page,
          Durable([this, page, copy = std::move(copy), received]() mutable {
            if (auto* metrics = service_.metrics()) metrics->PageAnswered(SecondsSince(received));
            v1::ScanResponse response;
            *response.mutable_page() = page;
            if (copy.has_repair())
              response.mutable_page()->mutable_repair()->set_archive_copy(
                  std::move(*copy.mutable_repair()->mutable_archive_copy()));
            QueueLocked(std::move(response));
          }));
    }
    if (!draining_ && HasCapacityLocked()) StartReadLocked();
    WriteNextLocked();
  }

  // Once input has ended, every page is judged and recorded: the batch
  // verdict, recorded before the station sees it.
  void MaybeCloseBatchLocked() {
    if (core_.phase() != BatchSession::Phase::kOpen || !input_ended_ || finish_requested_) return;
    if (files_judged_ < files_submitted_ || ledger_pending_ > 0) return;
    v1::BatchVerdict verdict = core_.Decide(closed_by_station_, NowUnix());
    if (auto big = CheckVerdictSize(verdict, service_.options()); !big.ok()) return FailLocked(big);
    // A final verdict is signed before it is recorded, so the ledger, the
    // station, GetBatchVerdict and the feed all carry the same signature.
    if (verdict.final() && service_.options().signer) service_.options().signer->Sign(verdict);
    ++ledger_pending_;
    service_.ledger().RecordBatchVerdict(
        verdict, ledger_claim_,
        [self = shared_from_this(), verdict](Ledger::Written written,
                                             std::uint64_t sequence) mutable {
          std::lock_guard lock(self->mu_);
          --self->ledger_pending_;
          if (!self->LedgerWriteDoneLocked()) return;
          if (written != Ledger::Written::kDurable)
            return self->WriteRefusedLocked(written, "the batch verdict was not recorded");
          verdict.set_sequence(sequence);
          if (auto* metrics = self->service_.metrics()) metrics->BatchDecided(verdict);
          log::Info("batch_decided",
                    {{"batch", verdict.batch_id()},
                     {"decision", v1::Decision_Name(verdict.decision())},
                     {"final", verdict.final()}, {"version", verdict.version()},
                     {"reasons", Codes(verdict.reasons(), false)},
                     {"waived", Codes(verdict.reasons(), true)}, {"pages", verdict.page_count()},
                     {"rejected_pages", [&] {
                        std::size_t n = 0;
                        for (const v1::PageVerdict& p : verdict.pages()) n += p.decision() == v1::REJECT;
                        return n;
                      }()},
                     {"profile", verdict.profile()}, {"station", verdict.station_id()},
                     {"client", self->caller_.key}});
          v1::ScanResponse response;
          *response.mutable_batch() = std::move(verdict);
          self->QueueLocked(std::move(response));
          self->FailLocked(self->draining_ && !self->closed_by_station_
                               ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                              "server is shutting down; the batch was left "
                                              "incomplete and can be resumed")
                               : grpc::Status::OK);
        });
  }

  // An archive copy (a repaired page's, up to 48 MiB) counts against the
  // server's memory budget until it is written: a station that does not
  // read its answers holds a few of them, never more than the budget.
  void QueueLocked(v1::ScanResponse response) {
    std::shared_ptr<const void> charge;
    if (response.has_page() && response.page().has_repair())
      if (const std::size_t copy = response.page().repair().archive_copy().size(); copy > 0)
        charge = service_.memory_budget().Charge(copy);
    writes_.push_back({std::move(response), std::move(charge)});
    WriteNextLocked();
  }

  void WriteNextLocked() {
    if (writing_ || finishing_ || !reactor_) return;
    if (!writes_.empty()) {
      writing_ = true;
      current_write_ = std::move(writes_.front().response);
      current_charge_ = std::move(writes_.front().charge);
      writes_.pop_front();
      reactor_->StartWrite(&current_write_);
    } else if (finish_requested_ &&
               (abandoned_ || (files_judged_ == files_submitted_ && ledger_pending_ == 0))) {
      finishing_ = true;
      // Let go before the station hears the end: it may resume at once.
      if (ledger_pending_ == 0) ReleaseClaimLocked();
      reactor_->Finish(finish_status_);
    }
  }

  // Ends the stream with `status` once every page in flight has its verdict
  // recorded and written; only a broken or cancelled call (abandoned_) drops
  // the writes.
  void FailLocked(grpc::Status status) {
    if (finish_requested_) return;
    finish_requested_ = true;
    finish_status_ = std::move(status);
    input_ended_ = true;
    WriteNextLocked();
  }

  ScangateService& service_;
  const Caller caller_;
  std::string stream_operator_;  // this stream's OpenBatch.operator_id
  std::mutex mu_;
  // steady_clock ticks of the opening or the last page (ScangateService's admission).
  std::atomic<std::chrono::steady_clock::rep> last_activity_ns_{
      std::chrono::steady_clock::now().time_since_epoch().count()};
  Reactor* reactor_;
  grpc::CallbackServerContext* context_;  // the call's, until OnDone
  v1::ScanRequest request_;
  v1::ScanResponse current_write_;
  std::shared_ptr<const void> current_charge_;  // its archive copy's, in the memory budget
  struct QueuedWrite {
    v1::ScanResponse response;
    std::shared_ptr<const void> charge;
  };
  std::deque<QueuedWrite> writes_;
  struct HeldPage {
    std::string bytes, file_name, category;
    std::optional<std::uint32_t> replaces;
    std::chrono::steady_clock::time_point received;
    std::uint64_t judging;  // what judging allocates besides the bytes (EstimateJudging)
    std::uint32_t work_pages;  // what judging costs (EstimateJudging)
    std::shared_ptr<const void> charged;  // the bytes, counted in the budget
  };
  std::optional<HeldPage> held_;  // received, waiting for the memory budget
  std::deque<std::chrono::steady_clock::time_point> received_at_;  // files in the engine
  std::deque<std::string> category_hints_;  // the clerk's category per file in the engine
  BatchSession core_;  // the batch itself: its phase, pages and rules
  bool reading_ = false, writing_ = false;
  bool opening_ = false, input_ended_ = false, closed_by_station_ = false;
  bool finish_requested_ = false, finishing_ = false;
  bool draining_ = false, abandoned_ = false, superseded_ = false;
  // The batch this stream holds (ScangateService::ClaimBatch), and a resume
  // waiting for another stream to let go of it.
  std::string claimed_;
  std::optional<v1::OpenBatch> awaiting_claim_;
  std::chrono::steady_clock::time_point awaiting_since_;
  static constexpr auto kClaimWait = std::chrono::seconds(30);
  // The ledger's claim this stream's writes carry (Ledger::kFirstClaim): the
  // fence against a stream on another server that resumed the batch.
  std::uint64_t ledger_claim_ = 0;
  // Times a resume found the batch changed between its check and its claim.
  int resume_checks_ = 0;
  static constexpr int kResumeChecks = 3;
  std::size_t files_submitted_ = 0, files_judged_ = 0, ledger_pending_ = 0;
  grpc::Status finish_status_;
  std::shared_ptr<VerdictSequencer> sequencer_;
};

class ScanReactor : public Reactor {
 public:
  ScanReactor(ScangateService& service, grpc::CallbackServerContext& context, Caller caller)
      : session_(std::make_shared<ScanSession>(service, this, std::move(caller), &context)) {
    // Refused before anything is read: the station learns at once, and the
    // streams already admitted are not slowed by one more.
    grpc::Status admitted = service.AdmitScan(session_, session_->caller().key);
    if (admitted.ok()) {
      log::Info("stream_opened", {{"call", "Scan"}, {"client", session_->caller().key}});
      session_->Start();
    } else {
      refused_ = true;
      Finish(std::move(admitted));
    }
  }
  void OnReadDone(bool ok) override { session_->OnReadDone(ok); }
  void OnWriteDone(bool ok) override { session_->OnWriteDone(ok); }
  void OnCancel() override { session_->OnCancel(); }
  void OnDone() override {
    // A refused stream was never admitted: nothing registered, nothing to log.
    if (!refused_) session_->OnDone();
    delete this;
  }

 private:
  bool refused_ = false;
  std::shared_ptr<ScanSession> session_;
};

// A reactor that ends the call at once (refused streams).
class RefusedStream : public Reactor {
 public:
  explicit RefusedStream(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

Reactor* NewScanStream(ScangateService& service, grpc::CallbackServerContext& context) {
  const AccessControl& access = service.access();
  if (grpc::Status allowed = access.Check(context, v1::STATION, v1::SUPERVISOR, "Scan");
      !allowed.ok())
    return new RefusedStream(std::move(allowed));
  if (service.draining()) {
    log::Warn("stream_refused", {{"call", "Scan"}, {"client", access.ClientKey(context)},
                                 {"why", "server is shutting down"}});
    return new RefusedStream({grpc::StatusCode::UNAVAILABLE, "server is shutting down"});
  }
  Caller caller;
  caller.name = access.CallerName(context);
  caller.key = access.ClientKey(context);
  caller.may_scan = access.Holds(context, v1::STATION);
  caller.may_waive = access.Holds(context, v1::SUPERVISOR);
  caller.access_control = access.enabled();
  return new ScanReactor(service, context, std::move(caller));
}

}  // namespace scangate
