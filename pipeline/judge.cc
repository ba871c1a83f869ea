// See judge.h.
#include "pipeline/judge.h"

#include "common/sha256.h"


#include <algorithm>
#include <chrono>
#include <cmath>
#include <opencv2/core.hpp>
#include <optional>
#include <vector>
#include <exception>
#include <new>
#include <opencv2/core.hpp>

#include "pipeline/barcode/barcode.h"
#include "pipeline/barcode/barcode_zone.h"
#include "pipeline/image/blank.h"
#include "pipeline/image/blur.h"
#include "pipeline/image/ink.h"
#include "pipeline/image/orientation.h"
#include "pipeline/sheet/page_signature.h"
#include "pipeline/image/resolution.h"
#include "pipeline/image/skew.h"
#include "pipeline/repair.h"
#include "pipeline/sheet/summary_sheet.h"

namespace scangate {
namespace {

using Clock = std::chrono::steady_clock;

// An orientation this sure is worth a registration at its turn.
constexpr double kTurnedSheetMinConfidence = 0.2;

double Since(Clock::time_point& t) {
  auto now = Clock::now();
  double s = std::chrono::duration<double>(now - t).count();
  t = now;
  return s;
}

// A page that registers to the form reads the way the form does: the fit
// is stronger evidence than its few lines of print.
void TakeOrientationFromForm(int degrees, PageVerdict& v) {
  if (v.orientation.degrees != degrees) v.orientation.confidence = 0;
  v.orientation.degrees = degrees;
  v.orientation.confidence = std::max(v.orientation.confidence, v.registration.score);
}

// A summary sheet fed turned does not register upright. The turns the
// page's own evidence allows are tried, not all four on every page: the
// orientation found, when it is not upright and not a pure guess, and on a
// page whose lines run down it the other side as well. The sheet's
// measurements are then those of the turned page, its fit mapped back.
void RegisterTurnedSheet(const PageImage& page, const SummaryFormRule& form, PageVerdict& v) {
  const OrientationMeasure& o = v.orientation;
  if (o.degrees == 0 || o.confidence < kTurnedSheetMinConfidence) return;
  std::vector<int> turns{o.degrees};
  if (o.degrees != 180) turns.push_back(360 - o.degrees);
  for (int degrees : turns) {
    cv::Matx23d back;
    const PageImage turned = TurnPage(page, degrees, back);
    InkMap ink;
    FindInk(turned.gray, v.resolution.dpi, ink);
    PageVerdict t;
    t.skew = v.skew;
    MeasureSummarySheet(turned, ink, form, t);
    if (t.registration.score <= v.registration.score) continue;
    v.registration = t.registration;
    const cv::Matx23d fit(t.registration.page_from_mm);
    const cv::Matx33d fit3(fit(0, 0), fit(0, 1), fit(0, 2), fit(1, 0), fit(1, 1), fit(1, 2), 0, 0, 1);
    const cv::Matx23d mapped = back * fit3;
    for (int i = 0; i < 6; ++i) v.registration.page_from_mm[i] = mapped(i / 3, i % 3);
    // The form turned counter-clockwise on the page by the turn, and its skew.
    v.registration.degrees = std::remainder(t.registration.degrees + degrees, 360.0);
    v.fields = std::move(t.fields);
    v.signatures = std::move(t.signatures);
    v.seals = std::move(t.seals);
    if (v.registration.score >= form.min_registration_score) {
      TakeOrientationFromForm(degrees, v);
      return;
    }
  }
}

// Every check on a decoded page; `ink` is left holding the page's ink map.
PageVerdict JudgeImage(const PageImage& page, const Profile& profile, InkMap& ink) {
  auto t = Clock::now();
  PageVerdict v;
  v.width = page.gray.cols;
  v.height = page.gray.rows;
  v.color_mode = page.color_mode;
  v.resolution = MeasureResolution(v.width, v.height, page.file_dpi_x, page.file_dpi_y);
  v.times.resolution = Since(t);
  FindInk(page.gray, v.resolution.dpi, ink);
  v.times.ink = Since(t);
  // Blur before skew: where the text is smeared, the skew checks its edges.
  v.blur = MeasureBlur(page.gray, ink, v.resolution.dpi, page.color_mode == ColorMode::kBilevel,
                       {profile.max_blur_sigma});
  v.times.blur = Since(t);
  v.skew = MeasureSkew(ink, &v.blur);
  v.times.skew = Since(t);
  v.orientation = MeasureOrientation(ink, v.skew.degrees);
  v.times.orientation = Since(t);
  v.blank = MeasureBlank(ink);
  v.times.blank = Since(t);
  // The summary sheet before the barcodes: the form's fit places its barcode zone.
  if (profile.form) {
    MeasureSummarySheet(page, ink, *profile.form, v);
    if (v.registration.score < profile.form->min_registration_score)
      RegisterTurnedSheet(page, *profile.form, v);
    else
      TakeOrientationFromForm(0, v);
    PlaceFormZones(*profile.form, v);
  }
  if (profile.page_signature.required) v.signatures.push_back(MeasurePageSignature(ink));
  v.times.summary = Since(t);
  BarcodeSearch barcode_search;
  barcode_search.dpi = v.resolution.dpi;
  // A page that registers to the form has its barcode zone placed by the
  // fit; any other page has it in page coordinates (barcode_zone.h).
  const RegistrationMeasure& fit = v.registration;
  const cv::Matx23d page_from_mm(fit.page_from_mm);
  const bool registered = profile.form && fit.attempted &&
                          fit.score >= profile.form->min_registration_score &&
                          cv::norm(page_from_mm, cv::NORM_INF) > 0;
  barcode_search.zone = BarcodeZoneOnPage(BarcodeZoneMm(profile), v.resolution.dpi,
                                          page.gray.size(), registered ? &page_from_mm : nullptr);
  barcode_search.not_the_form = profile.form && !registered;
  barcode_search.report_unreadable = true;
  v.barcodes = ReadPageBarcodes(page.gray, profile.barcode, barcode_search);
  v.times.barcode = Since(t);
  return v;
}

// Repair before reject (repair.h): where the page's only failures are ones
// the profile lets the server repair (or it has a border to crop, specks to
// clean), the repaired page is judged again by every check, and its verdict
// replaces the page's when it accepts; otherwise the page keeps its own.
void RepairIfItSaves(const PageImage& page, const Profile& profile, const InkMap& ink,
                     PageVerdict& v) {
  auto t = Clock::now();
  DecidePage(v, profile);
  const BorderBands borders =
      profile.repair.crop_borders ? FindBorderBands(ink, page.gray.size()) : BorderBands{};
  int specks = 0;
  if (profile.repair.despeckle && page.color_mode == ColorMode::kBilevel && v.reasons.empty()) {
    cv::Mat scratch = page.gray;  // counted only: nothing is painted
    specks = Despeckle(scratch, v.resolution.dpi, false);
  }
  if (!WantsRepair(v, profile, borders, specks)) {
    v.times.repair = Since(t);
    return;
  }
  // Each round makes the repaired page from the page as scanned, in one
  // resampling, by the turn and angle found so far; what the repaired page
  // still shows (a way up that reads only once the page is level, a
  // residual skew the first estimate left) is added for the next round.
  PageVerdict basis = v;
  PageImage image;
  PageVerdict judged;
  RepairRecord total;
  struct Accepted {
    PageImage image;
    PageVerdict verdict;
    RepairRecord record;
  };
  std::optional<Accepted> accepted;
  const RepairRule& rule = profile.repair;
  for (int round = 0; round < kMaxRepairRounds; ++round) {
    RepairedPage repaired = RepairPage(page, basis, profile);
    if (repaired.record.done.empty()) break;
    total = std::move(repaired.record);
    image = std::move(repaired.image);
    InkMap repaired_ink;
    judged = JudgeImage(image, profile, repaired_ink);
    DecidePage(judged, profile);
    // A later round is taken only where it is accepted too.
    if (judged.decision == Decision::kAccept) accepted = Accepted{image, judged, total};
    bool more = false;
    const OrientationMeasure& o = judged.orientation;
    if (rule.turn_upright && o.degrees != 0 && o.confidence >= profile.min_orientation_confidence) {
      basis.orientation.degrees = (total.turned_degrees + o.degrees) % 360;
      basis.orientation.confidence = 1;
      more = true;
    }
    const double angle = total.deskewed_degrees + judged.skew.degrees;
    if (rule.deskew_up_to_degrees > 0 && judged.skew.confidence >= profile.min_skew_confidence &&
        std::abs(judged.skew.degrees) > kLevelDegrees && std::abs(angle) <= rule.deskew_up_to_degrees) {
      basis.skew.degrees = angle;
      basis.skew.confidence = std::max(basis.skew.confidence, judged.skew.confidence);
      more = true;
    }
    if (!more || (judged.decision != Decision::kAccept && !WantsRepair(judged, profile, {}, 0)))
      break;
  }
  if (accepted) {
    image = std::move(accepted->image);
    judged = std::move(accepted->verdict);
    total = std::move(accepted->record);
  }
  total.original_skew_degrees = v.skew.degrees;
  total.original_blur_sigma = v.blur.sigma_300dpi;
  total.original_width = v.width;
  total.original_height = v.height;
  const double dpi = page.file_dpi_x > 0 ? page.file_dpi_x : v.resolution.dpi;
  if (total.done.empty() || judged.decision != Decision::kAccept ||
      !EncodeArchiveCopy(image, dpi > 0 ? dpi : 300, profile.repair, total).ok()) {
    v.times.repair = Since(t);
    return;
  }
  total.original_reasons = v.reasons;
  judged.times = v.times;
  judged.repair = std::move(total);
  v = std::move(judged);
  v.times.repair = Since(t);
}

PageVerdict JudgeFrame(std::span<const std::uint8_t> bytes, const ImageProbe& probe,
                       std::size_t frame, const Profile& profile) {
  auto t = Clock::now();
  Fallible<PageImage> decoded = DecodeFrame(bytes, probe, frame);
  double decode_seconds = Since(t);
  if (!decoded.ok()) return ErrorVerdict(decoded.error(), ReasonCode::kDecodeError);
  const PageImage& page = decoded.value();
  // One map per engine thread, its buffers reused from page to page.
  thread_local InkMap ink;
  PageVerdict v = JudgeImage(page, profile, ink);
  v.times.decode = decode_seconds;
  // A multi-page file's pages are judged as they came: the archive copy is
  // one page's file.
  if (profile.repair.any() && probe.frames.size() == 1) RepairIfItSaves(page, profile, ink, v);
  return v;
}

PageVerdict Internal(const std::string& what) {
  return ErrorVerdict({PageErrorKind::kInternal, what}, ReasonCode::kInternalError);
}

}  // namespace

std::vector<PageVerdict> JudgeFile(std::span<const std::uint8_t> bytes, const std::string& source,
                                   const Profile& profile, const JudgeOptions& options) {
  const auto start = Clock::now();
  const std::string sha = Sha256Hex(bytes);
  std::vector<PageVerdict> verdicts;
  auto finish = [&](PageVerdict v, std::size_t frame) {
    v.source = source;
    v.frame = std::uint32_t(frame);
    v.sha256 = sha;
    DecidePage(v, profile);
    verdicts.push_back(std::move(v));
  };

  Fallible<ImageProbe> probe = ProbeImage(bytes, options.limits);
  if (!probe.ok()) {
    finish(ErrorVerdict(probe.error(), ReasonCode::kDecodeError), 0);
  } else {
    for (std::size_t f = 0; f < probe.value().frames.size(); ++f) {
      auto frame_start = Clock::now();
      try {
        finish(JudgeFrame(bytes, probe.value(), f, profile), f);
      } catch (const cv::Exception& e) {
        finish(Internal(std::string("image processing failed: ") + e.what()), f);
      } catch (const std::bad_alloc&) {
        finish(Internal("out of memory while judging the page"), f);
      } catch (const std::exception& e) {
        finish(Internal(std::string("judging failed: ") + e.what()), f);
      } catch (...) {
        finish(Internal("judging failed"), f);
      }
      verdicts.back().judge_seconds =
          std::chrono::duration<double>(Clock::now() - frame_start).count();
    }
  }
  if (verdicts.size() == 1)
    verdicts[0].judge_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return verdicts;
}

}  // namespace scangate
