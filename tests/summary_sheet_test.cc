// The summary sheet: registration of the bundled forms, field, signature and
// seal decisions on a few hand-picked sheets, the batch rule, and profile
// validation. Accuracy over many sheets is the bench's (summary_bench.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <opencv2/imgproc.hpp>

#include "pipeline/judge.h"
#include "wire/profile_store.h"
#include "pipeline/sheet/signature.h"
#include "bench/summary/summary_corpus.h"
#include "tests/support/summary_forms.h"
#include "tests/support/synthetic_page.h"
#include "batch/batch_rules.h"
#include "tests/support/recorded.h"

namespace scangate {
namespace {

namespace synth = scangate::synth;
namespace fs = std::filesystem;

constexpr double kDpi = 200;

std::shared_ptr<const Profile> Bundled(const std::string& name) {
  const std::string path = std::string(SCANGATE_SOURCE_DIR) + "/profiles/" + name + ".textproto";
  Expected<LoadedProfile> loaded = ProfileStore::LoadFile(path);
  EXPECT_TRUE(loaded.ok()) << loaded.error().message;
  return loaded.ok() ? loaded.value().profile : nullptr;
}

synth::FormFill Complete(const synth::FormDesign& form, std::uint32_t seed) {
  synth::FormFill fill = synth::RandomFill(form, seed, true);
  fill.stamp_over_signature = -1;
  fill.stamp.shape = synth::StampShape::kRound;
  fill.stamp.strength = 0.9;
  fill.stamp.partial = false;
  fill.stamp_offset_mm = 2;
  return fill;
}

cv::Mat Sheet(const std::string& form_name, const synth::FormFill& fill) {
  const synth::FormDesign& form = synth::BundledForm(form_name);
  cv::Mat page = synth::PrintedForm(form, kDpi, "SI2026112700042");
  synth::FillForm(page, form, kDpi, fill);
  return page;
}

// Turned, scaled and shifted on the glass: page px = m * form px.
cv::Mat Place(const cv::Mat& sheet, double degrees, double scale, double dx_mm, double dy_mm,
              cv::Mat* m_out = nullptr) {
  cv::Mat m = cv::getRotationMatrix2D({sheet.cols / 2.0f, sheet.rows / 2.0f}, degrees, scale);
  m.at<double>(0, 2) += dx_mm * kDpi / 25.4;
  m.at<double>(1, 2) += dy_mm * kDpi / 25.4;
  cv::Mat out;
  cv::warpAffine(sheet, out, m, sheet.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(255));
  if (m_out) *m_out = m;
  return out;
}

cv::Mat Gray(const cv::Mat& page) {
  cv::Mat gray;
  cv::cvtColor(page, gray, cv::COLOR_BGR2GRAY);
  return gray;
}

PageVerdict Judge(const std::string& bytes, const Profile& profile) {
  std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  std::vector<PageVerdict> v = JudgeFile(data, "sheet", profile, {});
  EXPECT_EQ(v.size(), 1u);
  return v.empty() ? PageVerdict{} : v[0];
}

bool HasReason(const PageVerdict& v, ReasonCode code, const std::string& zone) {
  for (const Reason& r : v.reasons)
    if (r.code == code && r.zone == zone) return true;
  return false;
}

// A page that does not register as the profile's form (here the other
// bundled form, brought to the wrong counter) is not judged as the sheet,
// but a transaction barcode on it is still read, upright or turned: such a
// page is searched as a whole, quickly, its bar fields straightened.
TEST(SummarySheet, TheBarcodeOnAPageThatIsNotTheFormIsStillRead) {
  auto profile = Bundled("pension-claim");
  const cv::Mat sheet = Sheet("enrolment-change", Complete(synth::BundledForm("enrolment-change"), 5));
  for (double degrees : {0.0, 6.0, -11.0, 90.0}) {
    cv::Mat page;
    if (degrees == 90)  // fed in landscape
      cv::rotate(sheet, page, cv::ROTATE_90_CLOCKWISE);
    else
      page = Place(sheet, degrees, 1, 0, 0);
    const PageVerdict v = Judge(synth::EncodeJpeg(Gray(page), 85, kDpi), *profile);
    EXPECT_FALSE(v.summary_sheet) << degrees << " degrees, score " << v.registration.score;
    bool read = false;
    for (const BarcodeMeasure& b : v.barcodes) read = read || b.text == "SI2026112700042";
    EXPECT_TRUE(read) << degrees << " degrees: the transaction barcode was not read";
  }
}

TEST(SummarySheet, RegistersATurnedShiftedScaledSheetWithinAMillimetre) {
  auto profile = Bundled("pension-claim");
  cv::Mat m;
  const cv::Mat page =
      Place(Sheet("pension-claim", Complete(synth::BundledForm("pension-claim"), 3)), 7.5, 1.03, 12, -9, &m);
  const PageVerdict v = Judge(synth::EncodeJpeg(Gray(page), 85, kDpi), *profile);
  ASSERT_TRUE(v.summary_sheet) << v.registration.score;
  EXPECT_NEAR(v.registration.degrees, 7.5, 0.2);
  EXPECT_NEAR(v.registration.scale, 1.03, 0.01);
  // Every corner of the form where the placement put it.
  const double ppm = kDpi / 25.4;
  for (cv::Point2d mm : {cv::Point2d(0, 0), cv::Point2d(210, 0), cv::Point2d(0, 297), cv::Point2d(210, 297)}) {
    const double* f = v.registration.page_from_mm;
    const cv::Point2d got(f[0] * mm.x + f[1] * mm.y + f[2], f[3] * mm.x + f[4] * mm.y + f[5]);
    const cv::Point2d want(m.at<double>(0, 0) * mm.x * ppm + m.at<double>(0, 1) * mm.y * ppm + m.at<double>(0, 2),
                           m.at<double>(1, 0) * mm.x * ppm + m.at<double>(1, 1) * mm.y * ppm + m.at<double>(1, 2));
    EXPECT_LT(cv::norm(got - want) / ppm, 1.0) << "corner " << mm;
  }
  // Every zone's corners on the page, where the placement put the form's
  // zone (what the counter screen outlines).
  auto where = [&](double x_mm, double y_mm) {
    return cv::Point2d(m.at<double>(0, 0) * x_mm * ppm + m.at<double>(0, 1) * y_mm * ppm + m.at<double>(0, 2),
                       m.at<double>(1, 0) * x_mm * ppm + m.at<double>(1, 1) * y_mm * ppm + m.at<double>(1, 2));
  };
  auto check_zone = [&](const FormZone& z, const std::vector<int>& corners) {
    ASSERT_EQ(corners.size(), 8u) << z.name;
    const cv::Point2d want[4] = {where(z.x_mm, z.y_mm), where(z.x_mm + z.width_mm, z.y_mm),
                                 where(z.x_mm + z.width_mm, z.y_mm + z.height_mm),
                                 where(z.x_mm, z.y_mm + z.height_mm)};
    for (int i = 0; i < 4; ++i)
      EXPECT_LT(cv::norm(cv::Point2d(corners[2 * i], corners[2 * i + 1]) - want[i]) / ppm, 1.0)
          << z.name << " corner " << i;
  };
  const SummaryFormRule& form = *profile->form;
  ASSERT_EQ(v.fields.size(), form.fields.size());
  ASSERT_EQ(v.signatures.size(), form.signatures.size());
  ASSERT_EQ(v.seals.size(), form.seals.size());
  for (std::size_t i = 0; i < form.fields.size(); ++i) check_zone(form.fields[i], v.fields[i].corners);
  for (std::size_t i = 0; i < form.signatures.size(); ++i)
    check_zone(form.signatures[i], v.signatures[i].corners);
  for (std::size_t i = 0; i < form.seals.size(); ++i) check_zone(form.seals[i], v.seals[i].corners);
  // Turned 7.5 degrees it is skewed, but complete.
  for (const Reason& r : v.reasons)
    EXPECT_TRUE(r.code != ReasonCode::kSummaryFieldMissing && r.code != ReasonCode::kSignatureMissing &&
                r.code != ReasonCode::kSealMissing)
        << r.detail;
}

// A sheet the summary corpus made (seed 78, enrolment-change-0015, 1-bit
// at 300 dpi): printed at 105 %, shifted 15 mm left and turned 3.5 degrees,
// its column of labels cut off by the page's edge. Without those rulings
// the right fit across the page ranked below the best three.
TEST(SummarySheet, RegistersASheetPrintedLargeAndShiftedPartlyOffThePage) {
  namespace sc = scangate::summary_corpus;
  const std::vector<sc::Recipe> plan = sc::Plan(200, 0, 78, "");
  const auto it = std::find_if(plan.begin(), plan.end(),
                               [](const sc::Recipe& r) { return r.name == "enrolment-change-0015"; });
  ASSERT_NE(it, plan.end());
  ASSERT_NEAR(it->scale, 1.05, 0.001);
  ASSERT_NEAR(it->shift_x_mm, -14.9, 0.1);
  std::string extension;
  const std::string bytes = sc::Render(*it, "", extension);
  const PageVerdict v = Judge(bytes, *Bundled("enrolment-change"));
  ASSERT_TRUE(v.summary_sheet) << "score " << v.registration.score;
  EXPECT_NEAR(v.registration.scale, it->scale, 0.01);
  EXPECT_NEAR(v.registration.degrees, it->degrees, 0.2);
  // Skewed, but complete.
  for (const Reason& r : v.reasons)
    EXPECT_TRUE(r.code != ReasonCode::kSummaryFieldMissing && r.code != ReasonCode::kSignatureMissing &&
                r.code != ReasonCode::kSealMissing)
        << r.detail;
}

TEST(SummarySheet, APageThatIsNotTheFormIsNotRegistered) {
  auto pension = Bundled("pension-claim");
  synth::PageSpec spec;
  spec.dpi = kDpi;
  spec.form_lines = 8;
  spec.table_rows = 12;
  const PageVerdict table = Judge(synth::EncodePng(synth::TextPage(spec), kDpi), *pension);
  EXPECT_TRUE(table.registration.attempted);
  EXPECT_FALSE(table.summary_sheet) << table.registration.score;
  EXPECT_TRUE(table.fields.empty());
  // The other bundled form, complete, is not a pension claim either.
  const cv::Mat other = Sheet("enrolment-change", Complete(synth::BundledForm("enrolment-change"), 4));
  const PageVerdict v = Judge(synth::EncodePng(other, kDpi), *pension);
  EXPECT_FALSE(v.summary_sheet) << v.registration.score;
  EXPECT_EQ(v.decision, Decision::kAccept);
}

TEST(SummarySheet, AnEmptyFieldIsMissingAndAStrayDotDoesNotFillOne) {
  auto profile = Bundled("pension-claim");
  const synth::FormDesign& form = synth::BundledForm("pension-claim");
  synth::FormFill fill = Complete(form, 5);
  fill.fields[2] = synth::FieldEntry::kEmpty;
  fill.fields[5] = synth::FieldEntry::kStrayDot;
  fill.fields[6] = synth::FieldEntry::kSmudge;
  const PageVerdict v = Judge(synth::EncodePng(Place(Sheet("pension-claim", fill), -2, 1, 4, 6), kDpi), *profile);
  ASSERT_TRUE(v.summary_sheet);
  ASSERT_EQ(v.fields.size(), form.fields.size());
  for (std::size_t i = 0; i < v.fields.size(); ++i) {
    const bool written = fill.fields[i] == synth::FieldEntry::kWritten;
    EXPECT_EQ(v.fields[i].filled, written) << v.fields[i].name << " ink " << v.fields[i].ink_ratio;
    EXPECT_EQ(HasReason(v, ReasonCode::kSummaryFieldMissing, form.fields[i].name), !written);
  }
  EXPECT_EQ(v.decision, Decision::kReject);
}

TEST(SummarySheet, AMissingSignatureIsReportedByItsBox) {
  auto profile = Bundled("enrolment-change");
  const synth::FormDesign& form = synth::BundledForm("enrolment-change");
  synth::FormFill fill = Complete(form, 6);
  fill.signatures[0] = synth::SignatureEntry::kEmpty;
  fill.signatures[1] = synth::SignatureEntry::kTick;
  const PageVerdict v = Judge(synth::EncodePng(Gray(Sheet("enrolment-change", fill)), kDpi), *profile);
  ASSERT_TRUE(v.summary_sheet);
  ASSERT_EQ(v.signatures.size(), 2u);
  EXPECT_FALSE(v.signatures[0].present);
  EXPECT_FALSE(v.signatures[1].present) << "a tick is not a signature: " << v.signatures[1].score;
  EXPECT_TRUE(HasReason(v, ReasonCode::kSignatureMissing, "applicant_signature"));
  EXPECT_TRUE(HasReason(v, ReasonCode::kSignatureMissing, "clerk_signature"));
  EXPECT_TRUE(v.seals[0].present);
}

TEST(SummarySheet, ASealOnAGrayOrBlackAndWhiteScanIsFoundByItsShape) {
  auto profile = Bundled("pension-claim");
  const synth::FormDesign& form = synth::BundledForm("pension-claim");
  for (synth::StampShape shape : {synth::StampShape::kRound, synth::StampShape::kSquare}) {
    synth::FormFill fill = Complete(form, 7);
    fill.stamp.shape = shape;
    fill.stamp.size_mm = shape == synth::StampShape::kSquare ? 26 : 42;
    const cv::Mat gray = Gray(Place(Sheet("pension-claim", fill), 3, 0.98, -5, 3));
    for (const std::string& bytes : {synth::EncodeJpeg(gray, 80, kDpi),
                                     synth::EncodeTiffG4(synth::ToBilevel(gray, 185), kDpi)}) {
      const PageVerdict v = Judge(bytes, *profile);
      ASSERT_TRUE(v.summary_sheet);
      ASSERT_EQ(v.seals.size(), 1u);
      EXPECT_TRUE(v.seals[0].present) << "score " << v.seals[0].score;
      EXPECT_FALSE(HasReason(v, ReasonCode::kSealMissing, "office_seal"));
    }
  }
}

// A stamp pressed crooked inks one side of its ring; where the clerk has
// signed across the seal box first, the signature runs on outside that
// ring and is the outermost ink there. The ring is still found under it.
TEST(SummarySheet, AOneSidedStampSignedAcrossIsStillASeal) {
  int sheets = 0, found = 0;
  std::string missed;
  for (const std::string form_name : {"pension-claim", "enrolment-change"}) {
    auto profile = Bundled(form_name);
    const synth::FormDesign& form = synth::BundledForm(form_name);
    for (std::uint32_t seed = 1; seed <= 10; ++seed) {
      synth::FormFill fill = Complete(form, 100 + seed);
      fill.stamp.partial = true;
      fill.stamp.strength = 0.8;
      fill.stamp.degrees = 10.0 * seed - 50;
      fill.signed_in_seal_box = true;
      const cv::Mat gray = Gray(Place(Sheet(form_name, fill), 0.5, 1.0, 2, -2));
      const std::string bytes = seed % 2 ? synth::EncodeTiffG4(synth::ToBilevel(gray, 185), kDpi)
                                         : synth::EncodeJpeg(gray, 85, kDpi);
      const PageVerdict v = Judge(bytes, *profile);
      ASSERT_TRUE(v.summary_sheet);
      ++sheets;
      if (v.seals[0].present) ++found;
      else missed += " " + form_name + "/" + std::to_string(seed) + " (score " + std::to_string(v.seals[0].score) + ")";
    }
  }
  EXPECT_EQ(found, sheets) << "one-sided stamps judged missing:" << missed;
}

// A signature box's zone as the form registration cuts it, with `draw`
// inking its darkness; nothing printed there by the form.
ZoneImage SignatureBox(double width_mm, double height_mm, const std::function<void(cv::Mat&, double)>& draw) {
  ZoneImage z;
  const double margin = 12 * z.px_per_mm;
  z.zone = cv::Rect(int(margin), int(margin), int(width_mm * z.px_per_mm), int(height_mm * z.px_per_mm));
  z.darkness = cv::Mat::zeros(z.zone.height + 2 * int(margin), z.zone.width + 2 * int(margin), CV_8U);
  draw(z.darkness, z.px_per_mm);
  z.ink = z.darkness > 100;
  z.added = z.ink.clone();
  z.print = cv::Mat::zeros(z.darkness.size(), CV_8U);
  return z;
}

// Cursive words in a broad pen, small: each word one run of inked columns,
// the words as level as a line of type. Type is told by letters standing
// apart and upright; joined writing is a signature.
TEST(SummarySheet, SmallCursiveInABroadPenIsASignatureAndTypeIsNot) {
  const FormZone box{"applicant_signature", "", 0, 0, 80, 25};
  const ZoneImage cursive = SignatureBox(80, 25, [](cv::Mat& ink, double px_mm) {
    // Arches slanted 15 degrees, joined at the baseline: m's and n's.
    const int pen = std::max(2, int(std::lround(0.8 * px_mm)));
    const double x_height = 3.5 * px_mm, hump = 2.5 * px_mm, base = 26 * px_mm, slant = std::tan(15 * CV_PI / 180);
    double x = 18 * px_mm;
    for (int humps : {5, 6, 4}) {
      std::vector<cv::Point> word;
      for (int h = 0; h < humps; ++h, x += hump)
        for (int i = 0; i <= 16; ++i) {
          const double t = CV_PI * i / 16, up = x_height * std::sin(t);
          word.emplace_back(int(x + hump / 2 * (1 - std::cos(t)) + slant * up), int(base - up));
        }
      cv::polylines(ink, word, false, cv::Scalar(255), pen, cv::LINE_AA);
      x += 4 * px_mm;
    }
  });
  StrokeFeatures f;
  const SignatureMeasure written = MeasureSignature(cursive, box, &f);
  EXPECT_GE(written.score, 0.5) << "small cursive in a broad pen judged type: length " << f.length_mm
                                << " mm, extent " << f.extent_mm << " mm, focus " << f.focus << ", upright "
                                << f.upright << ", letters " << f.letters << " level " << f.level_letters
                                << " aspect " << f.letter_aspect << " height " << f.letter_height_mm
                                << " mm, weight " << f.weight;


  const ZoneImage typed = SignatureBox(80, 25, [](cv::Mat& ink, double px_mm) {
    cv::Mat page(ink.size(), CV_8UC3, cv::Scalar::all(255));
    synth::PrintChinese(page, "张建国 王秀英", cv::Point(int(18 * px_mm), int(20 * px_mm)), int(4 * px_mm),
                        cv::Scalar::all(0));
    cv::Mat gray;
    cv::cvtColor(page, gray, cv::COLOR_BGR2GRAY);
    ink = 255 - gray;
  });
  const SignatureMeasure printed = MeasureSignature(typed, box);
  EXPECT_LT(printed.score, 0.5) << "a typed name judged a signature";
}

// Signatures as counters write them: cursive or Chinese, in every pen,
// small and heavy or sprawling, stamped over or not. None may be taken for
// type, nor traced into a stamp's outline and taken away with it.
TEST(SummarySheet, SignaturesOfEveryKindArePresent) {
  int boxes = 0, found = 0;
  std::string missed;
  for (const std::string form_name : {"pension-claim", "enrolment-change"}) {
    auto profile = Bundled(form_name);
    const synth::FormDesign& form = synth::BundledForm(form_name);
    for (std::uint32_t seed = 1; seed <= 12; ++seed) {
      synth::FormFill fill = synth::RandomFill(form, 300 + seed, true);
      fill.stamp_over_signature = seed % 2 ? int(form.signatures.size()) - 1 : -1;
      const cv::Mat page = Place(Sheet(form_name, fill), 0.4 * (seed % 5) - 0.8, 1.0, 1, 1);
      const std::string bytes = seed % 3 == 0   ? synth::EncodeTiffG4(synth::ToBilevel(Gray(page), 185), kDpi)
                                : seed % 3 == 1 ? synth::EncodeJpeg(Gray(page), 85, kDpi)
                                                : synth::EncodePng(page, kDpi);
      const PageVerdict v = Judge(bytes, *profile);
      ASSERT_TRUE(v.summary_sheet);
      for (const SignatureMeasure& m : v.signatures) {
        ++boxes;
        if (m.present) ++found;
        else missed += " " + form_name + "/" + std::to_string(seed) + "/" + m.zone;
      }
    }
  }
  EXPECT_EQ(found, boxes) << "signatures judged missing:" << missed;
}

TEST(SummarySheet, ASignatureAloneInTheSealBoxIsNotASeal) {
  auto profile = Bundled("pension-claim");
  const synth::FormDesign& form = synth::BundledForm("pension-claim");
  synth::FormFill fill = Complete(form, 8);
  fill.seals[0] = synth::SealEntry::kSignatureOnly;
  const PageVerdict v = Judge(synth::EncodePng(Sheet("pension-claim", fill), kDpi), *profile);
  ASSERT_TRUE(v.summary_sheet);
  EXPECT_FALSE(v.seals[0].present) << "score " << v.seals[0].score;
  EXPECT_TRUE(HasReason(v, ReasonCode::kSealMissing, "office_seal"));
}

TEST(SummarySheet, ABatchWithoutTheFormsSheetIsMissingItsSummarySheet) {
  auto profile = Bundled("pension-claim");
  synth::PageSpec spec;
  spec.dpi = kDpi;
  PageVerdict text = Judge(synth::EncodePng(synth::TextPage(spec), kDpi), *profile);
  text.page_index = 1;
  EXPECT_TRUE(testing::HasReason(DecideBatch(testing::Recorded({text}), *profile, true),
                                 v1::SUMMARY_SHEET_MISSING));
  PageVerdict sheet =
      Judge(synth::EncodePng(Sheet("pension-claim", Complete(synth::BundledForm("pension-claim"), 9)), kDpi), *profile);
  ASSERT_TRUE(sheet.summary_sheet);
  const v1::BatchVerdict b = DecideBatch(testing::Recorded({sheet, text}), *profile, true);
  for (const v1::Reason& r : b.reasons()) EXPECT_NE(r.code(), v1::SUMMARY_SHEET_MISSING) << r.detail();
}

// A sheet fed upside down (or on its side) registers at the turn its
// orientation reads, is judged like an upright one, and is PAGE_TURNED; in a
// batch it is the summary sheet, and where it cannot be the batch names it.
TEST(SummarySheet, AnUpsideDownOrSidewaysSheetRegistersAndTheBatchFindsIt) {
  auto profile = Bundled("pension-claim");
  const cv::Mat sheet = Sheet("pension-claim", Complete(synth::BundledForm("pension-claim"), 9));
  synth::PageSpec spec;
  spec.dpi = kDpi;
  PageVerdict text = Judge(synth::EncodePng(synth::TextPage(spec), kDpi), *profile);
  text.page_index = 0;
  for (auto [turn, code] : {std::pair{180, cv::ROTATE_180}, {90, cv::ROTATE_90_COUNTERCLOCKWISE}}) {
    cv::Mat page;
    cv::rotate(sheet, page, code);
    PageVerdict v = Judge(synth::EncodeJpeg(Gray(page), 85, kDpi), *profile);
    v.page_index = 1;
    EXPECT_EQ(v.orientation.degrees, turn);
    ASSERT_TRUE(v.summary_sheet) << "turned " << turn << ": score " << v.registration.score;
    EXPECT_EQ(v.transaction_id, "SI2026112700042");
    EXPECT_NEAR(std::abs(v.registration.degrees), turn == 180 ? 180 : 90, 1) << turn;
    for (const Reason& r : v.reasons)
      EXPECT_TRUE(r.code == ReasonCode::kPageTurned) << turn << ": " << r.detail;
    EXPECT_EQ(v.fields.size(), profile->form->fields.size());
    // The form's top-left corner is where the turn put it: the page's
    // bottom-right (upside down) or bottom-left (on its side).
    const double* f = v.registration.page_from_mm;
    const cv::Point2d corner(f[2], f[5]);
    const cv::Point2d want = turn == 180 ? cv::Point2d(page.cols, page.rows) : cv::Point2d(0, page.rows);
    EXPECT_LT(cv::norm(corner - want) / (kDpi / 25.4), 3.0) << turn << ": " << corner;
    // The zones are placed on the page as it lies, not as it was turned to
    // be read: the seal box's top-left corner (in the form) is turned with it.
    const FormZone& seal = profile->form->seals[0];
    ASSERT_EQ(v.seals[0].corners.size(), 8u);
    const double ppm = kDpi / 25.4;
    const cv::Point2d seal_corner(v.seals[0].corners[0], v.seals[0].corners[1]);
    const cv::Point2d seal_want =
        turn == 180 ? cv::Point2d(page.cols - seal.x_mm * ppm, page.rows - seal.y_mm * ppm)
                    : cv::Point2d(seal.y_mm * ppm, page.rows - seal.x_mm * ppm);
    EXPECT_LT(cv::norm(seal_corner - seal_want) / ppm, 3.0) << turn << ": " << seal_corner;
    const v1::BatchVerdict b = DecideBatch(testing::Recorded({text, v}), *profile, true);
    for (const v1::Reason& r : b.reasons())
      EXPECT_NE(r.code(), v1::SUMMARY_SHEET_MISSING) << r.detail();
    // Were it not to register, the batch names the page with the barcode.
    v.summary_sheet = false;
    v.registration.score = 0.1;
    text.registration.score = 0.3;
    bool named = false;
    const v1::BatchVerdict unregistered = DecideBatch(testing::Recorded({text, v}), *profile, true);
    for (const v1::Reason& r : unregistered.reasons())
      if (r.code() == v1::SUMMARY_SHEET_MISSING) named = named || (r.has_page() && r.page() == 1);
    EXPECT_TRUE(named) << turn;
  }
}

TEST(SummarySheet, TheBundledProfilesZonesAreTheFormsOwn) {
  for (const synth::FormDesign& design : synth::BundledForms()) {
    auto profile = Bundled(design.name);
    ASSERT_TRUE(profile && profile->form && profile->form->blank) << design.name;
    const SummaryFormRule& form = *profile->form;
    ASSERT_EQ(form.fields.size(), design.fields.size());
    for (std::size_t i = 0; i < form.fields.size(); ++i) {
      EXPECT_EQ(form.fields[i].name, design.fields[i].name);
      EXPECT_NEAR(form.fields[i].x_mm, design.fields[i].area.x, 0.05);
      EXPECT_NEAR(form.fields[i].y_mm, design.fields[i].area.y, 0.05);
    }
    ASSERT_EQ(form.signatures.size(), design.signatures.size());
    ASSERT_EQ(form.seals.size(), design.seals.size());
  }
  auto page_wide = Bundled("signed-page-wide");
  ASSERT_TRUE(page_wide);
  EXPECT_TRUE(page_wide->page_signature.required);
  EXPECT_FALSE(page_wide->form);
}

TEST(SummarySheet, AProfileErrorNamesFileLineAndField) {
  const fs::path dir = fs::temp_directory_path() / ("scangate-profile-" + std::to_string(::getpid()));
  fs::create_directories(dir / "forms");
  fs::copy_file(std::string(SCANGATE_SOURCE_DIR) + "/profiles/forms/pension-claim.png", dir / "forms/p.png",
                fs::copy_options::overwrite_existing);
  const fs::path file = dir / "bad.textproto";
  std::ofstream(file) << "name: \"bad\"\n"
                         "form {\n"
                         "  width_mm: 210 height_mm: 297\n"
                         "  template_image: \"forms/p.png\"\n"
                         "  fields { name: \"a\" x_mm: 20 y_mm: 50 width_mm: 80 height_mm: 12 }\n"
                         "  fields { name: \"b\" x_mm: 20 y_mm: 70\n"
                         "           width_mm: -80 height_mm: 12 }\n"
                         "}\n";
  // The load's error, or "(loaded)".
  auto refusal = [&] {
    Expected<LoadedProfile> loaded = ProfileStore::LoadFile(file.string());
    return loaded.ok() ? std::string("(loaded)") : loaded.error().message;
  };
  std::string error = refusal();
  EXPECT_NE(error.find(file.string() + ":7:"), std::string::npos) << error;
  EXPECT_NE(error.find("form.fields[1].width_mm"), std::string::npos) << error;

  std::ofstream(file) << "name: \"bad\"\nform {\n  width_mm: 210 height_mm: 297\n"
                         "  template_image: \"forms/missing.png\"\n}\n";
  error = refusal();
  EXPECT_NE(error.find(file.string() + ":4:"), std::string::npos) << error;
  EXPECT_NE(error.find("form.template_image"), std::string::npos) << error;

  std::ofstream(file) << "name: \"bad\"\nbarcode {\n  payload_pattern: \"SI([0-9]+)\"\n"
                         "  page_count_group: 2\n}\n";
  error = refusal();
  EXPECT_NE(error.find("barcode.page_count_group"), std::string::npos) << error;
  fs::remove_all(dir);
}

}  // namespace
// The share of the text area one blurred region may cover is the profile's
// (max_blurred_area_ratio); a file silent about it gets 10 %.
TEST(ProfileFile, BlurredShareIsReadFromTheProfile) {
  const fs::path dir =
      fs::temp_directory_path() / ("scangate-blur-profile-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "p.textproto";
  std::ofstream(file) << "name: \"tolerant\"\nmax_blurred_area_ratio: 0.3\n";
  Expected<LoadedProfile> tolerant = ProfileStore::LoadFile(file.string());
  ASSERT_TRUE(tolerant.ok()) << tolerant.error().message;
  EXPECT_DOUBLE_EQ(tolerant.value().profile->max_blurred_area_ratio, 0.3);
  std::ofstream(file) << "name: \"plain\"\n";
  Expected<LoadedProfile> plain = ProfileStore::LoadFile(file.string());
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_DOUBLE_EQ(plain.value().profile->max_blurred_area_ratio, 0.10);
  fs::remove_all(dir);
}

}  // namespace scangate
