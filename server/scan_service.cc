// See scan_service.h. A Scan stream is a reactor (owned by gRPC, deleted in
// OnDone) over a session core (shared with the engine's callbacks, which may
// outlive the reactor when a station disconnects mid-batch). At most one read
// and one write are in flight; reactions never block.
#include "scan_service.h"

#include <chrono>
#include <deque>
#include <optional>
#include <random>

#include "batch.h"
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

// A reactor that ends the call at once (refused streams).
class RefusedStream : public grpc::ServerBidiReactor<v1::ScanRequest, v1::ScanResponse> {
 public:
  explicit RefusedStream(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

class ScanSessionCore : public std::enable_shared_from_this<ScanSessionCore> {
 public:
  using Reactor = grpc::ServerBidiReactor<v1::ScanRequest, v1::ScanResponse>;

  ScanSessionCore(ScangateService& service, Reactor* reactor)
      : service_(service), reactor_(reactor) {}

  void Start() {
    std::lock_guard lock(mu_);
    StartReadLocked();
  }

  void OnReadDone(bool ok) {
    std::lock_guard lock(mu_);
    reading_ = false;
    if (!reactor_ || finishing_) return;
    if (!ok) {  // the station half-closed (or went away) without CloseBatch
      input_ended_ = true;
      MaybeCloseBatchLocked();
      if (!opened_) FailLocked(grpc::Status::OK);
      return;
    }
    if (draining_) return;  // pages arriving after a drain are not taken
    switch (request_.kind_case()) {
      case v1::ScanRequest::kOpen: return HandleOpenLocked();
      case v1::ScanRequest::kPage: return HandlePageLocked();
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
      return;
    }
    WriteNextLocked();
  }

  void OnCancel() {
    std::lock_guard lock(mu_);
    writes_.clear();
    abandoned_ = true;
    FailLocked({grpc::StatusCode::CANCELLED, "cancelled by the station"});
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

  void Drain() {
    std::lock_guard lock(mu_);
    draining_ = true;
    if (!reactor_ || finishing_) return;
    input_ended_ = true;
    if (!opened_) return FailLocked({grpc::StatusCode::UNAVAILABLE, "server is shutting down"});
    MaybeCloseBatchLocked();
  }

 private:
  // Counted here, not read from the sequencer: a verdict counts as judged only
  // once it is queued for writing, so the stream never finishes ahead of it.
  bool HasCapacityLocked() const {
    return files_submitted_ - files_judged_ < service_.options().max_in_flight_per_stream;
  }

  void StartReadLocked() {
    if (reading_ || input_ended_ || finishing_ || !reactor_) return;
    reading_ = true;
    request_.Clear();
    reactor_->StartRead(&request_);
  }

  void HandleOpenLocked() {
    if (opened_)
      return FailLocked({grpc::StatusCode::FAILED_PRECONDITION, "the batch is already open"});
    const v1::OpenBatch& open = request_.open();
    profile_ = service_.profiles().Find(open.profile());
    if (!profile_)
      return FailLocked({grpc::StatusCode::NOT_FOUND, "unknown profile '" + open.profile() + "'"});
    opened_ = true;
    opened_at_ = NowUnix();
    batch_id_ = open.batch_id().empty() ? NewBatchId() : open.batch_id();
    station_id_ = open.station_id();
    operator_id_ = open.operator_id();
    std::weak_ptr<ScanSessionCore> weak = weak_from_this();
    sequencer_ = VerdictSequencer::Create(
        service_.engine(), service_.options().max_in_flight_per_stream,
        [weak](std::vector<PageVerdict> verdicts) {
          if (auto self = weak.lock()) self->OnVerdicts(std::move(verdicts));
        });
    v1::ScanResponse response;
    auto* opened = response.mutable_opened();
    opened->set_batch_id(batch_id_);
    opened->set_profile(profile_->name);
    opened->set_profile_version(profile_->version);
    QueueLocked(std::move(response));
    StartReadLocked();
  }

  void HandlePageLocked() {
    if (!opened_)
      return FailLocked({grpc::StatusCode::FAILED_PRECONDITION, "a page was sent before OpenBatch"});
    v1::PageContent* page = request_.mutable_page();
    PageJob job{std::move(*page->mutable_content()), page->file_name(), profile_};
    sequencer_->Submit(std::move(job));
    ++files_submitted_;
    // At the bound the stream is not read: HTTP/2 flow control then slows the
    // station, and memory stays bounded.
    if (HasCapacityLocked()) StartReadLocked();
  }

  void OnVerdicts(std::vector<PageVerdict> verdicts) {
    std::lock_guard lock(mu_);
    ++files_judged_;
    if (!reactor_ || finishing_) return;
    for (PageVerdict& v : verdicts) {
      v1::ScanResponse response;
      ToProto(v, response.mutable_page());
      QueueLocked(std::move(response));
      pages_.push_back(std::move(v));
    }
    if (!draining_ && HasCapacityLocked()) StartReadLocked();
    MaybeCloseBatchLocked();
    WriteNextLocked();
  }

  // Once input has ended and every page has its verdict: the batch verdict.
  void MaybeCloseBatchLocked() {
    if (!opened_ || !input_ended_ || batch_sent_ || finish_requested_) return;
    if (files_judged_ < files_submitted_) return;
    batch_sent_ = true;
    BatchVerdict batch = DecideBatch(pages_, *profile_, closed_by_station_);
    v1::ScanResponse response;
    v1::BatchVerdict* out = response.mutable_batch();
    ToProto(batch, out);
    out->set_batch_id(batch_id_);
    out->set_profile(profile_->name);
    out->set_profile_version(profile_->version);
    out->set_station_id(station_id_);
    out->set_operator_id(operator_id_);
    out->set_opened_at(opened_at_);
    out->set_closed_at(NowUnix());
    QueueLocked(std::move(response));
    finish_status_ = draining_ && !closed_by_station_
                         ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                        "server is shutting down; the batch was left incomplete")
                         : grpc::Status::OK;
    finish_requested_ = true;
    WriteNextLocked();
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
               (abandoned_ || files_judged_ == files_submitted_)) {
      finishing_ = true;
      reactor_->Finish(finish_status_);
    }
  }

  // Ends the stream with `status` once every page in flight has its verdict
  // written; only a broken or cancelled call (abandoned_) drops them.
  void FailLocked(grpc::Status status) {
    if (finish_requested_) return;
    finish_requested_ = true;
    finish_status_ = std::move(status);
    input_ended_ = true;
    WriteNextLocked();
  }

  ScangateService& service_;
  std::mutex mu_;
  Reactor* reactor_;
  v1::ScanRequest request_;
  v1::ScanResponse current_write_;
  std::deque<v1::ScanResponse> writes_;
  bool reading_ = false, writing_ = false;
  bool opened_ = false, input_ended_ = false, closed_by_station_ = false;
  bool batch_sent_ = false, finish_requested_ = false, finishing_ = false, draining_ = false;
  bool abandoned_ = false;
  std::size_t files_submitted_ = 0, files_judged_ = 0;
  grpc::Status finish_status_;
  std::shared_ptr<const Profile> profile_;
  std::shared_ptr<VerdictSequencer> sequencer_;
  std::vector<PageVerdict> pages_;
  std::string batch_id_, station_id_, operator_id_;
  std::int64_t opened_at_ = 0;
};

namespace {

class ScanReactor : public grpc::ServerBidiReactor<v1::ScanRequest, v1::ScanResponse> {
 public:
  explicit ScanReactor(ScangateService& service)
      : core_(std::make_shared<ScanSessionCore>(service, this)) {
    service.Register(core_);
    core_->Start();
  }
  void OnReadDone(bool ok) override { core_->OnReadDone(ok); }
  void OnWriteDone(bool ok) override { core_->OnWriteDone(ok); }
  void OnCancel() override { core_->OnCancel(); }
  void OnDone() override {
    core_->OnDone();
    delete this;
  }

 private:
  std::shared_ptr<ScanSessionCore> core_;
};

}  // namespace

ScangateService::ScangateService(Engine& engine, const ProfileStore& profiles,
                                 ServiceOptions options)
    : engine_(engine), profiles_(profiles), options_(options) {}

ScangateService::~ScangateService() = default;

grpc::ServerBidiReactor<v1::ScanRequest, v1::ScanResponse>* ScangateService::Scan(
    grpc::CallbackServerContext*) {
  if (draining_) return new RefusedStream({grpc::StatusCode::UNAVAILABLE, "server is shutting down"});
  return new ScanReactor(*this);
}

void ScangateService::Register(const std::shared_ptr<ScanSessionCore>& session) {
  std::lock_guard lock(mu_);
  sessions_[session.get()] = session;
}

void ScangateService::Unregister(const ScanSessionCore* session) {
  std::lock_guard lock(mu_);
  sessions_.erase(session);
}

std::size_t ScangateService::open_streams() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

void ScangateService::Drain() {
  draining_ = true;
  std::vector<std::shared_ptr<ScanSessionCore>> live;
  {
    std::lock_guard lock(mu_);
    for (auto& [ptr, weak] : sessions_)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->Drain();
}

grpc::ServerUnaryReactor* ScangateService::CheckPage(grpc::CallbackServerContext* context,
                                                     const v1::CheckPageRequest* request,
                                                     v1::CheckPageResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto profile = profiles_.Find(request->profile());
  if (!profile) {
    reactor->Finish({grpc::StatusCode::NOT_FOUND, "unknown profile '" + request->profile() + "'"});
    return reactor;
  }
  if (draining_) {
    reactor->Finish({grpc::StatusCode::UNAVAILABLE, "server is shutting down"});
    return reactor;
  }
  if (engine_.in_flight() >= options_.max_pending_checks) {
    reactor->Finish({grpc::StatusCode::RESOURCE_EXHAUSTED, "the engine is at capacity; retry"});
    return reactor;
  }
  PageJob job{request->page().content(), request->page().file_name(), profile};
  engine_.Submit(std::move(job), [reactor, response](PageJob&, std::vector<PageVerdict> verdicts) {
    std::uint32_t index = 0;
    for (PageVerdict& v : verdicts) {
      v.page_index = index++;
      ToProto(v, response->add_pages());
    }
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* ScangateService::GetBatchVerdict(grpc::CallbackServerContext* context,
                                                           const v1::GetBatchVerdictRequest*,
                                                           v1::BatchVerdict*) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish({grpc::StatusCode::UNIMPLEMENTED, "the verdict ledger is not enabled yet"});
  return reactor;
}

grpc::ServerWriteReactor<v1::VerdictEvent>* ScangateService::WatchVerdicts(
    grpc::CallbackServerContext*, const v1::WatchVerdictsRequest*) {
  class Unimplemented : public grpc::ServerWriteReactor<v1::VerdictEvent> {
   public:
    Unimplemented() {
      Finish({grpc::StatusCode::UNIMPLEMENTED, "the verdict ledger is not enabled yet"});
    }
    void OnDone() override { delete this; }
  };
  return new Unimplemented();
}

grpc::ServerUnaryReactor* ScangateService::ListProfiles(grpc::CallbackServerContext* context,
                                                        const v1::ListProfilesRequest*,
                                                        v1::ListProfilesResponse* response) {
  for (const LoadedProfile& p : profiles_.List()) {
    auto* summary = response->add_profiles();
    summary->set_name(p.profile->name);
    summary->set_version(p.profile->version);
    summary->set_description(p.profile->description);
    *response->add_details() = p.definition;
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace scangate
