// Final batch verdicts in commit order from the client's cursor, then live:
// the ledger is read in pages on the blocking-work thread whenever the
// stream has written what it holds and the feed has grown. At-least-once: a
// follower that reconnects with its last sequence misses nothing.
#include "server/watch_stream.h"

#include <deque>

#include "server/log.h"

namespace scangate {
namespace {

constexpr std::size_t kFetchLimit = 64;

using Reactor = grpc::ServerWriteReactor<v1::VerdictEvent>;

class WatchSession : public LiveStream, public std::enable_shared_from_this<WatchSession> {
 public:
  WatchSession(ScangateService& service, Reactor* reactor, std::uint64_t after,
               std::string client)
      : service_(service), reactor_(reactor), cursor_(after), client_(std::move(client)) {
    log::Info("stream_opened", {{"call", "WatchVerdicts"}, {"client", client_}, {"after", after}});
  }

  void Start() {
    std::lock_guard lock(mu_);
    FetchLocked();
  }

  void OnWriteDone(bool ok) {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (!ok) return FinishLocked({grpc::StatusCode::UNAVAILABLE, "the follower went away"});
    NextLocked();
  }

  void OnCancel() {
    std::lock_guard lock(mu_);
    FinishLocked({grpc::StatusCode::CANCELLED, "cancelled by the follower"});
  }

  void OnDone() {
    {
      std::lock_guard lock(mu_);
      reactor_ = nullptr;
      log::Info("stream_closed", {{"call", "WatchVerdicts"}, {"client", client_},
                                  {"cursor", cursor_}, {"why", closed_why_}});
    }
    service_.Unregister(this);
  }

  void Drain() override {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (!writing_) FinishLocked({grpc::StatusCode::UNAVAILABLE, "server is shutting down"});
  }

  void OnFeedAppended(std::uint64_t sequence) override {
    std::lock_guard lock(mu_);
    if (sequence <= cursor_) return;
    stale_ = true;
    NextLocked();
  }

 private:
  void NextLocked() {
    if (!reactor_ || finished_ || writing_) return;
    if (!events_.empty()) {
      writing_ = true;
      current_ = std::move(events_.front());
      events_.pop_front();
      reactor_->StartWrite(&current_);
      return;
    }
    if (stopping_) return FinishLocked({grpc::StatusCode::UNAVAILABLE, "server is shutting down"});
    if (stale_) FetchLocked();
  }

  void FetchLocked() {
    if (fetching_ || finished_) return;
    fetching_ = true;
    stale_ = false;
    service_.blocking_work().Post([weak = weak_from_this(), after = cursor_, &ledger = service_.ledger()] {
      std::vector<v1::VerdictEvent> events;
      std::string unavailable;
      try {
        events = ledger.FeedAfter(after, kFetchLimit);
      } catch (const LedgerUnavailable& e) {
        unavailable = e.what();
      }
      auto self = weak.lock();
      if (!self) return;
      std::lock_guard lock(self->mu_);
      if (!unavailable.empty()) {  // the follower follows again from its cursor
        self->fetching_ = false;
        return self->FinishLocked({grpc::StatusCode::UNAVAILABLE, unavailable});
      }
      self->fetching_ = false;
      // A full page means there may be more behind it.
      if (events.size() == kFetchLimit) self->stale_ = true;
      for (v1::VerdictEvent& e : events) {
        self->cursor_ = std::max(self->cursor_, e.sequence());
        self->events_.push_back(std::move(e));
      }
      self->NextLocked();
    }, [weak = weak_from_this()](const std::string& what) {
      auto self = weak.lock();
      if (!self) return;
      std::lock_guard lock(self->mu_);
      self->fetching_ = false;
      self->FinishLocked({grpc::StatusCode::INTERNAL, "the feed cannot be read: " + what});
    });
  }

  void FinishLocked(grpc::Status status) {
    if (finished_ || !reactor_) return;
    finished_ = true;
    closed_why_ = status.error_message();
    reactor_->Finish(std::move(status));
  }

  ScangateService& service_;
  std::string closed_why_ = "gone";
  std::mutex mu_;
  Reactor* reactor_;
  std::uint64_t cursor_;  // the last sequence fetched
  const std::string client_;  // whom it serves (ClientKey), for the log
  std::deque<v1::VerdictEvent> events_;
  v1::VerdictEvent current_;
  bool writing_ = false, fetching_ = false, stale_ = true, stopping_ = false, finished_ = false;
};

class WatchReactor : public Reactor {
 public:
  WatchReactor(ScangateService& service, std::uint64_t after, std::string client)
      : session_(std::make_shared<WatchSession>(service, this, after, std::move(client))) {
    service.Register(session_, false);
    session_->Start();
  }
  void OnWriteDone(bool ok) override { session_->OnWriteDone(ok); }
  void OnCancel() override { session_->OnCancel(); }
  void OnDone() override {
    session_->OnDone();
    delete this;
  }

 private:
  std::shared_ptr<WatchSession> session_;
};

class Refused : public Reactor {
 public:
  explicit Refused(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<v1::VerdictEvent>* NewWatchStream(ScangateService& service,
                                                           const grpc::CallbackServerContext& context,
                                                           std::uint64_t after_sequence) {
  if (grpc::Status allowed = service.access().Check(context, v1::ARCHIVE, "WatchVerdicts");
      !allowed.ok())
    return new Refused(std::move(allowed));
  if (service.draining())
    return new Refused({grpc::StatusCode::UNAVAILABLE, "server is shutting down"});
  return new WatchReactor(service, after_sequence, service.access().ClientKey(context));
}

}  // namespace scangate
