// A ledger that hands every call to a real one (SQLite in memory), for
// tests that change one call: override it, and call the base for the rest.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "server/ledger.h"

namespace scangate::testing {

class ForwardingLedger : public Ledger {
 public:
  ForwardingLedger() : inner_(std::move(OpenLedger(":memory:").value())) {}
  void CreateBatch(const BatchOpenRecord& r, Created done) override {
    inner_->CreateBatch(r, std::move(done));
  }
  void RecordPage(const std::string& id, std::uint64_t claim, const v1::PageVerdict& p,
                  Done done) override {
    inner_->RecordPage(id, claim, p, std::move(done));
  }
  void DeletePage(const std::string& id, std::uint64_t claim, std::uint32_t i,
                  Done done) override {
    inner_->DeletePage(id, claim, i, std::move(done));
  }
  void RecordBatchVerdict(const v1::BatchVerdict& v, std::uint64_t claim,
                          Committed done) override {
    inner_->RecordBatchVerdict(v, claim, std::move(done));
  }
  void ReopenBatch(const std::string& id, const Seen& seen, Claimed done) override {
    inner_->ReopenBatch(id, seen, std::move(done));
  }
  std::optional<StoredBatch> LoadBatch(const std::string& id) override {
    return inner_->LoadBatch(id);
  }
  std::vector<std::string> BatchIdsForTransaction(const std::string& t,
                                                  std::size_t limit) override {
    return inner_->BatchIdsForTransaction(t, limit);
  }
  std::vector<v1::VerdictEvent> FeedAfter(std::uint64_t after, std::size_t limit) override {
    return inner_->FeedAfter(after, limit);
  }
  std::vector<std::string> OpenBatchIds() override { return inner_->OpenBatchIds(); }
  void SetFeedListener(std::function<void(std::uint64_t)> l) override {
    inner_->SetFeedListener(std::move(l));
  }
  void SetCommitObserver(std::function<void(double)> o) override {
    inner_->SetCommitObserver(std::move(o));
  }

 protected:
  Ledger& inner() { return *inner_; }

 private:
  std::unique_ptr<Ledger> inner_;
};

}  // namespace scangate::testing
