// Profiles that cannot hurt the server: patterns that run in linear time on
// whatever a page carries, numbers that are numbers, templates read only
// from the profile's own folder and within limits, and a server that answers
// (instead of dying) when work on its queue throws. Real files, real
// processes where a server or the command line is involved.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "pipeline/barcode/barcode.h"
#include "server/ledger.h"
#include "wire/page_categories.h"
#include "wire/profile_store.h"
#include "server/scan_service.h"
#include "scangate/v1/scangate.grpc.pb.h"
#include "tests/support/forwarding_ledger.h"
#include "tests/support/hostile_files.h"
#include "tests/support/process.h"
#include "tests/support/synthetic_page.h"
#include "batch/batch_rules.h"
#include "tests/support/recorded.h"
#include "tests/support/scan_stream_end.h"

namespace scangate {
namespace {

namespace fs = std::filesystem;
using testing::Built;
using testing::ServerProcess;

// A folder of its own per test: DIR/profiles/forms/form.png is a real form
// template (the bundled pension-claim form), DIR/elsewhere.png a copy of it
// outside the profiles folder.
class ProfileFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("scangate-profile-limits-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "profiles" / "forms");
    const fs::path form = fs::path(SCANGATE_SOURCE_DIR) / "profiles/forms/pension-claim.png";
    fs::copy_file(form, dir_ / "profiles/forms/form.png");
    fs::copy_file(form, dir_ / "elsewhere.png");
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string Profiles() const { return (dir_ / "profiles").string(); }
  std::string WriteProfile(const std::string& name, const std::string& text) const {
    const fs::path file = dir_ / "profiles" / (name + ".textproto");
    std::ofstream(file) << text;
    return file.string();
  }
  // Loads `text` as profile file NAME.textproto; the error when refused.
  std::string Refusal(const std::string& text, std::string name = "p") {
    const std::string file = WriteProfile(name, text);
    Expected<LoadedProfile> loaded = ProfileStore::LoadFile(file);
    if (loaded.ok()) return "(loaded)";
    fs::remove(file);
    return loaded.error().message;
  }
  static std::string Form(const std::string& template_image) {
    return "name: \"f\"\nform {\n  width_mm: 210\n  height_mm: 297\n  template_image: \"" +
           template_image + "\"\n}\n";
  }

  fs::path dir_;
};

BarcodeMeasure Code(const std::string& text) {
  BarcodeMeasure m;
  m.format = "QRCode";
  m.text = text;
  return m;
}

v1::PageVerdict PageCarrying(const std::string& text) {
  v1::PageVerdict page;
  auto* b = page.add_barcodes();
  b->set_format("QRCode");
  b->set_text(text);
  return page;
}

// --- patterns ---------------------------------------------------------------

// std::regex backtracks: (a+)+$ against 40 a's and a mismatch is 2^40 steps.
// RE2 answers in time linear in the text; the old code never finished.
TEST_F(ProfileFolder, ABacktrackingPatternAnswersAtOnceOnALongPayload) {
  const std::string file = WriteProfile("p", R"(name: "p"
barcode { payload_pattern: "(a+)+$" }
structure { categories { name: "c" separator_pattern: "(a+)+$" } }
)");
  Expected<LoadedProfile> result = ProfileStore::LoadFile(file);
  ASSERT_TRUE(result.ok()) << result.error().message;
  const LoadedProfile& loaded = result.value();
  const std::string as(40, 'a');

  EXPECT_TRUE(RuleAccepts(loaded.profile->barcode, Code(as)));
  EXPECT_FALSE(RuleAccepts(loaded.profile->barcode, Code(as + "!")));
  EXPECT_FALSE(RuleAccepts(loaded.profile->barcode, Code(std::string(5000, 'a') + "!")));

  PageCategories categories(loaded.definition.structure());
  v1::PageVerdict page = PageCarrying(as + "!");
  categories.Classify(page, "", "", nullptr);
  EXPECT_FALSE(page.separator_sheet());
  page = PageCarrying(as);
  categories.Classify(page, "", "", nullptr);
  EXPECT_TRUE(page.separator_sheet());
}

// Patterns apply to at most 8,192 bytes (above the 7,089 digits of the
// largest QR code); a longer payload matches none, and the reason says so.
TEST_F(ProfileFolder, APayloadPastTheBoundMatchesNoPatternAndTheReasonSaysWhy) {
  const std::string file = WriteProfile("p", R"p(name: "p"
barcode { payload_pattern: "[0-9]*([0-9])" page_count_group: 1 first_page_is_summary_sheet: true }
)p");
  Expected<LoadedProfile> result = ProfileStore::LoadFile(file);
  ASSERT_TRUE(result.ok()) << result.error().message;
  const LoadedProfile& loaded = result.value();
  EXPECT_TRUE(RuleAccepts(loaded.profile->barcode, Code(std::string(8192, '7'))));
  EXPECT_FALSE(RuleAccepts(loaded.profile->barcode, Code(std::string(8193, '7'))));

  PageVerdict page;
  page.blank.ink_ratio = 0.05;
  page.barcodes.push_back(Code(std::string(9000, '7')));
  DecidePage(page, *loaded.profile);
  const v1::BatchVerdict batch = DecideBatch(testing::Recorded({page}), *loaded.profile, true);
  EXPECT_TRUE(batch.transaction_id().empty());
  std::string details;
  for (const v1::Reason& r : batch.reasons()) details += r.detail() + "\n";
  EXPECT_NE(details.find("9000 bytes; patterns apply to at most 8192"), std::string::npos)
      << details;
  EXPECT_LT(details.size(), 1000u) << "the payload is named, not copied whole";
}

TEST_F(ProfileFolder, APatternRE2CannotTakeIsRefusedAtLoadWithFileAndLine) {
  std::string error =
      Refusal("name: \"p\"\nmin_pages: 1\nbarcode { payload_pattern: \"(SI)\\\\1\" }\n");
  EXPECT_NE(error.find("p.textproto:3:"), std::string::npos) << error;
  EXPECT_NE(error.find("barcode.payload_pattern"), std::string::npos) << error;
  EXPECT_NE(error.find("RE2"), std::string::npos) << error;

  // Lookahead, in a nested category's barcode_pattern.
  error = Refusal(R"(name: "p"
structure {
  categories { name: "a"
    categories { name: "b" separator_pattern: "SEP-B" }
    categories { name: "c" barcode_pattern: "(?=SI)SI[0-9]+" }
  }
}
)");
  EXPECT_NE(error.find("p.textproto:5:"), std::string::npos) << error;
  EXPECT_NE(error.find("barcode_pattern"), std::string::npos) << error;
}

// A format name ZXing does not know is refused at load: it used to add
// nothing (a rule whose every name was unknown took every format).
TEST_F(ProfileFolder, AnUnknownBarcodeFormatIsRefusedAtLoadNamingIt) {
  const std::string error =
      Refusal("name: \"p\"\nbarcode { formats: \"Code128\" formats: \"Code129\" }\n");
  EXPECT_NE(error.find("barcode.formats"), std::string::npos) << error;
  EXPECT_NE(error.find("'Code129'"), std::string::npos) << error;
  EXPECT_EQ(Refusal("name: \"p\"\nbarcode { formats: \"QRCode\" formats: \"Code128\" }\n"),
            "(loaded)");
}

// --- numbers ----------------------------------------------------------------

TEST_F(ProfileFolder, NanAndInfinitiesAreRefusedAtLoadNamingTheField) {
  std::string error = Refusal("name: \"p\"\nmin_dpi: nan\n");
  EXPECT_NE(error.find("p.textproto:2:"), std::string::npos) << error;
  EXPECT_NE(error.find("min_dpi"), std::string::npos) << error;

  error = Refusal("name: \"p\"\nform {\n  width_mm: nan\n  height_mm: 297\n"
                  "  template_image: \"forms/form.png\"\n}\n");
  EXPECT_NE(error.find("p.textproto:3:"), std::string::npos) << error;
  EXPECT_NE(error.find("form.width_mm"), std::string::npos) << error;

  error = Refusal("name: \"p\"\nbarcode {\n  orientations_degrees: [0, -inf]\n}\n");
  EXPECT_NE(error.find("barcode.orientations_degrees[1]"), std::string::npos) << error;

  error = Refusal("name: \"p\"\nform {\n  width_mm: 210\n  height_mm: 297\n"
                  "  template_image: \"forms/form.png\"\n"
                  "  fields { name: \"a\" x_mm: 10 y_mm: 10 width_mm: 20 height_mm: 10 }\n"
                  "  fields { name: \"b\" x_mm: 10 y_mm: 30 width_mm: inf height_mm: 10 }\n}\n");
  EXPECT_NE(error.find("p.textproto:7:"), std::string::npos) << error;
  EXPECT_NE(error.find("form.fields[1].width_mm"), std::string::npos) << error;

  error = Refusal("name: \"p\"\npage_signature { min_score: nan }\n");
  EXPECT_NE(error.find("page_signature.min_score"), std::string::npos) << error;
}

// --- defaults in one place ---------------------------------------------------

// Thresholds are proto3 optional: left out, the built-in default stands
// (pipeline/profile.h); set, the value is taken as it is, 0 included. With
// plain scalars "min_dpi: 0" and "blank_max_ink_ratio: 0" read as unset.
TEST_F(ProfileFolder, AThresholdSetToZeroIsZeroAndOneLeftOutIsTheDefault) {
  const std::string file = WriteProfile(
      "zero", "name: \"zero\"\nmin_dpi: 0\nblank_max_ink_ratio: 0\nmax_skew_degrees: 0\n"
              "dark_page_max_level: 0\nmin_skew_confidence: 0.6\n"
              "page_signature { required: true min_score: 0 }\n");
  Expected<LoadedProfile> result = ProfileStore::LoadFile(file);
  ASSERT_TRUE(result.ok()) << result.error().message;
  const LoadedProfile& loaded = result.value();
  const Profile& zero = *loaded.profile;
  std::string error;
  const Profile defaults;
  EXPECT_EQ(zero.min_dpi, 0);
  EXPECT_EQ(zero.blank_max_ink_ratio, 0);
  EXPECT_EQ(zero.max_skew_degrees, 0);
  EXPECT_EQ(zero.dark_page_max_level, 0);
  EXPECT_EQ(zero.min_skew_confidence, 0.6);
  EXPECT_EQ(zero.page_signature.min_score, 0);
  // Left out: the defaults, from one place.
  EXPECT_EQ(zero.min_pages, defaults.min_pages);
  EXPECT_EQ(zero.max_blur_sigma, defaults.max_blur_sigma);
  EXPECT_EQ(zero.dark_page_max_contrast, defaults.dark_page_max_contrast);
  // A blur limit of 0 would call every page blurred: refused, named.
  error = Refusal("name: \"p\"\nmax_blur_sigma: 0\n");
  EXPECT_NE(error.find("max_blur_sigma"), std::string::npos) << error;
  error = Refusal("name: \"p\"\ndark_page_max_level: 300\n");
  EXPECT_NE(error.find("dark_page_max_level"), std::string::npos) << error;
}

// Text format takes "\377"; a profile name or zone label that is not UTF-8
// made every verdict and profile list carrying it unparseable for stations.
TEST_F(ProfileFolder, TextThatIsNotUtf8IsRefusedAtLoadNamingTheField) {
  std::string error = Refusal("name: \"p\"\nretention: \"10y\\377\"\n");
  EXPECT_NE(error.find("p.textproto:2:"), std::string::npos) << error;
  EXPECT_NE(error.find("retention: not UTF-8"), std::string::npos) << error;

  error = Refusal("name: \"p\"\nstructure {\n  categories { name: \"a\" label: \"\\xc0\\xaf\" }\n}\n");
  EXPECT_NE(error.find("structure.categories[0].label: not UTF-8"), std::string::npos) << error;

  EXPECT_EQ(Refusal("name: \"p\"\ndescription: \"养老金申领 \\360\\237\\223\\204\"\n"), "(loaded)");
}

// --- form templates ---------------------------------------------------------

TEST_F(ProfileFolder, ATemplateIsReadOnlyFromInsideTheProfilesFolder) {
  EXPECT_EQ(Refusal(Form("forms/form.png")), "(loaded)");

  std::string error = Refusal(Form("/dev/zero"));
  EXPECT_NE(error.find("form.template_image"), std::string::npos) << error;
  EXPECT_NE(error.find("not relative"), std::string::npos) << error;

  error = Refusal(Form((dir_ / "elsewhere.png").string()));
  EXPECT_NE(error.find("not relative"), std::string::npos) << error;

  error = Refusal(Form("../elsewhere.png"));
  EXPECT_NE(error.find("leads out of the profile's folder"), std::string::npos) << error;
  error = Refusal(Form("forms/../../elsewhere.png"));
  EXPECT_NE(error.find("leads out of the profile's folder"), std::string::npos) << error;

  fs::create_symlink(dir_ / "elsewhere.png", dir_ / "profiles/forms/link.png");
  error = Refusal(Form("forms/link.png"));
  EXPECT_NE(error.find("outside the profile's folder"), std::string::npos) << error;

  fs::create_directory_symlink("/dev", dir_ / "profiles/devices");
  error = Refusal(Form("devices/zero"));
  EXPECT_NE(error.find("outside the profile's folder"), std::string::npos) << error;

  // A named pipe inside the folder would block the reader forever.
  ASSERT_EQ(::mkfifo((dir_ / "profiles/forms/pipe.png").c_str(), 0600), 0);
  error = Refusal(Form("forms/pipe.png"));
  EXPECT_NE(error.find("not a regular file"), std::string::npos) << error;
}

TEST_F(ProfileFolder, ATemplateOverTheByteOrPixelLimitIsRefusedBeforeDecoding) {
  // Valid PNG headers, then more bytes than a template may have.
  {
    std::string png = synth::UniformPng(2480, 3508);
    png.resize(ProfileLimits::kTemplate.max_bytes + 1, '\0');
    std::ofstream(dir_ / "profiles/forms/big.png", std::ios::binary) << png;
  }
  std::string error = Refusal(Form("forms/big.png"));
  EXPECT_NE(error.find("form.template_image"), std::string::npos) << error;
  EXPECT_NE(error.find("is over " + std::to_string(ProfileLimits::kTemplate.max_bytes) + " bytes"),
            std::string::npos)
      << error;

  // An A4 form at 1,000 dpi: 8268 x 11693 px, 97 Mpx, small as a file.
  std::ofstream(dir_ / "profiles/forms/huge.png", std::ios::binary)
      << synth::UniformPng(8268, 11693);
  error = Refusal(Form("forms/huge.png"));
  EXPECT_NE(error.find("form.template_image"), std::string::npos) << error;
  EXPECT_NE(error.find("above the limit"), std::string::npos) << error;
}

// --- the command line: a page that carries the largest QR code --------------

std::string QrPagePng(const std::string& text) {
  ZXing::BitMatrix bits =
      ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode).setMargin(0).encode(text, 0, 0);
  cv::Mat page(3508, 2480, CV_8UC1, cv::Scalar(255));  // A4 at 300 dpi
  const int module = 5;
  const cv::Point at(300, 300);
  for (int y = 0; y < bits.height(); ++y)
    for (int x = 0; x < bits.width(); ++x)
      if (bits.get(x, y))
        cv::rectangle(page, cv::Rect(at.x + x * module, at.y + y * module, module, module), 20,
                      cv::FILLED);
  return synth::EncodePng(page, 300);
}

// libstdc++'s std::regex recursed once per character: (7|8)* against the
// 7,089 digits a QR code holds overflowed the stack (SIGSEGV).
TEST_F(ProfileFolder, ThePageWithTheLargestQrCodeIsJudgedWithoutACrash) {
  std::mt19937 random(7);
  std::string digits;
  for (int i = 0; i < 7089; ++i) digits += char('7' + random() % 2);
  std::ofstream(dir_ / "qr.png", std::ios::binary) << QrPagePng(digits);
  const std::string profile = WriteProfile(
      "qr", "name: \"qr\"\nbarcode { formats: \"QRCode\" payload_pattern: \"(7|8)*\" required: true }\n");

  auto run = testing::Run({Built("clients/scangate"), "check", "--json", "--profile", profile,
                           (dir_ / "qr.png").string()});

  ASSERT_TRUE(run.exit_code == 0 || run.exit_code == 1) << "exit " << run.exit_code << run.out;
  v1::PageVerdict verdict;
  const std::string json = run.out.substr(0, run.out.find('\n'));
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &verdict).ok()) << run.out;
  ASSERT_EQ(verdict.barcodes_size(), 1) << run.out.substr(0, 2000);
  EXPECT_EQ(verdict.barcodes(0).text(), digits);
  for (const v1::Reason& r : verdict.reasons())
    EXPECT_NE(r.code(), v1::BARCODE_PAYLOAD) << r.detail();
}

// --- a real server: reload, and work on its queue that throws ---------------

class ReloadingServer : public ProfileFolder {
 protected:
  void StartServer() {
    fs::create_directories(dir_ / "data");
    WriteProfile("good", "name: \"good\"\nmin_dpi: 150\n");
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{
        "--data-dir", (dir_ / "data").string(), "--profiles", Profiles()});
    ASSERT_TRUE(server_->started());
    stub_ = v1::Scangate::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }
  grpc::Status Reload() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::ReloadProfilesResponse response;
    return stub_->ReloadProfiles(&ctx, {}, &response);
  }
  std::vector<std::string> Served() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::ListProfilesResponse response;
    std::vector<std::string> names;
    grpc::Status status = stub_->ListProfiles(&ctx, {}, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const auto& p : response.profiles()) names.push_back(p.name());
    return names;
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::Scangate::Stub> stub_;
};

TEST_F(ReloadingServer, AReloadMeetingABadNumberKeepsServingTheProfilesInForce) {
  StartServer();
  const std::vector<std::string> before = {"default", "good"};
  ASSERT_EQ(Served(), before);
  struct Bad {
    std::string text, field;
  };
  for (const Bad& bad :
       {Bad{"name: \"bad\"\nmin_dpi: nan\n", "min_dpi"},
        Bad{"name: \"bad\"\nform {\n  width_mm: nan\n  height_mm: 297\n"
            "  template_image: \"forms/form.png\"\n}\n",
            "form.width_mm"},
        Bad{"name: \"bad\"\nform {\n  width_mm: 210\n  height_mm: 297\n"
            "  template_image: \"forms/form.png\"\n"
            "  seals { name: \"s\" x_mm: 10 y_mm: 10 width_mm: 20 height_mm: inf }\n}\n",
            "form.seals[0].height_mm"}}) {
    const std::string file = WriteProfile("bad", bad.text);
    grpc::Status status = Reload();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
    EXPECT_NE(status.error_message().find("bad.textproto:"), std::string::npos)
        << status.error_message();
    EXPECT_NE(status.error_message().find(bad.field), std::string::npos) << status.error_message();
    EXPECT_EQ(Served(), before);
    fs::remove(file);
  }
  WriteProfile("more", "name: \"more\"\n");
  EXPECT_TRUE(Reload().ok());
  EXPECT_EQ(Served(), (std::vector<std::string>{"default", "good", "more"}));
}

// A folder entry that cannot even be examined (a symlink loop) made the
// reload task throw on the server's work queue, which ended the server.
TEST_F(ReloadingServer, AReloadThatFailsUnexpectedlyIsAnsweredAndTheServerServesOn) {
  StartServer();
  fs::create_symlink("loop.textproto", dir_ / "profiles" / "loop.textproto");
  grpc::Status status = Reload();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.error_message().find("loop.textproto"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(Served(), (std::vector<std::string>{"default", "good"}));

  // A dangling symlink is skipped, as it always was.
  fs::remove(dir_ / "profiles" / "loop.textproto");
  fs::create_symlink("gone.textproto", dir_ / "profiles" / "dangling.textproto");
  WriteProfile("more", "name: \"more\"\n");
  status = Reload();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Served(), (std::vector<std::string>{"default", "good", "more"}));
}

// --- the work queue: a task that throws answers its call ------------------

// The Scangate service on `ledger` (an empty profile store, one engine
// thread), served on a loopback port, and a stub for it; drained and shut
// down when it goes.
struct ServiceOn {
  explicit ServiceOn(Ledger& ledger) : service(engine, profiles, ledger, ServiceOptions{}, nullptr) {
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    if (server)
      stub = v1::Scangate::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                       grpc::InsecureChannelCredentials()));
  }
  ~ServiceOn() {
    service.Drain();
    if (server) server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  Engine engine{EngineOptions{.threads = 1}};
  ProfileStore profiles;
  ScangateService service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::Scangate::Stub> stub;
};

// The SQLite ledger, except that reading batch "broken" throws what no
// ledger is documented to throw.
class BrokenLedger : public testing::ForwardingLedger {
 public:
  std::optional<StoredBatch> LoadBatch(const std::string& id) override {
    if (id == "broken") throw std::runtime_error("a row the ledger cannot read");
    return ForwardingLedger::LoadBatch(id);
  }
};

TEST(WorkQueue, ATaskThatThrowsAnswersItsCallWithAnErrorAndTheServerServesOn) {
  BrokenLedger ledger;
  ServiceOn served(ledger);
  ASSERT_TRUE(served.server);
  v1::Scangate::Stub* stub = served.stub.get();
  auto lookup = [&](const std::string& id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::GetBatchVerdictRequest request;
    request.set_batch_id(id);
    v1::BatchVerdict verdict;
    return stub->GetBatchVerdict(&ctx, request, &verdict);
  };

  grpc::Status broken = lookup("broken");
  EXPECT_EQ(broken.error_code(), grpc::StatusCode::INTERNAL) << broken.error_message();
  EXPECT_NE(broken.error_message().find("a row the ledger cannot read"), std::string::npos)
      << broken.error_message();
  // The queue's thread lives on: the next call is answered.
  EXPECT_EQ(lookup("no-such-batch").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(lookup("broken").error_code(), grpc::StatusCode::INTERNAL);

}

// --- a resume racing a close elsewhere ------------------------------------

// The SQLite ledger, where a stream on another server sharing it closes the
// batch as accepted just before this server's resume takes its claim: the
// moment between the resume's check and its claim.
class RacingLedger : public testing::ForwardingLedger {
 public:
  void ReopenBatch(const std::string& id, const Seen& seen, Claimed done) override {
    if (!raced_.exchange(true)) {
      v1::BatchVerdict accepted;
      accepted.set_batch_id(id);
      accepted.set_final(true);
      accepted.set_decision(v1::ACCEPT);
      accepted.set_version(1);
      std::promise<std::uint64_t> closed;
      inner().RecordBatchVerdict(accepted, seen.claim, [&](Written w, std::uint64_t sequence) {
        closed.set_value(w == Written::kDurable ? sequence : 0);
      });
      sequence_ = closed.get_future().get();
    }
    ForwardingLedger::ReopenBatch(id, seen, std::move(done));
  }
  std::uint64_t sequence() const { return sequence_; }

 private:
  std::atomic<bool> raced_{false};
  std::atomic<std::uint64_t> sequence_{0};
};

TEST(ResumeRace, ABatchClosedAcceptedElsewhereBetweenTheCheckAndTheClaimIsNotReopened) {
  RacingLedger ledger;
  ServiceOn served(ledger);
  ASSERT_TRUE(served.server);
  v1::Scangate::Stub* stub = served.stub.get();
  auto open = [](bool resume) {
    v1::ScanRequest r;
    r.mutable_open()->set_batch_id("raced");
    r.mutable_open()->set_station_id("counter-3");
    r.mutable_open()->set_resume(resume);
    return r;
  };
  {
    // The station's stream ends without a close: the batch is left to resume.
    grpc::ClientContext ctx;
    auto stream = stub->Scan(&ctx);
    ASSERT_TRUE(stream->Write(open(false)));
    v1::ScanRequest page;
    page.mutable_page()->set_content(QrPagePng("SI2026120300001"));
    page.mutable_page()->set_file_name("p.png");
    ASSERT_TRUE(stream->Write(page));
    const testing::StreamEnd end = testing::FinishStream(*stream);
    ASSERT_EQ(end.pages.size(), 1u) << end.status.error_message();
  }
  ASSERT_EQ(ledger.LoadBatch("raced")->state, "incomplete");

  // It resumes; another server's stream closes the batch, accepted, after
  // this server checked it and before it claims it.
  grpc::ClientContext ctx;
  auto stream = stub->Scan(&ctx);
  ASSERT_TRUE(stream->Write(open(true)));
  const testing::StreamEnd end = testing::FinishStream(*stream);
  EXPECT_EQ(end.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << end.status.error_message();
  EXPECT_NE(end.status.error_message().find("accepted and is final"), std::string::npos)
      << end.status.error_message();
  EXPECT_FALSE(end.batch);

  // The accepted verdict stands, alone in the feed; the batch is not open.
  ASSERT_GT(ledger.sequence(), 0u);
  const auto stored = ledger.LoadBatch("raced");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, "final");
  ASSERT_TRUE(stored->verdict);
  EXPECT_EQ(stored->verdict->decision(), v1::ACCEPT);
  EXPECT_EQ(stored->verdict->sequence(), ledger.sequence());
  EXPECT_EQ(ledger.FeedAfter(0, 10).size(), 1u);
  EXPECT_TRUE(ledger.OpenBatchIds().empty());

}

}  // namespace
}  // namespace scangate
