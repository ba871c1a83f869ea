// Trust (issue 9) through real processes: scangate-server in a temporary
// folder, run as a site runs it. Signed verdicts from the station to the
// archive's manifest and `scangate verify`; admission control refusing a
// stream too many; no page image ever written to disk; SIGTERM while
// stations stream.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "scangate/v1/scangate.grpc.pb.h"
#include "tests/support/barcode_print.h"
#include "tests/support/hostile_files.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/synthetic_page.h"
#include "tests/support/scan_stream_end.h"

namespace scangate {
namespace {

namespace fs = std::filesystem;
using scangate::testing::Built;
using scangate::testing::ServerProcess;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A few pages in each format stations send, made once.
struct Pages {
  std::vector<std::pair<std::string, std::string>> files;  // name, bytes
};
const Pages& MixedPages() {
  static Pages pages = [] {
    Pages p;
    for (int i = 0; i < 2; ++i) {
      synth::PageSpec spec;
      spec.dpi = 200;
      spec.seed = std::uint32_t(300 + i);
      cv::Mat page = synth::TextPage(spec);
      p.files.emplace_back("p" + std::to_string(i) + ".jpg", synth::EncodeJpeg(page, 85, 200));
      p.files.emplace_back("p" + std::to_string(i) + ".png", synth::EncodePng(page, 200));
      p.files.emplace_back("p" + std::to_string(i) + ".tif",
                           synth::EncodeTiffG4(synth::ToBilevel(page), 200));
    }
    return p;
  }();
  return pages;
}

const std::string& TextJpeg() {
  static std::string bytes = [] {
    synth::PageSpec spec;
    spec.dpi = 200;
    spec.seed = 77;
    return synth::EncodeJpeg(synth::TextPage(spec), 85, 200);
  }();
  return bytes;
}

class TrustProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("scangate-trust-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }
  void StartServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--data-dir", (dir_ / "data").string(), "--profiles",
                                  std::string(SCANGATE_SOURCE_DIR) + "/profiles"};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<ServerProcess>(args);
    ASSERT_TRUE(server_->started());
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::Scangate::NewStub(channel_);
  }

  static v1::ScanRequest Open(const std::string& id, const std::string& profile = "default") {
    v1::ScanRequest r;
    r.mutable_open()->set_batch_id(id);
    r.mutable_open()->set_profile(profile);
    r.mutable_open()->set_station_id("counter-3");
    return r;
  }
  static v1::ScanRequest Page(const std::string& bytes, const std::string& name) {
    v1::ScanRequest r;
    r.mutable_page()->set_content(bytes);
    r.mutable_page()->set_file_name(name);
    return r;
  }
  static v1::ScanRequest Close() {
    v1::ScanRequest r;
    r.mutable_close();
    return r;
  }

  struct Outcome {
    grpc::Status status;
    int pages = 0;
    std::optional<v1::BatchVerdict> batch;
  };
  Outcome ScanBatch(const std::string& id, const std::vector<v1::ScanRequest>& pages,
                    const std::string& profile = "default") {
    grpc::ClientContext ctx;
    auto stream = stub_->Scan(&ctx);
    stream->Write(Open(id, profile));
    for (const auto& p : pages) stream->Write(p);
    stream->Write(Close());
    stream->WritesDone();
    Outcome out;
    v1::ScanResponse r;
    while (stream->Read(&r)) {
      out.pages += r.has_page();
      if (r.has_batch()) out.batch = r.batch();
    }
    out.status = stream->Finish();
    return out;
  }

  fs::path dir_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Scangate::Stub> stub_;
};

// --- signed verdicts --------------------------------------------------------

TEST_F(TrustProcesses, AFinalVerdictIsSignedFollowedIntoAManifestAndVerified) {
  StartServer();
  const fs::path pub = dir_ / "data" / "verdict-signing.key.pub";
  ASSERT_TRUE(fs::exists(dir_ / "data" / "verdict-signing.key"));
  ASSERT_TRUE(fs::exists(pub));
  EXPECT_EQ(fs::status(dir_ / "data" / "verdict-signing.key").permissions() & fs::perms::others_all,
            fs::perms::none);

  std::vector<v1::ScanRequest> pages;
  for (int i = 0; i < 3; ++i) pages.push_back(Page(TextJpeg(), "page-" + std::to_string(i) + ".jpg"));
  Outcome scanned = ScanBatch("signed-1", pages);
  ASSERT_TRUE(scanned.status.ok()) << scanned.status.error_message();
  ASSERT_TRUE(scanned.batch);
  EXPECT_TRUE(scanned.batch->final());
  EXPECT_EQ(scanned.batch->signature().size(), 64u);  // Ed25519
  const std::string key_id = scanned.batch->signing_key_id();
  EXPECT_EQ(key_id.size(), 16u);

  // The ledger's copy carries the same signature.
  grpc::ClientContext ctx;
  v1::GetBatchVerdictRequest req;
  req.set_batch_id("signed-1");
  v1::BatchVerdict stored;
  ASSERT_TRUE(stub_->GetBatchVerdict(&ctx, req, &stored).ok());
  EXPECT_EQ(stored.signature(), scanned.batch->signature());
  EXPECT_EQ(stored.signing_key_id(), key_id);
  auto json = scangate::testing::Run({Built("clients/scangate"), "verdict", "--plaintext", "--server", server_->address(), "--json",
                   "signed-1"});
  EXPECT_NE(json.out.find("\"signing_key_id\":\"" + key_id + "\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"signature\":\""), std::string::npos) << json.out;

  // The archive's follower writes the manifest; it verifies with the key.
  const fs::path out = dir_ / "archive";
  auto followed = scangate::testing::Run({Built("clients/scangate"), "follow", "--plaintext", "--server", server_->address(), "--out",
                       out.string(), "--until-idle", "2"});
  ASSERT_EQ(followed.exit_code, 0) << followed.out;
  const fs::path manifest = out / "signed-1.json";
  ASSERT_TRUE(fs::exists(manifest)) << followed.out;
  auto verified = scangate::testing::Run({Built("clients/scangate"), "verify", manifest.string(), "--public-key",
                       pub.string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_NE(verified.out.find("verified"), std::string::npos) << verified.out;

  // Tampered manifests: one page's hash, one page's decision, the batch's
  // decision. Each fails with a message saying so.
  v1::BatchVerdict original;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(Slurp(manifest), &original).ok());
  ASSERT_EQ(original.pages_size(), 3);
  auto tampered = [&](const std::string& name, auto change) {
    v1::BatchVerdict v = original;
    change(v);
    std::string text;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(v, &text).ok());
    fs::path path = out / (name + ".json");
    std::ofstream(path) << text;
    return scangate::testing::Run({Built("clients/scangate"), "verify", path.string(), "--public-key", pub.string()});
  };
  auto hash = tampered("hash", [](v1::BatchVerdict& v) {
    std::string sha = v.pages(1).sha256();
    sha[0] = sha[0] == '0' ? '1' : '0';
    v.mutable_pages(1)->set_sha256(sha);
  });
  EXPECT_EQ(hash.exit_code, 1) << hash.out;
  EXPECT_NE(hash.out.find("NOT VERIFIED: the signature does not match"), std::string::npos)
      << hash.out;
  auto decision = tampered("decision", [](v1::BatchVerdict& v) {
    auto* p = v.mutable_pages(2);
    p->set_decision(p->decision() == v1::ACCEPT ? v1::REJECT : v1::ACCEPT);
  });
  EXPECT_EQ(decision.exit_code, 1) << decision.out;
  EXPECT_NE(decision.out.find("NOT VERIFIED"), std::string::npos) << decision.out;
  auto batch = tampered("batch", [](v1::BatchVerdict& v) {
    v.set_decision(v.decision() == v1::ACCEPT ? v1::REJECT : v1::ACCEPT);
  });
  EXPECT_EQ(batch.exit_code, 1) << batch.out;

  // The key survives a restart: later verdicts verify with the same file.
  server_->Stop(SIGTERM);
  StartServer();
  Outcome again = ScanBatch("signed-2", {Page(TextJpeg(), "again.jpg")});
  ASSERT_TRUE(again.batch);
  EXPECT_EQ(again.batch->signing_key_id(), key_id);
}

TEST_F(TrustProcesses, TheSigningKeyFlagPutsTheKeyElsewhere) {
  const fs::path key = dir_ / "keys" / "site.key";
  fs::create_directories(key.parent_path());
  StartServer({"--signing-key", key.string()});
  EXPECT_TRUE(fs::exists(key));
  EXPECT_TRUE(fs::exists(key.string() + ".pub"));
  EXPECT_FALSE(fs::exists(dir_ / "data" / "verdict-signing.key"));
  Outcome scanned = ScanBatch("elsewhere", {Page(TextJpeg(), "a.jpg")});
  ASSERT_TRUE(scanned.batch);
  EXPECT_FALSE(scanned.batch->signature().empty());
  // A verdict signed by this key does not verify against another key.
  const fs::path out = dir_ / "archive";
  ASSERT_EQ(scangate::testing::Run({Built("clients/scangate"), "follow", "--plaintext", "--server", server_->address(), "--out",
                 out.string(), "--until-idle", "2"}).exit_code, 0);
  auto ok = scangate::testing::Run({Built("clients/scangate"), "verify", (out / "elsewhere.json").string(),
                 "--public-key", key.string() + ".pub"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  server_->Stop(SIGTERM);
  StartServer();  // now with DATA_DIR/verdict-signing.key, a different key
  auto wrong = scangate::testing::Run({Built("clients/scangate"), "verify", (out / "elsewhere.json").string(),
                    "--public-key", (dir_ / "data" / "verdict-signing.key.pub").string()});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out;
  EXPECT_NE(wrong.out.find("not by this key"), std::string::npos) << wrong.out;
}

// --- names are data ---------------------------------------------------------

TEST_F(TrustProcesses, NamesOverTheirBoundsAreRefusedNamingTheLimit) {
  StartServer();
  // A batch id of 300 characters: refused before the ledger sees it.
  Outcome long_id = ScanBatch(std::string(300, 'x'), {Page(TextJpeg(), "a.jpg")});
  EXPECT_EQ(long_id.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(long_id.status.error_message(), "open.batch_id: 300 bytes, over the limit of 128 bytes");
  EXPECT_FALSE(long_id.batch);

  // A page's file name past 255 bytes ends the call, naming the limit; the
  // batch is not decided, so nothing final carries the name.
  Outcome long_name = ScanBatch("long-file-name", {Page(TextJpeg(), std::string(300, 'n') + ".jpg")});
  EXPECT_EQ(long_name.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(long_name.status.error_message(),
            "page.file_name: 304 bytes, over the limit of 255 bytes");
  EXPECT_FALSE(long_name.batch);
  {
    grpc::ClientContext ctx;
    v1::GetBatchVerdictRequest req;
    req.set_batch_id("long-file-name");
    v1::BatchVerdict stored;
    ASSERT_TRUE(stub_->GetBatchVerdict(&ctx, req, &stored).ok());
    EXPECT_FALSE(stored.final());
    EXPECT_EQ(stored.pages_size(), 0);
  }
  // A station id with a newline: it would forge lines in every log.
  v1::ScanRequest open = Open("newline-station");
  open.mutable_open()->set_station_id("counter-3\nforged");
  grpc::ClientContext ctx;
  auto stream = stub_->Scan(&ctx);
  stream->Write(open);
  stream->WritesDone();
  for (v1::ScanResponse r; stream->Read(&r);) {
  }
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("open.station_id: a control"), std::string::npos)
      << status.error_message();

  // The same bounds for a one-shot check.
  {
    grpc::ClientContext check_ctx;
    v1::CheckPageRequest check;
    check.mutable_page()->set_content(TextJpeg());
    check.mutable_page()->set_file_name(std::string(256, 'n'));
    v1::CheckPageResponse response;
    status = stub_->CheckPage(&check_ctx, check, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(status.error_message(), "page.file_name: 256 bytes, over the limit of 255 bytes");
  }
}

TEST_F(TrustProcesses, AnEmptyTransactionIdFindsNoBatch) {
  StartServer();
  // Batches without a summary sheet have no transaction: an empty key would
  // match any of them.
  ASSERT_TRUE(ScanBatch("no-transaction", {Page(TextJpeg(), "a.jpg")}).batch);
  grpc::ClientContext ctx;
  v1::GetBatchVerdictRequest req;
  req.set_transaction_id("");
  v1::BatchVerdict verdict;
  grpc::Status status = stub_->GetBatchVerdict(&ctx, req, &verdict);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << verdict.batch_id();
  EXPECT_NE(status.error_message().find("transaction_id: must not be empty"), std::string::npos)
      << status.error_message();
  grpc::ClientContext empty_ctx;
  v1::GetBatchVerdictRequest by_empty_id;
  by_empty_id.set_batch_id("");
  EXPECT_EQ(stub_->GetBatchVerdict(&empty_ctx, by_empty_id, &verdict).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(TrustProcesses, EveryBatchIdGetsAManifestOfItsOwnAndTheFollowerKeepsGoing) {
  StartServer();
  const fs::path out = dir_ / "archive" / "feed";
  // Ids a station may give that are not file names: each its own manifest,
  // inside the folder; the longest valid ids too.
  const std::vector<std::string> ids = {"a/b", "a_b", "a?b", "../../escape", "/abs-escape",
                                        std::string(128, '?'), std::string(128, 'l')};
  for (const std::string& id : ids) {
    Outcome scanned = ScanBatch(id, {Page(TextJpeg(), "a.jpg")});
    ASSERT_TRUE(scanned.batch) << id << ": " << scanned.status.error_message();
  }
  auto follow = [&] {
    return scangate::testing::Run({Built("clients/scangate"), "follow", "--plaintext", "--server",
                                   server_->address(), "--out", out.string(), "--until-idle", "2"});
  };
  auto first = follow();
  ASSERT_EQ(first.exit_code, 0) << first.out;
  EXPECT_NE(first.out.find("7 manifests written"), std::string::npos) << first.out;
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(out)) names.insert(e.path().filename().string());
  EXPECT_EQ(names.count("a%2Fb.json"), 1u);
  EXPECT_EQ(names.count("a_b.json"), 1u);
  EXPECT_EQ(names.count("a%3Fb.json"), 1u);
  EXPECT_EQ(names.count("%2E.%2F..%2Fescape.json"), 1u);
  EXPECT_EQ(names.count("%2Fabs-escape.json"), 1u);
  EXPECT_EQ(names.size(), ids.size() + 1) << first.out;  // and the cursor
  for (const std::string& name : names) EXPECT_LE(name.size(), 255u);
  EXPECT_FALSE(fs::exists(dir_ / "escape.json"));
  EXPECT_FALSE(fs::exists(dir_ / "archive" / "escape.json"));
  EXPECT_FALSE(fs::exists("/abs-escape.json"));
  // Each manifest holds its own batch.
  for (const char* name : {"a%2Fb.json", "a_b.json", "a%3Fb.json"}) {
    v1::BatchVerdict manifest;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(Slurp(out / name), &manifest).ok());
    EXPECT_EQ(std::string(name), manifest.batch_id() == "a/b"   ? "a%2Fb.json"
                                 : manifest.batch_id() == "a_b" ? "a_b.json"
                                                                : "a%3Fb.json");
  }

  // Restarted, it goes on from its cursor.
  ASSERT_TRUE(ScanBatch("after-restart", {Page(TextJpeg(), "a.jpg")}).batch);
  auto second = follow();
  EXPECT_EQ(second.exit_code, 0) << second.out;
  EXPECT_NE(second.out.find("1 manifests written"), std::string::npos) << second.out;
  EXPECT_TRUE(fs::exists(out / "after-restart.json"));
}

// --- admission control ------------------------------------------------------

TEST_F(TrustProcesses, ANewStreamBeyondTheStreamLimitIsRefusedAndAdmittedOnesFinish) {
  StartServer({"--max-streams", "1", "--max-queued-pages", "0"});
  grpc::ClientContext admitted_ctx;
  auto admitted = stub_->Scan(&admitted_ctx);
  ASSERT_TRUE(admitted->Write(Open("admitted")));
  v1::ScanResponse r;
  ASSERT_TRUE(admitted->Read(&r));  // opened: the stream holds the one slot
  ASSERT_TRUE(r.has_opened());

  // The extra stream is refused at once, before anything it sends is read.
  {
    grpc::ClientContext ctx;
    auto extra = stub_->Scan(&ctx);
    extra->Write(Open("refused"));
    extra->Write(Page(TextJpeg(), "x.jpg"));
    extra->WritesDone();
    int responses = 0;
    while (extra->Read(&r)) ++responses;
    grpc::Status status = extra->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(status.error_message().find("1 scan streams sending pages (limit 1)"), std::string::npos)
        << status.error_message();
    EXPECT_EQ(responses, 0);
  }

  // The admitted stream goes on: every page gets its verdict, then the batch.
  const int kPages = 5;
  for (int i = 0; i < kPages; ++i) ASSERT_TRUE(admitted->Write(Page(TextJpeg(), "a.jpg")));
  admitted->Write(Close());
  admitted->WritesDone();
  int pages = 0;
  bool got_batch = false;
  while (admitted->Read(&r)) {
    pages += r.has_page();
    got_batch |= r.has_batch();
  }
  EXPECT_TRUE(admitted->Finish().ok());
  EXPECT_EQ(pages, kPages);
  EXPECT_TRUE(got_batch);

  // The refused batch was never opened.
  {
    grpc::ClientContext ctx;
    v1::GetBatchVerdictRequest req;
    req.set_batch_id("refused");
    v1::BatchVerdict v;
    EXPECT_EQ(stub_->GetBatchVerdict(&ctx, req, &v).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  // The slot is free again once the admitted stream is done (its end is
  // seen by the server a moment after the station's).
  Outcome later;
  for (int attempt = 0; attempt < 100; ++attempt) {
    later = ScanBatch("later-" + std::to_string(attempt), {Page(TextJpeg(), "l.jpg")});
    if (later.status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(later.status.ok()) << later.status.error_message();
  EXPECT_EQ(later.pages, 1);
  EXPECT_TRUE(later.batch);
}

TEST_F(TrustProcesses, AStationHoldingItsBatchOpenIdleDoesNotTakeASlot) {
  StartServer({"--max-streams", "1", "--busy-seconds", "1", "--max-queued-pages", "0"});
  grpc::ClientContext idle_ctx;
  auto idle = stub_->Scan(&idle_ctx);
  ASSERT_TRUE(idle->Write(Open("idle-counter")));
  v1::ScanResponse r;
  ASSERT_TRUE(idle->Read(&r));
  ASSERT_TRUE(r.has_opened());
  ASSERT_TRUE(idle->Write(Page(TextJpeg(), "first.jpg")));
  ASSERT_TRUE(idle->Read(&r));  // its verdict: then the clerk sorts papers
  ASSERT_TRUE(r.has_page());

  // While it is busy a second station is refused...
  Outcome busy = ScanBatch("while-busy", {Page(TextJpeg(), "b.jpg")});
  EXPECT_EQ(busy.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // ...once it has sent nothing for the busy window (1 s), another is
  // served: the station retries as a refused one does, until it is.
  const auto refused_at = std::chrono::steady_clock::now();
  Outcome other;
  for (int attempt = 0; attempt < 100; ++attempt) {
    other = ScanBatch("other-counter-" + std::to_string(attempt), {Page(TextJpeg(), "o.jpg")});
    if (other.status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(other.status.ok()) << other.status.error_message();
  EXPECT_EQ(other.pages, 1);
  // Not before the window had passed since the idle station's last page.
  EXPECT_GE(std::chrono::steady_clock::now() - refused_at, std::chrono::milliseconds(500));

  // The idle batch goes on where it was.
  ASSERT_TRUE(idle->Write(Page(TextJpeg(), "second.jpg")));
  idle->Write(Close());
  idle->WritesDone();
  int pages = 0;
  bool got_batch = false;
  while (idle->Read(&r)) {
    pages += r.has_page();
    got_batch |= r.has_batch();
  }
  EXPECT_TRUE(idle->Finish().ok());
  EXPECT_EQ(pages, 1);
  EXPECT_TRUE(got_batch);
}

// --- fair admission and the memory budget -----------------------------------

// A stream that opened a batch and holds it: what an attacker holds twenty of.
struct HeldStream {
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ScanRequest, v1::ScanResponse>> stream;
  grpc::Status status;  // set when the server refused or ended it
  bool opened = false;
};

std::unique_ptr<HeldStream> Hold(v1::Scangate::Stub& stub, const v1::ScanRequest& open) {
  auto held = std::make_unique<HeldStream>();
  held->stream = stub.Scan(&held->ctx);
  held->stream->Write(open);
  v1::ScanResponse r;
  held->opened = held->stream->Read(&r) && r.has_opened();
  if (!held->opened) held->status = held->stream->Finish();
  return held;
}

// Its own connection: what another counter's machine has.
std::unique_ptr<v1::Scangate::Stub> OtherStation(const std::string& address, int n) {
  grpc::ChannelArguments args;
  args.SetInt("scangate.test_station", n);
  return v1::Scangate::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
}

TEST_F(TrustProcesses, OneStationHoldingTwentyStreamsLocksOutNoOtherCounter) {
  StartServer({"--max-streams", "20", "--max-streams-per-client", "8"});
  std::vector<std::unique_ptr<HeldStream>> held;
  int opened = 0, refused = 0;
  for (int i = 0; i < 20; ++i) {
    held.push_back(Hold(*stub_, Open("hog-" + std::to_string(i))));
    opened += held.back()->opened;
    if (!held.back()->opened) {
      ++refused;
      EXPECT_EQ(held.back()->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
      EXPECT_NE(held.back()->status.error_message().find("(limit 8 a client)"), std::string::npos)
          << held.back()->status.error_message();
    }
  }
  EXPECT_EQ(opened, 8);
  EXPECT_EQ(refused, 12);
  // Another counter is served at once, a whole batch.
  auto other = OtherStation(server_->address(), 1);
  grpc::ClientContext ctx;
  auto stream = other->Scan(&ctx);
  stream->Write(Open("other-counter"));
  stream->Write(Page(TextJpeg(), "o.jpg"));
  stream->Write(Close());
  stream->WritesDone();
  v1::ScanResponse r;
  bool got_batch = false;
  while (stream->Read(&r)) got_batch |= r.has_batch();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_TRUE(got_batch);
  for (auto& h : held)
    if (h->opened) h->ctx.TryCancel();
}

TEST_F(TrustProcesses, AStreamThatSendsNothingIsEndedAndItsBatchIsResumed) {
  StartServer({"--scan-idle-seconds", "1"});
  auto idle = Hold(*stub_, Open("sends-nothing"));
  ASSERT_TRUE(idle->opened);
  // The server ends it by itself: the read returns once it has.
  v1::ScanResponse r;
  while (idle->stream->Read(&r)) {
  }
  grpc::Status status = idle->stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_NE(status.error_message().find("can be resumed"), std::string::npos)
      << status.error_message();
  // The station resumes it and finishes the batch.
  v1::ScanRequest resume = Open("sends-nothing");
  resume.mutable_open()->set_resume(true);
  grpc::ClientContext ctx;
  auto stream = stub_->Scan(&ctx);
  stream->Write(resume);
  stream->Write(Page(TextJpeg(), "late.jpg"));
  stream->Write(Close());
  const testing::StreamEnd end = testing::FinishStream(*stream);
  EXPECT_TRUE(end.status.ok()) << end.status.error_message();
  const std::optional<v1::BatchVerdict>& batch = end.batch;
  ASSERT_TRUE(batch);
  EXPECT_TRUE(batch->final());
  EXPECT_EQ(batch->pages_size(), 1);
}

TEST_F(TrustProcesses, APageBeyondTheMemoryBudgetIsRefusedBeforeItIsDecoded) {
  StartServer({"--memory-budget-mib", "32"});
  // 24 Mpx of white paper: a few kB of PNG, about 72 MB to judge.
  const std::string large = synth::EncodePng(cv::Mat(4000, 6000, CV_8UC1, cv::Scalar(255)), 400);
  ASSERT_LT(large.size(), std::size_t(1 << 20));
  Outcome scanned = ScanBatch("too-large", {Page(large, "large.png")});
  EXPECT_EQ(scanned.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(scanned.status.error_message().find("memory budget of 32 MiB"), std::string::npos)
      << scanned.status.error_message();
  grpc::ClientContext ctx;
  v1::CheckPageRequest check;
  check.set_profile("default");
  check.mutable_page()->set_content(large);
  v1::CheckPageResponse response;
  EXPECT_EQ(stub_->CheckPage(&ctx, check, &response).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  // An ordinary page fits and is judged.
  Outcome ordinary = ScanBatch("ordinary", {Page(TextJpeg(), "a.jpg")});
  EXPECT_TRUE(ordinary.status.ok()) << ordinary.status.error_message();
  EXPECT_EQ(ordinary.pages, 1);
}

// The server's high-water mark of resident memory, from /proc.
long PeakRssMib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  return -1;
}

// A connection to IP:PORT that sends half a request line and waits.
int HalfOpenHttp(const std::string& address) {
  const auto colon = address.rfind(':');
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(std::uint16_t(std::stoi(address.substr(colon + 1))));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &to.sin_addr);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) {
    const char partial[] = "GET /metr";
    (void)!::write(fd, partial, sizeof partial - 1);
  }
  return fd;
}

// Every attack this file pins down, at once, against one server with its
// default limits: it stays alive, answers an honest station and the metrics
// port meanwhile, and its resident memory never reaches 1 GiB (the
// Kubernetes Deployment's limit).
TEST_F(TrustProcesses, EveryAttackAtOnceLeavesTheServerAnsweringUnderOneGibibyte) {
  fs::copy(std::string(SCANGATE_SOURCE_DIR) + "/profiles", dir_ / "profiles",
           fs::copy_options::recursive);
  std::ofstream(dir_ / "profiles" / "hostile-pattern.textproto")
      << "name: \"hostile-pattern\"\nbarcode { payload_pattern: \"(7|8)*\" }\n";
  StartServer({"--profiles", (dir_ / "profiles").string(), "--metrics-listen", "127.0.0.1:0"});
  const pid_t pid = server_->pid();

  std::vector<int> half_open;
  for (int i = 0; i < 6; ++i) half_open.push_back(HalfOpenHttp(server_->metrics_address()));

  const std::string rgba16 = synth::UniformPng(10000, 8000, 16, 6);    // 80 Mpx, 640 KB
  const std::string strip = synth::UniformPng(100000, 1);              // 177 bytes
  const std::string g4 = synth::BlankG4Tiff(10000, 8000, 64);          // 64 x 80 Mpx
  const std::string black = synth::EncodePng(cv::Mat(2339, 1654, CV_8UC1, cv::Scalar(0)), 200);
  cv::Mat qr_page = synth::TextPage({});
  synth::PrintQrCode(qr_page, std::string(7089, '7'), {60, 60}, 3);
  const std::string qr = synth::EncodePng(qr_page, 200);
  const std::string near_limit(120u << 20, 'x');  // 120 MiB that is no image

  std::atomic<int> internal_errors{0}, calls{0};
  auto check = [&](const std::string& bytes, const std::string& profile) {
    auto stub = OtherStation(server_->address(), 100 + calls++);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    v1::CheckPageRequest request;
    request.set_profile(profile);
    request.mutable_page()->set_content(bytes);
    v1::CheckPageResponse response;
    grpc::Status status = stub->CheckPage(&ctx, request, &response);
    internal_errors += status.error_code() == grpc::StatusCode::INTERNAL ||
                       status.error_code() == grpc::StatusCode::UNAVAILABLE;
    return response;
  };
  std::vector<std::thread> attacks;
  for (int i = 0; i < 4; ++i) attacks.emplace_back([&] { check(rgba16, "default"); });
  // One upload near the message limit. Four at once still take about 870 MiB
  // by themselves: gRPC holds each message twice while it arrives, before
  // the memory budget can see it (an open point of the budget).
  for (int i = 0; i < 1; ++i)
    attacks.emplace_back([&, i] {
      auto stub = OtherStation(server_->address(), 200 + i);
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
      auto stream = stub->Scan(&ctx);
      stream->Write(Open("near-limit-" + std::to_string(i)));
      stream->Write(Page(near_limit, "huge.bmp"));
      stream->Write(Close());
      stream->WritesDone();
      v1::ScanResponse r;
      while (stream->Read(&r)) {
      }
      internal_errors += stream->Finish().error_code() == grpc::StatusCode::INTERNAL;
    });
  attacks.emplace_back([&] { check(strip, "default"); });
  attacks.emplace_back([&] { check(g4, "default"); });
  std::atomic<bool> dark_rejected{false}, qr_judged{false};
  attacks.emplace_back([&] {
    auto pages = check(black, "default").pages();
    for (const auto& p : pages)
      for (const auto& r : p.reasons()) dark_rejected = dark_rejected || r.code() == v1::PAGE_TOO_DARK;
  });
  attacks.emplace_back([&] { qr_judged = check(qr, "hostile-pattern").pages_size() == 1; });
  std::vector<std::unique_ptr<HeldStream>> hog;
  attacks.emplace_back([&] {
    for (int i = 0; i < 20; ++i) hog.push_back(Hold(*stub_, Open("hog-" + std::to_string(i))));
  });
  std::atomic<grpc::StatusCode> long_id{grpc::StatusCode::OK};
  attacks.emplace_back([&] {
    long_id = Hold(*OtherStation(server_->address(), 300), Open(std::string(300, 'a')))->status.error_code();
  });

  // Meanwhile an honest counter is served, and the metrics port answers.
  Outcome honest;
  for (int attempt = 0; attempt < 60; ++attempt) {
    auto stub = OtherStation(server_->address(), 400 + attempt);
    grpc::ClientContext ctx;
    auto stream = stub->Scan(&ctx);
    stream->Write(Open("honest-" + std::to_string(attempt)));
    stream->Write(Page(TextJpeg(), "page.jpg"));
    stream->Write(Close());
    stream->WritesDone();
    honest = {};
    v1::ScanResponse r;
    while (stream->Read(&r)) {
      honest.pages += r.has_page();
      if (r.has_batch()) honest.batch = r.batch();
    }
    honest.status = stream->Finish();
    if (honest.status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // "retry later"
  }
  EXPECT_TRUE(honest.status.ok()) << honest.status.error_message();
  EXPECT_TRUE(honest.batch && honest.batch->final());
  EXPECT_EQ(testing::HttpGet(server_->metrics_address(), "/metrics", 3000).status, 200);

  for (std::thread& t : attacks) t.join();
  EXPECT_EQ(internal_errors.load(), 0);
  EXPECT_TRUE(dark_rejected.load());
  EXPECT_TRUE(qr_judged.load());
  EXPECT_EQ(long_id.load(), grpc::StatusCode::INVALID_ARGUMENT);
  int hogs_admitted = 0;
  for (auto& h : hog) hogs_admitted += h->opened;
  EXPECT_LE(hogs_admitted, 8);

  // Alive, and never near the pod's limit.
  grpc::ClientContext ctx;
  v1::ListProfilesResponse profiles;
  EXPECT_TRUE(stub_->ListProfiles(&ctx, {}, &profiles).ok());
  const long peak = PeakRssMib(pid);
  std::cout << "server peak RSS under every attack at once: " << peak << " MiB\n";
  EXPECT_GT(peak, 0);
  EXPECT_LT(peak, 1024);
  for (auto& h : hog)
    if (h->opened) h->ctx.TryCancel();
  for (int fd : half_open) ::close(fd);
}

// --- no page image on disk --------------------------------------------------

// Magic numbers of image formats a station may send, and others.
bool LooksLikeAnImage(const std::string& b) {
  auto starts = [&](std::string_view magic) { return b.compare(0, magic.size(), magic) == 0; };
  return starts("\xFF\xD8\xFF") || starts("\x89PNG\r\n\x1A\n") || starts(std::string_view("II*\0", 4)) ||
         starts(std::string_view("MM\0*", 4)) || starts("BM") || starts("GIF8") ||
         (starts("RIFF") && b.compare(8, 4, "WEBP") == 0) ||
         starts(std::string_view("\0\0\0\x0CjP  ", 8)) || starts("%PDF");
}

std::vector<fs::path> FilesUnder(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  return files;
}

// Files under `dirs` that are images or hold a stretch of any page's bytes.
std::vector<std::string> ImageTraces(const std::vector<fs::path>& dirs) {
  std::vector<std::string> found;
  for (const fs::path& dir : dirs) {
    for (const fs::path& file : FilesUnder(dir)) {
      std::string bytes = Slurp(file);
      if (LooksLikeAnImage(bytes)) found.push_back(file.string() + " (image magic)");
      for (const auto& [name, page] : MixedPages().files) {
        // 256 bytes from the middle of the page: past any common header.
        std::string_view probe(page.data() + page.size() / 2, 256);
        if (bytes.find(probe) != std::string::npos)
          found.push_back(file.string() + " (bytes of " + name + ")");
      }
    }
  }
  return found;
}

TEST_F(TrustProcesses, NoPageImageIsWrittenToTheDataDirOrTheTemporaryFolder) {
  const fs::path tmp = dir_ / "tmp";
  fs::create_directories(tmp);
  const char* old_tmp = std::getenv("TMPDIR");
  std::string saved = old_tmp ? old_tmp : "";
  ::setenv("TMPDIR", tmp.c_str(), 1);  // the server inherits it
  StartServer();
  if (old_tmp) ::setenv("TMPDIR", saved.c_str(), 1);
  else ::unsetenv("TMPDIR");

  std::vector<v1::ScanRequest> pages;
  for (const auto& [name, bytes] : MixedPages().files) pages.push_back(Page(bytes, name));
  // A multi-page TIFF too.
  {
    synth::PageSpec spec;
    spec.dpi = 200;
    cv::Mat page = synth::TextPage(spec);
    pages.push_back(Page(synth::EncodeTiffMultiPage({page, page}, 200), "multi.tif"));
  }
  Outcome scanned = ScanBatch("no-images", pages);
  ASSERT_TRUE(scanned.status.ok()) << scanned.status.error_message();
  EXPECT_EQ(scanned.pages, int(MixedPages().files.size()) + 2);
  // One-shot checks too.
  {
    grpc::ClientContext ctx;
    v1::CheckPageRequest req;
    req.mutable_page()->set_content(MixedPages().files[1].second);
    req.mutable_page()->set_file_name("check.png");
    v1::CheckPageResponse resp;
    EXPECT_TRUE(stub_->CheckPage(&ctx, req, &resp).ok());
  }

  ASSERT_FALSE(FilesUnder(dir_ / "data").empty());  // the ledger is there
  // While running (temporary files would exist now) and after a stop.
  std::vector<std::string> live = ImageTraces({dir_ / "data", tmp});
  EXPECT_TRUE(live.empty()) << live.front();
  EXPECT_EQ(server_->Stop(SIGTERM), 0);
  std::vector<std::string> after = ImageTraces({dir_ / "data", tmp});
  EXPECT_TRUE(after.empty()) << after.front();
  // The probe finds what it looks for: the pages themselves would be flagged.
  fs::create_directories(dir_ / "probe");
  std::ofstream(dir_ / "probe" / "page.bin", std::ios::binary) << MixedPages().files[0].second;
  EXPECT_EQ(ImageTraces({dir_ / "probe"}).size(), 2u);
}

// --- SIGTERM while stations stream -----------------------------------------

TEST_F(TrustProcesses, SigtermWhileStationsStreamSaysNotServingFirstAndRecordsTheBatchesIncomplete) {
  StartServer({"--drain-seconds", "30"});
  using grpc::health::v1::Health;
  using grpc::health::v1::HealthCheckRequest;
  using grpc::health::v1::HealthCheckResponse;
  using Clock = std::chrono::steady_clock;

  // The health watch: every status the server announces, in order.
  std::mutex mu;
  std::vector<std::pair<HealthCheckResponse::ServingStatus, Clock::time_point>> health;
  auto health_stub = Health::NewStub(channel_);
  grpc::ClientContext health_ctx;
  HealthCheckRequest hreq;
  hreq.set_service("scangate.v1.Scangate");
  auto watch = health_stub->Watch(&health_ctx, hreq);
  std::thread watcher([&] {
    HealthCheckResponse resp;
    while (watch->Read(&resp)) {
      std::lock_guard lock(mu);
      health.emplace_back(resp.status(), Clock::now());
    }
  });
  auto status_seen = [&](HealthCheckResponse::ServingStatus s) {
    std::lock_guard lock(mu);
    for (auto& [st, at] : health)
      if (st == s) return true;
    return false;
  };
  for (int i = 0; i < 300 && !status_seen(HealthCheckResponse::SERVING); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(status_seen(HealthCheckResponse::SERVING));

  // Stations stream pages as fast as the server reads them.
  struct Station {
    std::string batch_id;
    std::atomic<int> verdicts{0};
    int pages_before_batch = 0;
    std::optional<v1::BatchVerdict> batch;
    Clock::time_point batch_at;
    grpc::Status status;
    std::thread thread;
  };
  const int kStations = 3;
  std::vector<std::unique_ptr<Station>> stations;
  for (int s = 0; s < kStations; ++s) {
    auto st = std::make_unique<Station>();
    st->batch_id = "term-" + std::to_string(s);
    st->thread = std::thread([this, st = st.get()] {
      grpc::ClientContext ctx;
      auto stream = stub_->Scan(&ctx);
      stream->Write(Open(st->batch_id));
      std::thread reader([&] {
        v1::ScanResponse r;
        while (stream->Read(&r)) {
          if (r.has_page()) {
            ++st->verdicts;
            if (!st->batch) ++st->pages_before_batch;
          }
          if (r.has_batch()) st->batch = r.batch(), st->batch_at = Clock::now();
        }
      });
      // Until the server stops reading: then writes block or fail; the
      // stream's end (after the batch verdict) makes them fail.
      while (stream->Write(Page(TextJpeg(), "s.jpg"))) {
      }
      reader.join();
      st->status = stream->Finish();
    });
    stations.push_back(std::move(st));
  }
  for (auto& st : stations)
    for (int i = 0; i < 1000 && st->verdicts < 2; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (auto& st : stations) ASSERT_GE(st->verdicts.load(), 2);

  auto stopped = std::async(std::launch::async, [&] { return server_->Stop(SIGTERM); });
  for (auto& st : stations) st->thread.join();
  EXPECT_EQ(stopped.get(), 0);
  watcher.join();
  watch->Finish();

  Clock::time_point not_serving_at{};
  {
    std::lock_guard lock(mu);
    // (NOT_SERVING while starting,) SERVING, then NOT_SERVING from SIGTERM on.
    bool serving = false;
    for (auto& [st, at] : health) {
      serving |= st == HealthCheckResponse::SERVING;
      if (serving && st == HealthCheckResponse::NOT_SERVING) {
        not_serving_at = at;
        break;
      }
    }
  }
  ASSERT_NE(not_serving_at, Clock::time_point{}) << "the health watch never saw NOT_SERVING";
  for (auto& st : stations) {
    SCOPED_TRACE(st->batch_id);
    ASSERT_TRUE(st->batch) << st->status.error_message();
    // NOT_SERVING was announced before any batch was cut short.
    EXPECT_LT(not_serving_at, st->batch_at);
    // Every page the server took was judged and answered before the batch.
    EXPECT_EQ(int(st->batch->page_count()), st->pages_before_batch);
    EXPECT_EQ(st->verdicts.load(), st->pages_before_batch);
    EXPECT_FALSE(st->batch->final());
    ASSERT_GT(st->batch->reasons_size(), 0);
    EXPECT_EQ(st->batch->reasons(st->batch->reasons_size() - 1).code(), v1::BATCH_INCOMPLETE);
    EXPECT_EQ(st->status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_TRUE(st->batch->signature().empty());  // only final verdicts are signed
  }

  // The ledger kept them incomplete with every answered page.
  StartServer();
  for (auto& st : stations) {
    grpc::ClientContext ctx;
    v1::GetBatchVerdictRequest req;
    req.set_batch_id(st->batch_id);
    v1::BatchVerdict v;
    ASSERT_TRUE(stub_->GetBatchVerdict(&ctx, req, &v).ok());
    EXPECT_FALSE(v.final());
    EXPECT_EQ(v.pages_size(), st->pages_before_batch);
    bool incomplete = false;
    for (const auto& reason : v.reasons()) incomplete |= reason.code() == v1::BATCH_INCOMPLETE;
    EXPECT_TRUE(incomplete);
  }
}

}  // namespace
}  // namespace scangate
