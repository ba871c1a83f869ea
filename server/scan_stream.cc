// A Scan stream is a reactor (owned by gRPC, deleted in OnDone) over a
// session (shared with the engine's and the ledger's callbacks, which may
// outlive the reactor when a station disconnects mid-batch). At most one read
// and one write are in flight; reactions never block: ledger reads go to the
// service's blocking-work thread, ledger writes are acknowledged by callback.
//
// Every verdict is written to the station only after the ledger holds it, so
// whatever a station saw survives a crash of the server.
#include "scan_stream.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <random>

#include "batch.h"
#include "metrics.h"
#include "names.h"
#include "page_categories.h"
#include "verdict_signature.h"
#include "verdict_size.h"
#include "wire.h"

namespace scangate {
namespace {

std::string NewBatchId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char text[40];
  std::snprintf(text, sizeof text, "b-%016llx%08llx", (unsigned long long)rng(),
                (unsigned long long)(rng() & 0xffffffff));
  return text;
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

// Responses queued for a station that has not read the earlier ones; beyond
// this the stream stops reading pages (HTTP/2 flow control then holds the
// station back).
constexpr std::size_t kMaxUnsentResponses = 16;

class ScanSession : public LiveStream, public std::enable_shared_from_this<ScanSession> {
 public:
  ScanSession(ScangateService& service, Reactor* reactor) : service_(service), reactor_(reactor) {}

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
    if (!reactor_ || finish_requested_) return;
    if (!ok) {  // the station half-closed (or went away) without CloseBatch
      input_ended_ = true;
      if (!opened_) return FailLocked(grpc::Status::OK);
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
        if (!opened_)
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
    if (opened_ && !draining_ && HasCapacityLocked()) StartReadLocked();
  }

  void OnCancel() {
    std::lock_guard lock(mu_);
    writes_.clear();
    abandoned_ = true;
    // The pages judged so far are in the ledger; the batch stays open there,
    // resumable by the station.
    FailLocked({grpc::StatusCode::CANCELLED, "cancelled by the station"});
    WriteNextLocked();  // finishes even if the end had been requested before
  }

  void OnDone() {
    std::shared_ptr<VerdictSequencer> sequencer;
    {
      std::lock_guard lock(mu_);
      reactor_ = nullptr;
      sequencer = sequencer_;
    }
    if (sequencer) sequencer->Detach();
    service_.Unregister(this);
  }

  void Drain() override {
    std::lock_guard lock(mu_);
    draining_ = true;
    if (!reactor_ || finish_requested_) return;
    input_ended_ = true;
    if (!opened_ && !opening_)
      return FailLocked({grpc::StatusCode::UNAVAILABLE, "server is shutting down"});
    MaybeCloseBatchLocked();
  }

 private:
  // Counted here, not read from the sequencer: a file counts as judged only
  // once its verdicts are with this session, so it never finishes early.
  // Verdicts waiting for the station to read them count too: a station that
  // never reads holds the server to a few, not to every page it sends.
  bool HasCapacityLocked() const {
    return files_submitted_ - files_judged_ < service_.options().max_in_flight_per_stream &&
           writes_.size() < kMaxUnsentResponses;
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
    return [weak = weak_from_this(), then = std::move(then)](bool ok, const std::string& error) {
      auto self = weak.lock();
      if (!self) return;
      std::lock_guard lock(self->mu_);
      --self->ledger_pending_;
      if (!ok) {
        self->abandoned_ = true;
        return self->FailLocked({grpc::StatusCode::INTERNAL, "the ledger refused a write: " + error});
      }
      then();
      self->MaybeCloseBatchLocked();
      self->WriteNextLocked();
    };
  }

  void HandleOpenLocked() {
    if (opened_ || opening_)
      return FailLocked({grpc::StatusCode::FAILED_PRECONDITION, "the batch is already open"});
    const v1::OpenBatch open = request_.open();
    if (open.resume()) {
      if (open.batch_id().empty())
        return FailLocked({grpc::StatusCode::INVALID_ARGUMENT, "resume needs a batch_id"});
      opening_ = true;
      service_.blocking_work().Post([weak = weak_from_this(), open, &ledger = service_.ledger()] {
        std::optional<StoredBatch> stored;
        try {
          stored = ledger.LoadBatch(open.batch_id());
        } catch (const LedgerUnavailable& e) {
          if (auto self = weak.lock()) self->OnResumeFailed(e.what());
          return;
        }
        if (auto self = weak.lock()) self->OnResumeLoaded(open, std::move(stored));
      });
      return;
    }
    profile_ = service_.profiles().Find(open.profile());
    if (!profile_)
      return FailLocked({grpc::StatusCode::NOT_FOUND, "unknown profile '" + open.profile() + "'"});
    LoadCategoriesLocked();
    record_ = {open.batch_id().empty() ? NewBatchId() : open.batch_id(), profile_->name,
               profile_->version, open.station_id(), open.operator_id(), profile_->retention,
               NowUnix()};
    opening_ = true;
    service_.ledger().OpenBatch(record_, Durable([this] { OnOpenedLocked({}); }));
  }

  // The ledger could not be read: the station may try again later.
  void OnResumeFailed(const std::string& why) {
    std::lock_guard lock(mu_);
    if (!reactor_ || finish_requested_) return;
    opening_ = false;
    FailLocked({grpc::StatusCode::UNAVAILABLE, why});
  }

  void OnResumeLoaded(const v1::OpenBatch& open, std::optional<StoredBatch> stored) {
    std::lock_guard lock(mu_);
    if (!reactor_ || finish_requested_) return;
    opening_ = false;
    if (!stored)
      return FailLocked(
          {grpc::StatusCode::NOT_FOUND, "no batch '" + open.batch_id() + "' to resume"});
    if (stored->verdict && stored->verdict->final() && stored->verdict->decision() == v1::ACCEPT)
      return FailLocked({grpc::StatusCode::FAILED_PRECONDITION,
                         "batch '" + open.batch_id() + "' was accepted and is final"});
    profile_ = service_.profiles().Find(stored->open.profile);
    if (!profile_)
      return FailLocked({grpc::StatusCode::NOT_FOUND,
                         "the batch's profile '" + stored->open.profile + "' is not loaded"});
    if (!open.profile().empty() && open.profile() != stored->open.profile)
      return FailLocked({grpc::StatusCode::INVALID_ARGUMENT,
                         "the batch was opened with profile '" + stored->open.profile + "'"});
    LoadCategoriesLocked();
    record_ = stored->open;
    if (!open.operator_id().empty()) record_.operator_id = open.operator_id();
    for (v1::PageVerdict& p : stored->pages) pages_[p.page_index()] = std::move(p);
    opening_ = true;
    service_.ledger().OpenBatch(record_, Durable([this] { OnOpenedLocked(pages_); }));
  }

  void OnOpenedLocked(const std::map<std::uint32_t, v1::PageVerdict>& earlier) {
    opening_ = false;
    opened_ = true;
    std::uint32_t next_index = earlier.empty() ? 0 : earlier.rbegin()->first + 1;
    sequencer_ = VerdictSequencer::Create(
        service_.engine(), service_.options().max_in_flight_per_stream,
        [weak = weak_from_this()](std::vector<PageVerdict> verdicts,
                                  std::optional<std::uint32_t> replaces) {
          if (auto self = weak.lock()) self->OnVerdicts(std::move(verdicts), replaces);
        },
        next_index);
    v1::ScanResponse response;
    auto* opened = response.mutable_opened();
    opened->set_batch_id(record_.batch_id);
    opened->set_profile(profile_->name);
    opened->set_profile_version(profile_->version);
    for (const auto& [index, page] : earlier) *opened->add_pages() = page;
    QueueLocked(std::move(response));
    if (draining_) return MaybeCloseBatchLocked();
    StartReadLocked();
  }

  void HandlePageLocked(std::optional<std::uint32_t> replaces) {
    last_activity_ns_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                            std::memory_order_relaxed);
    if (!opened_)
      return FailLocked({grpc::StatusCode::FAILED_PRECONDITION, "a page was sent before OpenBatch"});
    v1::PageContent* page =
        replaces ? request_.mutable_replace()->mutable_page() : request_.mutable_page();
    if (replaces && !pages_.count(*replaces)) {
      RejectRequestLocked(*replaces, page->file_name(),
                          "no judged page " + std::to_string(*replaces) + " to replace");
      return StartReadLocked();
    }
    if (auto* metrics = service_.metrics()) metrics->PageReceived(page->content().size());
    received_at_.push_back(std::chrono::steady_clock::now());
    category_hints_.push_back(page->category());
    sequencer_->Submit({std::move(*page->mutable_content()), page->file_name(), profile_, replaces});
    ++files_submitted_;
    // At the bound the stream is not read: HTTP/2 flow control then slows the
    // station, and memory stays bounded.
    if (HasCapacityLocked()) StartReadLocked();
  }

  void HandleDeleteLocked() {
    if (!opened_)
      return FailLocked({grpc::StatusCode::FAILED_PRECONDITION, "DeletePage before OpenBatch"});
    std::uint32_t index = request_.delete_().page_index();
    if (!pages_.erase(index)) {
      RejectRequestLocked(index, "", "no judged page " + std::to_string(index) + " to delete");
      return StartReadLocked();
    }
    service_.ledger().DeletePage(record_.batch_id, index, Durable([this, index] {
      v1::ScanResponse response;
      response.mutable_deleted()->set_page_index(index);
      QueueLocked(std::move(response));
    }));
    StartReadLocked();
  }

  void LoadCategoriesLocked() {
    std::shared_ptr<const v1::Profile> definition =
        service_.profiles().FindDefinition(profile_->name);
    categories_ = definition ? PageCategories(definition->structure()) : PageCategories();
  }

  // The clerk files a judged page under another category: recorded with the
  // batch's operator id, answered with the page's updated verdict.
  void HandleSetCategoryLocked() {
    if (!opened_)
      return FailLocked({grpc::StatusCode::FAILED_PRECONDITION, "SetCategory before OpenBatch"});
    const std::uint32_t index = request_.set_category().page_index();
    const std::string category = request_.set_category().category();
    auto it = pages_.find(index);
    if (it == pages_.end()) {
      RejectRequestLocked(index, "", "no judged page " + std::to_string(index) + " to classify");
      return StartReadLocked();
    }
    if (!categories_.Known(category)) {
      RejectRequestLocked(index, it->second.source(),
                          "the profile has no category '" + category + "'");
      return StartReadLocked();
    }
    PageCategories::SetByClerk(it->second, category, record_.operator_id);
    RecordCorrectionLocked(it->second);
  }

  // A clerk's correction of a judged page: recorded, then answered with the
  // page's updated verdict; the stream reads on.
  void RecordCorrectionLocked(const v1::PageVerdict& corrected) {
    service_.ledger().RecordPage(record_.batch_id, corrected, Durable([this, corrected] {
      v1::ScanResponse response;
      *response.mutable_page() = corrected;
      QueueLocked(std::move(response));
    }));
    StartReadLocked();
  }

  // The clerk waives one of a judged page's reasons: it stays on the page,
  // marked with the operator id and note; the page's decision is recomputed.
  void HandleWaiveReasonLocked() {
    if (!opened_)
      return FailLocked({grpc::StatusCode::FAILED_PRECONDITION, "WaiveReason before OpenBatch"});
    const v1::WaiveReason& waive = request_.waive_reason();
    auto it = pages_.find(waive.page_index());
    if (it == pages_.end()) {
      RejectRequestLocked(waive.page_index(), "",
                          "no judged page " + std::to_string(waive.page_index()) + " to waive for");
      return StartReadLocked();
    }
    v1::PageVerdict& page = it->second;
    std::string refused;
    if (record_.operator_id.empty())
      refused = "a waiver needs the operator id (OpenBatch.operator_id)";
    else if (!page.error().empty())
      refused = "a page that could not be read cannot be waived: rescan it";
    bool found = false;
    for (v1::Reason& r : *page.mutable_reasons()) {
      if (!refused.empty() || r.code() != waive.code() || !r.waived_by().empty()) continue;
      r.set_waived_by(record_.operator_id);
      r.set_waiver_note(waive.note());
      found = true;
    }
    if (refused.empty() && !found)
      refused = "page " + std::to_string(waive.page_index()) + " has no " +
                v1::ReasonCode_Name(waive.code()) + " reason to waive";
    if (!refused.empty()) {
      RejectRequestLocked(waive.page_index(), page.source(), refused);
      return StartReadLocked();
    }
    bool rejects = false;
    for (const v1::Reason& r : page.reasons()) rejects |= r.waived_by().empty();
    page.set_decision(rejects ? v1::REJECT : v1::ACCEPT);
    RecordCorrectionLocked(page);
  }

  // A request about a page that is not there: answered on that page, not
  // recorded, and the stream goes on.
  void RejectRequestLocked(std::uint32_t index, const std::string& source,
                           const std::string& why) {
    v1::ScanResponse response;
    v1::PageVerdict* v = response.mutable_page();
    v->set_page_index(index);
    v->set_source(source);
    v->set_decision(v1::REJECT);
    v->set_error(why);
    auto* reason = v->add_reasons();
    reason->set_code(v1::DECODE_ERROR);
    reason->set_detail(why);
    QueueLocked(std::move(response));
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
    if (replaces && verdicts.size() != 1) {
      // A rescan replaces one page; a multi-page file cannot say which.
      PageVerdict error = ErrorVerdict(
          {PageErrorKind::kUnsupported,
           "a replacement must be a single page; the file holds " + std::to_string(verdicts.size())},
          ReasonCode::kDecodeError);
      error.source = verdicts.empty() ? "" : verdicts[0].source;
      error.sha256 = verdicts.empty() ? "" : verdicts[0].sha256;
      error.page_index = *replaces;
      DecidePage(error, *profile_);
      verdicts.assign(1, std::move(error));
    }
    for (PageVerdict& v : verdicts) {
      if (auto* metrics = service_.metrics()) metrics->PageJudged(v);
      v1::PageVerdict page;
      ToProto(v, &page);
      // Filed under the profile's structure: a separator sheet, the clerk's
      // category, the page's own barcode or form, or the last separator before it.
      const v1::PageVerdict* separator = nullptr;
      for (auto it = pages_.lower_bound(page.page_index()); it != pages_.begin();)
        if ((--it)->second.separator_sheet()) {
          separator = &it->second;
          break;
        }
      categories_.Classify(page, category_hint, record_.operator_id, separator);
      pages_[page.page_index()] = page;
      service_.ledger().RecordPage(record_.batch_id, page, Durable([this, page, received] {
        if (auto* metrics = service_.metrics()) metrics->PageAnswered(SecondsSince(received));
        v1::ScanResponse response;
        *response.mutable_page() = page;
        QueueLocked(std::move(response));
      }));
    }
    if (!draining_ && HasCapacityLocked()) StartReadLocked();
    WriteNextLocked();
  }

  // Once input has ended, every page is judged and recorded: the batch
  // verdict, recorded before the station sees it.
  void MaybeCloseBatchLocked() {
    if (!opened_ || !input_ended_ || batch_decided_ || finish_requested_) return;
    if (files_judged_ < files_submitted_ || ledger_pending_ > 0) return;
    batch_decided_ = true;
    // Separator sheets are not archived content: the batch rules leave them out.
    std::vector<PageVerdict> pages;
    std::vector<v1::PageVerdict> all_pages;
    for (const auto& [index, page] : pages_) {
      all_pages.push_back(page);
      if (!page.separator_sheet()) pages.push_back(FromProto(page));
    }
    BatchVerdict batch = DecideBatch(pages, *profile_, closed_by_station_);
    v1::BatchVerdict verdict;
    ToProto(batch, &verdict);
    verdict.set_batch_id(record_.batch_id);
    verdict.set_profile(record_.profile);
    verdict.set_profile_version(record_.profile_version);
    verdict.set_station_id(record_.station_id);
    verdict.set_operator_id(record_.operator_id);
    verdict.set_opened_at(record_.opened_at);
    verdict.set_closed_at(NowUnix());
    for (const auto& [index, page] : pages_) *verdict.add_pages() = page;
    for (v1::Reason& reason : categories_.CheckCounts(all_pages)) {
      *verdict.add_reasons() = std::move(reason);
      verdict.set_decision(v1::REJECT);
    }
    if (auto big = CheckVerdictSize(verdict, service_.options()); !big.ok()) return FailLocked(big);
    // A final verdict is signed before it is recorded, so the ledger, the
    // station, GetBatchVerdict and the feed all carry the same signature.
    if (verdict.final() && service_.options().signer) service_.options().signer->Sign(verdict);
    ++ledger_pending_;
    service_.ledger().RecordBatchVerdict(
        verdict, [weak = weak_from_this(), verdict](bool ok, std::uint64_t sequence) mutable {
          auto self = weak.lock();
          if (!self) return;
          std::lock_guard lock(self->mu_);
          --self->ledger_pending_;
          if (!ok)
            return self->FailLocked(
                {grpc::StatusCode::INTERNAL, "the ledger refused the batch verdict"});
          verdict.set_sequence(sequence);
          if (auto* metrics = self->service_.metrics()) metrics->BatchDecided(verdict);
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

  void QueueLocked(v1::ScanResponse response) {
    writes_.push_back(std::move(response));
    WriteNextLocked();
  }

  void WriteNextLocked() {
    if (writing_ || finishing_ || !reactor_) return;
    if (!writes_.empty()) {
      writing_ = true;
      current_write_ = std::move(writes_.front());
      writes_.pop_front();
      reactor_->StartWrite(&current_write_);
    } else if (finish_requested_ &&
               (abandoned_ || (files_judged_ == files_submitted_ && ledger_pending_ == 0))) {
      finishing_ = true;
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
  std::mutex mu_;
  // steady_clock ticks of the opening or the last page (ScangateService's admission).
  std::atomic<std::chrono::steady_clock::rep> last_activity_ns_{
      std::chrono::steady_clock::now().time_since_epoch().count()};
  Reactor* reactor_;
  v1::ScanRequest request_;
  v1::ScanResponse current_write_;
  std::deque<v1::ScanResponse> writes_;
  std::deque<std::chrono::steady_clock::time_point> received_at_;  // files in the engine
  std::deque<std::string> category_hints_;  // the clerk's category per file in the engine
  PageCategories categories_;
  bool reading_ = false, writing_ = false;
  bool opening_ = false, opened_ = false, input_ended_ = false, closed_by_station_ = false;
  bool batch_decided_ = false, finish_requested_ = false, finishing_ = false;
  bool draining_ = false, abandoned_ = false;
  std::size_t files_submitted_ = 0, files_judged_ = 0, ledger_pending_ = 0;
  grpc::Status finish_status_;
  std::shared_ptr<const Profile> profile_;
  std::shared_ptr<VerdictSequencer> sequencer_;
  BatchOpenRecord record_;
  std::map<std::uint32_t, v1::PageVerdict> pages_;
};

class ScanReactor : public Reactor {
 public:
  explicit ScanReactor(ScangateService& service)
      : session_(std::make_shared<ScanSession>(service, this)) {
    // Refused before anything is read: the station learns at once, and the
    // streams already admitted are not slowed by one more.
    grpc::Status admitted = service.AdmitScan(session_);
    if (admitted.ok()) session_->Start();
    else Finish(std::move(admitted));
  }
  void OnReadDone(bool ok) override { session_->OnReadDone(ok); }
  void OnWriteDone(bool ok) override { session_->OnWriteDone(ok); }
  void OnCancel() override { session_->OnCancel(); }
  void OnDone() override {
    session_->OnDone();
    delete this;
  }

 private:
  std::shared_ptr<ScanSession> session_;
};

// A reactor that ends the call at once (refused streams).
class RefusedStream : public Reactor {
 public:
  explicit RefusedStream(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

Reactor* NewScanStream(ScangateService& service, const grpc::CallbackServerContext& context) {
  if (grpc::Status allowed = service.access().Check(context, v1::STATION, "Scan"); !allowed.ok())
    return new RefusedStream(std::move(allowed));
  if (service.draining())
    return new RefusedStream({grpc::StatusCode::UNAVAILABLE, "server is shutting down"});
  return new ScanReactor(service);
}

}  // namespace scangate
