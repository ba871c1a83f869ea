// Names are data: the bounds a request's names are checked against
// (wire/names.h), and the one file name each batch id is given
// (wire/file_names.h), which no id can steer out of its folder.
#include "wire/names.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "wire/file_names.h"

namespace scangate {
namespace {

TEST(FileNameFor, KeepsTheNamesFollowersHaveAlwaysWritten) {
  for (const char* id : {"SI2026112700042", "counter-3-20261203-081500-1", "a_b", "v1.2", "x."})
    EXPECT_EQ(FileNameFor(id), id);
}

TEST(FileNameFor, EscapesEveryOtherByteSoNoTwoIdsShareAFile) {
  EXPECT_EQ(FileNameFor("a/b"), "a%2Fb");
  EXPECT_EQ(FileNameFor("a?b"), "a%3Fb");
  EXPECT_EQ(FileNameFor("a%2Fb"), "a%252Fb");
  EXPECT_EQ(FileNameFor("../../../x"), "%2E.%2F..%2F..%2Fx");
  EXPECT_EQ(FileNameFor("/etc/passwd"), "%2Fetc%2Fpasswd");
  EXPECT_EQ(FileNameFor("."), "%2E");
  EXPECT_EQ(FileNameFor(".."), "%2E.");
  EXPECT_EQ(FileNameFor(""), "%");
  EXPECT_EQ(FileNameFor(std::string("a\0b", 3)), "a%00b");
  EXPECT_EQ(FileNameFor("\xC3\xA9t\xC3\xA9"), "%C3%A9t%C3%A9");
  std::set<std::string> names;
  for (const char* id : {"a/b", "a_b", "a?b", "a b", "a%2Fb", "a\nb", "", ".", "..", "%"})
    EXPECT_TRUE(names.insert(FileNameFor(id)).second) << id;
}

TEST(FileNameFor, LongIdsGetAPrefixAndTheirDigestWithinTheBound) {
  const std::string long_safe(300, 'a');
  const std::string name = FileNameFor(long_safe);
  EXPECT_LE(name.size(), kMaxMappedNameBytes);
  EXPECT_EQ(name.substr(0, 10), "aaaaaaaaaa");
  EXPECT_NE(name.find('~'), std::string::npos);
  EXPECT_NE(FileNameFor(long_safe + "b"), name);
  // 128 bytes that each take an escape: 384 bytes escaped, cut between escapes.
  const std::string escaped = FileNameFor(std::string(128, '?'));
  EXPECT_LE(escaped.size(), kMaxMappedNameBytes);
  const std::string prefix = escaped.substr(0, escaped.find('~'));
  EXPECT_EQ(prefix.size() % 3, 0u) << escaped;
  for (std::size_t i = 0; i < prefix.size(); i += 3) EXPECT_EQ(prefix.substr(i, 3), "%3F");
  // A short id never meets a long one: '~' is escaped in every short name.
  EXPECT_EQ(FileNameFor("~"), "%7E");
}

TEST(FileNameFor, NeverLeavesItsFolder) {
  for (const std::string id : {"../x", "/x", "x/..", "..", ".", "", "a/../../b", "\\..\\x"}) {
    const std::string name = FileNameFor(id);
    EXPECT_EQ(name.find('/'), std::string::npos) << id;
    EXPECT_NE(name, ".");
    EXPECT_NE(name, "..");
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name[0], '.') << id;
  }
}

TEST(Names, IdsAreBoundedAndPrintable) {
  EXPECT_EQ(IdProblem("batch_id", "SI2026112700042"), "");
  EXPECT_EQ(IdProblem("batch_id", "../../../x"), "");  // data, never a path
  EXPECT_EQ(IdProblem("batch_id", "Akte M\xC3\xBCller 7"), "");
  EXPECT_EQ(IdProblem("batch_id", std::string(128, 'a')), "");
  EXPECT_EQ(IdProblem("batch_id", std::string(129, 'a')),
            "batch_id: 129 bytes, over the limit of 128 bytes");
  EXPECT_NE(IdProblem("station_id", "a\nb").find("station_id: a control"), std::string::npos);
  EXPECT_NE(IdProblem("batch_id", "a\x7F").find("control"), std::string::npos);
  EXPECT_NE(IdProblem("batch_id", "a\xC2\x85").find("control"), std::string::npos);  // NEL
  EXPECT_NE(IdProblem("batch_id",
                      "a\xE2\x80\xAE"
                      "b")
                .find("control"),
            std::string::npos);  // RLO
  EXPECT_NE(IdProblem("batch_id", "a\xFF").find("not UTF-8"), std::string::npos);
  EXPECT_NE(IdProblem("batch_id", "\xC0\xAF").find("not UTF-8"),
            std::string::npos);  // overlong '/'
  EXPECT_NE(IdProblem("batch_id", " a").find("space"), std::string::npos);
  EXPECT_EQ(IdProblem("operator_id", ""), "");
  EXPECT_NE(IdProblem("batch_id", "", false).find("must not be empty"), std::string::npos);
}

TEST(Names, FileNamesAndNotesHaveTheirOwnBounds) {
  EXPECT_EQ(FileNameProblem("page.file_name", std::string(255, 'a')), "");
  EXPECT_EQ(FileNameProblem("page.file_name", std::string(256, 'a')),
            "page.file_name: 256 bytes, over the limit of 255 bytes");
  EXPECT_EQ(FileNameProblem("page.file_name", " scan 1.tif"), "");
  EXPECT_NE(FileNameProblem("page.file_name", "a\nb.jpg").find("control"), std::string::npos);
  EXPECT_EQ(NoteProblem("waive_reason.note", std::string(1024, 'n')), "");
  EXPECT_NE(NoteProblem("waive_reason.note", std::string(1025, 'n')).find("1024"),
            std::string::npos);
}

TEST(Names, RequestsNameTheFieldOutOfBounds) {
  v1::ScanRequest open;
  open.mutable_open()->set_batch_id("b-1");
  open.mutable_open()->set_station_id(std::string(300, 's'));
  grpc::Status status = CheckNames(open);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "open.station_id: 300 bytes, over the limit of 128 bytes");

  v1::ScanRequest replace;
  replace.mutable_replace()->mutable_page()->set_category("a\tb");
  EXPECT_EQ(CheckNames(replace).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::GetBatchVerdictRequest by_transaction;
  by_transaction.set_transaction_id("");
  status = CheckNames(by_transaction);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("transaction_id"), std::string::npos);
  by_transaction.set_transaction_id("SI2026112700042");
  EXPECT_TRUE(CheckNames(by_transaction).ok());
}

}  // namespace
}  // namespace scangate
