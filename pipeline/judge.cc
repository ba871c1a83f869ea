// See judge.h.
#include "pipeline/judge.h"

#include "common/sha256.h"


#include <chrono>
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
#include "pipeline/sheet/summary_sheet.h"

namespace scangate {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point& t) {
  auto now = Clock::now();
  double s = std::chrono::duration<double>(now - t).count();
  t = now;
  return s;
}

PageVerdict JudgeFrame(std::span<const std::uint8_t> bytes, const ImageProbe& probe,
                       std::size_t frame, const Profile& profile) {
  auto t = Clock::now();
  Fallible<PageImage> decoded = DecodeFrame(bytes, probe, frame);
  double decode_seconds = Since(t);
  if (!decoded.ok()) return ErrorVerdict(decoded.error(), ReasonCode::kDecodeError);
  const PageImage& page = decoded.value();

  PageVerdict v;
  v.times.decode = decode_seconds;
  v.width = page.gray.cols;
  v.height = page.gray.rows;
  v.color_mode = page.color_mode;
  v.resolution = MeasureResolution(v.width, v.height, page.file_dpi_x, page.file_dpi_y);
  v.times.resolution = Since(t);
  // One map per engine thread, its buffers reused from page to page.
  thread_local InkMap ink;
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
  if (profile.form) MeasureSummarySheet(page, ink, *profile.form, v);
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
