// The counter screen's parts without a browser: thumbnails made in memory
// within the decoding limits (a placeholder for what cannot be decoded),
// the state's JSON with untrusted text in it, the bounds on what the screen
// keeps, and where it may listen. The page itself in Chromium is
// counter_screen_browser_test.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "clients/counter_screen.h"
#include "tests/support/hostile_files.h"
#include "tests/support/synthetic_page.h"

namespace scangate::cli {
namespace {

std::string A4Page(double dpi) {
  synth::PageSpec spec;
  spec.dpi = dpi;
  spec.seed = 11;
  return synth::EncodeJpeg(synth::TextPage(spec), 85, dpi);
}

void ExpectThumbnail(const Thumbnail& t, double aspect) {
  ASSERT_FALSE(t.jpeg.empty());
  EXPECT_LE(std::max(t.width, t.height), kThumbnailLongSide);
  EXPECT_GE(std::max(t.width, t.height), kThumbnailLongSide / 2);
  EXPECT_NEAR(double(t.height) / t.width, aspect, 0.02);
  const cv::Mat decoded =
      cv::imdecode(cv::Mat(1, int(t.jpeg.size()), CV_8U, const_cast<char*>(t.jpeg.data())),
                   cv::IMREAD_UNCHANGED);
  EXPECT_EQ(decoded.cols, t.width);
  EXPECT_EQ(decoded.rows, t.height);
}

TEST(CounterScreenThumbnail, IsAtMostItsLongSideFromAnyPageTheServerTakes) {
  ExpectThumbnail(MakeThumbnail(A4Page(300)), 297.0 / 210);
  ExpectThumbnail(MakeThumbnail(A4Page(200)), 297.0 / 210);
  synth::PageSpec spec;
  spec.dpi = 150;
  ExpectThumbnail(MakeThumbnail(synth::EncodePng(synth::TextPage(spec), 150)), 297.0 / 210);
  // The third page of a multi-page TIFF.
  ExpectThumbnail(MakeThumbnail(synth::BlankG4Tiff(2480, 3508, 3), 2), 3508.0 / 2480);
}

TEST(CounterScreenThumbnail, WhatCannotBeDecodedGetsAPlaceholderNotACrash) {
  EXPECT_TRUE(MakeThumbnail("").jpeg.empty());
  EXPECT_TRUE(MakeThumbnail("not an image at all").jpeg.empty());
  const std::string page = A4Page(200);
  EXPECT_NO_THROW(MakeThumbnail(page.substr(0, page.size() / 3)));
  // A decompression bomb (90 Mpx in a few hundred KB) is refused from its
  // header, as the server refuses it: nothing is allocated for it.
  EXPECT_TRUE(MakeThumbnail(synth::UniformPng(10000, 9000)).jpeg.empty());
  // A frame the file does not have.
  EXPECT_TRUE(MakeThumbnail(A4Page(200), 1).jpeg.empty());
}

google::protobuf::Struct Parse(const std::string& json) {
  google::protobuf::Struct state;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &state);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return state;
}

TEST(CounterScreenState, UntrustedTextIsEscapedAndStaysText) {
  CounterScreen screen("counter-3", "/scans/in", "pension-claim");
  // A batch id, a file name and a barcode's text are a station's or a
  // page's: markup, quotes, control characters, a right-to-left override,
  // bytes that are not UTF-8.
  const std::string id = "SI</script><b x=\"1\">&\\";
  const std::string file = std::string("a\x01\"\n\xff\xfe.jpg") + "\u202e" + "gpj.exe";
  v1::PageVerdict page;
  page.set_page_index(0);
  page.set_decision(v1::REJECT);
  page.set_width_px(1000);
  page.set_height_px(1400);
  auto* code = page.add_barcodes();
  code->set_format("QRCode");
  code->set_text("<img src=x onerror=alert(1)>");
  for (int c : {10, 10, 90, 10, 90, 90, 10, 90}) code->add_position(c);
  auto* field = page.add_fields();
  field->set_name("phone");
  field->set_filled(false);
  for (int c : {100, 200, 400, 200, 400, 260, 100, 260}) field->add_position(c);
  auto* reason = page.add_reasons();
  reason->set_code(v1::SUMMARY_FIELD_MISSING);
  reason->set_zone("phone");
  reason->set_detail("field phone is empty");
  screen.BatchOpened(id, id);
  screen.PageJudged(id, file, page, Thumbnail{});

  const std::string json = screen.StateJson();
  EXPECT_EQ(json.find('<'), std::string::npos) << json;
  EXPECT_EQ(json.find('>'), std::string::npos) << json;
  EXPECT_EQ(json.find('&'), std::string::npos) << json;
  EXPECT_EQ(json.find('\x01'), std::string::npos);
  EXPECT_EQ(json.find('\xff'), std::string::npos);
  EXPECT_EQ(json.find("\u202e"), std::string::npos);
  const google::protobuf::Struct state = Parse(json);
  const auto& batch = state.fields().at("batches").list_value().values(0).struct_value();
  EXPECT_EQ(batch.fields().at("id").string_value(), id);  // the same text, once parsed
  const auto& p = batch.fields().at("pages").list_value().values(0).struct_value();
  EXPECT_EQ(p.fields().at("file").string_value(),
            std::string("a\x01\"\n\uFFFD\uFFFD.jpg") + "\uFFFD" + "gpj.exe");
  EXPECT_EQ(p.fields().at("thumb").string_value(), "");  // the placeholder
  const auto& zones = p.fields().at("zones").list_value();
  ASSERT_EQ(zones.values_size(), 2);
  const auto& phone = zones.values(0).struct_value();
  EXPECT_EQ(phone.fields().at("kind").string_value(), "field");
  EXPECT_FALSE(phone.fields().at("ok").bool_value());
  EXPECT_EQ(phone.fields().at("pts").list_value().values(4).number_value(), 400);
  const auto& qr = zones.values(1).struct_value();
  EXPECT_EQ(qr.fields().at("name").string_value(), "QRCode <img src=x onerror=alert(1)>");
}

TEST(CounterScreenState, APageWideSignatureMissingOutlinesTheWholePage) {
  CounterScreen screen("", "/scans/in", "signed-pages");
  v1::PageVerdict page;
  page.set_decision(v1::REJECT);
  page.set_width_px(1654);
  page.set_height_px(2339);
  auto* signature = page.add_signatures();
  signature->set_zone("page");
  signature->set_present(false);
  screen.PageJudged("b", "p.jpg", page, Thumbnail{});
  const google::protobuf::Struct state = Parse(screen.StateJson());
  const auto& p = state.fields().at("batches").list_value().values(0).struct_value().fields().at(
      "pages").list_value().values(0).struct_value();
  const auto& zones = p.fields().at("zones").list_value();
  ASSERT_EQ(zones.values_size(), 1);
  const auto& zone = zones.values(0).struct_value();
  EXPECT_EQ(zone.fields().at("kind").string_value(), "signature");
  EXPECT_FALSE(zone.fields().at("ok").bool_value());
  EXPECT_EQ(zone.fields().at("pts").list_value().values(4).number_value(), 1654);
  EXPECT_EQ(zone.fields().at("pts").list_value().values(5).number_value(), 2339);
}

TEST(CounterScreenState, KeepsTheLastBatchesAndTheNextRescan) {
  CounterScreen screen("", "/scans/in", "default");
  v1::PageVerdict page;
  page.set_decision(v1::ACCEPT);
  for (int i = 0; i < 20; ++i) {
    const std::string id = "batch-" + std::to_string(i);
    screen.BatchOpened(id, "");
    screen.PageJudged(id, "p.jpg", page, MakeThumbnail(A4Page(100)));
    v1::BatchVerdict verdict;
    verdict.set_decision(i == 19 ? v1::REJECT : v1::ACCEPT);
    screen.BatchDecided(id, verdict, i == 19);
  }
  screen.SetNext(NextRescan{"batch-19", 0, "p.jpg"});
  const google::protobuf::Struct state = Parse(screen.StateJson());
  const auto& batches = state.fields().at("batches").list_value();
  ASSERT_EQ(std::size_t(batches.values_size()), kScreenBatches);
  EXPECT_EQ(batches.values(0).struct_value().fields().at("id").string_value(), "batch-19");
  EXPECT_EQ(batches.values(0).struct_value().fields().at("state").string_value(), "waiting");
  EXPECT_EQ(state.fields().at("next").struct_value().fields().at("batch").string_value(), "batch-19");
  // Thumbnails of batches no longer kept are gone: only the kept ones are served.
  EXPECT_FALSE(screen.ThumbnailBytes(1));
  EXPECT_TRUE(screen.ThumbnailBytes(20));
}

TEST(CounterScreenAddress, LoopbackByDefaultAnotherAddressOnlyWhenNamedNeverEveryInterface) {
  auto parsed = [](const std::string& value) {
    Expected<ScreenAddress> a = ParseScreenAddress(value);
    EXPECT_TRUE(a.ok()) << value << ": " << (a.ok() ? "" : a.error().message);
    return a.ok() ? a.value() : ScreenAddress{"", false};
  };
  EXPECT_EQ(parsed("8080").address, "127.0.0.1:8080");
  EXPECT_TRUE(parsed("8080").loopback);
  EXPECT_EQ(parsed("localhost:0").address, "127.0.0.1:0");
  EXPECT_TRUE(parsed("[::1]:9000").loopback);
  EXPECT_EQ(parsed("[::1]:9000").address, "[::1]:9000");
  EXPECT_EQ(parsed("192.168.10.5:8080").address, "192.168.10.5:8080");
  EXPECT_FALSE(parsed("192.168.10.5:8080").loopback);
  for (const char* bad : {"0.0.0.0:8080", "[::]:8080", "counter.local:8080", "127.0.0.1:",
                          "127.0.0.1:70000", "127.0.0.1:-1", "::1:8080", ""})
    EXPECT_FALSE(ParseScreenAddress(bad).ok()) << bad;
}

}  // namespace
}  // namespace scangate::cli
