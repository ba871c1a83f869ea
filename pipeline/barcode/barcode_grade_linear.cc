// Grading linear codes (see barcode_grade.h).
//
// Linear codes follow ISO/IEC 15416's method: ten scan reflectance profiles
// spread over the middle 80 % of the bar height, each graded on decode,
// minimum reflectance, symbol contrast, minimum edge contrast, modulation,
// defects and decodability (the lowest of these is the scan's grade), the
// symbol grade being the mean of the scan grades. Where this departs from a
// calibrated verifier: reflectance is gray / 255 (the scanner's white stands
// in for a calibrated reference); the measuring aperture is simulated as a
// Gaussian of 0.5 X full width; "decode" means the scan splits into exactly
// the elements of the decoded symbol (re-encoded with ZXing's writer), and
// decodability uses the edge-to-similar-edge margins of ISO/IEC 15417 (and a
// bar-sum check, so that ink spread costs grade as it costs guns) or, for
// two-width codes, the wide/narrow threshold margin.
#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>
#include <ZXing/TextUtfEncoding.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <exception>
#include <numeric>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "pipeline/barcode/barcode_grade.h"
#include "pipeline/barcode/grade_scales.h"
#include "pipeline/image/profile_math.h"

namespace scangate {
namespace {

using namespace grading;

// The parameters in the order a tie names them.
enum Parameter {
  kDecode,
  kMinReflectance,
  kContrast,
  kEdgeContrast,
  kModulation,
  kDefect,
  kDecodable,
  kParameterCount
};
constexpr GradeParameter kGradeParameters[kParameterCount] = {
    GradeParameter::kDecode,     GradeParameter::kMinReflectance, GradeParameter::kSymbolContrast,
    GradeParameter::kMinEdgeContrast, GradeParameter::kModulation, GradeParameter::kDefects,
    GradeParameter::kDecodability};

// -------------------------------------------------------------- symbologies

enum class Widths { kModular, kTwoWidth };

struct Symbology {
  Widths widths = Widths::kModular;
  // Quiet zones the symbology asks for, modules, before and after the bars
  // in reading direction.
  double quiet_before = 10, quiet_after = 10;
};

Symbology SymbologyOf(const std::string& format) {
  if (format == "Code39" || format == "ITF" || format == "Codabar")
    return {Widths::kTwoWidth, 10, 10};
  if (format == "EAN-13") return {Widths::kModular, 11, 7};
  if (format == "EAN-8") return {Widths::kModular, 7, 7};
  if (format == "UPC-A") return {Widths::kModular, 9, 9};
  if (format == "UPC-E") return {Widths::kModular, 9, 7};
  if (format.rfind("DataBar", 0) == 0) return {Widths::kModular, 1, 1};
  return {};  // Code 128, Code 93
}

// The symbol's bars and spaces in modules, first bar first, from encoding the
// decoded text again; empty where ZXing cannot write the format or the text
// (the printer may also have chosen other code sets: the caller compares
// element counts before trusting it).
std::vector<int> IdealElements(const std::string& format, const std::string& text) {
  const ZXing::BarcodeFormat f = ZXing::BarcodeFormatFromString(format);
  if (f == ZXing::BarcodeFormat::None ||
      (ZXing::BarcodeFormats(f) & ZXing::BarcodeFormat::LinearCodes).empty())
    return {};
  std::vector<int> runs;
  try {
    ZXing::BitMatrix bits = ZXing::MultiFormatWriter(f).setMargin(0).encode(
        ZXing::TextUtfEncoding::FromUtf8(text), 0, 1);
    int x = 0;
    while (x < bits.width() && !bits.get(x, 0)) ++x;
    int last = bits.width();
    while (last > x && !bits.get(last - 1, 0)) --last;
    while (x < last) {
      const bool dark = bits.get(x, 0);
      int run = 0;
      while (x < last && bits.get(x, 0) == dark) ++x, ++run;
      runs.push_back(run);
    }
  } catch (const std::exception&) {
    return {};
  }
  return runs;
}

// One scan reflectance profile along the reading direction.
struct ScanProfile {
  float t0 = 0, dt = 1;  // position along u of sample 0, and the step
  std::vector<float> r;  // reflectance; -1 outside the image
  float At(float i) const { return t0 + dt * i; }
  int Index(float t) const {
    return std::clamp(static_cast<int>(std::lround((t - t0) / dt)), 0,
                      static_cast<int>(r.size()) - 1);
  }
};

// Samples across the bars at `across` from `t_begin` to `t_end` through a
// round aperture of `aperture` pixels: a 3-point slit along the bars, then a
// Gaussian along the scan of that full width at half maximum.
ScanProfile SampleScan(const cv::Mat& g, const LinearSymbolFrame& f, float across, float t_begin,
                       float t_end, float dt, float aperture) {
  ScanProfile p;
  p.t0 = t_begin, p.dt = dt;
  const int n = std::max(2, static_cast<int>((t_end - t_begin) / dt) + 1);
  const float shift = f.ShiftAt(across);
  const float slit[3] = {-aperture / 3, 0, aperture / 3};
  std::vector<float> raw(n);
  for (int i = 0; i < n; ++i) {
    float sum = 0;
    int k = 0;
    for (float s : slit) {
      float v = Reflectance(g, f.At(p.At(i), across + s, shift));
      if (v >= 0) sum += v, ++k;
    }
    raw[i] = k ? sum / k : -1;
  }
  const float sigma = std::max(aperture / 2.355f, 0.3f) / dt;
  const int radius = std::max(1, static_cast<int>(std::ceil(2.5f * sigma)));
  std::vector<float> kernel(2 * radius + 1);
  for (int j = -radius; j <= radius; ++j)
    kernel[j + radius] = std::exp(-0.5f * j * j / (sigma * sigma));
  p.r.assign(n, -1);
  for (int i = 0; i < n; ++i) {
    if (raw[i] < 0) continue;
    float sum = 0, weight = 0;
    for (int j = std::max(-radius, -i); j <= radius && i + j < n; ++j) {
      if (raw[i + j] < 0) continue;
      sum += kernel[j + radius] * raw[i + j];
      weight += kernel[j + radius];
    }
    p.r[i] = sum / weight;
  }
  return p;
}

// ---------------------------------------------------------------- elements

struct Element {
  bool bar = false;
  float begin = 0, end = 0;  // along u, at the global threshold
  int i0 = 0, i1 = 0;        // samples [i0, i1)
  bool outside = false;      // beyond the image edge
  float Width() const { return end - begin; }
  float Center() const { return (begin + end) / 2; }
};

// Splits the profile at the global threshold. Samples outside the image are
// their own elements, never bars or spaces of the symbol.
std::vector<Element> Segment(const ScanProfile& p, float gt) {
  std::vector<Element> out;
  const int n = static_cast<int>(p.r.size());
  auto kind = [&](int i) { return p.r[i] < 0 ? 2 : p.r[i] < gt ? 1 : 0; };
  int start = 0;
  float begin = p.At(0);
  for (int i = 1; i <= n; ++i) {
    if (i < n && kind(i) == kind(start)) continue;
    float end = p.At(i - 0.5f);
    if (i < n && kind(i) != 2 && kind(i - 1) != 2) {
      float a = p.r[i - 1], b = p.r[i];
      end = p.At(i - 1 + std::clamp((gt - a) / (b - a), 0.0f, 1.0f));
    } else if (i == n) {
      end = p.At(n - 1);
    }
    Element e;
    e.bar = kind(start) == 1;
    e.outside = kind(start) == 2;
    e.begin = begin, e.end = end, e.i0 = start, e.i1 = i;
    out.push_back(e);
    begin = end, start = i;
  }
  return out;
}

// The deepest valley between two higher points within samples [i0, i1):
// ISO's element reflectance non-uniformity. For bars, a peak between two
// lower points. 0 when the element is monotonic or flat.
float NonUniformity(const ScanProfile& p, int i0, int i1, bool bar) {
  if (i1 - i0 < 3) return 0;
  auto value = [&](int i) { return bar ? -p.r[i] : p.r[i]; };
  std::vector<float> right_max(i1 - i0);
  float m = -1e9f;
  for (int i = i1 - 1; i >= i0; --i) right_max[i - i0] = m = std::max(m, value(i));
  float left_max = value(i0), worst = 0;
  for (int i = i0 + 1; i < i1 - 1; ++i) {
    worst = std::max(worst, std::min(left_max, right_max[i + 1 - i0]) - value(i));
    left_max = std::max(left_max, value(i));
  }
  return worst;
}

// ---------------------------------------------------------------- one scan

struct ScanResult {
  bool measured = false;  // found the bars at all
  int elements = 0;
  double rmin = 0, rmax = 0, sc = 0, ecmin = 0, mod = 0, defects = 0, decodability = 0;
  double grades[kParameterCount] = {};
  double grade = 0;
  int limited_by = -1;  // parameter, or -1 when A
  float span = 0;       // first bar's leading edge to last bar's trailing edge, px
  float quiet_before = 0, quiet_after = 0;  // px
  float first_begin = 0, last_end = 0;
  std::vector<float> widths;
};

// Decodability of a modular ((n, k)) symbology: edge-to-similar-edge
// distances against the ideal, each within half a module of its threshold,
// and the bars of each three-bar window against their ideal sum (ISO/IEC
// 15417 allows 1.75 modules), module size taken locally over six elements.
double ModularDecodability(const std::vector<float>& w, const std::vector<int>& ideal) {
  const int n = static_cast<int>(w.size());
  if (n < 6) return 0;
  auto local_module = [&](int i) {
    int j0 = std::clamp(i - 2, 0, n - 6);
    float sw = 0, si = 0;
    for (int j = j0; j < j0 + 6; ++j) sw += w[j], si += static_cast<float>(ideal[j]);
    return sw / si;
  };
  double v = 1;
  for (int i = 0; i + 1 < n; ++i) {
    float p = local_module(i);
    double e = (w[i] + w[i + 1]) / p;
    v = std::min(v, 1 - std::abs(e - (ideal[i] + ideal[i + 1])) / 0.5);
  }
  for (int i = 0; i + 4 < n; i += 2) {  // bars are the even elements
    float p = local_module(i + 2);
    double s = (w[i] + w[i + 2] + w[i + 4]) / p;
    v = std::min(v, 1 - std::abs(s - (ideal[i] + ideal[i + 2] + ideal[i + 4])) / 1.75);
  }
  return std::clamp(v, 0.0, 1.0);
}

// Without an ideal pattern: how close edge-to-similar-edge distances fall to
// whole modules of size `x`.
double RoundedDecodability(const std::vector<float>& w, float x) {
  double v = 1;
  for (size_t i = 0; i + 1 < w.size(); ++i) {
    double e = (w[i] + w[i + 1]) / x;
    v = std::min(v, 1 - std::abs(e - std::round(e)) / 0.5);
  }
  return std::clamp(v, 0.0, 1.0);
}

// Two-width codes: every element on its side of the wide/narrow threshold,
// by how much of the ideal margin.
double TwoWidthDecodability(const std::vector<float>& w, const std::vector<int>& ideal) {
  const bool use_ideal = ideal.size() == w.size();
  float lo = *std::min_element(w.begin(), w.end()), hi = *std::max_element(w.begin(), w.end());
  auto wide = [&](size_t i) { return use_ideal ? ideal[i] > 1 : w[i] > (lo + hi) / 2; };
  double narrow_sum = 0, wide_sum = 0;
  int narrow_n = 0, wide_n = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (wide(i))
      wide_sum += w[i], ++wide_n;
    else
      narrow_sum += w[i], ++narrow_n;
  }
  if (!narrow_n || !wide_n) return 0;
  const double n = narrow_sum / narrow_n, wd = wide_sum / wide_n, rt = (n + wd) / 2;
  if (rt - n < 1e-6) return 0;
  double v = 1;
  for (size_t i = 0; i < w.size(); ++i)
    v = std::min(v, wide(i) ? (w[i] - rt) / (wd - rt) : (rt - w[i]) / (rt - n));
  return std::clamp(v, 0.0, 1.0);
}

// Module size from element widths alone: bar-and-space pairs (free of ink
// spread) rounded to whole modules.
float FittedModule(const std::vector<float>& w, float span) {
  std::vector<float> pairs;
  for (size_t i = 0; i + 1 < w.size(); ++i) pairs.push_back(w[i] + w[i + 1]);
  if (pairs.empty()) return span;
  std::vector<float> sorted = pairs;
  std::sort(sorted.begin(), sorted.end());
  float x = sorted[sorted.size() / 10] / 2;  // the narrowest pairs are two modules
  for (int iteration = 0; iteration < 4 && x > 0; ++iteration) {
    double modules = 0, px = 0;
    for (float e : pairs) modules += std::max(2.0f, std::round(e / x)), px += e;
    x = static_cast<float>(px / modules);
  }
  return x;
}

ScanResult GradeScan(const cv::Mat& g, const LinearSymbolFrame& f, float across,
                     const Symbology& sym, const std::vector<int>& ideal, float x_guess) {
  ScanResult s;
  const float reach =
      std::max(sym.quiet_before, sym.quiet_after) * x_guess * 1.2f + 3 * x_guess + 4;
  const float dt = std::clamp(x_guess / 8, 0.1f, 0.5f);
  ScanProfile p = SampleScan(g, f, across, -reach, f.length + reach, dt, 0.5f * x_guess);
  if (p.r.size() < 8) return s;

  // Threshold over the symbol, then over the symbol and its quiet zones.
  auto extremes = [&](float from, float to, float& lo, float& hi) {
    lo = 2, hi = -1;
    for (int i = p.Index(from); i <= p.Index(to); ++i) {
      if (p.r[i] < 0) continue;
      lo = std::min(lo, p.r[i]), hi = std::max(hi, p.r[i]);
    }
    return hi >= lo;
  };
  float rmin = 0, rmax = 0;
  if (!extremes(0, f.length, rmin, rmax) || rmax - rmin < 0.02f) return s;
  std::vector<Element> el;
  int first = -1, last = -1;
  auto locate = [&](float gt) {
    el = Segment(p, gt);
    first = last = -1;
    for (int k = 0; k < static_cast<int>(el.size()); ++k) {
      const Element& e = el[k];
      if (!e.bar || e.end < -1.5f * x_guess || e.begin > f.length + 1.5f * x_guess) continue;
      if (first < 0) first = k;
      last = k;
    }
    return first >= 0 && last > first;
  };
  if (!locate((rmin + rmax) / 2)) return s;
  if (!extremes(el[first].begin - sym.quiet_before * x_guess,
                el[last].end + sym.quiet_after * x_guess, rmin, rmax))
    return s;
  const float gt = (rmin + rmax) / 2;
  if (!locate(gt)) return s;
  s.measured = true;
  s.rmin = rmin, s.rmax = rmax, s.sc = rmax - rmin;
  s.first_begin = el[first].begin, s.last_end = el[last].end;
  s.span = s.last_end - s.first_begin;
  s.elements = last - first + 1;
  for (int k = first; k <= last; ++k) s.widths.push_back(el[k].Width());

  // Quiet zones: light until the nearest dark element or the image edge.
  s.quiet_before = first > 0 ? el[first - 1].Width() : 0;
  if (first > 0 && el[first - 1].i0 == 0 && !el[first - 1].outside)
    s.quiet_before = reach + s.first_begin;
  s.quiet_after = last + 1 < static_cast<int>(el.size()) ? el[last + 1].Width() : 0;
  if (last + 1 < static_cast<int>(el.size()) && el[last + 1].i1 == static_cast<int>(p.r.size()) &&
      !el[last + 1].outside)
    s.quiet_after = f.length + reach - s.last_end;

  // Element reflectances and edge contrast; the quiet zones count as spaces
  // over the width the symbology asks for.
  auto element_value = [&](int i0, int i1, bool bar) {
    float v = bar ? 2.0f : -1.0f;
    for (int i = std::max(i0, 0); i < std::min<int>(i1, p.r.size()); ++i) {
      if (p.r[i] < 0) continue;
      v = bar ? std::min(v, p.r[i]) : std::max(v, p.r[i]);
    }
    return v;
  };
  const int qz0 =
      p.Index(s.first_begin - std::min<float>(s.quiet_before, sym.quiet_before * x_guess));
  const int qz1 = p.Index(s.last_end + std::min<float>(s.quiet_after, sym.quiet_after * x_guess));
  std::vector<float> value;  // quiet zone, elements, quiet zone
  value.push_back(element_value(qz0, el[first].i0, false));
  for (int k = first; k <= last; ++k) value.push_back(element_value(el[k].i0, el[k].i1, el[k].bar));
  value.push_back(element_value(el[last].i1, qz1 + 1, false));
  s.ecmin = 1;
  for (size_t k = 0; k + 1 < value.size(); ++k) {
    if (value[k] < 0 || value[k + 1] < 0 || value[k] > 1.5f || value[k + 1] > 1.5f) {
      s.ecmin = 0;  // an element or quiet zone off the image
      continue;
    }
    s.ecmin = std::min<double>(s.ecmin, std::abs(value[k] - value[k + 1]));
  }
  s.mod = s.sc > 0 ? s.ecmin / s.sc : 0;

  float ern = std::max(NonUniformity(p, qz0, el[first].i0, false),
                       NonUniformity(p, el[last].i1, qz1 + 1, false));
  for (int k = first; k <= last; ++k)
    ern = std::max(ern, NonUniformity(p, el[k].i0, el[k].i1, el[k].bar));
  s.defects = s.sc > 0 ? ern / s.sc : 1;

  const bool matches_ideal = !ideal.empty() && ideal.size() == s.widths.size();
  if (sym.widths == Widths::kTwoWidth) {
    s.decodability = TwoWidthDecodability(s.widths, ideal);
  } else if (matches_ideal) {
    s.decodability = ModularDecodability(s.widths, ideal);
  } else {
    s.decodability = RoundedDecodability(s.widths, FittedModule(s.widths, s.span));
  }
  // Decode: the scan splits into the decoded symbol's elements (when the
  // ideal is unknown the caller compares element counts across scans).
  const bool decoded = ideal.empty() || matches_ideal;
  if (!decoded) s.decodability = 0;

  s.grades[kDecode] = decoded ? 4 : 0;
  s.grades[kMinReflectance] = s.rmin <= 0.5 * s.rmax ? 4 : 0;
  s.grades[kContrast] = GradeOn(s.sc, kSymbolContrast);
  s.grades[kEdgeContrast] = s.ecmin >= kMinEdgeContrast ? 4 : 0;
  s.grades[kModulation] = GradeOn(s.mod, kLinearModulation);
  s.grades[kDefect] = GradeOn(s.defects, kDefects);
  s.grades[kDecodable] = GradeOn(s.decodability, kDecodability);
  s.grade = 4;
  for (int k = 0; k < kParameterCount; ++k) {
    if (s.grades[k] < s.grade) s.grade = s.grades[k], s.limited_by = k;
  }
  return s;
}


// The reader's frame follows ZXing's scan line, which crosses skewed bars at
// a slant: a parallelogram, its slant known only roughly. Scans must cross
// the bars square, and the bars' ends must be found along the bars, so the
// frame is turned to the direction in which profiles a little above and below
// the centre line agree best, and its height found again along the bars: a
// rotated rectangle.
LinearSymbolFrame Squared(const cv::Mat& g, const LinearSymbolFrame& f) {
  if (f.length < 8) return f;
  const cv::Point2f along_bars = f.v * (f.hi - f.lo) + f.u * (f.shift_hi - f.shift_lo);
  const float bars = std::max(std::hypot(along_bars.x, along_bars.y), f.hi - f.lo);
  const float mid = (f.lo + f.hi) / 2;
  const float shift = f.ShiftAt(mid);
  const cv::Point2f left = f.At(0, mid, shift), right = f.At(f.length, mid, shift);
  const cv::Point2f centre = (left + right) * 0.5f;
  // Square to the bars as the reader followed them, to start with.
  const cv::Point2f across_bars = bars >= 4 ? cv::Point2f(along_bars.y, -along_bars.x) : f.u;
  const float first_angle = std::atan2(across_bars.y, across_bars.x);
  const float length = std::hypot(right.x - left.x, right.y - left.y);

  const int n = std::clamp(static_cast<int>(length), 16, 2048);
  auto profile = [&](cv::Point2f u, float across) {
    const cv::Point2f v(-u.y, u.x);
    const cv::Point2f start = centre - u * (length / 2) + v * across;
    std::vector<float> out(n);
    for (int i = 0; i < n; ++i)
      out[i] = std::max(0.0f, Reflectance(g, start + u * (length * (i + 0.5f) / n)));
    return out;
  };
  auto direction = [](float angle) { return cv::Point2f(std::cos(angle), std::sin(angle)); };
  // Bars off square shift along the scan between a profile above the centre
  // line and one below it; the shift gives the correction.
  auto straighten = [&](float angle, float offset) {
    const cv::Point2f u = direction(angle);
    const std::vector<float> above = profile(u, -offset), below = profile(u, offset);
    const int reach = static_cast<int>(std::ceil(2 * offset * std::tan(15 * kPi / 180))) + 1;
    std::vector<double> score(2 * reach + 1, -2);
    int best = reach;
    for (int k = -reach; k <= reach; ++k) {
      std::vector<float> a, b;
      for (int i = std::max(0, -k); i < n && i + k < n; ++i)
        a.push_back(above[i]), b.push_back(below[i + k]);
      if (a.size() < 8) continue;
      score[k + reach] = Correlation(a, b);
      if (score[k + reach] > score[best]) best = k + reach;
    }
    float lag = static_cast<float>(best - reach);
    if (best > 0 && best < 2 * reach && score[best - 1] > -2 && score[best + 1] > -2) {
      double curvature = score[best - 1] - 2 * score[best] + score[best + 1];
      if (curvature < 0)
        lag += static_cast<float>(
            std::clamp(0.5 * (score[best - 1] - score[best + 1]) / curvature, -0.5, 0.5));
    }
    return angle - std::atan2(lag * length / n, 2 * offset);
  };
  // The bars end where the profile across them stops being the centre's.
  LinearSymbolFrame s;
  auto measure_height = [&](float angle) {
    s.u = direction(angle);
    s.v = cv::Point2f(-s.u.y, s.u.x);
    s.length = (right - left).dot(s.u);
    s.start = centre - s.u * (s.length / 2);
    const std::vector<float> middle = profile(s.u, 0);
    constexpr float kStep = 1.5f, kSame = 0.7f;
    const float limit = bars * 0.75f + 8;
    for (int side : {-1, 1}) {
      float reach = 0;
      int misses = 0;
      for (float across = kStep; across < limit && misses < 2; across += kStep) {
        if (Correlation(middle, profile(s.u, side * across)) < kSame) {
          ++misses;
          continue;
        }
        misses = 0;
        reach = across;
      }
      (side < 0 ? s.lo : s.hi) = side * reach;
    }
  };
  float angle = first_angle;
  const float rough_offset = std::clamp(0.25f * bars, 3.0f, 40.0f);
  angle = straighten(straighten(angle, rough_offset), rough_offset);
  measure_height(angle);
  const float offset = 0.35f * std::min(-s.lo, s.hi);
  if (offset > rough_offset) {
    angle = straighten(angle, offset);
    measure_height(angle);
  }
  if (s.hi - s.lo < 2) return f;
  return s;
}

}  // namespace

void GradeLinearSymbol(const cv::Mat& gray, const LinearSymbolFrame& found, double px_per_mm,
                       BarcodeMeasure& m) {
  if (gray.empty()) return;
  const LinearSymbolFrame frame = Squared(gray, found);
  if (frame.hi - frame.lo >= 2) {
    const cv::Point2f corners[4] = {frame.At(0, frame.lo, 0), frame.At(frame.length, frame.lo, 0),
                                    frame.At(frame.length, frame.hi, 0), frame.At(0, frame.hi, 0)};
    for (int i = 0; i < 4; ++i) {
      m.corners[2 * i] = static_cast<int>(std::lround(corners[i].x));
      m.corners[2 * i + 1] = static_cast<int>(std::lround(corners[i].y));
    }
  }
  m.orientation_degrees = OrientationOf(frame.u);
  if (px_per_mm > 0) m.bar_height_mm = (frame.hi - frame.lo) / px_per_mm;
  if (frame.length < 4) return;

  const Symbology sym = SymbologyOf(m.format);
  const std::vector<int> ideal = IdealElements(m.format, m.text);
  const int ideal_modules = std::accumulate(ideal.begin(), ideal.end(), 0);
  // A first guess at the module size, to size the aperture and how far the
  // quiet zones reach; modular codes without an ideal average ~1.8 modules
  // per element, and two-width ones ~1.5.
  float x_guess = 0;
  if (ideal_modules > 0 && sym.widths == Widths::kModular) {
    x_guess = frame.length / ideal_modules;
  } else {
    float mid = (frame.lo + frame.hi) / 2;
    ScanProfile coarse = SampleScan(gray, frame, mid, 0, frame.length, 0.5f, 1);
    float lo = 2, hi = -1;
    for (float r : coarse.r)
      if (r >= 0) lo = std::min(lo, r), hi = std::max(hi, r);
    int elements = std::max<int>(1, static_cast<int>(Segment(coarse, (lo + hi) / 2).size()));
    x_guess = frame.length / (elements * (sym.widths == Widths::kTwoWidth ? 1.5f : 1.8f));
  }
  x_guess = std::max(x_guess, 0.5f);

  constexpr int kScans = 10;
  std::vector<ScanResult> scans;
  const float height = frame.hi - frame.lo;
  for (int k = 0; k < kScans; ++k) {
    float across = frame.lo + height * (0.1f + 0.8f * (k + 0.5f) / kScans);
    ScanResult s = GradeScan(gray, frame, across, sym, ideal, x_guess);
    scans.push_back(std::move(s));
  }
  // Without an ideal, a scan decodes when it finds the element count most
  // scans agree on.
  if (ideal.empty()) {
    std::vector<double> counts;
    for (const ScanResult& s : scans)
      if (s.measured) counts.push_back(s.elements);
    const int usual = static_cast<int>(Median(counts));
    for (ScanResult& s : scans) {
      if (!s.measured || s.elements == usual) continue;
      s.grades[kDecode] = 0, s.decodability = 0, s.grades[kDecodable] = 0;
      s.grade = 0, s.limited_by = kDecode;
    }
  }

  BarcodeGrade& q = m.quality;
  q = BarcodeGrade{};
  q.scans = kScans;
  int limits[kParameterCount] = {};
  std::vector<double> modules_px, before, after;
  for (const ScanResult& s : scans) {
    // A scan that found no bars at all grades 0 on everything.
    q.grade_value += s.measured ? s.grade : 0;
    q.symbol_contrast += s.sc, q.min_reflectance += s.rmin, q.min_edge_contrast += s.ecmin;
    q.modulation += s.mod, q.defects += s.measured ? s.defects : 1,
        q.decodability += s.decodability;
    if (!s.measured) {
      ++limits[kDecode];
      continue;
    }
    if (s.limited_by >= 0) ++limits[s.limited_by];
    if (s.grades[kDecode] == 0) continue;
    if (sym.widths == Widths::kTwoWidth) {
      // X is the narrow element width; pairs of a narrow bar and a narrow
      // space cancel ink spread.
      std::vector<float> w = s.widths;
      std::sort(w.begin(), w.end());
      float threshold = (w.front() + w.back()) / 2;
      double sum = 0;
      int n = 0;
      for (float x : s.widths)
        if (x < threshold) sum += x, ++n;
      if (n) modules_px.push_back(sum / n);
    } else if (ideal_modules > 0 && ideal.size() == s.widths.size()) {
      modules_px.push_back(s.span / ideal_modules);
    } else {
      modules_px.push_back(FittedModule(s.widths, s.span));
    }
    before.push_back(s.quiet_before), after.push_back(s.quiet_after);
  }
  const double n = kScans;
  q.grade_value /= n, q.symbol_contrast /= n, q.min_reflectance /= n, q.min_edge_contrast /= n;
  q.modulation /= n, q.defects /= n, q.decodability /= n;
  q.grade = GradeOfValue(q.grade_value);
  if (q.grade != Grade::kA) {
    int worst = static_cast<int>(std::max_element(limits, limits + kParameterCount) - limits);
    if (limits[worst] > 0) q.limited_by = kGradeParameters[worst];
  }

  const double x = Median(modules_px);
  m.x_dimension_px = x;
  if (px_per_mm > 0) m.x_dimension_mm = x / px_per_mm;
  if (x > 0) {
    const double qb = Median(before) / x, qa = Median(after) / x;
    m.quiet_zone_modules = std::min(qb, qa);
    // Ink spread moves the outer bar edges by a fraction of a module.
    m.quiet_zone_ok = qb >= sym.quiet_before - 0.5 && qa >= sym.quiet_after - 0.5;
  }
}

}  // namespace scangate
