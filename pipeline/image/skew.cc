// Skew from the horizontal edges of ink. The tops and bottoms of strokes
// (baselines, x-heights, rulings) are located to a fraction of a pixel where
// the vertical gray difference peaks, on a sparse set of columns of the
// ~150-dpi page; projected along the true angle they pile into sharp rows,
// so the sum of squared row counts peaks there. Search: a coarse sweep over
// the whole range with wide rows, a few candidates refined with narrower
// rows, and the best one narrowed to a thousandth of a degree with one-pixel
// rows. Every stage sees the whole +-15 degrees: no blind ends. The same
// search over the darkness of the ink (the mass of the lines, which a blur
// spreads but does not move) checks the edges' answer and stands in for it
// where a heavy blur has sheared the edges. Pages the search cannot settle
// (turned beyond 15 degrees, or a quarter turn round) are searched again
// around the direction their ink's gradients pile up on: the edge points
// taken along that axis and turned back by it, the page itself turned only
// by an exact quarter (a copy) where its lines run down it.
#include "pipeline/image/skew.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace scangate {
namespace {

constexpr double kRange = 15.0;
constexpr std::size_t kMaxPoints = 30'000;
constexpr std::size_t kMinPoints = 150;
// Points of ink mass for the finest stage: the mass is a check on the
// edges and a stand-in for them, not the main estimate.
constexpr std::size_t kMassPoints = 15'000;
// Two estimates closer than this agree: the most a page may be off.
constexpr double kAgree = 0.2;
// Text this sharp (the blur check's spread as a Gaussian sigma at 300 dpi,
// reached by a quarter of the text) is sharp by the blur check's own
// definition: its edges are where the lines are.
constexpr double kSharpSigma300dpi = 0.8;
// A line axis further off than this is searched around the axis: the
// precise search's own range ends at 15 degrees.
constexpr double kWideFrom = 12;
// The precise search this sure is not questioned.
constexpr double kSureConfidence = 0.3;
// The gradients' best direction against their mean over the quarter turn
// (1): below this nothing on the page lies along a direction (a photo, a
// blank page).
constexpr double kMinAxisStrength = 1.05;
// A page with fewer edge points (a signature, a short line, a photo's rim)
// is not searched wide: too little to lie along anything, and the search
// costs a turn of the fine page.
constexpr int kWideMinPoints = 500;
// An angle this close to the precise search's end is the end's, not the
// page's: the search's rows pile best at its end for a page just beyond.
constexpr double kEndMargin = 0.5;

struct EdgePoints {
  std::vector<float> x, y;  // fine pixels from the image centre
  std::vector<float> w;     // weight of each point; empty: all 1
  int height = 0, width = 0;
  std::size_t size() const { return x.size(); }
};

// `axis_degrees`: the skew the page's lines are expected near (0 within
// the precise search's range; the line axis, beyond it). Edges are taken
// within ~27 degrees of that axis, still found down the columns (an edge
// crossing a column obliquely peaks there as well, its position along the
// column as precise), and the points are turned back by the axis, so that
// the search runs over +-15 degrees around it: no turn of the page itself,
// which costs several times the search.
EdgePoints FindEdgePoints(const InkMap& ink, double axis_degrees = 0) {
  EdgePoints p;
  const cv::Mat& f = ink.fine;
  p.width = f.cols;
  p.height = f.rows;
  if (f.rows < 8 || f.cols < 8) return p;
  // Columns ~0.6 mm apart: plenty of points per text line, a quarter of the work.
  const int step = std::max(1, int(std::lround(ink.fine_dpi / 40)));
  // A difference over two pixels of an eighth of the paper level: every ink
  // edge, even blurred, and no paper texture, JPEG ringing or show-through;
  // and well clear of the sensor noise.
  const int threshold = std::max({12, int(ink.paper * 0.125), int(4 * ink.fine_noise)});
  // The gradient across a line at the axis is (sin a, cos a) as (across,
  // down): turned back by the axis it is straight down.
  const double axis = axis_degrees * std::numbers::pi / 180;
  const float ca = float(std::cos(axis)), sa = float(std::sin(axis));
  const bool oblique = std::abs(axis_degrees) > 1e-6;
  // Down a column an oblique edge's difference is the cosine's share of it.
  const int column_threshold = oblique ? std::max(1, int(threshold * ca)) : threshold;
  // Borders are judged on the coarse grid; stay two coarse pixels clear.
  const cv::Mat& near_border = ink.near_border;
  const int per = std::max(1, int(std::lround(ink.fine_scale / ink.scale)));
  const float cx = (f.cols - 1) / 2.0f, cy = (f.rows - 1) / 2.0f;
  for (int y = 2; y < f.rows - 2; ++y) {
    const std::uint8_t* m2 = f.ptr<std::uint8_t>(y - 2);
    const std::uint8_t* m1 = f.ptr<std::uint8_t>(y - 1);
    const std::uint8_t* c0 = f.ptr<std::uint8_t>(y);
    const std::uint8_t* p1 = f.ptr<std::uint8_t>(y + 1);
    const std::uint8_t* p2 = f.ptr<std::uint8_t>(y + 2);
    const std::uint8_t* border = near_border.ptr<std::uint8_t>(std::min(near_border.rows - 1, y / per));
    for (int x = 1 + (y % step); x < f.cols - 1; x += step) {
      const int d = p1[x] - m1[x];
      if (d < column_threshold && d > -column_threshold) continue;
      const int above = c0[x] - m2[x], below = p2[x] - c0[x];
      // A peak of |difference| down the column, on an edge within ~27 degrees
      // of horizontal (stems and diagonals give no row structure).
      const bool peak = d > 0 ? (d >= above && d > below) : (d <= above && d < below);
      if (!peak) continue;
      const int across = c0[x + 1] - c0[x - 1];
      if (!oblique) {
        if (2 * std::abs(across) > std::abs(d)) continue;
      } else {
        const float down_turned = float(across) * sa + float(d) * ca;
        const float across_turned = float(across) * ca - float(d) * sa;
        if (2 * std::abs(across_turned) > std::abs(down_turned) || std::abs(down_turned) < float(threshold))
          continue;
      }
      if (border[std::min(near_border.cols - 1, x / per)]) continue;
      const float curvature = float(above - 2 * d + below);
      const float offset = curvature != 0 ? 0.5f * float(above - below) / curvature : 0.f;
      p.x.push_back(float(x) - cx);
      p.y.push_back(float(y) + std::clamp(offset, -0.5f, 0.5f) - cy);
    }
  }
  // Column by column, not row by row: consecutive points then land in
  // different rows of the projection, and its additions do not wait on each
  // other. Thinned to an even spread if there are more than needed.
  const std::size_t keep = std::min(p.size(), kMaxPoints);
  std::vector<std::uint32_t> start(std::size_t(f.cols) + 1, 0);
  for (float x : p.x) ++start[std::size_t(x + cx) + 1];
  for (std::size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
  std::vector<float> xs(p.size()), ys(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    std::uint32_t at = start[std::size_t(p.x[i] + cx)]++;
    xs[at] = p.x[i];
    ys[at] = p.y[i];
  }
  p.x.resize(keep);
  p.y.resize(keep);
  const double every = double(xs.size()) / double(std::max<std::size_t>(keep, 1));
  for (std::size_t i = 0; i < keep; ++i) {
    p.x[i] = xs[std::size_t(double(i) * every)];
    p.y[i] = ys[std::size_t(double(i) * every)];
  }
  if (oblique) {
    // Turned back by the axis: the page's lines then run along the rows.
    for (std::size_t i = 0; i < keep; ++i) {
      const float x = p.x[i], y = p.y[i];
      p.x[i] = x * ca - y * sa;
      p.y[i] = x * sa + y * ca;
    }
    // The frame that holds every turned point.
    const int diagonal = int(std::ceil(std::hypot(double(f.cols), double(f.rows))));
    p.width = p.height = diagonal;
  }
  return p;
}

// The darkness of the ink below the paper around it, on columns ~0.6 mm
// apart of the fine page: the mass of the text lines and rulings rather
// than their edges. A blur moves no ink, it only spreads it: a symmetric
// blur (defocus, or a motion smear at any angle to the lines) leaves the
// middle of every line of ink where it was, where it shifts the edges of
// thin strokes and shears those of letters. Each point weighs its
// darkness; positions in fine pixels from the centre, as the edges.
EdgePoints FindInkMass(const InkMap& ink) {
  EdgePoints p;
  const cv::Mat& f = ink.fine;
  const cv::Mat& paper = ink.work.paper_level;
  p.width = f.cols;
  p.height = f.rows;
  if (f.rows < 8 || f.cols < 8 || ink.mask.empty() || paper.size() != ink.coarse.size() ||
      ink.mask.size() != ink.coarse.size() || ink.near_border.size() != ink.coarse.size())
    return p;
  const int step = std::max(1, int(std::lround(ink.fine_dpi / 40)));
  const int per = std::max(1, int(std::lround(ink.fine_scale / ink.scale)));
  const float cx = (f.cols - 1) / 2.0f, cy = (f.rows - 1) / 2.0f;
  // Ink as the mask has it: a quarter darker than the paper around it, not
  // show-through or shading, and clear of borders.
  std::vector<std::size_t> coarse_row(std::size_t(f.rows));
  for (int y = 0; y < f.rows; ++y)
    coarse_row[std::size_t(y)] = std::size_t(std::min(paper.rows - 1, y / per));
  // Column by column, as the edges are ordered.
  for (int x = step / 2; x < f.cols; x += step) {
    const int xc = std::min(paper.cols - 1, x / per);
    const float px = float(x) - cx;
    for (int y = 0; y < f.rows; ++y) {
      const std::size_t yc = coarse_row[std::size_t(y)];
      if (!ink.mask.ptr<std::uint8_t>(int(yc))[xc] || ink.near_border.ptr<std::uint8_t>(int(yc))[xc])
        continue;
      const int d = int(paper.ptr<std::uint8_t>(int(yc))[xc]) - int(f.ptr<std::uint8_t>(y)[x]);
      p.x.push_back(px);
      p.y.push_back(float(y) - cy);
      p.w.push_back(float(std::max(d, 0)));
    }
  }
  return p;
}

// Sum of squared row counts of the points projected along `degrees`, with
// rows `bin` pixels high; every `stride`-th point. Each point is split
// between its two nearest rows, so the score is smooth in the angle.
class Projection {
 public:
  explicit Projection(const EdgePoints& p) : p_(p) {}
  double Score(double degrees, double bin, std::size_t stride) {
    const double tangent = std::tan(degrees * std::numbers::pi / 180.0);
    const float t = float(tangent / bin);
    const float inv = float(1.0 / bin);
    // Every projected point lands inside (|y| <= h/2, |x| <= w/2, angles up
    // to 25 degrees), and the rows sit at the same place for every angle: a
    // grid that moved with the angle would make the score jitter.
    const double reach = (p_.height / 2.0 + p_.width / 2.0 * std::tan(25 * std::numbers::pi / 180)) / bin;
    const float offset = float(std::ceil(reach) + 2);
    rows_.assign(std::size_t(2 * offset + 4), 0.f);
    float* rows = rows_.data();
    const float* xs = p_.x.data();
    const float* ys = p_.y.data();
    if (p_.w.empty()) {
      for (std::size_t i = 0; i < p_.size(); i += stride) {
        const float r = ys[i] * inv + xs[i] * t + offset;
        const int b = int(r);
        const float f = r - float(b);
        rows[b] += 1 - f;
        rows[b + 1] += f;
      }
    } else {
      const float* ws = p_.w.data();
      for (std::size_t i = 0; i < p_.size(); i += stride) {
        const float r = ys[i] * inv + xs[i] * t + offset;
        const int b = int(r);
        const float f = r - float(b);
        rows[b] += ws[i] * (1 - f);
        rows[b + 1] += ws[i] * f;
      }
    }
    double s = 0;
    for (float v : rows_) s += double(v) * v;
    return s;
  }

 private:
  const EdgePoints& p_;
  std::vector<float> rows_;
};

struct Candidate {
  double degrees, score;
};

// The best angle on a grid from `lo` to `hi`.
Candidate Sweep(Projection& proj, double lo, double hi, double step, double bin,
                std::size_t stride, std::vector<Candidate>* all = nullptr) {
  Candidate best{lo, -1};
  for (double a = lo; a <= hi + 1e-9; a += step) {
    double s = proj.Score(a, bin, stride);
    if (all) all->push_back({a, s});
    if (s > best.score) best = {a, s};
  }
  return best;
}

// The angle at which the points pile into the sharpest rows, and how far
// the rows stand out there against a few degrees off.
struct Estimate {
  double degrees = 0, peak_ratio = 1, confidence = 0;
};

// `fine_points`: points the finest stage uses; `budget`: the share of the
// usual points the sweeps before it use.
Estimate Search(const EdgePoints& points, double px_per_mm, std::size_t fine_points,
                double budget = 1.0) {
  Estimate e;
  Projection proj(points);
  auto stride_for = [&](std::size_t wanted) {
    return std::max<std::size_t>(1, std::size_t(double(points.size()) / (budget * double(wanted))));
  };

  // 1. The whole range in 1-degree steps, rows 1.5 mm high: wide enough
  //    that a text line stays in its row half a degree off.
  std::vector<Candidate> sweep;
  Sweep(proj, -kRange - 1, kRange + 1, 1.0, 1.5 * px_per_mm, stride_for(6000), &sweep);
  std::vector<Candidate> peaks;
  for (std::size_t i = 0; i < sweep.size(); ++i) {
    bool left = i == 0 || sweep[i].score >= sweep[i - 1].score;
    bool right = i + 1 == sweep.size() || sweep[i].score > sweep[i + 1].score;
    if (left && right) peaks.push_back(sweep[i]);
  }
  std::sort(peaks.begin(), peaks.end(),
            [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  // Up to three candidates, those the coarse sweep cannot tell from the best.
  if (peaks.size() > 3) peaks.resize(3);
  while (peaks.size() > 1 && peaks.back().score < 0.8 * peaks.front().score) peaks.pop_back();

  // 2. Each candidate +-1.2 degrees in 0.1-degree steps, rows 0.4 mm.
  Candidate best{0, -1};
  for (const Candidate& c : peaks) {
    Candidate r = Sweep(proj, std::max(-kRange - 1.5, c.degrees - 1.2),
                        std::min(kRange + 1.5, c.degrees + 1.2), 0.1, 0.4 * px_per_mm,
                        stride_for(8000));
    if (r.score > best.score) best = r;
  }

  // 3. +-0.15 degrees in 0.03-degree steps, then golden section, one-pixel rows.
  const std::size_t fine_stride = stride_for(fine_points);
  Candidate fine = Sweep(proj, best.degrees - 0.15, best.degrees + 0.15, 0.025, 1.0, fine_stride);
  double lo = fine.degrees - 0.025, hi = fine.degrees + 0.025;
  const double g = (std::sqrt(5.0) - 1) / 2;
  double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
  double f1 = proj.Score(x1, 1.0, fine_stride), f2 = proj.Score(x2, 1.0, fine_stride);
  while (hi - lo > 0.002) {
    if (f1 > f2) {
      hi = x2, x2 = x1, f2 = f1;
      x1 = hi - g * (hi - lo);
      f1 = proj.Score(x1, 1.0, fine_stride);
    } else {
      lo = x1, x1 = x2, f1 = f2;
      x2 = lo + g * (hi - lo);
      f2 = proj.Score(x2, 1.0, fine_stride);
    }
  }
  e.degrees = std::clamp((lo + hi) / 2, -kRange - 0.5, kRange + 0.5);

  // Confidence: how sharply the rows stand out at the angle found, against
  // the same points a few degrees off, where every line is smeared.
  const std::size_t ratio_stride = std::max<std::size_t>(2, fine_stride);
  const double at = proj.Score(e.degrees, 1.0, ratio_stride);
  double off = 0;
  for (double d : {-4.0, -2.5, 2.5, 4.0}) off += proj.Score(e.degrees + d, 1.0, ratio_stride) / 4;
  e.peak_ratio = off > 0 ? at / off : 1;
  // Real scans of dense text stand 1.5-3.5 times above, synthetic pages up
  // to 13, pages without lines at 1.0-1.2. A few hundred points (a punch
  // hole's rim, one short line) can line up by chance: they count for less.
  const double n = double(points.size());
  e.confidence = std::clamp((e.peak_ratio - 1.1) / 0.5, 0.0, 1.0) * n / (n + 1500);
  return e;
}

// Where the page's lines lie, modulo the quarter turn, for pages the
// precise search could not settle: the direction of the ink's gradients on
// the coarse page. Text lines, the strokes of their letters (stems across
// the line, bars and baselines along it) and rulings all have their edges
// along the line axis or across it, so the gradients' directions, folded
// onto a quarter turn, pile up at the page's skew whichever way the page
// is turned, with no sweep over angles. Ink is every edge at least a
// tenth of the paper level deep, clear of borders (a black border's own
// edges lie along the glass, not along the page).
struct LineAxes {
  // Up to two candidate skews, best first, in (-45, 45] degrees.
  std::vector<double> skews;
  // The best fold's weight over the fold's mean (1: no direction stands out).
  double strength = 0;
  // Per candidate: the gradients' weight across the candidate's lines over
  // that along them. Above 1 the lines more likely run along the rows once
  // the skew is undone.
  std::vector<double> across_over_along;
};

LineAxes FindLineAxes(const InkMap& ink) {
  LineAxes out;
  const cv::Mat& g = ink.coarse;
  if (g.rows < 16 || g.cols < 16 || ink.near_border.size() != g.size()) return out;
  // Smoothed first, and Scharr's derivative (the one of its size whose
  // response turns evenly with the edge): a 1-bit page's stair-stepped
  // edges would otherwise pile the gradients on the diagonals. Every other
  // row and column: the directions of a page's edges do not need them all.
  thread_local cv::Mat smooth_page;
  cv::GaussianBlur(g, smooth_page, cv::Size(5, 5), 1.0);
  // Gradient directions in half-degree bins over the half circle.
  constexpr int kBins = 360;
  std::vector<double> hist(kBins, 0.0);
  // Scharr's response to a step is 16x the step (less once smoothed): a
  // step a tenth of the paper deep.
  const int floor = int(0.8 * ink.paper);
  for (int y = 1; y + 1 < g.rows; y += 2) {
    const std::uint8_t* up = smooth_page.ptr<std::uint8_t>(y - 1);
    const std::uint8_t* mid = smooth_page.ptr<std::uint8_t>(y);
    const std::uint8_t* down = smooth_page.ptr<std::uint8_t>(y + 1);
    const std::uint8_t* border = ink.near_border.ptr<std::uint8_t>(y);
    for (int x = 1; x + 1 < g.cols; x += 2) {
      const int ax = 3 * (up[x + 1] - up[x - 1] + down[x + 1] - down[x - 1]) + 10 * (mid[x + 1] - mid[x - 1]);
      const int ay = 3 * (down[x - 1] - up[x - 1] + down[x + 1] - up[x + 1]) + 10 * (down[x] - up[x]);
      const int m = std::abs(ax) + std::abs(ay);
      if (m < floor || border[x]) continue;
      float a = cv::fastAtan2(float(ay), float(ax));  // 0..360
      if (a >= 180) a -= 180;
      hist[std::size_t(std::min(kBins - 1, int(a * 2)))] += m;
    }
  }
  // Folded onto the quarter turn and smoothed over +-1.5 degrees.
  constexpr int kFold = kBins / 2;
  std::vector<double> fold(kFold, 0.0), smooth(kFold, 0.0);
  for (int i = 0; i < kFold; ++i) fold[std::size_t(i)] = hist[std::size_t(i)] + hist[std::size_t(i + kFold)];
  double mean = 0;
  for (int i = 0; i < kFold; ++i) {
    double v = 0;
    for (int d = -3; d <= 3; ++d) v += fold[std::size_t((i + d + kFold) % kFold)];
    smooth[std::size_t(i)] = v / 7;
    mean += v / 7;
  }
  mean /= kFold;
  if (mean <= 0) return out;
  std::vector<std::pair<double, int>> peaks;
  for (int i = 0; i < kFold; ++i) {
    const double v = smooth[std::size_t(i)];
    if (v >= smooth[std::size_t((i + kFold - 1) % kFold)] && v > smooth[std::size_t((i + 1) % kFold)])
      peaks.push_back({v, i});
  }
  if (peaks.empty()) return out;
  std::sort(peaks.rbegin(), peaks.rend());
  out.strength = peaks[0].first / mean;
  for (std::size_t k = 0; k < peaks.size() && out.skews.size() < 2; ++k) {
    if (k > 0 && peaks[k].first < 0.5 * peaks[0].first) break;
    const int i = peaks[k].second;
    // The peak to a fraction of a bin.
    const double l = smooth[std::size_t((i + kFold - 1) % kFold)], c = smooth[std::size_t(i)],
                 r = smooth[std::size_t((i + 1) % kFold)];
    const double denom = l - 2 * c + r;
    const double at = (i + (denom < 0 ? 0.5 * (l - r) / denom : 0.0)) / 2;  // degrees, 0..90
    // Gradients at `at` degrees (image coordinates, y down) cross edges
    // that lie at `at` - 90: content turned 90 - `at` counter-clockwise on
    // screen, modulo the quarter turn.
    double skew = std::fmod(90.0 - at, 90.0);
    if (skew > 45) skew -= 90;
    if (skew <= -45) skew += 90;
    out.skews.push_back(skew);
    // Gradients across lines that run along the rows once turned back:
    // direction 90 - skew (image), the along ones a quarter off.
    auto weight_at = [&](double degrees) {
      double d = std::fmod(degrees, 180.0);
      if (d < 0) d += 180;
      const int b = int(d * 2);
      double w = 0;
      for (int e = -3; e <= 3; ++e) w += hist[std::size_t((b + e + kBins) % kBins)];
      return w;
    };
    const double across = weight_at(90 - skew), along = weight_at(-skew);
    out.across_over_along.push_back(along > 0 ? across / along : 100);
  }
  return out;
}

// The fine page and its borders a quarter turn clockwise: a map the edge
// points are found on, for a page whose lines run down it.
void QuarterTurned(const InkMap& ink, InkMap& out) {
  cv::rotate(ink.fine, out.fine, cv::ROTATE_90_CLOCKWISE);
  cv::rotate(ink.near_border, out.near_border, cv::ROTATE_90_CLOCKWISE);
  out.fine_dpi = ink.fine_dpi;
  out.dpi = ink.dpi;
  out.paper = ink.paper;
  out.fine_noise = ink.fine_noise;
  out.scale = ink.scale;
  out.fine_scale = ink.fine_scale;
  // No mass check on the turned map: the edges stand alone.
  out.mask.release();
}

// The precise search over +-15 degrees around `axis_degrees`, on the page
// as it is: the result is the page's skew, not the rest beyond the axis.
SkewMeasure MeasureSkewAround(const InkMap& ink, const BlurMeasure* blur, double axis_degrees);

}  // namespace

SkewMeasure MeasureSkew(const InkMap& ink, const BlurMeasure* blur) {
  SkewMeasure m = MeasureSkewInRange(ink, blur);
  // A sure angle within 15 degrees stands (rulings and text lines both
  // give one, whichever way the page is turned), unless it is the search's
  // own end: a page a degree or two beyond 15 piles its rows best there.
  const bool at_end = std::abs(m.degrees) > kRange - kEndMargin;
  if ((m.confidence >= kSureConfidence && !at_end) || m.points < kWideMinPoints) return m;
  // Otherwise the lines may lie beyond the search's range, or run down the
  // page: the gradients say where they lie modulo the quarter turn, and the
  // search runs again on the page turned back by that, its lines along the
  // rows or, a quarter turn more, along the columns.
  const LineAxes axes = FindLineAxes(ink);
  if (axes.strength < kMinAxisStrength) return m;
  const SkewMeasure in_range = m;
  if (at_end) m.confidence = 0;
  for (std::size_t k = 0; k < axes.skews.size(); ++k) {
    const double axis = axes.skews[k];
    // The family the gradients favour first.
    bool sideways = axes.across_over_along[k] < 1;
    for (int attempt = 0; attempt < 2; ++attempt, sideways = !sideways) {
      const bool near = std::abs(axis) <= kWideFrom && !at_end;
      if (!sideways && near) continue;  // searched already
      // Lines down the page: a quarter turn exactly (a copy, not a
      // resampling: a tenth of the time). Beyond the search's range the
      // search runs around the axis on the page as it is (the edge points
      // turned, not the page).
      const double around = near ? 0 : axis;
      SkewMeasure t;
      if (sideways) {
        thread_local InkMap turned;
        QuarterTurned(ink, turned);
        t = MeasureSkewAround(turned, blur, around);
      } else {
        t = MeasureSkewAround(ink, blur, around);
      }
      if (t.degrees > 45) t.degrees -= 90;
      if (t.degrees <= -45) t.degrees += 90;
      if (t.confidence > m.confidence) m = t;
      if (m.confidence >= kSureConfidence) return m;
    }
  }
  // Nothing sure: the better of what was found (at the search's end, the
  // end's angle only if nothing else was).
  if (at_end && m.confidence <= 0) return in_range;
  return m;
}

SkewMeasure MeasureSkewInRange(const InkMap& ink, const BlurMeasure* blur) {
  return MeasureSkewAround(ink, blur, 0);
}

namespace {

SkewMeasure MeasureSkewAround(const InkMap& ink, const BlurMeasure* blur, double axis_degrees) {
  SkewMeasure m;
  EdgePoints points = FindEdgePoints(ink, axis_degrees);
  m.points = int(points.size());
  if (points.size() < kMinPoints) return m;
  const double px_per_mm = ink.fine_dpi / 25.4;
  const Estimate edges = Search(points, px_per_mm, points.size());
  m.degrees = edges.degrees + axis_degrees;
  m.peak_ratio = edges.peak_ratio;
  m.confidence = edges.confidence;

  // The same search over the mass of the ink. Where the two agree within
  // the error allowed for skew, the edges' angle stands: it is the more
  // precise. Where they do not, one of them was misled, and the one whose
  // rows stand out more sharply, on its own confidence, is taken. Edges are
  // misled where a heavy blur has sheared or shifted them: a motion smear
  // across the lines, or blur on part of the page that moves the edges of
  // its rulings against those on the sharp part.
  // On a sharp page nothing has moved the edges, and the check is skipped:
  // it costs as much again as the edges' search.
  // Around a wide axis the edges stand alone, as on a turned page.
  if (!blur || !blur->applicable || blur->sigma_300dpi <= kSharpSigma300dpi || axis_degrees != 0) return m;
  const EdgePoints mass_points = FindInkMass(ink);
  if (mass_points.size() < kMinPoints) return m;
  const Estimate mass = Search(mass_points, px_per_mm, kMassPoints, 0.5);
  if (std::abs(mass.degrees - edges.degrees) > kAgree && mass.confidence > edges.confidence) {
    m.degrees = mass.degrees;
    m.peak_ratio = mass.peak_ratio;
    m.confidence = mass.confidence;
    m.points = int(mass_points.size());
  }
  return m;
}

}  // namespace
}  // namespace scangate
