// End to end through a real gRPC server (in-process, port 0) and a real
// client stub: a batch streamed with bad pages in the middle still gets every
// other verdict, in order, and the stream's protocol is enforced.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <opencv2/imgcodecs.hpp>
#include <thread>
#include <opencv2/imgproc.hpp>

#include "scangate/v1/scangate.grpc.pb.h"
#include "server/server_runner.h"
#include "tests/support/test_data.h"
#include "tests/support/scan_stream_end.h"

namespace scangate {
namespace {

std::string TextPagePng(int seed) {
  cv::Mat page(1100, 850, CV_8UC1, cv::Scalar(255));  // Letter at 100 dpi
  for (int y = 80; y < 1000; y += 30)
    cv::putText(page, "Line " + std::to_string(seed) + " of an archived application form", {60, y},
                cv::FONT_HERSHEY_SIMPLEX, 0.7, cv::Scalar(0), 2);
  std::vector<std::uint8_t> buf;
  cv::imencode(".png", page, buf);
  return std::string(buf.begin(), buf.end());
}

class ScanEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(Options()); }
  static ServerOptions Options() {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.engine.threads = 2;
    options.service.max_in_flight_per_stream = 2;
    return options;
  }
  void StartServer(ServerOptions options) {
    if (server_) server_->Shutdown(std::chrono::seconds(5));
    server_ = std::make_unique<ServerRunner>(options, ProfileStore());
    Outcome started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    // Until then the engine also holds the server's self-check page.
    for (int i = 0; i < 500 && !server_->serving(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(-1);  // oversize pages reach the server, which refuses them
    auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(server_->port()),
                                             grpc::InsecureChannelCredentials(), args);
    stub_ = v1::Scangate::NewStub(channel);
  }
  void TearDown() override { server_->Shutdown(std::chrono::seconds(5)); }

  static v1::ScanRequest Open(const std::string& profile = "default") {
    v1::ScanRequest r;
    r.mutable_open()->set_batch_id("batch-e2e");
    r.mutable_open()->set_profile(profile);
    r.mutable_open()->set_station_id("counter-3");
    return r;
  }
  static v1::ScanRequest Page(std::string bytes, const std::string& name) {
    v1::ScanRequest r;
    r.mutable_page()->set_content(std::move(bytes));
    r.mutable_page()->set_file_name(name);
    return r;
  }
  static v1::ScanRequest Close() {
    v1::ScanRequest r;
    r.mutable_close();
    return r;
  }

  std::unique_ptr<ServerRunner> server_;
  std::unique_ptr<v1::Scangate::Stub> stub_;
};

TEST_F(ScanEndToEnd, CorruptPagesMidBatchGetErrorsAndEveryOtherPageItsVerdictInOrder) {
  grpc::ClientContext ctx;
  auto stream = stub_->Scan(&ctx);
  std::vector<std::string> names;
  ASSERT_TRUE(stream->Write(Open()));
  for (int i = 0; i < 8; ++i) {
    std::string name = "page-" + std::to_string(i);
    std::string bytes = TextPagePng(i);
    if (i == 3) bytes = bytes.substr(0, bytes.size() / 2), name += "-truncated.png";
    if (i == 5) bytes = "garbage, not an image", name += "-garbage.png";
    names.push_back(name);
    ASSERT_TRUE(stream->Write(Page(bytes, name)));
  }
  ASSERT_TRUE(stream->Write(Close()));
  stream->WritesDone();

  v1::ScanResponse r;
  ASSERT_TRUE(stream->Read(&r));
  ASSERT_TRUE(r.has_opened());
  EXPECT_EQ(r.opened().batch_id(), "batch-e2e");
  EXPECT_EQ(r.opened().profile(), "default");
  std::vector<v1::PageVerdict> pages;
  v1::BatchVerdict batch;
  while (stream->Read(&r)) {
    if (r.has_page()) pages.push_back(r.page());
    if (r.has_batch()) batch = r.batch();
  }
  grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();

  ASSERT_EQ(pages.size(), names.size());
  for (std::size_t i = 0; i < pages.size(); ++i) {
    EXPECT_EQ(pages[i].source(), names[i]);
    EXPECT_EQ(pages[i].page_index(), i);
    bool bad = i == 3 || i == 5;
    EXPECT_EQ(!pages[i].error().empty(), bad) << names[i] << ": " << pages[i].error();
    if (bad) {
      EXPECT_EQ(pages[i].decision(), v1::REJECT);
      EXPECT_EQ(pages[i].reasons(0).code(), v1::DECODE_ERROR);
    }
  }
  EXPECT_TRUE(batch.final());
  EXPECT_EQ(batch.batch_id(), "batch-e2e");
  EXPECT_EQ(batch.station_id(), "counter-3");
  EXPECT_EQ(batch.page_count(), 8u);
  EXPECT_EQ(batch.decision(), v1::REJECT);
  bool names_page_3 = false;
  for (const auto& reason : batch.reasons())
    names_page_3 |= reason.code() == v1::DECODE_ERROR && reason.has_page() && reason.page() == 3;
  EXPECT_TRUE(names_page_3);
}

TEST_F(ScanEndToEnd, RealMultiPageFilesAndScansAreJudged) {
  grpc::ClientContext ctx;
  auto stream = stub_->Scan(&ctx);
  ASSERT_TRUE(stream->Write(Open()));
  ASSERT_TRUE(stream->Write(Page(testing::ReadAll(testing::SharedData("scans/pageseg1.tif")), "pageseg1.tif")));
  ASSERT_TRUE(stream->Write(Close()));
  stream->WritesDone();
  v1::ScanResponse r;
  int pages = 0;
  bool batch = false;
  while (stream->Read(&r)) {
    if (r.has_page()) {
      ++pages;
      EXPECT_EQ(r.page().error(), "");
      EXPECT_EQ(r.page().color_mode(), v1::BILEVEL);
      EXPECT_NEAR(r.page().dpi(), 300, 1);
      EXPECT_EQ(r.page().sha256().size(), 64u);
    }
    batch |= r.has_batch();
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(pages, 1);
  EXPECT_TRUE(batch);
}

TEST_F(ScanEndToEnd, PageBeforeOpenEndsTheStreamWithFailedPrecondition) {
  grpc::ClientContext ctx;
  auto stream = stub_->Scan(&ctx);
  stream->Write(Page(TextPagePng(1), "early.png"));
  stream->WritesDone();
  v1::ScanResponse r;
  while (stream->Read(&r)) {
  }
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("before OpenBatch"), std::string::npos);
}

TEST_F(ScanEndToEnd, UnknownProfileIsNotFound) {
  grpc::ClientContext ctx;
  auto stream = stub_->Scan(&ctx);
  stream->Write(Open("no-such-business"));
  stream->WritesDone();
  v1::ScanResponse r;
  while (stream->Read(&r)) {
  }
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("no-such-business"), std::string::npos);
}

TEST_F(ScanEndToEnd, SecondOpenIsRefusedButEarlierVerdictsStillArrive) {
  grpc::ClientContext ctx;
  auto stream = stub_->Scan(&ctx);
  stream->Write(Open());
  stream->Write(Page(TextPagePng(1), "one.png"));
  stream->Write(Open());
  stream->WritesDone();
  v1::ScanResponse r;
  int pages = 0;
  while (stream->Read(&r)) pages += r.has_page();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(pages, 1);
}

TEST_F(ScanEndToEnd, StreamEndingWithoutCloseGivesAnIncompleteBatchVerdict) {
  grpc::ClientContext ctx;
  auto stream = stub_->Scan(&ctx);
  stream->Write(Open());
  stream->Write(Page(TextPagePng(1), "one.png"));
  stream->WritesDone();
  v1::ScanResponse r;
  v1::BatchVerdict batch;
  bool got_batch = false;
  while (stream->Read(&r))
    if (r.has_batch()) batch = r.batch(), got_batch = true;
  EXPECT_TRUE(stream->Finish().ok());
  ASSERT_TRUE(got_batch);
  EXPECT_FALSE(batch.final());
  EXPECT_EQ(batch.decision(), v1::REJECT);
  EXPECT_EQ(batch.reasons(batch.reasons_size() - 1).code(), v1::BATCH_INCOMPLETE);
}

// Found by fuzz_scan: a resume while the batch's first stream was still open
// gave two streams one batch. Each went on with its own view of the pages,
// both numbered their next page 1, and both recorded a final verdict as
// version 1, the later overwriting the earlier's page in the ledger. A
// resume (the station lost its connection and came back) now takes the
// batch over: the older stream ends at once, the newer one opens the batch
// as the ledger holds it, and its verdict is the only one.
TEST_F(ScanEndToEnd, AResumeTakesTheBatchOverFromAStreamStillOpen) {
  grpc::ClientContext first_context;
  auto first = stub_->Scan(&first_context);
  ASSERT_TRUE(first->Write(Open()));
  ASSERT_TRUE(first->Write(Page(TextPagePng(1), "first.png")));
  v1::ScanResponse r;
  ASSERT_TRUE(first->Read(&r));
  ASSERT_TRUE(r.has_opened());
  ASSERT_TRUE(first->Read(&r));
  ASSERT_TRUE(r.has_page());

  grpc::ClientContext second_context;
  auto second = stub_->Scan(&second_context);
  v1::ScanRequest resume = Open();
  resume.mutable_open()->set_resume(true);
  ASSERT_TRUE(second->Write(resume));
  ASSERT_TRUE(second->Read(&r));
  ASSERT_TRUE(r.has_opened());
  EXPECT_EQ(r.opened().pages_size(), 1);

  // The first stream has ended: what it sends now is not taken.
  first->Write(Page(TextPagePng(2), "late.png"));
  first->Write(Close());
  first->WritesDone();
  while (first->Read(&r)) ADD_FAILURE() << "the superseded stream answered " << r.DebugString();
  EXPECT_EQ(first->Finish().error_code(), grpc::StatusCode::CANCELLED);

  ASSERT_TRUE(second->Write(Page(TextPagePng(3), "second.png")));
  ASSERT_TRUE(second->Write(Close()));
  const testing::StreamEnd end = testing::FinishStream(*second);
  ASSERT_TRUE(end.status.ok()) << end.status.error_message();
  ASSERT_TRUE(end.batch);
  const v1::BatchVerdict& batch = *end.batch;
  EXPECT_TRUE(batch.final());
  EXPECT_EQ(batch.version(), 1u);
  ASSERT_EQ(batch.pages_size(), 2);
  EXPECT_EQ(batch.pages(0).source(), "first.png");
  EXPECT_EQ(batch.pages(1).source(), "second.png");

  // The ledger holds that verdict, and no other came after it.
  grpc::ClientContext lookup;
  v1::GetBatchVerdictRequest request;
  request.set_batch_id("batch-e2e");
  v1::BatchVerdict stored;
  ASSERT_TRUE(stub_->GetBatchVerdict(&lookup, request, &stored).ok());
  EXPECT_EQ(stored.sequence(), batch.sequence());
  ASSERT_EQ(stored.pages_size(), 2);
  EXPECT_EQ(stored.pages(1).source(), "second.png");
}

// A new batch under an id another stream has open is refused, and that
// stream goes on.
TEST_F(ScanEndToEnd, ANewBatchUnderAnIdOpenOnAnotherStreamIsRefused) {
  grpc::ClientContext first_context;
  auto first = stub_->Scan(&first_context);
  ASSERT_TRUE(first->Write(Open()));
  v1::ScanResponse r;
  ASSERT_TRUE(first->Read(&r));
  ASSERT_TRUE(r.has_opened());

  grpc::ClientContext second_context;
  auto second = stub_->Scan(&second_context);
  ASSERT_TRUE(second->Write(Open()));
  second->WritesDone();
  EXPECT_FALSE(second->Read(&r));
  EXPECT_EQ(second->Finish().error_code(), grpc::StatusCode::ALREADY_EXISTS);

  ASSERT_TRUE(first->Write(Page(TextPagePng(1), "first.png")));
  ASSERT_TRUE(first->Write(Close()));
  const testing::StreamEnd end = testing::FinishStream(*first);
  ASSERT_TRUE(end.status.ok()) << end.status.error_message();
  ASSERT_TRUE(end.batch);
  EXPECT_TRUE(end.batch->final());
  EXPECT_EQ(end.batch->pages_size(), 1);
}

TEST_F(ScanEndToEnd, AStreamNeverHasMoreFilesInTheEngineThanItsBound) {
  // The station writes as fast as it can; the server must stop reading at
  // two files in flight (the bound set in SetUp) instead of queueing them.
  std::atomic<bool> done{false};
  std::size_t peak = 0;
  std::thread watcher([&] {
    while (!done) {
      peak = std::max(peak, server_->service().engine().in_flight());
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  grpc::ClientContext ctx;
  auto stream = stub_->Scan(&ctx);
  stream->Write(Open());
  const std::string page = TextPagePng(7);
  for (int i = 0; i < 24; ++i) stream->Write(Page(page, "p" + std::to_string(i)));
  stream->Write(Close());
  stream->WritesDone();
  v1::ScanResponse r;
  int pages = 0;
  while (stream->Read(&r)) pages += r.has_page();
  done = true;
  watcher.join();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(pages, 24);
  EXPECT_GE(peak, 1u);
  EXPECT_LE(peak, 2u);
}

// A whole batch on a fresh stream: the server is up and judging.
int PagesOfAFreshBatch(v1::Scangate::Stub& stub) {
  grpc::ClientContext ctx;
  auto stream = stub.Scan(&ctx);
  v1::ScanRequest open;  // no id: the server names a new batch each time
  open.mutable_open()->set_profile("default");
  stream->Write(open);
  v1::ScanRequest page;
  page.mutable_page()->set_content(TextPagePng(3));
  page.mutable_page()->set_file_name("after.png");
  stream->Write(page);
  v1::ScanRequest close;
  close.mutable_close();
  stream->Write(close);
  stream->WritesDone();
  v1::ScanResponse r;
  int pages = 0;
  while (stream->Read(&r)) pages += r.has_page();
  return stream->Finish().ok() ? pages : -1;
}

TEST_F(ScanEndToEnd, AnOversizeMessageEndsThatStreamAndTheServerStaysUp) {
  ServerOptions options = Options();
  options.max_message_bytes = 1 << 20;
  StartServer(options);
  grpc::ClientContext ctx;
  auto stream = stub_->Scan(&ctx);
  stream->Write(Open());
  stream->Write(Page(std::string(2 << 20, 'x'), "huge.bin"));
  stream->WritesDone();
  v1::ScanResponse r;
  while (stream->Read(&r)) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(PagesOfAFreshBatch(*stub_), 1);
}

TEST_F(ScanEndToEnd, ABatchVerdictTooLargeToDeliverIsRefusedBeforeItIsRecorded) {
  ServerOptions options = Options();
  // The largest message the followers take, made small: a verdict past it
  // would be recorded final and never reach the archive.
  options.service.max_message_bytes = 8 << 10;
  StartServer(options);
  grpc::ClientContext ctx;
  auto stream = stub_->Scan(&ctx);
  stream->Write(Open());
  const std::string page = TextPagePng(3);
  for (int i = 0; i < 30; ++i)
    stream->Write(Page(page, std::string(200, 'n') + "-" + std::to_string(i) + ".png"));
  stream->Write(Close());
  stream->WritesDone();
  int pages = 0;
  bool batch = false;
  for (v1::ScanResponse r; stream->Read(&r);) {
    pages += r.has_page();
    batch |= r.has_batch();
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_NE(status.error_message().find("over the limit of 8192 bytes"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(pages, 30);
  EXPECT_FALSE(batch);
  // Not recorded final: the batch stays open, every page kept, resumable.
  grpc::ClientContext lookup;
  v1::GetBatchVerdictRequest request;
  request.set_batch_id("batch-e2e");
  v1::BatchVerdict stored;
  ASSERT_TRUE(stub_->GetBatchVerdict(&lookup, request, &stored).ok());
  EXPECT_FALSE(stored.final());
  EXPECT_EQ(stored.pages_size(), 30);
  // A batch that fits is recorded as ever.
  EXPECT_EQ(PagesOfAFreshBatch(*stub_), 1);
}

TEST_F(ScanEndToEnd, AStationThatNeverReadsItsVerdictsCostsOthersNothing) {
  grpc::ClientContext ctx;
  auto stream = stub_->Scan(&ctx);
  std::atomic<int> written{0};
  std::thread writer([&] {
    if (!stream->Write(Open())) return;
    const std::string page = TextPagePng(5);
    for (int i = 0; i < 200; ++i) {
      if (!stream->Write(Page(page, "p" + std::to_string(i)))) return;
      ++written;
    }
  });
  // It reads nothing; the server's queue of unread verdicts per stream is
  // bounded (scan_stream.cc), and gRPC's flow control holds the rest.
  for (int i = 0; i < 1000 && written.load() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GT(written.load(), 0);
  EXPECT_EQ(PagesOfAFreshBatch(*stub_), 1);  // another station is served meanwhile
  ctx.TryCancel();
  writer.join();
  stream->Finish();
  // The abandoned stream is let go.
  for (int i = 0; i < 500 && server_->service().open_streams() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(server_->service().open_streams(), 0u);
  EXPECT_EQ(PagesOfAFreshBatch(*stub_), 1);
}

TEST_F(ScanEndToEnd, ShutdownFinishesPagesInFlightAndReportsTheBatchIncomplete) {
  grpc::ClientContext ctx;
  auto stream = stub_->Scan(&ctx);
  stream->Write(Open());
  const std::string page = TextPagePng(9);
  for (int i = 0; i < 2; ++i) stream->Write(Page(page, "p" + std::to_string(i)));
  v1::ScanResponse r;
  ASSERT_TRUE(stream->Read(&r));  // opened
  ASSERT_TRUE(stream->Read(&r));  // the first verdict: the stream is live
  ASSERT_TRUE(r.has_page());
  std::thread stopper([&] { server_->Shutdown(std::chrono::seconds(10)); });
  int pages = 1;
  v1::BatchVerdict batch;
  bool got_batch = false;
  while (stream->Read(&r)) {
    pages += r.has_page();
    if (r.has_batch()) batch = r.batch(), got_batch = true;
  }
  grpc::Status status = stream->Finish();
  stopper.join();
  EXPECT_EQ(pages, 2);  // both pages sent before the drain were judged
  ASSERT_TRUE(got_batch);
  EXPECT_FALSE(batch.final());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);

  // New streams are refused once draining.
  grpc::ClientContext late;
  auto refused = stub_->Scan(&late);
  refused->Write(Open());
  refused->WritesDone();
  while (refused->Read(&r)) {
  }
  EXPECT_NE(refused->Finish().error_code(), grpc::StatusCode::OK);
}

TEST_F(ScanEndToEnd, CheckPageAnswersOneShot) {
  grpc::ClientContext ctx;
  v1::CheckPageRequest req;
  req.mutable_page()->set_content(TextPagePng(2));
  req.mutable_page()->set_file_name("single.png");
  v1::CheckPageResponse resp;
  grpc::Status status = stub_->CheckPage(&ctx, req, &resp);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(resp.pages_size(), 1);
  EXPECT_EQ(resp.pages(0).source(), "single.png");
  EXPECT_EQ(resp.pages(0).error(), "");
}

TEST_F(ScanEndToEnd, ListProfilesShowsTheBuiltInDefault) {
  grpc::ClientContext ctx;
  v1::ListProfilesResponse resp;
  ASSERT_TRUE(stub_->ListProfiles(&ctx, {}, &resp).ok());
  ASSERT_GE(resp.profiles_size(), 1);
  EXPECT_EQ(resp.profiles(0).name(), "default");
  EXPECT_FALSE(resp.profiles(0).version().empty());
}

}  // namespace
}  // namespace scangate
