// The hot-folder station's journal (clients/hot_folder.h): any file name
// goes through it, and a journal written before names were escaped still
// loads.
#include "clients/hot_folder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace scangate::cli {
namespace {

namespace fs = std::filesystem;

::testing::AssertionResult Succeeded(const Outcome& outcome) {
  if (outcome.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << outcome.error().message;
}

class StationJournal : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("scangate-journal-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path path() const { return dir_ / "journal"; }
  fs::path dir_;
};

TEST_F(StationJournal, AnyFileNameGoesThroughIt) {
  Journal journal;
  journal.sequence = 7;
  journal.used_ids = {"SI2026112700042", "a b"};
  JournalBatch b;
  b.id = "SI2026112700042";
  b.transaction = "line\nbreak";
  b.opened = true;
  b.files = {{"001-line\nbreak.jpg", 0}, {" leading space.jpg", 1}, {"100%\t.jpg", -1}};
  b.replaced = {"old\r.jpg"};
  b.pending_file = "tail space .jpg";
  b.pending_index = 1;
  b.state = JournalBatch::State::kAwaiting;
  b.rescan = {1};
  journal.batches.push_back(b);
  ASSERT_TRUE(Succeeded(journal.Save(path())));

  Journal loaded;
  ASSERT_TRUE(Succeeded(loaded.Load(path())));
  EXPECT_EQ(loaded.sequence, 7u);
  EXPECT_EQ(loaded.used_ids, journal.used_ids);
  ASSERT_EQ(loaded.batches.size(), 1u);
  const JournalBatch& l = loaded.batches[0];
  EXPECT_EQ(l.id, b.id);
  EXPECT_EQ(l.transaction, b.transaction);
  ASSERT_EQ(l.files.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(l.files[i].name, b.files[i].name);
    EXPECT_EQ(l.files[i].index, b.files[i].index);
  }
  EXPECT_EQ(l.replaced, b.replaced);
  EXPECT_EQ(l.pending_file, b.pending_file);
  EXPECT_EQ(l.pending_index, 1);
  EXPECT_EQ(l.rescan, b.rescan);
  EXPECT_EQ(l.state, JournalBatch::State::kAwaiting);
}

TEST_F(StationJournal, AJournalOfTheFirstFormatStillLoads) {
  // As stations wrote it before names were escaped: a name is the rest of
  // its line, spaces and '%' included.
  std::ofstream(path()) << "scangate-watch-journal 1\n"
                           "sequence 3\n"
                           "used counter-3-20261201-101500-3\n"
                           "batch open 1 counter-3-20261201-101500-3\n"
                           "file 0 scan 001.jpg\n"
                           "file -1 100%.jpg\n"
                           "batch awaiting 1 SI2026112700042\n"
                           "transaction SI2026112700042\n"
                           "file 0 a.jpg\n"
                           "rescan 0\n"
                           "pending 0 a rescan.jpg\n";
  Journal loaded;
  ASSERT_TRUE(Succeeded(loaded.Load(path())));
  EXPECT_EQ(loaded.sequence, 3u);
  ASSERT_EQ(loaded.batches.size(), 2u);
  EXPECT_EQ(loaded.batches[0].id, "counter-3-20261201-101500-3");
  ASSERT_EQ(loaded.batches[0].files.size(), 2u);
  EXPECT_EQ(loaded.batches[0].files[0].name, "scan 001.jpg");
  EXPECT_EQ(loaded.batches[0].files[1].name, "100%.jpg");
  EXPECT_EQ(loaded.batches[1].pending_file, "a rescan.jpg");
  // Saved again, in the escaped format, it reads back the same.
  ASSERT_TRUE(Succeeded(loaded.Save(path())));
  Journal again;
  ASSERT_TRUE(Succeeded(again.Load(path())));
  EXPECT_EQ(again.batches[0].files[0].name, "scan 001.jpg");
  EXPECT_EQ(again.batches[0].files[1].name, "100%.jpg");
  EXPECT_EQ(again.batches[1].pending_file, "a rescan.jpg");
}

}  // namespace
}  // namespace scangate::cli
