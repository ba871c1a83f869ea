// Who may do what, through a real scangate-server over TLS: certificates are
// made by the test at run time (a CA, the server's with SAN 127.0.0.1 and
// localhost, one client certificate per role, and one from a CA the server
// does not trust), plus a branch system's bearer token held hashed in the
// access file.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "server/access.h"
#include "grpc/health/v1/health.grpc.pb.h"
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
    for (const char* who : {"station-1", "archive-1", "admin-1"}) certs_->IssueClient(who);
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
              "clients { name: \"branch-7\" roles: BRANCH token_sha256: \"" + token_hash + "\" }\n");
    WriteFile(dir_ / "profiles" / "quick.textproto",
              "name: \"quick\"\ndescription: \"any page\"\n");
    WriteFile(dir_ / "branch.token", std::string(kBranchToken) + "\n");
    WriteFile(dir_ / "wrong.token", "not-the-token\n");

    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{
        "--tls-cert", certs_->Pem("server"), "--tls-key", certs_->Key("server"),
        "--tls-client-ca", certs_->Pem("ca"), "--access", (dir_ / "access.textproto").string(),
        "--profiles", (dir_ / "profiles").string(), "--data-dir", (dir_ / "data").string(),
        "--threads", "2"});
    ASSERT_TRUE(server_->started()) << "scangate-server did not start over TLS";
  }

  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
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
                               const std::string& batch_id) {
    auto stub = v1::Scangate::NewStub(channel);
    grpc::ClientContext ctx;
    Deadline(ctx);
    v1::GetBatchVerdictRequest request;
    request.set_batch_id(batch_id);
    v1::BatchVerdict verdict;
    return stub->GetBatchVerdict(&ctx, request, &verdict);
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
  Transport out;
  std::string error;
  EXPECT_FALSE(ConfigureTransport(flags, "127.0.0.1:0", out, error));
  flags.tls_cert = "cert.pem";
  flags.tls_key = "key.pem";
  EXPECT_FALSE(ConfigureTransport(flags, "0.0.0.0:0", out, error));
  EXPECT_NE(error.find("--access"), std::string::npos) << error;
}

TEST(AccessFile, BadFilesAreRefusedWithTheReason) {
  const fs::path file = fs::temp_directory_path() / ("scangate-access-" + std::to_string(::getpid()));
  auto load = [&](const std::string& text) {
    WriteFile(file, text);
    AccessControl access;
    std::string error;
    bool ok = AccessControl::Load(file.string(), access, error);
    return ok ? std::string("ok") : error;
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
