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
#include "barcode.h"

#include <ZXing/BarcodeFormat.h>
#include <ZXing/DecodeHints.h>
#include <ZXing/ImageView.h>
#include <ZXing/ReadBarcode.h>
#include <ZXing/TextUtfEncoding.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <exception>
#include <string>
#include <tuple>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace scangate {
namespace {

using ZXing::BarcodeFormat;
using ZXing::BarcodeFormats;

// Each linear code costs one pass over the page, and the last pass finds
// nothing; a page with more codes than this keeps the first ones found.
constexpr int kMaxLinearPasses = 9;

BarcodeFormats WantedFormats(const std::vector<std::string>& names) {
  BarcodeFormats formats;
  for (const auto& name : names) {
    // Unknown names come back as None and add nothing.
    formats |= ZXing::BarcodeFormatFromString(name);
  }
  return formats.empty() ? BarcodeFormats(BarcodeFormat::Any) : formats;
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
    if (!held_ || gray.total() > kMaxKeptPixels) return gray.clone();
    gray.copyTo(held_->mat);
    return held_->mat;
  }

 private:
  static constexpr size_t kMaxKeptPixels = 20'000'000;
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

float Sample(const cv::Mat& g, cv::Point2f p) {
  int x = static_cast<int>(std::floor(p.x)), y = static_cast<int>(std::floor(p.y));
  if (x < 0 || y < 0 || x + 1 >= g.cols || y + 1 >= g.rows) return 255;
  float fx = p.x - x, fy = p.y - y;
  const uint8_t* r0 = g.ptr<uint8_t>(y) + x;
  const uint8_t* r1 = g.ptr<uint8_t>(y + 1) + x;
  return (r0[0] * (1 - fx) + r0[1] * fx) * (1 - fy) + (r1[0] * (1 - fx) + r1[1] * fx) * fy;
}

float Correlation(const std::vector<float>& a, const std::vector<float>& b) {
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sa += a[i], sb += b[i], saa += a[i] * a[i], sbb += b[i] * b[i], sab += a[i] * b[i];
  }
  double n = static_cast<double>(a.size());
  double va = saa - sa * sa / n, vb = sbb - sb * sb / n;
  if (va <= 1e-6 * n || vb <= 1e-6 * n) return 0;
  return static_cast<float>((sab - sa * sb / n) / std::sqrt(va * vb));
}

// A linear code as a quadrilateral in page pixels: `start` and `length` along
// the reading direction `u`; the bars run along `v`, from `lo` to `hi`, with
// the start drifting by `shift_lo`/`shift_hi` along `u` when they are skewed.
struct LinearSymbol {
  cv::Point2f start, u, v;
  float length = 0;
  float lo = 0, hi = 0, shift_lo = 0, shift_hi = 0;

  cv::Point2f At(float along, float across, float shift) const {
    return start + u * (along + shift) + v * across;
  }
  cv::Point2f Center() const {
    return At(length / 2, (lo + hi) / 2, (shift_lo + shift_hi) / 2);
  }
  float Radius() const { return std::hypot(length, hi - lo) / 2; }
};

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
      float c[7];  // correlation at shift - 3 .. shift + 3
      std::fill(std::begin(c), std::end(c), -2.0f);  // not tried
      auto try_shift = [&](int k) {
        profile(across, shift + (k - 3), current);
        c[k] = Correlation(previous, current);
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
        if (curvature < 0) sub = std::clamp(0.5f * (c[best - 1] - c[best + 1]) / curvature, -0.5f, 0.5f);
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

// Reads the linear codes of `formats` one ZXing call at a time.
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
void ReadLinearGroup(const cv::Mat& gray, BarcodeFormats formats, bool single_line,
                     BarcodeMeasures& out) {
  auto hints = BaseHints(formats).setMaxNumberOfSymbols(1).setTryDownscale(false);
  if (single_line) hints.setMinLineCount(1);

  // The caller's pixels stay untouched: other checks read them concurrently.
  Scratch scratch;
  cv::Mat work;  // set on the first hit
  struct Read {
    LinearSymbol symbol;
    std::string format, text;
  };
  std::vector<Read> reads;
  for (int pass = 0; pass < kMaxLinearPasses; ++pass) {
    ZXing::Results results = ZXing::ReadBarcodes(ViewOf(work.empty() ? gray : work), hints);
    auto hit = std::find_if(results.begin(), results.end(),
                            [](const ZXing::Result& r) { return r.isValid(); });
    if (hit == results.end()) break;
    if (work.empty()) work = scratch.CopyOf(gray);
    LinearSymbol symbol = Measure(work, hit->position());
    PaintOver(symbol, work);
    BarcodeMeasure m = ToMeasure(*hit, symbol);
    // Bars the patch missed read as the same code again: report it once.
    bool seen = std::any_of(reads.begin(), reads.end(), [&](const Read& r) {
      cv::Point2f d = symbol.Center() - r.symbol.Center();
      return r.format == m.format && r.text == m.text &&
             std::hypot(d.x, d.y) < r.symbol.Radius() + symbol.Radius();
    });
    reads.push_back({symbol, m.format, m.text});
    if (!seen) out.push_back(std::move(m));
  }
}

void ReadMatrixCodes(const cv::Mat& gray, BarcodeFormats formats, BarcodeMeasures& out) {
  // Every result here has a matrix format, for which operator== compares
  // positions and returns before the assert; no OneD reader is built without
  // a linear format in the hints. Several symbols and downscaling are safe.
  for (const auto& r : ZXing::ReadBarcodes(ViewOf(gray), BaseHints(formats))) {
    if (r.isValid()) out.push_back(ToMeasure(r));
  }
}

}  // namespace

BarcodeMeasures ReadPageBarcodes(const cv::Mat& gray, const BarcodeRule& rule) {
  BarcodeMeasures out;
  if (gray.empty() || gray.depth() != CV_8U || gray.dims != 2) return out;
  cv::Mat page = gray;
  if (gray.channels() == 3) {
    cv::cvtColor(gray, page, cv::COLOR_BGR2GRAY);
  } else if (gray.channels() == 4) {
    cv::cvtColor(gray, page, cv::COLOR_BGRA2GRAY);
  } else if (gray.channels() != 1) {
    return out;
  }

  const BarcodeFormats wanted = WantedFormats(rule.formats);
  const BarcodeFormats databar = wanted & (BarcodeFormat::DataBar | BarcodeFormat::DataBarExpanded);
  BarcodeFormats other_linear = wanted & BarcodeFormat::LinearCodes;
  other_linear.setFlag(BarcodeFormat::DataBar, false).setFlag(BarcodeFormat::DataBarExpanded, false);
  const BarcodeFormats matrix = wanted & BarcodeFormat::MatrixCodes;

  // One failing group must not cost the page the others' codes. ZXing and
  // OpenCV report trouble with std exceptions (cv::Exception is one).
  auto guarded = [&](auto&& read) {
    try {
      read();
    } catch (const std::exception&) {
    }
  };
  if (!matrix.empty()) guarded([&] { ReadMatrixCodes(page, matrix, out); });
  if (!other_linear.empty()) guarded([&] { ReadLinearGroup(page, other_linear, false, out); });
  if (!databar.empty()) guarded([&] { ReadLinearGroup(page, databar, true, out); });

  std::stable_sort(out.begin(), out.end(), [](const BarcodeMeasure& a, const BarcodeMeasure& b) {
    return std::tie(a.corners[1], a.corners[0]) < std::tie(b.corners[1], b.corners[0]);
  });
  return out;
}

}  // namespace scangate
