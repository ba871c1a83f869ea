// Names are data: the bounds a request's names are checked against
// (server/names.h).
#include "names.h"

#include <gtest/gtest.h>

#include <set>
#include <string>


namespace scangate {
namespace {

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
