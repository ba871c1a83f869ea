// Who may do what, through a real scangate-server over TLS: certificates are
// made by the test at run time (a CA, the server's with SAN 127.0.0.1 and
// localhost, one client certificate per role, and one from a CA the server
// does not trust), plus a branch system's bearer token held hashed in the
// access file.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <google/protobuf/descriptor.pb.h>
#include <openssl/evp.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <signal.h>

#include <thread>

#include "server/access.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "scangate/v1/scangate.grpc.pb.h"
#include "tests/support/process.h"
#include "tests/support/synthetic_page.h"
#include "server/transport.h"

namespace scangate {
namespace {

namespace fs = std::filesystem;
using testing::Built;
// Not Run: inside a fixture that names gtest's Test::Run.
testing::CommandResult Cmd(const std::vector<std::string>& argv, int timeout_seconds = 120) {
  return testing::Run(argv, timeout_seconds);
}
using testing::ServerProcess;

constexpr const char* kBranchToken = "branch-7-secret-token";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[32];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

// `openssl` with `args`; fails the test if it does not succeed.
void OpenSsl(std::vector<std::string> args) {
  args.insert(args.begin(), "/usr/bin/openssl");
  auto run = Cmd(args, 30);
  ASSERT_EQ(run.exit_code, 0) << "openssl " << args[1] << " failed";
}

// A CA and certificates signed by it, in `dir`: NAME.pem and NAME.key.
class CertificateMaker {
 public:
  CertificateMaker(fs::path dir, std::string ca) : dir_(std::move(dir)), ca_(std::move(ca)) {
    OpenSsl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", Key(ca_), "-out", Pem(ca_), "-days", "2", "-subj",
             "/CN=" + ca_, "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
             "keyUsage=critical,keyCertSign,cRLSign"});
  }
  // `extensions`: lines of an openssl extension file.
  void Issue(const std::string& name, const std::string& common_name,
             const std::string& extensions) {
    const std::string csr = (dir_ / (name + ".csr")).string();
    const std::string ext = (dir_ / (name + ".ext")).string();
    WriteFile(ext, extensions);
    OpenSsl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", Key(name), "-out", csr, "-subj", "/CN=" + common_name});
    OpenSsl({"x509", "-req", "-in", csr, "-CA", Pem(ca_), "-CAkey", Key(ca_), "-CAcreateserial",
             "-out", Pem(name), "-days", "2", "-extfile", ext});
  }
  void IssueClient(const std::string& name) {
    Issue(name, name, "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  }
  std::string Pem(const std::string& name) const { return (dir_ / (name + ".pem")).string(); }
  std::string Key(const std::string& name) const { return (dir_ / (name + ".key")).string(); }

 private:
  fs::path dir_;
  std::string ca_;
};

const std::string& Page() {
  static const std::string page = [] {
    synth::PageSpec spec;
    spec.dpi = 200;
    return synth::EncodeJpeg(synth::TextPage(spec), 85, 200);
  }();
  return page;
}

class Access : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("scangate-access-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "profiles");
    certs_ = std::make_unique<CertificateMaker>(dir_, "ca");
    certs_->Issue("server", "localhost",
                  "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                  "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    for (const char* who : {"station-1", "archive-1", "admin-1", "supervisor-1"})
      certs_->IssueClient(who);
    // The same name as a real station, from a CA the server does not trust.
    CertificateMaker rogue(dir_, "rogue-ca");
    rogue.IssueClient("station-1-rogue");
    rogue_pem_ = rogue.Pem("station-1-rogue");
    rogue_key_ = rogue.Key("station-1-rogue");
    if (HasFatalFailure()) return;

    // The token's hash upper-cased, as some tools print it: matched all the same.
    std::string token_hash = Sha256Hex(kBranchToken);
    for (char& c : token_hash) c = char(std::toupper(static_cast<unsigned char>(c)));
    WriteFile(dir_ / "access.textproto",
              "clients { name: \"station-1\" roles: STATION certificate_common_name: \"station-1\" }\n"
              "clients { name: \"archive\" roles: ARCHIVE certificate_common_name: \"archive-1\" }\n"
              "clients { name: \"admin\" roles: ADMIN certificate_common_name: \"admin-1\" }\n"
              "clients { name: \"supervisor Ana\" roles: SUPERVISOR"
              " certificate_common_name: \"supervisor-1\" }\n"
              "clients { name: \"branch-7\" roles: BRANCH token_sha256: \"" + token_hash + "\" }\n");
    WriteFile(dir_ / "profiles" / "quick.textproto",
              "name: \"quick\"\ndescription: \"any page\"\n");
    WriteFile(dir_ / "branch.token", std::string(kBranchToken) + "\n");
    WriteFile(dir_ / "wrong.token", "not-the-token\n");

    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{
        "--tls-cert", certs_->Pem("server"), "--tls-key", certs_->Key("server"),
        "--tls-client-ca", certs_->Pem("ca"), "--access", (dir_ / "access.textproto").string(),
        "--profiles", (dir_ / "profiles").string(), "--data-dir", (dir_ / "data").string(),
        "--threads", "2"}, (dir_ / "server.log").string());
    ASSERT_TRUE(server_->started()) << "scangate-server did not start over TLS";
  }

  void TearDown() override {
    if (HasFailure() && server_) std::cerr << "server log:\n" << server_->ErrorLog();
    server_.reset();
    fs::remove_all(dir_);
  }

  // The command line's TLS flags for client `who` (its certificate).
  std::vector<std::string> As(const std::string& who) {
    return {"--server", server_->address(), "--tls-ca", certs_->Pem("ca"), "--tls-cert",
            certs_->Pem(who), "--tls-key", certs_->Key(who)};
  }

  // One Scan stream: `requests` in order, then half-close; every response
  // and the final status.
  grpc::Status Stream(const std::shared_ptr<grpc::Channel>& channel,
                      const std::vector<v1::ScanRequest>& requests,
                      std::vector<v1::ScanResponse>* responses = nullptr) {
    auto stub = v1::Scangate::NewStub(channel);
    grpc::ClientContext ctx;
    Deadline(ctx, 60);
    auto stream = stub->Scan(&ctx);
    for (const v1::ScanRequest& r : requests)
      if (!stream->Write(r)) break;
    stream->WritesDone();
    v1::ScanResponse response;
    while (stream->Read(&response))
      if (responses) responses->push_back(response);
    return stream->Finish();
  }

  static v1::ScanRequest Open(const std::string& id, const std::string& station, bool resume,
                              const std::string& op = {}) {
    v1::ScanRequest r;
    r.mutable_open()->set_batch_id(id);
    r.mutable_open()->set_profile("quick");
    r.mutable_open()->set_station_id(station);
    r.mutable_open()->set_operator_id(op);
    r.mutable_open()->set_resume(resume);
    return r;
  }
  static v1::ScanRequest PageOf(const std::string& bytes, const std::string& name) {
    v1::ScanRequest r;
    r.mutable_page()->set_content(bytes);
    r.mutable_page()->set_file_name(name);
    return r;
  }
  static v1::ScanRequest Waive(std::uint32_t page, v1::ReasonCode code, const std::string& note) {
    v1::ScanRequest r;
    r.mutable_waive_reason()->set_page_index(page);
    r.mutable_waive_reason()->set_code(code);
    r.mutable_waive_reason()->set_note(note);
    return r;
  }
  static v1::ScanRequest Close() {
    v1::ScanRequest r;
    r.mutable_close();
    return r;
  }
  static const v1::BatchVerdict* BatchOf(const std::vector<v1::ScanResponse>& responses) {
    for (const v1::ScanResponse& r : responses)
      if (r.has_batch()) return &r.batch();
    return nullptr;
  }

  // TLS channel; a client certificate `who` (mutual TLS) unless empty, and
  // a bearer token unless empty.
  std::shared_ptr<grpc::Channel> Channel(const std::string& who, const std::string& token = {},
                                         const std::string& cert = {},
                                         const std::string& key = {}) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(certs_->Pem("ca"));
    if (!who.empty()) {
      ssl.pem_cert_chain = ReadFile(certs_->Pem(who));
      ssl.pem_private_key = ReadFile(certs_->Key(who));
    } else if (!cert.empty()) {
      ssl.pem_cert_chain = ReadFile(cert);
      ssl.pem_private_key = ReadFile(key);
    }
    std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(ssl);
    if (!token.empty())
      credentials =
          grpc::CompositeChannelCredentials(credentials, grpc::AccessTokenCredentials(token));
    return grpc::CreateChannel(server_->address(), credentials);
  }

  static void Deadline(grpc::ClientContext& ctx, int seconds = 20) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  }

  grpc::Status CheckPage(const std::shared_ptr<grpc::Channel>& channel) {
    auto stub = v1::Scangate::NewStub(channel);
    grpc::ClientContext ctx;
    Deadline(ctx);
    v1::CheckPageRequest request;
    request.mutable_page()->set_content(Page());
    v1::CheckPageResponse response;
    return stub->CheckPage(&ctx, request, &response);
  }

  // Streams a one-page batch; the final status, and the batch verdict.
  grpc::Status Scan(const std::shared_ptr<grpc::Channel>& channel, const std::string& batch_id,
                    v1::BatchVerdict* verdict = nullptr) {
    auto stub = v1::Scangate::NewStub(channel);
    grpc::ClientContext ctx;
    Deadline(ctx, 60);
    auto stream = stub->Scan(&ctx);
    v1::ScanRequest open, page, close;
    open.mutable_open()->set_batch_id(batch_id);
    open.mutable_open()->set_profile("quick");
    page.mutable_page()->set_content(Page());
    close.mutable_close();
    if (stream->Write(open) && stream->Write(page)) stream->Write(close);
    stream->WritesDone();
    v1::ScanResponse response;
    while (stream->Read(&response))
      if (response.has_batch() && verdict) *verdict = response.batch();
    return stream->Finish();
  }

  grpc::Status GetBatchVerdict(const std::shared_ptr<grpc::Channel>& channel,
                               const std::string& batch_id, const std::string& station = {},
                               v1::BatchVerdict* out = nullptr) {
    auto stub = v1::Scangate::NewStub(channel);
    grpc::ClientContext ctx;
    Deadline(ctx);
    v1::GetBatchVerdictRequest request;
    request.set_batch_id(batch_id);
    request.set_station_id(station);
    v1::BatchVerdict verdict;
    grpc::Status status = stub->GetBatchVerdict(&ctx, request, &verdict);
    if (out) *out = verdict;
    return status;
  }

  // Reads the feed until one event arrives or the stream ends.
  grpc::Status WatchOne(const std::shared_ptr<grpc::Channel>& channel, v1::VerdictEvent* event) {
    auto stub = v1::Scangate::NewStub(channel);
    grpc::ClientContext ctx;
    Deadline(ctx, 10);
    auto reader = stub->WatchVerdicts(&ctx, {});
    if (reader->Read(event)) {
      ctx.TryCancel();
      reader->Finish();
      return grpc::Status::OK;
    }
    return reader->Finish();
  }

  grpc::Status Reload(const std::shared_ptr<grpc::Channel>& channel,
                      v1::ReloadProfilesResponse* response) {
    auto stub = v1::Scangate::NewStub(channel);
    grpc::ClientContext ctx;
    Deadline(ctx);
    return stub->ReloadProfiles(&ctx, {}, response);
  }

  std::vector<std::string> Names(const v1::ReloadProfilesResponse& r) {
    std::vector<std::string> names;
    for (const auto& p : r.profiles()) names.push_back(p.name());
    return names;
  }

  fs::path dir_;
  std::unique_ptr<CertificateMaker> certs_;
  std::string rogue_pem_, rogue_key_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(Access, AStationCertificateScansAndChecksButMayNotWatchVerdicts) {
  auto station = Channel("station-1");
  v1::BatchVerdict verdict;
  grpc::Status scanned = Scan(station, "station-batch", &verdict);
  ASSERT_TRUE(scanned.ok()) << scanned.error_message();
  EXPECT_EQ(verdict.batch_id(), "station-batch");
  EXPECT_EQ(verdict.page_count(), 1u);
  grpc::Status checked = CheckPage(station);
  EXPECT_TRUE(checked.ok()) << checked.error_message();

  v1::VerdictEvent event;
  grpc::Status watched = WatchOne(station, &event);
  EXPECT_EQ(watched.error_code(), grpc::StatusCode::PERMISSION_DENIED) << watched.error_message();
  EXPECT_NE(watched.error_message().find("ARCHIVE"), std::string::npos);
  EXPECT_EQ(GetBatchVerdict(station, "station-batch").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(Access, AnArchiveCertificateWatchesVerdictsButMayNotScan) {
  ASSERT_TRUE(Scan(Channel("station-1"), "for-the-archive").ok());
  auto archive = Channel("archive-1");
  v1::VerdictEvent event;
  grpc::Status watched = WatchOne(archive, &event);
  ASSERT_TRUE(watched.ok()) << watched.error_message();
  EXPECT_EQ(event.verdict().batch_id(), "for-the-archive");
  EXPECT_EQ(Scan(archive, "archive-tries").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CheckPage(archive).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(Access, NoClientCertificateAndNoTokenIsUnauthenticated) {
  auto anonymous = Channel("");
  grpc::Status checked = CheckPage(anonymous);
  EXPECT_EQ(checked.error_code(), grpc::StatusCode::UNAUTHENTICATED) << checked.error_message();
  EXPECT_EQ(Scan(anonymous, "anon").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  v1::VerdictEvent event;
  EXPECT_EQ(WatchOne(anonymous, &event).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(Access, ACertificateFromAnotherCaFailsTheHandshake) {
  auto rogue = Channel("", "", rogue_pem_, rogue_key_);
  grpc::Status checked = CheckPage(rogue);
  EXPECT_FALSE(checked.ok());
  EXPECT_EQ(checked.error_code(), grpc::StatusCode::UNAVAILABLE) << checked.error_message();
}

TEST_F(Access, APlaintextClientCannotTalkToTheTlsServer) {
  auto plain = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  grpc::Status checked = CheckPage(plain);
  EXPECT_EQ(checked.error_code(), grpc::StatusCode::UNAVAILABLE) << checked.error_message();
}

TEST_F(Access, TheBranchTokenGetsBatchVerdictsAndAWrongTokenIsUnauthenticated) {
  ASSERT_TRUE(Scan(Channel("station-1"), "branch-batch").ok());
  auto branch = Channel("", kBranchToken);
  grpc::Status got = GetBatchVerdict(branch, "branch-batch");
  EXPECT_TRUE(got.ok()) << got.error_message();
  EXPECT_TRUE(CheckPage(branch).ok());
  v1::VerdictEvent event;
  EXPECT_EQ(WatchOne(branch, &event).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  grpc::Status wrong = GetBatchVerdict(Channel("", "not-the-token"), "branch-batch");
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED) << wrong.error_message();
  // A wrong token is not overlooked for a good certificate on the connection.
  EXPECT_EQ(CheckPage(Channel("station-1", "not-the-token")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A known token names the caller, whatever certificate the connection has.
  EXPECT_TRUE(GetBatchVerdict(Channel("station-1", kBranchToken), "branch-batch").ok());
}

TEST_F(Access, AdminReloadsProfilesAndABadFileLeavesTheOldOnesInForce) {
  auto admin = Channel("admin-1");
  WriteFile(dir_ / "profiles" / "second.textproto", "name: \"second\"\n");
  v1::ReloadProfilesResponse reloaded;
  grpc::Status status = Reload(admin, &reloaded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Names(reloaded), (std::vector<std::string>{"default", "quick", "second"}));

  WriteFile(dir_ / "profiles" / "third.textproto", "name: \"third\"\nmin_dpi: 9999\n");
  fs::remove(dir_ / "profiles" / "second.textproto");
  v1::ReloadProfilesResponse failed;
  status = Reload(admin, &failed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("third.textproto:2:"), std::string::npos)
      << status.error_message();
  // Still the set of the last good reload.
  auto stub = v1::Scangate::NewStub(admin);
  grpc::ClientContext ctx;
  Deadline(ctx);
  v1::ListProfilesResponse list;
  ASSERT_TRUE(stub->ListProfiles(&ctx, {}, &list).ok());
  ASSERT_EQ(list.profiles_size(), 3);
  EXPECT_EQ(list.profiles(2).name(), "second");

  v1::ReloadProfilesResponse denied;
  EXPECT_EQ(Reload(Channel("station-1"), &denied).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Reload(Channel("", kBranchToken), &denied).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(Access, HealthStaysOpenToCallersWithoutIdentity) {
  auto health = grpc::health::v1::Health::NewStub(Channel(""));
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status;
  for (int i = 0; i < 100; ++i) {
    grpc::ClientContext ctx;
    Deadline(ctx);
    status = health->Check(&ctx, {}, &response);
    if (!status.ok() || response.status() == grpc::health::v1::HealthCheckResponse::SERVING) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(Access, ReflectionAnswersV1BesideV1alphaToAnyCallerOverTls) {
  namespace rv1 = grpc::reflection::v1;
  auto stub = rv1::ServerReflection::NewStub(Channel(""));
  grpc::ClientContext ctx;
  Deadline(ctx);
  auto stream = stub->ServerReflectionInfo(&ctx);
  auto ask = [&](rv1::ServerReflectionRequest request) {
    rv1::ServerReflectionResponse response;
    EXPECT_TRUE(stream->Write(request));
    EXPECT_TRUE(stream->Read(&response));
    return response;
  };
  rv1::ServerReflectionRequest list;
  list.set_list_services("*");
  std::vector<std::string> services;
  const rv1::ServerReflectionResponse listed = ask(list);
  for (const auto& s : listed.list_services_response().service()) services.push_back(s.name());
  for (const char* name : {"scangate.v1.Scangate", "grpc.health.v1.Health",
                           "grpc.reflection.v1.ServerReflection",
                           "grpc.reflection.v1alpha.ServerReflection"})
    EXPECT_NE(std::find(services.begin(), services.end(), name), services.end()) << name;

  // The service's file with the files it imports, as grpcurl needs them.
  rv1::ServerReflectionRequest symbol;
  symbol.set_file_containing_symbol("scangate.v1.Scangate");
  std::vector<std::string> files;
  const rv1::ServerReflectionResponse described = ask(symbol);
  for (const std::string& bytes : described.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes));
    files.push_back(file.name());
  }
  ASSERT_FALSE(files.empty());
  EXPECT_EQ(files.front(), "scangate/v1/scangate.proto");
  EXPECT_NE(std::find(files.begin(), files.end(), "scangate/v1/verdict.proto"), files.end());
  rv1::ServerReflectionRequest message;
  message.set_file_containing_symbol("scangate.v1.BatchVerdict");
  EXPECT_EQ(ask(message).file_descriptor_response().file_descriptor_proto_size(), 0)
      << "its file was sent on this stream already";
  rv1::ServerReflectionRequest unknown;
  unknown.set_file_containing_symbol("scangate.v1.NoSuchThing");
  EXPECT_EQ(ask(unknown).error_response().error_code(), int(grpc::StatusCode::NOT_FOUND));
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(Access, TheCommandLineSpeaksTlsWithACertificateOrAToken) {
  const std::string scangate = Built("clients/scangate");
  const std::string page = (dir_ / "page.jpg").string();
  WriteFile(page, Page());
  auto scan = Cmd({scangate, "scan", "--server", server_->address(), "--tls-ca", certs_->Pem("ca"),
                   "--tls-cert", certs_->Pem("station-1"), "--tls-key", certs_->Key("station-1"),
                   "--profile", "quick", "--batch-id", "cli-batch", page});
  EXPECT_LE(scan.exit_code, 1) << scan.out;  // accepted or rejected: judged
  EXPECT_NE(scan.out.find("cli-batch"), std::string::npos) << scan.out;

  auto verdict = Cmd({scangate, "verdict", "--server", server_->address(), "--tls-ca",
                      certs_->Pem("ca"), "--token-file", (dir_ / "branch.token").string(),
                      "--json", "cli-batch"});
  EXPECT_LE(verdict.exit_code, 1);
  EXPECT_NE(verdict.out.find("\"batch_id\":\"cli-batch\""), std::string::npos) << verdict.out;
  auto wrong = Cmd({scangate, "verdict", "--server", server_->address(), "--tls-ca",
                    certs_->Pem("ca"), "--token-file", (dir_ / "wrong.token").string(),
                    "cli-batch"});
  EXPECT_EQ(wrong.exit_code, 2);

  auto reload = Cmd({scangate, "reload-profiles", "--server", server_->address(), "--tls-ca",
                     certs_->Pem("ca"), "--tls-cert", certs_->Pem("admin-1"), "--tls-key",
                     certs_->Key("admin-1")});
  EXPECT_EQ(reload.exit_code, 0);
  EXPECT_NE(reload.out.find("quick\t"), std::string::npos) << reload.out;
  auto plain = Cmd({scangate, "verdict", "--server", server_->address(), "--plaintext", "cli-batch"});
  EXPECT_EQ(plain.exit_code, 2);
  // A token is never sent in the clear.
  auto leak = Cmd({scangate, "verdict", "--server", server_->address(), "--plaintext",
                   "--token-file", (dir_ / "branch.token").string(), "cli-batch"});
  EXPECT_EQ(leak.exit_code, 2);
}

TEST_F(Access, AStationReadsTheVerdictOfItsOwnBatchesOnly) {
  auto station = Channel("station-1");
  ASSERT_TRUE(Stream(station, {Open("own", "counter-1", false), PageOf(Page(), "p.jpg"), Close()})
                  .ok());
  v1::BatchVerdict verdict;
  grpc::Status own = GetBatchVerdict(station, "own", "counter-1", &verdict);
  ASSERT_TRUE(own.ok()) << own.error_message();
  EXPECT_TRUE(verdict.final());
  EXPECT_EQ(verdict.pages_size(), 1);
  EXPECT_EQ(GetBatchVerdict(station, "no-such-batch", "counter-1").error_code(),
            grpc::StatusCode::NOT_FOUND);

  grpc::Status other = GetBatchVerdict(station, "own", "counter-2");
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(other.error_message().find("BRANCH"), std::string::npos) << other.error_message();
  EXPECT_EQ(GetBatchVerdict(station, "own").error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "a station names its station";
  auto stub = v1::Scangate::NewStub(station);
  grpc::ClientContext ctx;
  Deadline(ctx);
  v1::GetBatchVerdictRequest by_transaction;
  by_transaction.set_transaction_id("SI2026112700042");
  by_transaction.set_station_id("counter-1");
  v1::BatchVerdict ignored;
  EXPECT_EQ(stub->GetBatchVerdict(&ctx, by_transaction, &ignored).error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "by transaction is the branch's question";
  EXPECT_EQ(GetBatchVerdict(Channel("archive-1"), "own", "counter-1").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The branch reads any batch, as before.
  EXPECT_TRUE(GetBatchVerdict(Channel("", kBranchToken), "own").ok());

  const std::string log = server_->ErrorLog();
  EXPECT_NE(log.find("level=warn event=access_denied client=station-1 call=GetBatchVerdict"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("event=access_denied client=archive call=GetBatchVerdict needs=BRANCH,STATION"),
            std::string::npos)
      << log;
}

TEST_F(Access, AHotFolderStationWithTheStationRoleAloneRunsABatchToTheEndAndRestarts) {
  const fs::path hot = dir_ / "hot";
  fs::create_directories(hot);
  auto watch = [&](const std::string& log, std::vector<std::string> extra) {
    std::vector<std::string> argv = {Built("clients/scangate"), "scan", "--watch", hot.string(),
                                     "--profile", "quick", "--station", "counter-1"};
    for (const std::string& a : As("station-1")) argv.push_back(a);
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<testing::BackgroundProcess>(argv, (dir_ / log).string());
  };
  auto first = watch("first.log", {"--idle-close", "30"});
  ASSERT_NE(first->WaitForLine("watching ", std::chrono::seconds(20)), "") << first->Log();
  WriteFile(hot / "001-page.jpg", Page());
  const std::string opened = first->WaitForLine("batch ", std::chrono::seconds(20));
  ASSERT_NE(first->WaitForLine("] page 0 ", std::chrono::seconds(20)), "") << first->Log();
  // Killed with its batch open: the restart must find it again (a lookup
  // in the ledger, then a resume), with the STATION role alone.
  first->Stop(SIGKILL);
  const std::string id = opened.substr(0, opened.find(' '));
  ASSERT_FALSE(id.empty()) << first->Log();
  WriteFile(hot / "002-page.jpg", Page() + std::string(16, '\0'));  // other bytes, same page

  auto second = watch("second.log", {"--idle-close", "1", "--until-idle", "2"});
  ASSERT_EQ(second->WaitForLine("no new file for 2.0 s", std::chrono::seconds(30)), ": done")
      << first->Log() << second->Log();
  EXPECT_EQ(second->Stop(SIGTERM), 0);
  const std::string log = second->Log();
  EXPECT_NE(log.find("batch " + id + " resumed: 1 pages recorded"), std::string::npos) << log;
  EXPECT_EQ(log.find("trying again"), std::string::npos) << log;
  EXPECT_EQ(log.find("may not"), std::string::npos) << log;

  v1::BatchVerdict verdict;
  grpc::Status read = GetBatchVerdict(Channel("", kBranchToken), id, "", &verdict);
  ASSERT_TRUE(read.ok()) << read.error_message();
  EXPECT_TRUE(verdict.final());
  ASSERT_EQ(verdict.pages_size(), 2);
  EXPECT_EQ(verdict.pages(0).source(), "001-page.jpg");
  EXPECT_EQ(verdict.pages(1).source(), "002-page.jpg");
  // Filed, nothing left in the folder.
  std::size_t left = 0;
  for (const auto& e : fs::directory_iterator(hot)) left += e.is_regular_file();
  EXPECT_EQ(left, 0u) << log;

  const std::string server_log = server_->ErrorLog();
  EXPECT_EQ(server_log.find("event=access_denied"), std::string::npos) << server_log;
  EXPECT_NE(server_log.find("level=info event=stream_opened call=Scan client=\"client station-1\""),
            std::string::npos)
      << server_log;
  EXPECT_NE(server_log.find("event=batch_decided batch=" + id + " decision="), std::string::npos)
      << server_log;
  EXPECT_NE(server_log.find("pages=2"), std::string::npos) << server_log;
  EXPECT_NE(server_log.find("event=stream_closed call=Scan client=\"client station-1\" batch=" + id),
            std::string::npos)
      << server_log;
}

TEST_F(Access, AWaiverNeedsTheSupervisorRoleAndNamesTheSupervisor) {
  const std::string blurred = [] {
    synth::PageSpec spec;
    spec.dpi = 200;
    spec.seed = 399;
    return synth::EncodeJpeg(synth::GaussianBlur(synth::TextPage(spec), 4.0), 85, 200);
  }();
  auto station = Channel("station-1");
  std::vector<v1::ScanResponse> scanned;
  ASSERT_TRUE(Stream(station,
                     {Open("waive-me", "counter-1", false, "clerk-7"), PageOf(Page(), "a.jpg"),
                      PageOf(blurred, "old-fax.jpg"), Close()},
                     &scanned)
                  .ok());
  const v1::BatchVerdict* rejected = BatchOf(scanned);
  ASSERT_TRUE(rejected);
  ASSERT_EQ(rejected->decision(), v1::REJECT);
  // Every reason that rejects a page, to waive.
  std::vector<v1::ScanRequest> waivers;
  for (const v1::PageVerdict& p : rejected->pages())
    for (const v1::Reason& r : p.reasons())
      if (p.decision() == v1::REJECT) waivers.push_back(Waive(p.page_index(), r.code(), "the original is a fax"));
  ASSERT_FALSE(waivers.empty());

  // The clerk's own station identity cannot waive, with or without an operator.
  std::vector<v1::ScanRequest> by_station = {Open("waive-me", "counter-1", true, "clerk-7"), waivers[0],
                                             Close()};
  grpc::Status refused = Stream(station, by_station);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
  EXPECT_NE(refused.error_message().find("SUPERVISOR"), std::string::npos) << refused.error_message();

  // A supervisor may not scan: a new batch, or a page in this one.
  auto supervisor = Channel("supervisor-1");
  grpc::Status new_batch =
      Stream(supervisor, {Open("supervisor-batch", "counter-1", false), PageOf(Page(), "s.jpg")});
  EXPECT_EQ(new_batch.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(new_batch.error_message().find("STATION"), std::string::npos) << new_batch.error_message();
  grpc::Status page = Stream(supervisor, {Open("waive-me", "", true), PageOf(Page(), "s.jpg")});
  EXPECT_EQ(page.error_code(), grpc::StatusCode::PERMISSION_DENIED) << page.error_message();

  // The supervisor resumes the batch (no station id of its own), waives, closes.
  std::vector<v1::ScanRequest> by_supervisor = {Open("waive-me", "", true)};
  by_supervisor.insert(by_supervisor.end(), waivers.begin(), waivers.end());
  by_supervisor.push_back(Close());
  std::vector<v1::ScanResponse> waived;
  grpc::Status ok = Stream(supervisor, by_supervisor, &waived);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  const v1::BatchVerdict* corrected = BatchOf(waived);
  ASSERT_TRUE(corrected);
  EXPECT_EQ(corrected->version(), rejected->version() + 1) << "a new version supersedes it";
  EXPECT_EQ(corrected->operator_id(), "clerk-7") << "the clerk stays the batch's operator";
  std::size_t marked = 0;
  for (const v1::PageVerdict& p : corrected->pages())
    for (const v1::Reason& r : p.reasons())
      if (!r.waived_by().empty()) {
        ++marked;
        EXPECT_EQ(r.waived_by(), "supervisor Ana");
        EXPECT_EQ(r.waiver_note(), "the original is a fax");
      }
  EXPECT_EQ(marked, waivers.size());

  // The command line, as a supervisor: a note is required; recorded under the caller.
  const std::string first_code = v1::ReasonCode_Name(waivers[0].waive_reason().code());
  const std::string index = std::to_string(waivers[0].waive_reason().page_index());
  ASSERT_TRUE(Stream(station, {Open("waive-cli", "counter-1", false), PageOf(blurred, "fax.jpg"),
                               Close()})
                  .ok());
  std::vector<std::string> cli = {Built("clients/scangate"), "scan", "--resume", "--batch-id",
                                  "waive-cli"};
  auto with = [&](const std::string& who, const std::string& waiver) {
    std::vector<std::string> argv = cli;
    for (const std::string& a : As(who)) argv.push_back(a);
    argv.push_back("--waive");
    argv.push_back(waiver);
    return Cmd(argv, 60);
  };
  EXPECT_EQ(with("station-1", "0=" + first_code + ":a fax").exit_code, 2);
  EXPECT_EQ(with("supervisor-1", "0=" + first_code).exit_code, 2) << "no note";
  auto by_cli = with("supervisor-1", "0=" + first_code + ":a fax");
  EXPECT_LE(by_cli.exit_code, 1) << by_cli.out;
  EXPECT_NE(by_cli.out.find("waived by supervisor Ana: a fax"), std::string::npos) << by_cli.out;

  const std::string log = server_->ErrorLog();
  EXPECT_NE(log.find("level=warn event=access_denied client=station-1 call=WaiveReason "
                     "needs=SUPERVISOR batch=waive-me"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("level=info event=reason_waived batch=waive-me page="), std::string::npos)
      << log;
  EXPECT_NE(log.find("supervisor=\"supervisor Ana\""), std::string::npos) << log;
  EXPECT_NE(log.find("status=PERMISSION_DENIED"), std::string::npos) << log;
}

TEST_F(Access, TheLogNamesWhoWasDeniedButNeverATokenOrAPage) {
  ASSERT_TRUE(Scan(Channel("station-1"), "logged").ok());
  EXPECT_EQ(GetBatchVerdict(Channel("", "not-the-token"), "logged").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(GetBatchVerdict(Channel("", kBranchToken), "logged").ok());
  v1::ReloadProfilesResponse reloaded;
  ASSERT_TRUE(Reload(Channel("admin-1"), &reloaded).ok());
  EXPECT_EQ(Reload(Channel("station-1"), &reloaded).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A batch id (a station's text) that tries to forge fields stays inside its quotes.
  const std::string forged = "logged\" decision=ACCEPT event=forged";
  EXPECT_TRUE(Scan(Channel("station-1"), forged).ok());

  const std::string log = server_->ErrorLog();
  EXPECT_NE(log.find("level=warn event=access_unauthenticated call=GetBatchVerdict peer="),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("why=\"the bearer token is not known to the server\""), std::string::npos)
      << log;
  EXPECT_NE(log.find("level=info event=profiles_reloaded client=admin profiles=default@"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("event=access_denied client=station-1 call=ReloadProfiles needs=ADMIN"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("event=batch_decided batch=logged decision="), std::string::npos) << log;
  EXPECT_EQ(log.find("not-the-token"), std::string::npos) << log;
  EXPECT_EQ(log.find(kBranchToken), std::string::npos) << log;
  EXPECT_NE(log.find("event=batch_decided batch=\"logged\\\" decision=ACCEPT event=forged\" "),
            std::string::npos)
      << log;
  // Every line is one event with its time and level.
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);)
    EXPECT_EQ(line.rfind("ts=", 0), 0u) << line;
}

// The start-up rule, without starting anything that listens.
TEST(ServerStart, RefusesWithoutTlsOrAnExplicitPlaintext) {
  const std::string server = Built("server/scangate-server");
  EXPECT_EQ(Cmd({server, "--listen", "127.0.0.1:0"}, 20).exit_code, 2);
  EXPECT_EQ(Cmd({server, "--plaintext", "--listen", "0.0.0.0:0"}, 20).exit_code, 2);
  EXPECT_EQ(Cmd({server, "--plaintext", "--access", "x", "--listen", "127.0.0.1:0"}, 20).exit_code,
            2);
}

TEST(Transport, PlaintextIsForLoopbackAddressesOnly) {
  for (const char* ok : {"127.0.0.1:0", "127.1.2.3:50051", "localhost:1", "[::1]:50051",
                         "unix:/tmp/scangate.sock"})
    EXPECT_TRUE(IsLoopbackAddress(ok)) << ok;
  for (const char* no : {"0.0.0.0:50051", "[::]:50051", ":50051", "10.0.0.1:50051",
                         "127.0.0.1.example.org:1", "scangate.example.org:50051"})
    EXPECT_FALSE(IsLoopbackAddress(no)) << no;
  TransportFlags flags;
  EXPECT_FALSE(ConfigureTransport(flags, "127.0.0.1:0").ok());
  flags.tls_cert = "cert.pem";
  flags.tls_key = "key.pem";
  Expected<Transport> tls = ConfigureTransport(flags, "0.0.0.0:0");
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.error().message.find("--access"), std::string::npos) << tls.error().message;
}

TEST(AccessFile, BadFilesAreRefusedWithTheReason) {
  const fs::path file = fs::temp_directory_path() / ("scangate-access-" + std::to_string(::getpid()));
  auto load = [&](const std::string& text) {
    WriteFile(file, text);
    Expected<AccessControl> access = AccessControl::Load(file.string());
    return access.ok() ? std::string("ok") : access.error().message;
  };
  const std::string hash(64, 'a');
  EXPECT_EQ(load("clients { name: \"a\" roles: STATION certificate_common_name: \"a\" }"), "ok");
  EXPECT_NE(load("clients { name: \"a\" roles: STATON }").find(":1:"), std::string::npos);
  EXPECT_NE(load("clients { roles: STATION certificate_common_name: \"a\" }").find("name"),
            std::string::npos);
  EXPECT_NE(load("clients { name: \"a\" certificate_common_name: \"a\" }").find("roles"),
            std::string::npos);
  EXPECT_NE(load("clients { name: \"a\" roles: STATION }").find("certificate_common_name"),
            std::string::npos);
  EXPECT_NE(load("clients { name: \"a\" roles: BRANCH token_sha256: \"abc\" }").find("64 hex"),
            std::string::npos);
  EXPECT_NE(load("clients { name: \"a\" roles: BRANCH token_sha256: \"" + std::string(64, 'g') +
                 "\" }").find("64 hex"),
            std::string::npos);
  EXPECT_NE(load("clients { name: \"a\" roles: BRANCH token_sha256: \"" + hash + "\" }\n"
                 "clients { name: \"b\" roles: ADMIN token_sha256: \"" + hash + "\" }")
                .find("same token"),
            std::string::npos);
  EXPECT_NE(load("clients { name: \"a\" roles: STATION certificate_common_name: \"x\" }\n"
                 "clients { name: \"b\" roles: ADMIN certificate_common_name: \"x\" }")
                .find("names another client"),
            std::string::npos);
  fs::remove(file);
}

}  // namespace
}  // namespace scangate
