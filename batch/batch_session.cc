// See batch_session.h.
#include "batch/batch_session.h"

#include "batch/batch_rules.h"

#include <random>

#include "wire/wire.h"

namespace scangate {
namespace {

std::string NewBatchId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char text[40];
  std::snprintf(text, sizeof text, "b-%016llx%08llx", (unsigned long long)rng(),
                (unsigned long long)(rng() & 0xffffffff));
  return text;
}

Refusal NoPage(std::uint32_t index, const char* what) {
  return {Refusal::Kind::kFailedPrecondition,
          "no judged page " + std::to_string(index) + " to " + what};
}

std::string Describe(const StoredBatch& stored) {
  std::string state = stored.state;
  if (stored.verdict && stored.state != "open")
    state += ", " + v1::Decision_Name(stored.verdict->decision());
  return "batch '" + stored.open.batch_id + "' (" + state + ", opened by station '" +
         stored.open.station_id + "')";
}

}  // namespace

BatchOpenRecord BatchSession::NewRecord(const v1::OpenBatch& open, const Profile& profile,
                                        std::int64_t now) {
  return {open.batch_id().empty() ? NewBatchId() : open.batch_id(),
          profile.name,
          profile.version,
          open.station_id(),
          open.operator_id(),
          profile.retention,
          now};
}

Refusal BatchSession::Exists(const StoredBatch& stored) {
  return {Refusal::Kind::kAlreadyExists,
          Describe(stored) +
              " exists: a new batch needs a new id; its own station may resume it"};
}

std::optional<Refusal> BatchSession::CheckResume(const v1::OpenBatch& open,
                                                 const StoredBatch& stored) {
  if (stored.verdict && stored.verdict->final() && stored.verdict->decision() == v1::ACCEPT)
    return Refusal{Refusal::Kind::kFailedPrecondition,
                   "batch '" + stored.open.batch_id + "' was accepted and is final"};
  if (open.station_id() != stored.open.station_id)
    return Refusal{Refusal::Kind::kFailedPrecondition,
                   Describe(stored) + " can be resumed only by the station that opened it"};
  if (!open.profile().empty() && open.profile() != stored.open.profile)
    return Refusal{Refusal::Kind::kInvalidArgument,
                   "the batch was opened with profile '" + stored.open.profile + "'"};
  return std::nullopt;
}

void BatchSession::Created(BatchOpenRecord record, BatchProfile profile) {
  record_ = std::move(record);
  profile_ = std::move(profile);
  phase_ = Phase::kOpen;
}

void BatchSession::Resumed(const v1::OpenBatch& open, BatchProfile profile,
                           const StoredBatch& stored) {
  record_ = stored.open;
  if (!open.operator_id().empty()) record_.operator_id = open.operator_id();
  profile_ = std::move(profile);
  for (const v1::PageVerdict& p : stored.pages) pages_[p.page_index()] = p;
  if (const auto& v = stored.verdict) {
    if (v->final()) {
      previous_version_ = std::max<std::uint32_t>(1, v->version());
      previous_sequence_ = v->sequence();
    } else {
      // An incomplete verdict carries the version it was on its way to.
      previous_version_ = v->version() ? v->version() - 1 : 0;
      previous_sequence_ = v->supersedes();
    }
  }
  phase_ = Phase::kOpen;
}

const PageCategories& BatchSession::categories() const {
  static const PageCategories kNone;
  return profile_.categories ? *profile_.categories : kNone;
}

std::uint32_t BatchSession::next_page_index() const {
  return pages_.empty() ? 0 : pages_.rbegin()->first + 1;
}

std::optional<Refusal> BatchSession::CheckReplace(std::uint32_t index) const {
  if (!pages_.count(index)) return NoPage(index, "replace");
  return std::nullopt;
}

Refusable<std::vector<v1::PageVerdict>> BatchSession::AddJudged(
    const std::vector<PageVerdict>& verdicts, std::optional<std::uint32_t> replaces,
    const std::string& category_hint) {
  if (phase_ != Phase::kOpen)
    return Refusal{Refusal::Kind::kFailedPrecondition, "the batch is not open"};
  if (replaces && verdicts.size() != 1)
    return Refusal{Refusal::Kind::kInvalidArgument,
                   "a rescan replaces one page: '" +
                       (verdicts.empty() ? std::string() : verdicts[0].source) + "' holds " +
                       std::to_string(verdicts.size()) + " pages (page " +
                       std::to_string(*replaces) + " is unchanged)"};
  std::vector<v1::PageVerdict> out;
  for (const PageVerdict& v : verdicts) {
    v1::PageVerdict page;
    ToProto(v, &page);
    // A double feed, or a file sent twice: the same bytes and frame as a page
    // the batch holds (a rescan is compared with the others, not the page it
    // replaces).
    if (page.error().empty() && !page.sha256().empty()) {
      for (const auto& [index, held] : pages_) {
        if (index == page.page_index() || held.sha256() != page.sha256() ||
            held.frame() != page.frame() || !held.error().empty())
          continue;
        auto* reason = page.add_reasons();
        reason->set_code(v1::DUPLICATE_PAGE);
        reason->set_detail("the same file as page " + std::to_string(index) + " ('" +
                           held.source() + "'): a double feed? delete one of them");
        page.set_decision(v1::REJECT);
        break;
      }
    }
    // Filed under the profile's structure: a separator sheet, the clerk's
    // category, the page's own barcode or form, or the last separator before it.
    const v1::PageVerdict* separator = nullptr;
    for (auto it = pages_.lower_bound(page.page_index()); it != pages_.begin();)
      if ((--it)->second.separator_sheet()) {
        separator = &it->second;
        break;
      }
    categories().Classify(page, category_hint, record_.operator_id, separator);
    pages_[page.page_index()] = page;
    out.push_back(std::move(page));
  }
  return out;
}

Refusable<std::monostate> BatchSession::Delete(std::uint32_t index) {
  if (!pages_.erase(index)) return NoPage(index, "delete");
  return std::monostate{};
}

Refusable<v1::PageVerdict> BatchSession::SetCategory(std::uint32_t index,
                                                     const std::string& category) {
  auto it = pages_.find(index);
  if (it == pages_.end()) return NoPage(index, "classify");
  if (!categories().Known(category))
    return Refusal{Refusal::Kind::kInvalidArgument,
                   "page " + std::to_string(index) + ": the profile '" + record_.profile +
                       "' has no category '" + category + "'"};
  PageCategories::SetByClerk(it->second, category, record_.operator_id);
  return it->second;
}

Refusable<v1::PageVerdict> BatchSession::Waive(const v1::WaiveReason& waive,
                                               const std::string& supervisor) {
  auto it = pages_.find(waive.page_index());
  if (it == pages_.end()) return NoPage(waive.page_index(), "waive a reason of");
  const std::string page_name = "page " + std::to_string(waive.page_index());
  if (supervisor.empty())
    return Refusal{Refusal::Kind::kFailedPrecondition,
                   "a waiver needs the supervisor's identity (with access control, the "
                   "caller's; without, this stream's OpenBatch.operator_id)"};
  if (waive.note().empty())
    return Refusal{Refusal::Kind::kInvalidArgument,
                   "a waiver needs a note: why " + page_name + " is accepted despite " +
                       v1::ReasonCode_Name(waive.code())};
  v1::PageVerdict page = it->second;
  if (!page.error().empty())
    return Refusal{Refusal::Kind::kFailedPrecondition,
                   page_name + " could not be read and cannot be waived: rescan it"};
  bool found = false;
  for (v1::Reason& r : *page.mutable_reasons()) {
    if (r.code() != waive.code() || !r.waived_by().empty()) continue;
    r.set_waived_by(supervisor);
    r.set_waiver_note(waive.note());
    found = true;
  }
  if (!found)
    return Refusal{Refusal::Kind::kInvalidArgument,
                   page_name + " has no " + v1::ReasonCode_Name(waive.code()) +
                       " reason to waive"};
  bool rejects = false;
  for (const v1::Reason& r : page.reasons()) rejects |= r.waived_by().empty();
  page.set_decision(rejects ? v1::REJECT : v1::ACCEPT);
  it->second = page;
  return page;
}

v1::BatchVerdict BatchSession::Decide(bool closed, std::int64_t now) {
  phase_ = Phase::kDecided;
  // Separator sheets are not archived content: the batch rules leave them out.
  std::vector<v1::PageVerdict> counted;
  std::vector<v1::PageVerdict> all_pages;
  for (const auto& [index, page] : pages_) {
    all_pages.push_back(page);
    if (!page.separator_sheet()) counted.push_back(page);
  }
  v1::BatchVerdict verdict = DecideBatch(counted, *profile_.rules, closed);
  verdict.set_batch_id(record_.batch_id);
  verdict.set_profile(record_.profile);
  verdict.set_profile_version(record_.profile_version);
  verdict.set_station_id(record_.station_id);
  verdict.set_operator_id(record_.operator_id);
  verdict.set_opened_at(record_.opened_at);
  verdict.set_closed_at(now);
  verdict.set_version(previous_version_ + 1);
  verdict.set_supersedes(previous_sequence_);
  for (const auto& [index, page] : pages_) *verdict.add_pages() = page;
  for (v1::Reason& reason : categories().CheckCounts(all_pages)) {
    *verdict.add_reasons() = std::move(reason);
    verdict.set_decision(v1::REJECT);
  }
  return verdict;
}

}  // namespace scangate
