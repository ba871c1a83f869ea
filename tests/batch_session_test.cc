// The batch core without a server: every operation and state of a batch,
// with the records the ledger would hold.
#include <gtest/gtest.h>

#include "batch/batch_session.h"

namespace scangate {
namespace {

std::shared_ptr<const Profile> Rules() {
  auto p = std::make_shared<Profile>();
  p->name = "pension-claim";
  p->version = "v3";
  p->min_pages = 1;
  return p;
}

v1::OpenBatch Open(const std::string& id, const std::string& station, bool resume = false) {
  v1::OpenBatch open;
  open.set_batch_id(id);
  open.set_profile("pension-claim");
  open.set_station_id(station);
  open.set_operator_id("clerk-7");
  open.set_resume(resume);
  return open;
}

// A judged page as the engine hands it over: the file's SHA-256 and frame.
PageVerdict Judged(std::uint32_t index, const std::string& sha, std::uint32_t frame = 0,
                   Decision decision = Decision::kAccept) {
  PageVerdict v;
  v.page_index = index;
  v.frame = frame;
  v.source = "page-" + std::to_string(index) + ".png";
  v.sha256 = sha;
  v.decision = decision;
  if (decision == Decision::kReject) v.reasons.push_back({ReasonCode::kSkewed, "3.1 degrees", "", {}});
  return v;
}

std::string Sha(char c) { return std::string(64, c); }

// A batch created for `station`, its pages added one file each.
BatchSession OpenWith(const std::vector<PageVerdict>& pages, const std::string& station = "c-1") {
  BatchSession batch;
  batch.Created(BatchSession::NewRecord(Open("b-1", station), *Rules(), 1700000000),
                {Rules(), {}});
  for (const PageVerdict& p : pages) EXPECT_TRUE(batch.AddJudged({p}, std::nullopt, "").ok());
  return batch;
}

// What the ledger holds after `batch` was decided and recorded at `sequence`.
StoredBatch Stored(BatchSession& batch, bool closed, std::uint64_t sequence) {
  StoredBatch stored;
  stored.open = batch.record();
  v1::BatchVerdict verdict = batch.Decide(closed, 1700000100);
  if (closed) verdict.set_sequence(sequence);
  stored.state = closed ? "final" : "incomplete";
  for (const auto& [index, page] : batch.pages()) stored.pages.push_back(page);
  stored.verdict = verdict;
  return stored;
}

TEST(BatchSession, ANewBatchStartsEmptyAndOpen) {
  BatchSession batch;
  EXPECT_EQ(batch.phase(), BatchSession::Phase::kAwaitingOpen);
  BatchOpenRecord record = BatchSession::NewRecord(Open("", "c-1"), *Rules(), 1700000000);
  EXPECT_EQ(record.batch_id.rfind("b-", 0), 0u) << "an empty id gets a fresh one";
  EXPECT_EQ(record.profile_version, "v3");
  batch.Created(record, {Rules(), {}});
  EXPECT_EQ(batch.phase(), BatchSession::Phase::kOpen);
  EXPECT_EQ(batch.next_page_index(), 0u);
}

TEST(BatchSession, AnOpenOfAnIdThatExistsIsRefusedNamingItsState) {
  BatchSession first = OpenWith({Judged(0, Sha('a'))});
  StoredBatch stored = Stored(first, true, 41);
  Refusal refusal = BatchSession::Exists(stored);
  EXPECT_EQ(refusal.kind, Refusal::Kind::kAlreadyExists);
  EXPECT_NE(refusal.message.find("b-1"), std::string::npos) << refusal.message;
  EXPECT_NE(refusal.message.find("final, ACCEPT"), std::string::npos) << refusal.message;
  EXPECT_NE(refusal.message.find("c-1"), std::string::npos) << refusal.message;
}

TEST(BatchSession, OnlyTheStationThatOpenedABatchMayResumeIt) {
  BatchSession first = OpenWith({Judged(0, Sha('a'))});
  StoredBatch stored = Stored(first, false, 0);
  std::optional<Refusal> other = BatchSession::CheckResume(Open("b-1", "c-2", true), stored);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->kind, Refusal::Kind::kFailedPrecondition);
  EXPECT_NE(other->message.find("only by the station that opened it"), std::string::npos);
  EXPECT_FALSE(BatchSession::CheckResume(Open("b-1", "c-1", true), stored));
  v1::OpenBatch wrong_profile = Open("b-1", "c-1", true);
  wrong_profile.set_profile("enrolment-change");
  ASSERT_TRUE(BatchSession::CheckResume(wrong_profile, stored));
  EXPECT_EQ(BatchSession::CheckResume(wrong_profile, stored)->kind,
            Refusal::Kind::kInvalidArgument);
}

TEST(BatchSession, AnAcceptedFinalBatchIsNeverResumed) {
  BatchSession first = OpenWith({Judged(0, Sha('a'))});
  StoredBatch stored = Stored(first, true, 7);
  ASSERT_EQ(stored.verdict->decision(), v1::ACCEPT);
  std::optional<Refusal> refused = BatchSession::CheckResume(Open("b-1", "c-1", true), stored);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->message.find("accepted and is final"), std::string::npos);
}

TEST(BatchSession, ACorrectionOfAFinalBatchIsItsNextVersion) {
  BatchSession first = OpenWith({Judged(0, Sha('a')), Judged(1, Sha('b'), 0, Decision::kReject)});
  StoredBatch v1_stored = Stored(first, true, 12);
  EXPECT_EQ(v1_stored.verdict->version(), 1u);
  EXPECT_EQ(v1_stored.verdict->supersedes(), 0u);
  EXPECT_EQ(v1_stored.verdict->decision(), v1::REJECT);

  BatchSession correction;
  correction.Resumed(Open("b-1", "c-1", true), {Rules(), {}}, v1_stored);
  ASSERT_FALSE(correction.CheckReplace(1));
  ASSERT_TRUE(correction.AddJudged({Judged(1, Sha('c'))}, 1u, "").ok());
  v1::BatchVerdict v2 = correction.Decide(true, 1700000200);
  EXPECT_EQ(v2.decision(), v1::ACCEPT);
  EXPECT_EQ(v2.version(), 2u);
  EXPECT_EQ(v2.supersedes(), 12u) << "names the feed entry of the version it replaces";
  // The first version is untouched: the core never edits what it was given.
  EXPECT_EQ(v1_stored.verdict->decision(), v1::REJECT);
  EXPECT_EQ(v1_stored.verdict->version(), 1u);
}

TEST(BatchSession, AnInterruptedCorrectionKeepsTheVersionItIsOnItsWayTo) {
  BatchSession first = OpenWith({Judged(0, Sha('a'), 0, Decision::kReject)});
  StoredBatch v1_stored = Stored(first, true, 30);
  BatchSession interrupted;
  interrupted.Resumed(Open("b-1", "c-1", true), {Rules(), {}}, v1_stored);
  StoredBatch incomplete = Stored(interrupted, false, 0);
  EXPECT_FALSE(incomplete.verdict->final());
  BatchSession resumed;
  resumed.Resumed(Open("b-1", "c-1", true), {Rules(), {}}, incomplete);
  v1::BatchVerdict v2 = resumed.Decide(true, 1700000300);
  EXPECT_EQ(v2.version(), 2u);
  EXPECT_EQ(v2.supersedes(), 30u);
}

TEST(BatchSession, AResumeKeepsThePagesAndNumbersAfterThem) {
  BatchSession first = OpenWith({Judged(0, Sha('a')), Judged(1, Sha('b'))});
  StoredBatch stored = Stored(first, false, 0);
  BatchSession resumed;
  resumed.Resumed(Open("b-1", "c-1", true), {Rules(), {}}, stored);
  EXPECT_EQ(resumed.pages().size(), 2u);
  EXPECT_EQ(resumed.next_page_index(), 2u);
  EXPECT_EQ(resumed.record().operator_id, "clerk-7");
}

TEST(BatchSession, APageWithTheBytesOfAnotherIsADuplicate) {
  BatchSession batch = OpenWith({Judged(0, Sha('a'))});
  auto pages = batch.AddJudged({Judged(1, Sha('a'))}, std::nullopt, "");
  ASSERT_TRUE(pages.ok());
  const v1::PageVerdict& page = pages.value().at(0);
  EXPECT_EQ(page.decision(), v1::REJECT);
  ASSERT_EQ(page.reasons_size(), 1);
  EXPECT_EQ(page.reasons(0).code(), v1::DUPLICATE_PAGE);
  EXPECT_NE(page.reasons(0).detail().find("page 0"), std::string::npos);
  v1::BatchVerdict verdict = batch.Decide(true, 1700000100);
  EXPECT_EQ(verdict.decision(), v1::REJECT);
}

TEST(BatchSession, FramesOfOneFileAndARescanOfThePageItselfAreNotDuplicates) {
  BatchSession batch = OpenWith({});
  auto frames = batch.AddJudged({Judged(0, Sha('t'), 0), Judged(1, Sha('t'), 1)}, std::nullopt, "");
  ASSERT_TRUE(frames.ok());
  for (const v1::PageVerdict& p : frames.value()) EXPECT_EQ(p.decision(), v1::ACCEPT);
  // The same bytes sent again to replace page 0: compared with the others only.
  auto rescan = batch.AddJudged({Judged(0, Sha('t'), 0)}, 0u, "");
  ASSERT_TRUE(rescan.ok());
  EXPECT_EQ(rescan.value().at(0).decision(), v1::ACCEPT);
}

TEST(BatchSession, ARescanOfSeveralPagesIsRefusedAndThePageIsUnchanged) {
  BatchSession batch = OpenWith({Judged(0, Sha('a'), 0, Decision::kReject)});
  auto refused = batch.AddJudged({Judged(0, Sha('m'), 0), Judged(1, Sha('m'), 1)}, 0u, "");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, Refusal::Kind::kInvalidArgument);
  EXPECT_EQ(batch.pages().at(0).sha256(), Sha('a'));
  EXPECT_TRUE(batch.CheckReplace(5));
  EXPECT_EQ(batch.CheckReplace(5)->kind, Refusal::Kind::kFailedPrecondition);
}

TEST(BatchSession, DeletingAPageThatIsNotThereIsAnErrorOfTheCall) {
  BatchSession batch = OpenWith({Judged(0, Sha('a')), Judged(1, Sha('b'))});
  EXPECT_TRUE(batch.Delete(1).ok());
  EXPECT_EQ(batch.pages().size(), 1u);
  auto again = batch.Delete(1);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("no judged page 1"), std::string::npos);
}

TEST(BatchSession, AnUnknownCategoryIsAnErrorOfTheCallNamingIt) {
  BatchSession batch = OpenWith({Judged(0, Sha('a'))});
  auto refused = batch.SetCategory(0, "id-crad");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, Refusal::Kind::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("'id-crad'"), std::string::npos);
  EXPECT_FALSE(batch.SetCategory(3, "id-card").ok());
}

TEST(BatchSession, AWaiverRecordsTheSupervisorNotTheOperatorAndAcceptsThePage) {
  BatchSession batch = OpenWith({Judged(0, Sha('a'), 0, Decision::kReject)});
  v1::WaiveReason waive;
  waive.set_page_index(0);
  waive.set_code(v1::SKEWED);
  waive.set_note("form printed askew");
  auto page = batch.Waive(waive, "supervisor-2");
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page.value().decision(), v1::ACCEPT);
  EXPECT_EQ(page.value().reasons(0).waived_by(), "supervisor-2");
  EXPECT_EQ(page.value().reasons(0).waiver_note(), "form printed askew");
  EXPECT_EQ(batch.Decide(true, 1700000100).decision(), v1::ACCEPT);
}

TEST(BatchSession, AWaiverForACodeThePageLacksIsAnErrorOfTheCall) {
  BatchSession batch = OpenWith({Judged(0, Sha('a'), 0, Decision::kReject)});
  v1::WaiveReason waive;
  waive.set_page_index(0);
  waive.set_code(v1::BLURRED);
  waive.set_note("a fax");
  auto refused = batch.Waive(waive, "supervisor-2");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, Refusal::Kind::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("no BLURRED reason"), std::string::npos);
  EXPECT_EQ(batch.pages().at(0).decision(), v1::REJECT) << "nothing changed";
}

TEST(BatchSession, AWaiverWithoutSupervisorOrNoteIsRefusedAndChangesNothing) {
  BatchSession batch = OpenWith({Judged(0, Sha('a'), 0, Decision::kReject)});
  v1::WaiveReason waive;
  waive.set_page_index(0);
  waive.set_code(v1::SKEWED);
  waive.set_note("form printed askew");
  auto nobody = batch.Waive(waive, "");
  ASSERT_FALSE(nobody.ok());
  EXPECT_EQ(nobody.error().kind, Refusal::Kind::kFailedPrecondition);
  EXPECT_NE(nobody.error().message.find("supervisor"), std::string::npos);
  waive.clear_note();
  auto silent = batch.Waive(waive, "supervisor-2");
  ASSERT_FALSE(silent.ok());
  EXPECT_NE(silent.error().message.find("note"), std::string::npos);
  EXPECT_EQ(batch.pages().at(0).decision(), v1::REJECT) << "nothing changed";
  EXPECT_TRUE(batch.pages().at(0).reasons(0).waived_by().empty());
}

TEST(BatchSession, ABatchNeverClosedIsIncompleteAndDecidedOnce) {
  BatchSession batch = OpenWith({Judged(0, Sha('a'))});
  v1::BatchVerdict verdict = batch.Decide(false, 1700000100);
  EXPECT_FALSE(verdict.final());
  EXPECT_EQ(verdict.decision(), v1::REJECT);
  EXPECT_EQ(batch.phase(), BatchSession::Phase::kDecided);
  EXPECT_FALSE(batch.AddJudged({Judged(1, Sha('b'))}, std::nullopt, "").ok())
      << "a decided batch takes no more pages";
}

}  // namespace
}  // namespace scangate
