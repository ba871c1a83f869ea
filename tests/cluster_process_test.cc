// Beyond one server: a real PostgreSQL started by the test on loopback and
// three scangate-server processes sharing it as their ledger. Stations
// stream through gRPC's round_robin over the three addresses; one server is
// killed with SIGKILL mid-stream; its stations open a new stream (which
// round_robin sends to a live server), resume their batch and resend what
// was not acknowledged. Nothing acknowledged is lost, and the archive's
// follower (`scangate follow` over the same list) sees every final verdict,
// exactly once after deduplication by batch id.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "scangate/v1/scangate.grpc.pb.h"
#include "tests/support/http_client.h"
#include "tests/support/postgres.h"
#include "tests/support/process.h"
#include "tests/support/synthetic_page.h"
#include "tests/support/scan_stream_end.h"

namespace scangate {
namespace {

namespace fs = std::filesystem;
using scangate::testing::BackgroundProcess;
using scangate::testing::Built;
using scangate::testing::PostgresServer;
using scangate::testing::ServerProcess;

constexpr int kStations = 6;
constexpr int kBatchesPerStation = 4;
constexpr int kPagesPerBatch = 4;

const std::vector<std::string>& Pages() {
  static std::vector<std::string> pages = [] {
    std::vector<std::string> out;
    for (int i = 0; i < kPagesPerBatch; ++i) {
      synth::PageSpec spec;
      spec.dpi = 150;
      spec.seed = std::uint32_t(300 + i);
      out.push_back(synth::EncodeJpeg(synth::TextPage(spec), 85, 150));
    }
    return out;
  }();
  return pages;
}

// What one station saw: each page verdict the server acknowledged, and the
// final batch verdicts.
struct StationLog {
  std::map<std::string, std::map<std::uint32_t, v1::Decision>> acknowledged;
  std::map<std::string, v1::BatchVerdict> finals;
  int broken_streams = 0;
  std::string failure;
};

class Station {
 public:
  Station(std::shared_ptr<grpc::Channel> channel, int number, std::atomic<int>& pages_acked)
      : stub_(v1::Scangate::NewStub(channel)), number_(number), pages_acked_(pages_acked) {}

  void Run() {
    for (int b = 0; b < kBatchesPerStation && log.failure.empty(); ++b) {
      const std::string id = "station" + std::to_string(number_) + "-batch" + std::to_string(b);
      bool done = false;
      for (int attempt = 0; attempt < 20 && !done; ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
        done = Stream(id, attempt > 0 && !open_afresh_);
      }
      if (!done) log.failure = id + ": no final verdict after 20 streams";
    }
  }

  StationLog log;

 private:
  // One stream for the batch: opened (or resumed), the pages the ledger
  // does not hold sent, closed. True once the final verdict is in.
  bool Stream(const std::string& id, bool resume) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    auto stream = stub_->Scan(&ctx);
    v1::ScanRequest open;
    open.mutable_open()->set_batch_id(id);
    open.mutable_open()->set_station_id("station-" + std::to_string(number_));
    open.mutable_open()->set_resume(resume);
    if (!resume) open.mutable_open()->set_profile("default");
    v1::ScanResponse r;
    if (!stream->Write(open) || !stream->Read(&r) || !r.has_opened())
      return Broken(stream->Finish(), id, resume);
    std::size_t recorded = std::size_t(r.opened().pages_size());
    for (const v1::PageVerdict& p : r.opened().pages()) Acknowledge(id, p);
    for (std::size_t i = recorded; i < Pages().size(); ++i) {
      v1::ScanRequest page;
      page.mutable_page()->set_content(Pages()[i]);
      page.mutable_page()->set_file_name("page-" + std::to_string(i) + ".jpg");
      // A scanner's pace: the kill lands while pages are in flight.
      std::this_thread::sleep_for(std::chrono::milliseconds(120));
      if (!stream->Write(page) || !stream->Read(&r) || !r.has_page())
        return Broken(stream->Finish(), id, resume);
      Acknowledge(id, r.page());
    }
    v1::ScanRequest close;
    close.mutable_close();
    if (!stream->Write(close)) return Broken(stream->Finish(), id, resume);
    stream->WritesDone();
    while (stream->Read(&r))
      if (r.has_batch() && r.batch().final()) log.finals[id] = r.batch();
    grpc::Status status = stream->Finish();
    if (!status.ok() || !log.finals.count(id)) return Broken(status, id, resume);
    return true;
  }

  void Acknowledge(const std::string& id, const v1::PageVerdict& p) {
    if (log.acknowledged[id].emplace(p.page_index(), p.decision()).second) ++pages_acked_;
  }

  // A stream that broke: the server went away (resume), the open never
  // reached the ledger (open afresh), or the batch was closed and its
  // verdict is final but never reached us (ask for it).
  bool Broken(const grpc::Status& status, const std::string& id, bool resumed) {
    ++log.broken_streams;
    if (resumed && status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      grpc::ClientContext ctx;
      v1::GetBatchVerdictRequest req;
      req.set_batch_id(id);
      v1::BatchVerdict v;
      if (stub_->GetBatchVerdict(&ctx, req, &v).ok() && v.final()) {
        log.finals[id] = v;
        return true;
      }
    }
    // Never opened anywhere: the next stream opens it.
    open_afresh_ = resumed && status.error_code() == grpc::StatusCode::NOT_FOUND;
    return false;
  }

  std::unique_ptr<v1::Scangate::Stub> stub_;
  int number_;
  std::atomic<int>& pages_acked_;
  bool open_afresh_ = false;
};

class Cluster : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(postgres_.started()) << postgres_.error();
    ledger_ = postgres_.CreateDatabase("scangate");
    ASSERT_FALSE(ledger_.empty()) << postgres_.error();
    dir_ = fs::temp_directory_path() / ("scangate-cluster-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "feed");
    // One signing key for every server: the first creates it.
    for (int i = 0; i < 3; ++i) {
      servers_.push_back(std::make_unique<ServerProcess>(std::vector<std::string>{
          "--ledger", ledger_, "--data-dir", (dir_ / ("server" + std::to_string(i))).string(),
          "--signing-key", (dir_ / "verdict-signing.key").string(), "--profiles",
          std::string(SCANGATE_SOURCE_DIR) + "/profiles", "--threads", "1", "--metrics-listen",
          "127.0.0.1:0"}));
      ASSERT_TRUE(servers_.back()->started()) << "server " << i;
      list_ += (i ? "," : "") + servers_.back()->address();
    }
  }
  void TearDown() override {
    servers_.clear();
    fs::remove_all(dir_);
  }

  std::shared_ptr<grpc::Channel> RoundRobin() {
    grpc::ChannelArguments args;
    args.SetLoadBalancingPolicyName("round_robin");
    args.SetMaxSendMessageSize(64 << 20);
    return grpc::CreateCustomChannel("ipv4:" + list_, grpc::InsecureChannelCredentials(), args);
  }

  PostgresServer postgres_;
  std::string ledger_;
  fs::path dir_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
  std::string list_;  // IP:PORT,IP:PORT,IP:PORT
};

TEST_F(Cluster, AServerKilledMidStreamLosesNothingAndTheFollowerSeesEveryVerdictOnce) {
  Pages();  // made before the clock matters
  BackgroundProcess follower({Built("clients/scangate"), "follow", "--plaintext", "--server", list_,
                              "--out", (dir_ / "feed").string()},
                             (dir_ / "follow.log").string());
  // The server to kill is the one the follower's stream is on (each
  // server's metrics count the followers attached), so the kill breaks
  // the archive's stream as well as some stations'.
  int victim = -1;
  for (int i = 0; i < 300 && victim < 0; ++i) {
    for (int s = 0; s < 3 && victim < 0; ++s)
      if (testing::HttpGet(servers_[s]->metrics_address(), "/metrics")
              .body.find("\nscangate_open_followers 1") != std::string::npos)
        victim = s;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(victim, 0) << "no server reports the follower attached:\n" << follower.Log();

  std::atomic<int> pages_acked{0};
  std::vector<std::unique_ptr<Station>> stations;
  std::vector<std::thread> threads;
  auto channel = RoundRobin();
  for (int s = 0; s < kStations; ++s) {
    // Half the stations share one channel, half have their own: both ways
    // a counter's software may hold its connection.
    auto ch = s % 2 ? RoundRobin() : channel;
    stations.push_back(std::make_unique<Station>(ch, s, pages_acked));
    threads.emplace_back([st = stations.back().get()] { st->Run(); });
  }
  // Mid-stream: a quarter of the pages acknowledged.
  const int total_pages = kStations * kBatchesPerStation * kPagesPerBatch;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (pages_acked < total_pages / 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(pages_acked.load(), total_pages / 4) << "the stations made no progress";
  // ... and a station's stream open on the victim, so the kill breaks one.
  auto streams_on_victim = [&] {
    const std::string body = testing::HttpGet(servers_[victim]->metrics_address(), "/metrics").body;
    const std::size_t at = body.find("\nscangate_open_streams ");
    return at == std::string::npos ? 0.0 : std::stod(body.substr(at + 23));
  };
  while (streams_on_victim() < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(servers_[victim]->Stop(SIGKILL), 128 + SIGKILL);
  for (std::thread& t : threads) t.join();

  // Every station finished every batch, and at least one had a stream
  // broken by the kill (else the test proved nothing).
  std::set<std::string> batches;
  int broken = 0;
  for (const auto& st : stations) {
    EXPECT_EQ(st->log.failure, "");
    EXPECT_EQ(st->log.finals.size(), std::size_t(kBatchesPerStation));
    broken += st->log.broken_streams;
    for (const auto& [id, v] : st->log.finals) batches.insert(id);
  }
  EXPECT_GE(broken, 1);
  std::cout << "streams broken by the kill and resumed: " << broken << "\n";
  ASSERT_EQ(batches.size(), std::size_t(kStations * kBatchesPerStation));

  // Nothing acknowledged is lost: each live server answers for every batch,
  // with every page the stations were told of, as they were told.
  for (int server = 0; server < 3; ++server) {
    if (server == victim) continue;
    auto stub = v1::Scangate::NewStub(
        grpc::CreateChannel(servers_[server]->address(), grpc::InsecureChannelCredentials()));
    for (const auto& st : stations)
      for (const auto& [id, pages] : st->log.acknowledged) {
        grpc::ClientContext ctx;
        v1::GetBatchVerdictRequest req;
        req.set_batch_id(id);
        v1::BatchVerdict v;
        ASSERT_TRUE(stub->GetBatchVerdict(&ctx, req, &v).ok()) << id << " on server " << server;
        EXPECT_TRUE(v.final()) << id;
        EXPECT_EQ(v.pages_size(), kPagesPerBatch) << id;
        for (const v1::PageVerdict& p : v.pages()) {
          if (pages.count(p.page_index())) {
            EXPECT_EQ(p.decision(), pages.at(p.page_index())) << id << " page " << p.page_index();
          }
        }
        EXPECT_EQ(pages.size(), std::size_t(kPagesPerBatch)) << id;
      }
  }

  // The command-line station takes the same list, the dead address in it.
  fs::create_directories(dir_ / "pages");
  for (std::size_t i = 0; i < Pages().size(); ++i)
    std::ofstream(dir_ / "pages" / ("page-" + std::to_string(i) + ".jpg"), std::ios::binary)
        << Pages()[i];
  auto cli = scangate::testing::Run({Built("clients/scangate"), "scan", "--plaintext", "--server",
                                     list_, "--profile", "default", "--batch-id", "after-the-kill",
                                     (dir_ / "pages").string()});
  EXPECT_TRUE(cli.exit_code == 0 || cli.exit_code == 1) << cli.out;
  batches.insert("after-the-kill");

  // The follower writes one manifest per batch (named by batch id), having
  // followed again through a live server if its stream was on the dead one.
  std::set<std::string> manifests;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < until) {
    manifests.clear();
    for (const auto& e : fs::directory_iterator(dir_ / "feed"))
      if (e.path().extension() == ".json") manifests.insert(e.path().stem().string());
    if (manifests.size() >= batches.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(manifests, batches) << follower.Log();
  follower.Stop(SIGTERM);

  // In the follower's own account: sequences rise with no gap, and after
  // deduplication by batch id every final verdict is there exactly once.
  // (A rejected batch closed again after a lost answer is a second final
  // verdict for the same batch: the feed is at-least-once per batch.)
  const std::string log = follower.Log();
  std::regex line(R"(sequence (\d+): (\S+)\.json)");
  std::uint64_t last = 0;
  std::map<std::string, int> seen;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator();
       ++it) {
    const std::uint64_t seq = std::stoull((*it)[1]);
    // A batch closed again after a lost answer is its next version, in versions/.
    const std::string name = (*it)[2];
    const std::string batch = name.rfind("versions/", 0) == 0
                                  ? name.substr(9, name.rfind(".v") - 9)
                                  : name;
    EXPECT_TRUE(seq == last + 1 || seq == last) << "after " << last << " came " << seq;
    last = seq;
    ++seen[batch];
  }
  std::set<std::string> deduplicated;
  for (const auto& [id, n] : seen) deduplicated.insert(id);
  EXPECT_EQ(deduplicated, batches);
  std::cout << "follower: " << seen.size() << " batches, last sequence " << last << "\n";
  EXPECT_NE(log.find("following again"), std::string::npos)
      << "the follower's stream was not broken by the kill:\n" << log;
}

// The one-shot command-line station over the same list: six `scangate scan`
// processes, one server killed under them. Each carries its batch to a live
// server by itself (resume, send what the ledger lacks): every batch ends
// final with exactly its pages, none twice, with no manual step.
TEST_F(Cluster, TheCommandLineStationCarriesItsBatchToALiveServerWhenItsServerIsKilled) {
  constexpr int kCliPages = 16;
  std::vector<std::string> pages;
  for (int i = 0; i < kCliPages; ++i) {
    synth::PageSpec spec;
    spec.dpi = 300;
    spec.seed = std::uint32_t(500 + i);
    pages.push_back(synth::EncodeJpeg(synth::TextPage(spec), 85, 300));
  }
  fs::create_directories(dir_ / "cli-pages");
  for (int i = 0; i < kCliPages; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "page-%02d.jpg", i);
    std::ofstream(dir_ / "cli-pages" / name, std::ios::binary) << pages[std::size_t(i)];
  }
  std::vector<scangate::testing::CommandResult> results(kStations);
  std::vector<std::thread> threads;
  for (int s = 0; s < kStations; ++s)
    threads.emplace_back([&, s] {
      results[std::size_t(s)] = scangate::testing::Run(
          {Built("clients/scangate"), "scan", "--plaintext", "--server", list_, "--profile",
           "default", "--batch-id", "cli-" + std::to_string(s), "--station",
           "cli-station-" + std::to_string(s), (dir_ / "cli-pages").string()},
          240);
    });
  // Kill a server while stations stream to it: one holding two streams
  // that have pages judged, or after 20 s one holding any.
  int victim = -1;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(60);
  while (victim < 0 && std::chrono::steady_clock::now() < deadline) {
    const double wanted = std::chrono::steady_clock::now() - start < std::chrono::seconds(20) ? 2 : 1;
    for (int s = 0; s < 3 && victim < 0; ++s) {
      const std::string body = testing::HttpGet(servers_[s]->metrics_address(), "/metrics").body;
      const std::size_t at = body.find("\nscangate_pages_total");
      const std::size_t open = body.find("\nscangate_open_streams ");
      if (at != std::string::npos && open != std::string::npos &&
          std::stod(body.substr(open + 23)) >= wanted)
        victim = s;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(victim, 0) << "no server had a station's stream open";
  EXPECT_EQ(servers_[victim]->Stop(SIGKILL), 128 + SIGKILL);
  for (std::thread& t : threads) t.join();

  int carried = 0;
  const int live = victim == 0 ? 1 : 0;
  auto stub = v1::Scangate::NewStub(
      grpc::CreateChannel(servers_[live]->address(), grpc::InsecureChannelCredentials()));
  for (int s = 0; s < kStations; ++s) {
    const auto& run = results[std::size_t(s)];
    EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 1) << "station " << s << ":\n" << run.out;
    carried += run.out.find("on another server") != std::string::npos;
    grpc::ClientContext ctx;
    v1::GetBatchVerdictRequest req;
    req.set_batch_id("cli-" + std::to_string(s));
    v1::BatchVerdict v;
    ASSERT_TRUE(stub->GetBatchVerdict(&ctx, req, &v).ok()) << s;
    EXPECT_TRUE(v.final()) << s;
    std::set<std::string> shas;
    for (const v1::PageVerdict& p : v.pages()) {
      shas.insert(p.sha256());
      for (const v1::Reason& r : p.reasons()) EXPECT_NE(r.code(), v1::DUPLICATE_PAGE) << s;
    }
    EXPECT_EQ(v.pages_size(), kCliPages) << "station " << s << " holds every page once";
    EXPECT_EQ(shas.size(), std::size_t(kCliPages)) << s;
  }
  EXPECT_GE(carried, 1) << "the kill broke no station's stream: the test proved nothing";
  std::cout << "stations carried to a live server: " << carried << "\n";
}

// A server whose PostgreSQL goes away can record nothing: its health says
// NOT_SERVING (readiness fails, load balancers and stations go elsewhere)
// until the database is back, then SERVING again, without a restart.
// One batch, one stream, across servers: a station that lost its server's
// answer resumes on another server while its first stream is still open on
// the first. The resume claims the batch in the shared ledger; the first
// stream's later page and close are refused there (ABORTED) and never
// recorded, and the batch ends with exactly the pages of the stream that
// holds it.
TEST_F(Cluster, AResumeOnAnotherServerTakesTheBatchFromAStreamStillOpenOnTheFirst) {
  auto channel = [&](int i) {
    return grpc::CreateChannel(servers_[std::size_t(i)]->address(),
                               grpc::InsecureChannelCredentials());
  };
  auto first_stub = v1::Scangate::NewStub(channel(0));
  auto second_stub = v1::Scangate::NewStub(channel(1));
  auto page = [](std::size_t i, const std::string& name) {
    v1::ScanRequest request;
    request.mutable_page()->set_content(Pages()[i]);
    request.mutable_page()->set_file_name(name);
    return request;
  };
  v1::ScanRequest open;
  open.mutable_open()->set_batch_id("held-across");
  open.mutable_open()->set_station_id("station-9");
  open.mutable_open()->set_profile("default");
  v1::ScanRequest close;
  close.mutable_close();

  grpc::ClientContext first_context;
  auto first = first_stub->Scan(&first_context);
  v1::ScanResponse r;
  ASSERT_TRUE(first->Write(open));
  ASSERT_TRUE(first->Read(&r) && r.has_opened());
  ASSERT_TRUE(first->Write(page(0, "first.jpg")));
  ASSERT_TRUE(first->Read(&r) && r.has_page());

  grpc::ClientContext second_context;
  auto second = second_stub->Scan(&second_context);
  v1::ScanRequest resume = open;
  resume.mutable_open()->set_resume(true);
  resume.mutable_open()->clear_profile();
  ASSERT_TRUE(second->Write(resume));
  ASSERT_TRUE(second->Read(&r) && r.has_opened()) << second->Finish().error_message();
  EXPECT_EQ(r.opened().pages_size(), 1);

  // The first server's stream does not know: its page and close are refused.
  first->Write(page(1, "late.jpg"));
  first->Write(close);
  first->WritesDone();
  while (first->Read(&r)) {
    EXPECT_FALSE(r.has_batch()) << "the superseded stream closed the batch: " << r.DebugString();
    if (r.has_page()) ADD_FAILURE() << "the superseded stream's page was recorded";
  }
  const grpc::Status refused = first->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::ABORTED) << refused.error_message();
  EXPECT_NE(refused.error_message().find("taken over"), std::string::npos)
      << refused.error_message();

  ASSERT_TRUE(second->Write(page(2, "second.jpg")));
  ASSERT_TRUE(second->Write(close));
  const testing::StreamEnd end = testing::FinishStream(*second);
  ASSERT_TRUE(end.status.ok()) << end.status.error_message();
  ASSERT_TRUE(end.batch);
  const v1::BatchVerdict& batch = *end.batch;
  EXPECT_TRUE(batch.final());
  EXPECT_EQ(batch.version(), 1u);
  ASSERT_EQ(batch.pages_size(), 2);
  EXPECT_EQ(batch.pages(0).source(), "first.jpg");
  EXPECT_EQ(batch.pages(1).source(), "second.jpg");

  // Either server reads the same, single verdict from the shared ledger.
  grpc::ClientContext lookup;
  v1::GetBatchVerdictRequest request;
  request.set_batch_id("held-across");
  v1::BatchVerdict stored;
  ASSERT_TRUE(first_stub->GetBatchVerdict(&lookup, request, &stored).ok());
  EXPECT_EQ(stored.sequence(), batch.sequence());
  EXPECT_EQ(stored.version(), 1u);
  ASSERT_EQ(stored.pages_size(), 2);
  EXPECT_EQ(stored.pages(1).source(), "second.jpg");
}

TEST(ClusterHealth, AServerReportsNotServingWhileItsLedgerIsAway) {
  PostgresServer postgres;
  ASSERT_TRUE(postgres.started()) << postgres.error();
  const std::string ledger = postgres.CreateDatabase("scangate");
  ASSERT_FALSE(ledger.empty()) << postgres.error();
  const fs::path dir = fs::temp_directory_path() / ("scangate-health-" + std::to_string(::getpid()));
  ServerProcess server({"--ledger", ledger, "--data-dir", dir.string(), "--metrics-listen",
                        "127.0.0.1:0"});
  ASSERT_TRUE(server.started());
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
  auto status = [&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    if (!health->Check(&ctx, request, &response).ok()) return -1;
    return int(response.status());
  };
  auto becomes = [&](int want) {
    for (int i = 0; i < 300; ++i) {
      if (status() == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  const int serving = grpc::health::v1::HealthCheckResponse::SERVING;
  const int not_serving = grpc::health::v1::HealthCheckResponse::NOT_SERVING;
  ASSERT_TRUE(becomes(serving));
  postgres.Stop();
  EXPECT_TRUE(becomes(not_serving)) << "still " << status() << " with the database away";
  EXPECT_NE(testing::HttpGet(server.metrics_address(), "/dashboard/data").body.find("ledger unreachable"),
            std::string::npos);
  ASSERT_TRUE(postgres.Restart()) << postgres.error();
  EXPECT_TRUE(becomes(serving)) << "still " << status() << " with the database back";
  server.Stop(SIGTERM);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace scangate
