// Barcode reading on top of Debian's ZXing 1.4.0.
//
// Why this file does not simply call ZXing::ReadBarcodes(page, defaults):
// ZXing 1.4.0 aborts the process (`assert(lineCount() == 1)`, Result.cpp:140)
// when Result::operator== is asked about a linear-code result that was merged
// from several scan lines. It compares results in two places:
//
//  * ReadBarcodes de-duplicates with `Contains(results, r)`, i.e.
//    `existing == r`. Every linear result it keeps has at least minLineCount
//    (2) lines, so a second hit with the same format and bytes in one call
//    aborts. Default options produce such hits: tryDownscale reads an A4 page
//    again at 1/3 and 1/9 scale and finds the same Code 128 there (the
//    summary-sheet crashes; also zxing-samples/code128-1/4.png); two copies of
//    one code on a page, or one skewed code seen by both the horizontal and
//    the rotated scan, do it without any downscaling.
//  * OneD's row scan merges a fresh row hit into earlier hits with
//    `fresh == earlier`. A fresh hit has one line, except from the DataBar
//    readers, which start with an estimated line count.
//
// Matrix codes return from operator== before the assert, so they are read in
// one unrestricted call. Linear codes are read one per call, which keeps both
// comparisons out of reach (see ReadLinearGroup); the next code is found by
// painting over the previous one in a private copy and calling again.
//
// Everything added on top keeps to those two calling patterns: the zone-first
// search and the straightened bar fields (codes at angles ZXing's row scan
// misses, faint or small codes) call the same two readers on other images.
#include "pipeline/barcode/barcode.h"

#include <ZXing/BarcodeFormat.h>
#include <ZXing/DecodeHints.h>
#include <ZXing/ImageView.h>
#include <ZXing/ReadBarcode.h>
#include <ZXing/TextUtfEncoding.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <iterator>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "pipeline/barcode/barcode_grade.h"
#include "pipeline/barcode/barcode_locate.h"
#include "pipeline/image/profile_math.h"

namespace scangate {
namespace {

using ZXing::BarcodeFormat;
using ZXing::BarcodeFormats;

// Each linear code costs one pass over the page, and the last pass finds
// nothing; a page with more codes than this keeps the first ones found.
constexpr int kMaxLinearPasses = 9;

BarcodeFormats WantedFormats(const BarcodeFormatSet& set) {
  return set.empty() ? BarcodeFormats(BarcodeFormat::Any)
                     : BarcodeFormats(static_cast<BarcodeFormat>(set.flags()));
}

ZXing::DecodeHints BaseHints(BarcodeFormats formats) {
  ZXing::DecodeHints hints;
  hints.setFormats(formats)
      .setTryHarder(true)
      .setTryRotate(true)
      // Must stay off: a result with an error equals anything of its format,
      // and for linear codes, or the format None of a failed decode, the
      // comparison reaches the assert.
      .setReturnErrors(false);
  return hints;
}

BarcodeMeasure ToMeasure(const ZXing::Result& r) {
  BarcodeMeasure m;
  m.format = ZXing::ToString(r.format());
  // Without ZX_USE_UTF8, 1.4 hands out text as std::wstring; defining that
  // macro here only would give Result::text() two definitions in one program.
  m.text = ZXing::TextUtfEncoding::ToUtf8(r.text());
  m.orientation_degrees = r.orientation();
  const auto& p = r.position();
  for (int i = 0; i < 4; ++i) {
    m.corners[2 * i] = p[i].x;
    m.corners[2 * i + 1] = p[i].y;
  }
  return m;
}

ZXing::ImageView ViewOf(const cv::Mat& gray) {
  return {gray.ptr<uint8_t>(), gray.cols, gray.rows, ZXing::ImageFormat::Lum,
          static_cast<int>(gray.step[0])};
}

// A private copy of the page to paint on. Fresh page-sized memory costs more
// in page faults than the whole read (25 ms for A4 at 300 dpi on our VMs, 0.5
// ms when reused), so each thread keeps one buffer for pages up to A3 size.
class Scratch {
 public:
  Scratch() {
    Buffer& slot = Slot();
    if (!slot.busy) {  // busy only if re-entered on this thread
      slot.busy = true;
      held_ = &slot;
    }
  }
  ~Scratch() {
    if (held_) held_->busy = false;
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  cv::Mat CopyOf(const cv::Mat& gray) {
    // Crops are cheap to allocate; a page-sized buffer is kept for pages only.
    if (!held_ || gray.total() > kMaxKeptPixels || gray.total() < kMinKeptPixels)
      return gray.clone();
    gray.copyTo(held_->mat);
    return held_->mat;
  }

 private:
  static constexpr size_t kMaxKeptPixels = 20'000'000;
  static constexpr size_t kMinKeptPixels = 1'000'000;
  struct Buffer {
    cv::Mat mat;
    bool busy = false;
  };
  static Buffer& Slot() {
    thread_local Buffer buffer;
    return buffer;
  }
  Buffer* held_ = nullptr;
};

// Paper white outside the page.
float Sample(const cv::Mat& g, cv::Point2f p) { return BilinearGray(g, p.x, p.y, 255); }

// A linear code as a quadrilateral in page pixels (barcode_grade.h).
using LinearSymbol = LinearSymbolFrame;

// With one code per call ZXing stops after two adjacent scan lines, so the
// position it reports is a sliver of the symbol. Painting only that would
// leave the bars above and below to be read again on the next pass, and the
// corners would not show where the code is. So the bars are followed away
// from the scan line on both sides, for as long as the intensity profile
// across them stays the same (allowing for skew), to find the whole symbol.
LinearSymbol Measure(const cv::Mat& g, const ZXing::Position& q) {
  auto pt = [](const ZXing::PointI& p) { return cv::Point2f(p.x, p.y); };
  LinearSymbol s;
  s.start = (pt(q.topLeft()) + pt(q.bottomLeft())) * 0.5f;
  cv::Point2f along = (pt(q.topRight()) + pt(q.bottomRight())) * 0.5f - s.start;
  s.length = std::max(1.0f, std::hypot(along.x, along.y));
  s.u = along * (1 / s.length);
  s.v = cv::Point2f(-s.u.y, s.u.x);
  const float half_width = std::abs((pt(q.bottomLeft()) - pt(q.topLeft())).dot(s.v)) / 2;
  s.lo = -half_width, s.hi = half_width;

  // Samples need not resolve every module: neighbouring profiles are taken
  // at the same positions along the code.
  const int n = std::clamp(static_cast<int>(s.length / 2), 16, 384);
  auto profile = [&](float across, float shift, std::vector<float>& out) {
    out.resize(n);
    for (int i = 0; i < n; ++i) out[i] = Sample(g, s.At(s.length * (i + 0.5f) / n, across, shift));
  };
  constexpr float kStep = 3;  // pixels across the scan line
  constexpr float kSameBars = 0.6f;
  std::vector<float> previous, current;
  for (int side : {-1, 1}) {
    float& reach = side < 0 ? s.lo : s.hi;
    float& drift = side < 0 ? s.shift_lo : s.shift_hi;
    profile(reach, 0, previous);
    float across = reach, shift = 0;
    int misses = 0;
    while (misses < 2 && std::abs(across) < 3 * s.length) {
      across += side * kStep;
      // Skewed bars move along the scan line from one step to the next, by
      // up to 3 pixels per 3-pixel step (45 degrees): climb from the last
      // shift towards the better match, or look further when none is close.
      float c[7];                                    // correlation at shift - 3 .. shift + 3
      std::fill(std::begin(c), std::end(c), -2.0f);  // not tried
      auto try_shift = [&](int k) {
        profile(across, shift + (k - 3), current);
        c[k] = static_cast<float>(Correlation(previous, current, 1e-6));
      };
      try_shift(3), try_shift(2), try_shift(4);
      int best = static_cast<int>(std::max_element(c + 2, c + 5) - c);
      if (int dir = best - 3; dir != 0) {
        for (int k = best + dir; k >= 0 && k <= 6; k += dir) {
          try_shift(k);
          if (c[k] <= c[best]) break;
          best = k;
        }
      } else if (c[best] < kSameBars) {
        for (int k : {1, 5, 0, 6}) try_shift(k);
        best = static_cast<int>(std::max_element(c, c + 7) - c);
      }
      if (c[best] < kSameBars) {
        ++misses;
        continue;
      }
      misses = 0;
      // The peak between whole pixels, so that slight skew adds up.
      float sub = 0;
      if (best > 0 && best < 6 && c[best - 1] > -2 && c[best + 1] > -2) {
        float curvature = c[best - 1] - 2 * c[best] + c[best + 1];
        if (curvature < 0)
          sub = std::clamp(0.5f * (c[best - 1] - c[best + 1]) / curvature, -0.5f, 0.5f);
      }
      shift += best - 3 + sub;
      profile(across, shift, previous);
      reach = across, drift = shift;
    }
  }
  return s;
}

// Whites out the symbol with its quiet zone, so that the next pass finds the
// next code.
void PaintOver(const LinearSymbol& s, cv::Mat& work) {
  const float quiet = 0.1f * s.length + 8, pad = 6;
  std::vector<cv::Point> patch = {
      s.At(-quiet, s.lo - pad, s.shift_lo), s.At(s.length + quiet, s.lo - pad, s.shift_lo),
      s.At(s.length + quiet, s.hi + pad, s.shift_hi), s.At(-quiet, s.hi + pad, s.shift_hi)};
  cv::fillConvexPoly(work, patch, cv::Scalar(255), cv::LINE_8);
}

BarcodeMeasure ToMeasure(const ZXing::Result& r, const LinearSymbol& s) {
  BarcodeMeasure m = ToMeasure(r);
  const cv::Point2f corners[4] = {s.At(0, s.lo, s.shift_lo), s.At(s.length, s.lo, s.shift_lo),
                                  s.At(s.length, s.hi, s.shift_hi), s.At(0, s.hi, s.shift_hi)};
  for (int i = 0; i < 4; ++i) {
    m.corners[2 * i] = static_cast<int>(std::lround(corners[i].x));
    m.corners[2 * i + 1] = static_cast<int>(std::lround(corners[i].y));
  }
  return m;
}

// A decoded symbol and where it lies, before grading.
struct Read {
  BarcodeMeasure measure;
  bool linear = false;
  LinearSymbol symbol;  // linear codes

  cv::Point2f Center() const {
    if (linear) return symbol.Center();
    cv::Point2f c;
    for (int i = 0; i < 4; ++i)
      c += cv::Point2f(measure.corners[2 * i], measure.corners[2 * i + 1]) * 0.25f;
    return c;
  }
  float Radius() const {
    if (linear) return symbol.Radius();
    const int* k = measure.corners;
    return std::max(std::hypot(k[4] - k[0], k[5] - k[1]), std::hypot(k[6] - k[2], k[7] - k[3])) / 2;
  }
};
using Reads = std::vector<Read>;

// Stops a search once it returns true for a code just read.
using Stop = std::function<bool(const BarcodeMeasure&)>;

// The same code seen twice: same format and text, overlapping.
bool SameCode(const Read& a, const Read& b) {
  cv::Point2f d = a.Center() - b.Center();
  return a.measure.format == b.measure.format && a.measure.text == b.measure.text &&
         std::hypot(d.x, d.y) < a.Radius() + b.Radius();
}

// A read in the coordinates of an image that `to` maps into (a crop of the
// page, rotated or stretched).
Read Mapped(Read r, const cv::Matx23f& to) {
  auto map = [&](cv::Point2f p) {
    return cv::Point2f(to(0, 0) * p.x + to(0, 1) * p.y + to(0, 2),
                       to(1, 0) * p.x + to(1, 1) * p.y + to(1, 2));
  };
  auto turn = [&](cv::Point2f d) {
    return cv::Point2f(to(0, 0) * d.x + to(0, 1) * d.y, to(1, 0) * d.x + to(1, 1) * d.y);
  };
  for (int i = 0; i < 4; ++i) {
    cv::Point2f p = map(cv::Point2f(r.measure.corners[2 * i], r.measure.corners[2 * i + 1]));
    r.measure.corners[2 * i] = static_cast<int>(std::lround(p.x));
    r.measure.corners[2 * i + 1] = static_cast<int>(std::lround(p.y));
  }
  if (r.linear) {
    LinearSymbol& s = r.symbol;
    const cv::Point2f du = turn(s.u), dv = turn(s.v);
    const float su = std::hypot(du.x, du.y), sv = std::hypot(dv.x, dv.y);
    s.start = map(s.start);
    s.u = du * (1 / su), s.v = dv * (1 / sv);
    s.length *= su, s.shift_lo *= su, s.shift_hi *= su;
    s.lo *= sv, s.hi *= sv;
  }
  return r;
}

// Reads the linear codes of `formats` one ZXing call at a time, until a pass
// finds nothing or `stop` accepts a code.
//
// maxNumberOfSymbols = 1 is what makes the abort impossible: OneD's row scan
// stops at the first symbol that reaches minLineCount and the rotated scan
// runs only when the horizontal one found nothing, so OneD returns at most
// one symbol; ReadBarcodes returns as soon as one layer gave a symbol. Its
// result list is therefore empty whenever it checks a linear result, even
// with tryDownscale. That is off all the same: building the pyramid costs
// 6-9 ms per pass on an A4 page and found nothing more, neither on
// zxing-samples nor on generated pages.
//
// For the DataBar formats `single_line` also sets minLineCount = 1: then the
// row scan stops at the very first hit, before it ever compares. Their fresh
// hits carry an estimated line count, so the comparison can abort even with
// one symbol per call (zxing-samples/rss14-1/9.webp does). The other linear
// formats keep the default two-line check against misreads; their fresh hits
// always carry exactly one line.
//
// `try_rotate` false reads rows only: for a crop already turned so that its
// bars stand upright. `quick` scans rows far apart (ZXing without
// tryHarder), for a search whose bar fields catch what it misses.
void ReadLinearGroup(const cv::Mat& gray, BarcodeFormats formats, bool single_line, bool try_rotate,
                     const Stop& stop, Reads& out, bool quick = false) {
  auto hints = BaseHints(formats).setMaxNumberOfSymbols(1).setTryDownscale(false);
  hints.setTryRotate(try_rotate);
  if (quick) hints.setTryHarder(false);
  if (single_line) hints.setMinLineCount(1);

  // The caller's pixels stay untouched: other checks read them concurrently.
  Scratch scratch;
  cv::Mat work;  // set on the first hit
  Reads seen;
  for (int pass = 0; pass < kMaxLinearPasses; ++pass) {
    ZXing::Results results = ZXing::ReadBarcodes(ViewOf(work.empty() ? gray : work), hints);
    auto hit = std::find_if(results.begin(), results.end(),
                            [](const ZXing::Result& r) { return r.isValid(); });
    if (hit == results.end()) break;
    if (work.empty()) work = scratch.CopyOf(gray);
    Read read;
    read.linear = true;
    read.symbol = Measure(work, hit->position());
    PaintOver(read.symbol, work);
    read.measure = ToMeasure(*hit, read.symbol);
    // Bars the patch missed read as the same code again: report it once.
    bool again =
        std::any_of(seen.begin(), seen.end(), [&](const Read& r) { return SameCode(r, read); });
    seen.push_back(read);
    if (again) continue;
    out.push_back(read);
    if (stop && stop(read.measure)) break;
  }
}

// `downscale` lets ZXing also read the image at 1/3 and 1/9 scale, for
// modules too large for its local binarizer (over ~40 px). On a page of
// known resolution no printed code comes near that, and the extra layers
// cost a third of the call.
void ReadMatrixCodes(const cv::Mat& gray, BarcodeFormats formats, bool downscale, Reads& out) {
  // Every result here has a matrix format, for which operator== compares
  // positions and returns before the assert; no OneD reader is built without
  // a linear format in the hints. Several symbols and downscaling are safe.
  for (const auto& r :
       ZXing::ReadBarcodes(ViewOf(gray), BaseHints(formats).setTryDownscale(downscale))) {
    if (!r.isValid()) continue;
    Read read;
    read.measure = ToMeasure(r);
    out.push_back(read);
  }
}

struct FormatGroups {
  BarcodeFormats matrix, linear, databar;
  bool AnyLinear() const { return !linear.empty() || !databar.empty(); }
};

// One failing reader must not cost the page the others' codes. ZXing and
// OpenCV report trouble with std exceptions (cv::Exception is one).
template <class F>
void Guarded(F&& read) {
  try {
    read();
  } catch (const std::exception&) {
  }
}

// Fields of at least this many blocks (about 2.7 mm each) are surely bars:
// they get every reading attempt, and are reported when nothing decodes.
constexpr int kSureFieldBlocks = 6;

// A bar field straightened: turned so that its bars stand upright, with room
// for the quiet zones, smoothed along the bars (noise, specks and voids
// average out), stretched to full contrast, and widened when the modules are
// too narrow for ZXing's row scan. Read rows only, one code per call.
void ReadBarField(const cv::Mat& view, const BarField& field, const FormatGroups& groups,
                  const Stop& stop, Reads& out) {
  float angle = field.angle;
  const float pad = 0.25f * field.length + 24;
  const int width = std::clamp(cvRound(field.length + 2 * pad), 32, 6000);
  const int height = std::clamp(cvRound(field.height + 8), 16, 3000);
  // A field this large is hatching or a photograph, not a printed code.
  if (static_cast<double>(width) * height > 6e6) return;
  cv::Point2f u, v, origin;
  cv::Matx23f to_view;
  cv::Mat crop;
  auto straighten = [&] {
    u = cv::Point2f(std::cos(angle), std::sin(angle)), v = cv::Point2f(-u.y, u.x);
    origin = field.center - u * (width / 2.0f) - v * (height / 2.0f);
    to_view = cv::Matx23f(u.x, v.x, origin.x, u.y, v.y, origin.y);
    cv::warpAffine(view, crop, to_view, cv::Size(width, height),
                   cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  };
  straighten();
  // The field's angle is a blend of its blocks' gradients, good to a few
  // degrees; the bars' slant between the crop's top and bottom quarters
  // gives the rest.
  if (height >= 24) {
    cv::Mat top, bottom;
    cv::reduce(crop.rowRange(height / 8, height * 3 / 8), top, 0, cv::REDUCE_AVG, CV_32F);
    cv::reduce(crop.rowRange(height * 5 / 8, height * 7 / 8), bottom, 0, cv::REDUCE_AVG, CV_32F);
    const float rise = height / 2.0f;
    const int reach = static_cast<int>(std::ceil(rise * std::tan(10 * CV_PI / 180)));
    double best = -2;
    int best_shift = 0;
    const float* a = top.ptr<float>();
    const float* b = bottom.ptr<float>();
    for (int shift = -reach; shift <= reach; ++shift) {
      double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      int n = 0;
      for (int x = std::max(0, -shift); x < width && x + shift < width; ++x) {
        double p = a[x], q = b[x + shift];
        sa += p, sb += q, saa += p * p, sbb += q * q, sab += p * q, ++n;
      }
      double va = saa - sa * sa / n, vb = sbb - sb * sb / n;
      double c = va > 0 && vb > 0 ? (sab - sa * sb / n) / std::sqrt(va * vb) : -1;
      if (c > best) best = c, best_shift = shift;
    }
    if (best_shift != 0) {
      angle -= std::atan2(static_cast<float>(best_shift), rise);
      straighten();
    }
  }
  const int along_bars = std::clamp(height / 8, 1, 7) | 1;
  if (along_bars > 1)
    cv::blur(crop, crop, cv::Size(1, along_bars), cv::Point(-1, -1), cv::BORDER_REPLICATE);

  // Contrast: the 1st and 99th percentiles become black and white.
  int histogram[256] = {};
  for (int y = 0; y < crop.rows; y += 2)
    for (int x = 0; x < crop.cols; ++x) ++histogram[crop.at<uint8_t>(y, x)];
  const long total = std::accumulate(std::begin(histogram), std::end(histogram), 0L);
  int lo = 0, hi = 255;
  for (long seen = 0; lo < 255 && (seen += histogram[lo]) < total / 100;) ++lo;
  for (long seen = 0; hi > 0 && (seen += histogram[hi]) < total / 100;) --hi;
  if (hi - lo >= 8) crop.convertTo(crop, CV_8U, 255.0 / (hi - lo), -255.0 * lo / (hi - lo));

  // Narrow modules: elements along the middle row under ~3 px on average
  // (counted as swings of a tenth of the range, which blurred narrow
  // elements make without crossing the mid level). Read at the width that
  // suits them, then at the other if that fails.
  const uint8_t* mid = crop.ptr<uint8_t>(crop.rows / 2);
  int swings = 0, state = 0;  // -1 falling, 1 rising
  {
    int extreme = mid[0];
    for (int x = 1; x < crop.cols; ++x) {
      const int value = mid[x];
      if (state <= 0 && value > extreme + 25) {  // rising out of a valley
        if (state < 0) ++swings;
        state = 1, extreme = value;
      } else if (state >= 0 && value < extreme - 25) {  // falling from a peak
        if (state > 0) ++swings;
        state = -1, extreme = value;
      } else {
        extreme = state > 0   ? std::max(extreme, value)
                  : state < 0 ? std::min(extreme, value)
                              : extreme;
      }
    }
  }
  const float element = swings > 0 ? field.length / swings : 1e9f;
  const int natural = element < 1.8f ? 3 : element < 3.2f ? 2 : 1;
  // Then thresholds off the middle: ink spread leaves narrow spaces only a
  // faint peak (a low threshold gives them back their width); ink loss does
  // the same to narrow bars.
  struct Attempt {
    int widen;
    int threshold;  // 0: leave the gray levels to ZXing
  };
  const Attempt attempts[] = {
      {natural, 0}, {natural == 1 ? 2 : 1, 0}, {natural, 90}, {natural, 165}};
  // A field of a few blocks is more often handwriting than a code: one try.
  const int tries = field.blocks >= kSureFieldBlocks ? 4 : 1;
  for (const Attempt& attempt : std::span(attempts, tries)) {
    cv::Mat wide = crop;
    cv::Matx23f wide_to_view = to_view;
    if (attempt.widen > 1) {
      cv::resize(crop, wide, cv::Size(crop.cols * attempt.widen, crop.rows), 0, 0, cv::INTER_CUBIC);
      wide_to_view =
          cv::Matx23f(u.x / attempt.widen, v.x, origin.x, u.y / attempt.widen, v.y, origin.y);
    }
    if (attempt.threshold) cv::threshold(wide, wide, attempt.threshold, 255, cv::THRESH_BINARY);
    Reads found;
    if (!groups.linear.empty())
      Guarded([&] { ReadLinearGroup(wide, groups.linear, false, false, stop, found); });
    if (!groups.databar.empty() &&
        !(stop &&
          std::any_of(found.begin(), found.end(), [&](const Read& r) { return stop(r.measure); })))
      Guarded([&] { ReadLinearGroup(wide, groups.databar, true, false, stop, found); });
    for (Read& r : found) out.push_back(Mapped(std::move(r), wide_to_view));
    if (!found.empty()) return;
  }
}

// Bar fields tried per area: a page rarely has more barcodes than this.
constexpr int kMaxFieldsTried = 6;

// Reads the codes in `area` of the page into `reads` (page coordinates),
// leaving out codes already there, and keeps the area's bar fields (page
// coordinates) in `fields`. Returns true as soon as `stop` accepts a code.
// `quick`: ZXing's own scan of the area reads upright codes on rows far
// apart, and codes at other angles, or that it misses, are left to the bar
// fields, each straightened and read on its own.
bool ReadArea(const cv::Mat& page, cv::Rect area, const FormatGroups& groups, double dpi,
              const Stop& stop, bool in_zone, Reads& reads, std::vector<BarField>& fields,
              bool quick = false) {
  const cv::Mat view = page(area);
  const cv::Matx23f to_page(1, 0, static_cast<float>(area.x), 0, 1, static_cast<float>(area.y));
  auto keep = [&](Reads& found) {
    bool done = false;
    for (Read& r : found) {
      Read on_page = Mapped(std::move(r), to_page);
      on_page.measure.found_in_zone = in_zone;
      if (std::any_of(reads.begin(), reads.end(),
                      [&](const Read& k) { return SameCode(k, on_page); }))
        continue;
      done = done || (stop && stop(on_page.measure));
      reads.push_back(std::move(on_page));
    }
    found.clear();
    return done;
  };
  Reads found;
  const bool downscale = !(dpi >= 150);
  if (!groups.matrix.empty())
    Guarded([&] { ReadMatrixCodes(view, groups.matrix, downscale, found); });
  if (keep(found)) return true;
  if (!groups.linear.empty())
    Guarded([&] { ReadLinearGroup(view, groups.linear, false, !quick, stop, found, quick); });
  if (keep(found)) return true;
  if (!groups.databar.empty())
    Guarded([&] { ReadLinearGroup(view, groups.databar, true, !quick, stop, found, quick); });
  if (keep(found)) return true;
  if (!groups.AnyLinear()) return false;

  // Bar fields no code covers yet: codes at an angle, faint or small ones.
  std::vector<BarField> here;
  Guarded([&] { here = FindBarFields(view, dpi); });
  int tried = 0;
  for (BarField& field : here) {
    cv::Point2f on_page =
        field.center + cv::Point2f(static_cast<float>(area.x), static_cast<float>(area.y));
    bool covered = std::any_of(reads.begin(), reads.end(), [&](const Read& r) {
      cv::Point2f d = r.Center() - on_page;
      return std::hypot(d.x, d.y) < r.Radius();
    });
    BarField kept = field;
    kept.center = on_page;
    fields.push_back(kept);
    if (covered || tried == kMaxFieldsTried) continue;
    ++tried;
    Guarded([&] { ReadBarField(view, field, groups, stop, found); });
    if (keep(found)) return true;
  }
  return false;
}

// A bar field that nothing decoded, as a measurement: where it is, and how
// its bars measure (a scan that decodes nothing grades F).
BarcodeMeasure Unreadable(const cv::Mat& page, const BarField& field, double px_per_mm) {
  LinearSymbol s;
  s.u = cv::Point2f(std::cos(field.angle), std::sin(field.angle));
  s.v = cv::Point2f(-s.u.y, s.u.x);
  s.start = field.center - s.u * (field.length / 2);
  s.length = field.length;
  s.lo = -field.height / 2, s.hi = field.height / 2;
  BarcodeMeasure m = {};
  m.unreadable = true;
  const cv::Point2f corners[4] = {s.At(0, s.lo, 0), s.At(s.length, s.lo, 0),
                                  s.At(s.length, s.hi, 0), s.At(0, s.hi, 0)};
  for (int i = 0; i < 4; ++i) {
    m.corners[2 * i] = static_cast<int>(std::lround(corners[i].x));
    m.corners[2 * i + 1] = static_cast<int>(std::lround(corners[i].y));
  }
  Guarded([&] { GradeLinearSymbol(page, s, px_per_mm, m); });
  m.quality.grade = Grade::kF;
  m.quality.grade_value = 0;
  m.quality.limited_by = GradeParameter::kDecode;
  return m;
}

constexpr size_t kMaxUnreadableReported = 3;

// Built once per page: format names compare as ZXing parses them. The
// pattern was compiled once, with the profile.
class Acceptor {
 public:
  explicit Acceptor(const BarcodeRule& rule) : rule_(rule) {}
  bool operator()(const BarcodeMeasure& m) const {
    if (m.unreadable || m.format.empty() || !rule_.formats.Wants(m.format)) return false;
    // Compiled with the profile; one the loader refused matches nothing.
    return rule_.payload_pattern.empty() || rule_.payload_pattern.FullMatch(m.text);
  }

 private:
  const BarcodeRule& rule_;
};

}  // namespace

BarcodeFormatSet::BarcodeFormatSet(std::initializer_list<std::string> names) {
  for (const std::string& name : names)
    flags_ |= static_cast<std::uint32_t>(ZXing::BarcodeFormatFromString(name));
}

Expected<BarcodeFormatSet> BarcodeFormatSet::Parse(const std::vector<std::string>& names) {
  BarcodeFormatSet set;
  for (const std::string& name : names) {
    const BarcodeFormat format = ZXing::BarcodeFormatFromString(name);
    if (format == BarcodeFormat::None)
      return Error{"unknown barcode format '" + name.substr(0, 40) +
                   "' (ZXing's names: Code128, QRCode, DataMatrix, EAN13, ...)"};
    set.flags_ |= static_cast<std::uint32_t>(format);
  }
  return set;
}

bool BarcodeFormatSet::Wants(std::string_view format) const {
  return flags_ == 0 ||
         (flags_ & static_cast<std::uint32_t>(ZXing::BarcodeFormatFromString(std::string(format)))) != 0;
}

bool RuleAccepts(const BarcodeRule& rule, const BarcodeMeasure& code) {
  return Acceptor(rule)(code);
}

BarcodeMeasures ReadPageBarcodes(const cv::Mat& image, const BarcodeRule& rule,
                                 const BarcodeSearch& search) {
  BarcodeMeasures out;
  if (image.empty() || image.depth() != CV_8U || image.dims != 2) return out;
  cv::Mat page = image;
  if (image.channels() == 3) {
    cv::cvtColor(image, page, cv::COLOR_BGR2GRAY);
  } else if (image.channels() == 4) {
    cv::cvtColor(image, page, cv::COLOR_BGRA2GRAY);
  } else if (image.channels() != 1) {
    return out;
  }

  const BarcodeFormats wanted = WantedFormats(rule.formats);
  FormatGroups groups;
  groups.databar = wanted & (BarcodeFormat::DataBar | BarcodeFormat::DataBarExpanded);
  groups.linear = wanted & BarcodeFormat::LinearCodes;
  groups.linear.setFlag(BarcodeFormat::DataBar, false)
      .setFlag(BarcodeFormat::DataBarExpanded, false);
  groups.matrix = wanted & BarcodeFormat::MatrixCodes;

  const Acceptor accepts(rule);
  const cv::Rect whole(0, 0, page.cols, page.rows);
  const cv::Rect zone = search.not_the_form ? cv::Rect() : search.zone & whole;
  Reads reads;
  std::vector<BarField> fields;
  bool accepted = false;
  // The zone first, stopping at the first code the rule accepts; the whole
  // page when the zone has none. With a zone, the rest of the page is the
  // fallback (a sheet the fit missed, a code printed out of place) on every
  // page of the batch that is not the sheet: there it is read quickly, its
  // bar fields catching the codes ZXing's quick scan does not (their
  // measurements: bench/barcode_bench.cc and scangate-bench offline).
  if (!zone.empty())
    accepted = ReadArea(page, zone, groups, search.dpi, accepts, true, reads, fields);
  if (!accepted) {
    std::vector<BarField> page_fields;
    ReadArea(page, whole, groups, search.dpi, nullptr, false, reads, page_fields,
             !zone.empty() || search.not_the_form);
    fields = std::move(page_fields);
    accepted =
        std::any_of(reads.begin(), reads.end(), [&](const Read& r) { return accepts(r.measure); });
  }

  const double px_per_mm = search.dpi > 0 ? search.dpi / 25.4 : 0;
  for (Read& r : reads) {
    Guarded([&] {
      if (r.linear)
        GradeLinearSymbol(page, r.symbol, px_per_mm, r.measure);
      else
        GradeMatrixSymbol(page, px_per_mm, r.measure);
    });
    out.push_back(r.measure);
  }
  std::stable_sort(out.begin(), out.end(), [](const BarcodeMeasure& a, const BarcodeMeasure& b) {
    return std::tie(a.corners[1], a.corners[0]) < std::tie(b.corners[1], b.corners[0]);
  });

  if (search.report_unreadable && !accepted) {
    size_t reported = 0;
    for (const BarField& field : fields) {
      if (reported == kMaxUnreadableReported) break;
      bool covered = std::any_of(reads.begin(), reads.end(), [&](const Read& r) {
        cv::Point2f d = r.Center() - field.center;
        return std::hypot(d.x, d.y) < r.Radius() + field.length / 4;
      });
      if (covered) continue;
      // Only printed bars: a text line, a frame, a signature's strokes or a
      // photograph's stripes make fields too (barcode_locate.h).
      BarField checked = field;
      Guarded([&] { ConfirmBars(page, search.dpi, checked); });
      if (!checked.confirmed) continue;
      out.push_back(Unreadable(page, checked, px_per_mm));
      ++reported;
    }
  }
  return out;
}

}  // namespace scangate
