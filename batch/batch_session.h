// The batch core: one batch's life as a state machine, without gRPC. Every
// operation a station may ask for (open, resume, add pages, replace, delete,
// set a category, waive, close) is a method that returns what to record and
// answer, or a refusal: an error of the call, never a fake page verdict. The
// Scan stream only moves messages between the wire, the engine, the ledger
// and this class.
//
// Final means final. An open of an id the ledger holds is refused
// (ALREADY_EXISTS); only the station that opened a batch may resume it, and
// an accepted final batch is never resumed. A correction of a rejected final
// batch is recorded, when it is closed again, as the next version of its
// verdict, naming the feed entry it supersedes: nothing acknowledged is
// changed in place.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>  // std::monostate
#include <vector>

#include "batch/batch_record.h"
#include "wire/page_categories.h"
#include "pipeline/profile.h"
#include "common/result.h"
#include "scangate/v1/scangate.pb.h"
#include "pipeline/verdict.h"

namespace scangate {

// Why an operation is refused. The kinds map one to one onto gRPC codes.
struct Refusal {
  enum class Kind { kInvalidArgument, kFailedPrecondition, kNotFound, kAlreadyExists };
  Kind kind;
  std::string message;
};

// A value, or the refusal that prevented it.
template <class T>
using Refusable = Result<T, Refusal>;

// The profile a batch is judged under: its rules and its archive structure
// (compiled once when the profile was loaded; null: no structure).
struct BatchProfile {
  std::shared_ptr<const Profile> rules;
  std::shared_ptr<const PageCategories> categories;
};

class BatchSession {
 public:
  enum class Phase {
    kAwaitingOpen,  // nothing asked yet, or the ledger is creating/reopening it
    kOpen,          // pages and corrections are taken
    kDecided,       // the batch verdict is made; nothing more is taken
  };

  // A new batch's record (an empty id gets a fresh one). The ledger then
  // creates it or says the id is taken (Exists).
  static BatchOpenRecord NewRecord(const v1::OpenBatch& open, const Profile& profile,
                                   std::int64_t now);
  // The refusal of an open whose id the ledger already holds.
  static Refusal Exists(const StoredBatch& stored);
  // Whether a resume may continue `stored`: only by the station that opened
  // it, never an accepted final batch, only under the profile it was opened
  // with. None when it may.
  static std::optional<Refusal> CheckResume(const v1::OpenBatch& open, const StoredBatch& stored);

  // The ledger created the batch: pages are taken from here on.
  void Created(BatchOpenRecord record, BatchProfile profile);
  // The ledger holds the resumed batch open again: its pages are kept, and a
  // final verdict there is the version a correction supersedes. The
  // resume's operator id, when given, is the one corrections are recorded with.
  void Resumed(const v1::OpenBatch& open, BatchProfile profile, const StoredBatch& stored);

  Phase phase() const { return phase_; }
  const BatchOpenRecord& record() const { return record_; }
  const Profile& profile() const { return *profile_.rules; }
  const std::shared_ptr<const Profile>& shared_profile() const { return profile_.rules; }
  // The page verdicts held, by page index.
  const std::map<std::uint32_t, v1::PageVerdict>& pages() const { return pages_; }
  // Where the next file's pages go.
  std::uint32_t next_page_index() const;

  // A rescan may be sent for page `index` only when the batch holds it.
  std::optional<Refusal> CheckReplace(std::uint32_t index) const;
  // The verdicts of one judged file, filed and checked against the batch
  // (classified under the profile's structure with the clerk's `category_hint`;
  // a page the batch holds already, byte for byte, gets DUPLICATE_PAGE): the
  // page records to write and answer, in order. A rescan of several pages is
  // refused.
  Refusable<std::vector<v1::PageVerdict>> AddJudged(const std::vector<PageVerdict>& verdicts,
                                                    std::optional<std::uint32_t> replaces,
                                                    const std::string& category_hint);
  Refusable<std::monostate> Delete(std::uint32_t index);
  // The clerk files a page under another category: the updated page.
  Refusable<v1::PageVerdict> SetCategory(std::uint32_t index, const std::string& category);
  // A supervisor waives one of a page's reasons, recorded under
  // `supervisor` (who asked, never the batch's operator) with the waiver's
  // note; both are required: the updated page.
  Refusable<v1::PageVerdict> Waive(const v1::WaiveReason& waive, const std::string& supervisor);

  // The batch verdict over every page held (unsigned; the ledger numbers it).
  // `closed`: the station closed the batch (final), else it is incomplete.
  v1::BatchVerdict Decide(bool closed, std::int64_t now);

 private:
  Phase phase_ = Phase::kAwaitingOpen;
  const PageCategories& categories() const;

  BatchOpenRecord record_;
  BatchProfile profile_;
  std::map<std::uint32_t, v1::PageVerdict> pages_;
  // The final verdict a correction supersedes (version and feed sequence).
  std::uint32_t previous_version_ = 0;
  std::uint64_t previous_sequence_ = 0;
};

}  // namespace scangate
