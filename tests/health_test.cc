// grpc.health.v1 through the real health service of an in-process server:
// NOT_SERVING while it starts (until its self-check page is judged) and
// while it drains, SERVING in between; the metrics say the same.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <opencv2/imgcodecs.hpp>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "server/metrics.h"
#include "scangate/v1/scangate.grpc.pb.h"
#include "server/server_runner.h"

namespace scangate {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

constexpr const char* kScangate = "scangate.v1.Scangate";

// Holds the files whose name starts with `prefix` in the engine until
// Release().
class Gate {
 public:
  explicit Gate(std::string prefix) : prefix_(std::move(prefix)) {}
  void Release() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  JudgeFn Judge() {
    return [this](std::span<const std::uint8_t> bytes, const std::string& source,
                  const Profile& profile, const JudgeOptions& options) {
      if (source.rfind(prefix_, 0) == 0) {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return open_; });
      }
      return JudgeFile(bytes, source, profile, options);
    };
  }

 private:
  const std::string prefix_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class ServerHealth : public ::testing::Test {
 protected:
  // A failed expectation must not leave the engine held: Shutdown waits for it.
  void TearDown() override {
    if (gate_) gate_->Release();
    if (server_) server_->Shutdown(std::chrono::seconds(5));
  }

  // Starts the server with files named `held_prefix`* held in the engine.
  void Start(const std::string& held_prefix) {
    gate_ = std::make_unique<Gate>(held_prefix);
    Gate& gate = *gate_;
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.metrics_listen = "127.0.0.1:0";
    options.engine.threads = 2;
    options.engine.judge_fn = gate.Judge();
    server_ = std::make_unique<ServerRunner>(options, ProfileStore());
    Outcome started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    health_ = Health::NewStub(channel_);
  }

  HealthCheckResponse::ServingStatus Check(const std::string& service) {
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::Status status = health_->Check(&ctx, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status();
  }

  // Polls until `service` reports `want`, for at most 10 s.
  bool Becomes(const std::string& service, HealthCheckResponse::ServingStatus want) {
    for (int i = 0; i < 200; ++i) {
      if (Check(service) == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::unique_ptr<Gate> gate_;
  std::unique_ptr<ServerRunner> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Health::Stub> health_;
};

TEST_F(ServerHealth, NotServingWhileStartingThenServingOnceTheSelfCheckIsJudged) {
  Start("self-check");
  // Started and answering, but its self-check page is held in the engine.
  EXPECT_EQ(Check(""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Check(kScangate), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(server_->metrics()->state(), ServingState::kStarting);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Check(kScangate), HealthCheckResponse::NOT_SERVING);

  gate_->Release();
  EXPECT_TRUE(Becomes(kScangate, HealthCheckResponse::SERVING));
  EXPECT_EQ(Check(""), HealthCheckResponse::SERVING);
  EXPECT_EQ(server_->metrics()->state(), ServingState::kServing);
}

TEST_F(ServerHealth, NotServingWhileDrainingAStreamWithAPageInFlight) {
  Start("hold");
  ASSERT_TRUE(Becomes(kScangate, HealthCheckResponse::SERVING));

  auto stub = v1::Scangate::NewStub(channel_);
  grpc::ClientContext ctx;
  auto stream = stub->Scan(&ctx);
  v1::ScanRequest open;
  open.mutable_open()->set_profile("default");
  ASSERT_TRUE(stream->Write(open));
  cv::Mat white(600, 400, CV_8UC1, cv::Scalar(255));
  std::vector<std::uint8_t> png;
  cv::imencode(".png", white, png);
  v1::ScanRequest page;
  page.mutable_page()->set_content(std::string(png.begin(), png.end()));
  page.mutable_page()->set_file_name("hold-page.png");
  ASSERT_TRUE(stream->Write(page));
  v1::ScanResponse response;
  ASSERT_TRUE(stream->Read(&response));  // opened
  for (int i = 0; i < 500 && server_->service().engine().in_flight() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(server_->service().engine().in_flight(), 1u);

  auto shutdown =
      std::async(std::launch::async, [&] { server_->Shutdown(std::chrono::seconds(10)); });
  // Draining: the stream is still open, its page still in the engine.
  EXPECT_TRUE(Becomes(kScangate, HealthCheckResponse::NOT_SERVING));
  EXPECT_EQ(Check(""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(server_->service().open_streams(), 1u);
  EXPECT_EQ(server_->metrics()->state(), ServingState::kDraining);

  gate_->Release();
  bool got_batch = false;
  while (stream->Read(&response)) got_batch |= response.has_batch();
  EXPECT_TRUE(got_batch);
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  shutdown.get();
}

}  // namespace
}  // namespace scangate
