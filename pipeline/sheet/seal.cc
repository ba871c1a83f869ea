// See seal.h. At 2 px/mm: edges vote for the centres they face (a circle's
// edge pixels all face its centre; a square's meet on its axes), then around
// the best few centres the outline is traced in 72 directions by dynamic
// programming over the radius (smooth steps, closed after a full turn). A
// stamp's outline is inked in most directions, follows a regular curve (a
// few low Fourier harmonics: circle, oval, square) and has clear paper just
// outside; a signature's strokes give short runs at erratic radii.
#include "pipeline/sheet/seal.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>
#include <opencv2/imgproc.hpp>

namespace scangate {
namespace {

constexpr double kWorkPxPerMm = 2.0;
constexpr int kDirections = 120;
constexpr double kRadiusStepMm = 0.5;
constexpr int kMaxStep = 1;  // radius bins per direction: enough for a square's corner
// Directions in a row (15 degrees) to count as outline: a stroke crossing the
// outline's path inks one or two.
constexpr int kMinRun = 5;
// Stamps are faint or overrun the box: search this far around the zone.
constexpr double kSealMarginMm = 4;
// Darkness (of 255) counted as stamp ink: an eighth darker than the paper.
constexpr int kFaintDarkness = 32;
// Pen strokes are darker than this; a red seal on a gray scan is lighter.
constexpr int kPenDarkness = 150;
// The outermost ink's radius moves by at most this many radius bins from one
// direction to the next along an outline; gaps of up to kArcGap directions
// are bridged, and most of an arc's directions are inked.
constexpr int kArcStep = 1, kArcGap = 4;
constexpr double kArcInkedShare = 0.7;
// Directions of an arc (share of the turn) where a stroke crossing it is
// the outermost ink. Followed under strokes, an arc counts only at a round
// office seal's size (38-45 mm across; from 30 mm here): around a smaller
// turn a signature's own loops are followed as easily.
constexpr double kArcCrossedShare = 0.1, kCrossedArcMinRadiusMm = 15;
// A stamp pressed crooked shows its outline on one side only: a smooth arc
// of the outermost ink over nearly half the turn is one (a signature's
// loops and flourishes make a third at most), scored 0.5 at the midpoint.
constexpr double kPartialArcFrom = 0.4, kPartialArcTo = 0.5;
// Office seals are at least 20 mm across.
constexpr double kSealMinRadiusMm = 9, kSealMaxRadiusMm = 26;

struct Trace {
  double coverage = 0, longest = 0, residual_mm = 0, clear_outside = 0, mean_mm = 0, max_mm = 0;
  double arc = 0, arc_mm = 0, crossed_arc = 0, crossed_arc_mm = 0;
  double Score() const {
    const double clear = std::clamp((clear_outside - 0.3) / 0.2, 0.0, 1.0);
    return std::clamp((coverage - 0.34) / 0.14, 0.0, 1.0) * clear;
  }
};

// A closed shape around the centre as its radius per direction: harmonics
// 0, 1, 2, 4 and 8 (a circle, a circle off the centre, an oval, a square and
// its corners).
constexpr int kShapeTerms = 9;
void ShapeRow(int direction, double* row) {
  static const auto table = [] {
    std::array<std::array<double, kShapeTerms>, kDirections> rows{};
    const int harmonics[] = {1, 2, 4, 8};
    for (int k = 0; k < kDirections; ++k) {
      const double t = 2 * CV_PI * k / kDirections;
      rows[k][0] = 1;
      for (int h = 0; h < 4; ++h) {
        rows[k][1 + 2 * h] = std::cos(harmonics[h] * t);
        rows[k][2 + 2 * h] = std::sin(harmonics[h] * t);
      }
    }
    return rows;
  }();
  std::copy(table[direction].begin(), table[direction].end(), row);
}

double ShapeRadius(const std::vector<double>& shape, int direction) {
  double row[kShapeTerms];
  ShapeRow(direction, row);
  double r = 0;
  for (int i = 0; i < kShapeTerms; ++i) r += row[i] * shape[i];
  return r;
}

// Least squares; a circle through the mean radius when too few points.
std::vector<double> FitShape(const std::vector<int>& dirs, const std::vector<double>& radii) {
  std::vector<double> shape(kShapeTerms, 0);
  const int n = int(dirs.size());
  double mean = 0;
  for (double r : radii) mean += r / std::max(1, n);
  shape[0] = mean;
  if (n < 2 * kShapeTerms) return shape;
  // Normal equations: nine unknowns, a hundred-odd rows.
  cv::Matx<double, kShapeTerms, kShapeTerms> ata = cv::Matx<double, kShapeTerms, kShapeTerms>::zeros();
  cv::Vec<double, kShapeTerms> atb = cv::Vec<double, kShapeTerms>::all(0);
  double row[kShapeTerms];
  for (int i = 0; i < n; ++i) {
    ShapeRow(dirs[i], row);
    for (int p = 0; p < kShapeTerms; ++p) {
      atb[p] += row[p] * radii[i];
      for (int q = 0; q < kShapeTerms; ++q) ata(p, q) += row[p] * row[q];
    }
  }
  cv::Vec<double, kShapeTerms> x;
  if (cv::solve(ata, atb, x, cv::DECOMP_CHOLESKY))
    for (int i = 0; i < kShapeTerms; ++i) shape[i] = x[i];
  return shape;
}

// A stamp pressed crooked inks only one side of its outline; what is left
// is still the outermost ink in the directions it covers, one smooth curve
// at the same distance from the centre. Follows the outermost inked radius
// direction by direction and keeps the longest stretch where it moves
// smoothly (a gap of a few directions bridged), as a share of the turn.
// Where a pen stroke crosses the outline and runs on outside it, the
// outermost ink jumps outward; with `crossed_share` above 0 the outline
// goes on underneath where there is ink where it would be, for up to that
// share of the turn.
std::pair<double, double> OuterArc(const std::vector<std::uint8_t>& occ, int bins, double r0,
                                   const std::vector<int>& outer, double crossed_share) {
  auto inked_near = [&](int k, int last, int reach) {
    int found = -1;
    for (int j = std::max(0, last - reach); j <= std::min(bins - 1, last + reach); ++j)
      if (occ[k * bins + j] && (found < 0 || std::abs(j - last) < std::abs(found - last))) found = j;
    return found;
  };
  double best = 0, best_mm = 0;
  for (int start = 0; start < kDirections; ++start) {
    if (outer[start] < 0) continue;
    int last = outer[start], gap = 0, span = 1, inked = 1, crossed = 0;
    double sum = outer[start];
    for (int i = 1; i < kDirections; ++i) {
      const int k = (start + i) % kDirections;
      const int reach = kArcStep * (1 + gap);
      int j = outer[k];
      if (j > last + reach && crossed < crossed_share * kDirections) {
        j = inked_near(k, last, reach);
        if (j >= 0) ++crossed;
      }
      if (j >= 0 && std::abs(j - last) <= reach) {
        last = j, span = i + 1, ++inked, sum += j, gap = 0;
      } else if (++gap > kArcGap) {
        break;
      }
    }
    if (inked >= kArcInkedShare * span && span > best * kDirections) {
      best = double(span) / kDirections;
      best_mm = r0 + sum / inked * kRadiusStepMm;
    }
  }
  return {best, best_mm};
}

void OuterArcs(const std::vector<std::uint8_t>& occ, int bins, double r0, Trace& trace) {
  std::vector<int> outer(kDirections, -1);
  for (int k = 0; k < kDirections; ++k)
    for (int j = bins - 1; j >= 0; --j)
      if (occ[k * bins + j]) {
        outer[k] = j;
        break;
      }
  std::tie(trace.arc, trace.arc_mm) = OuterArc(occ, bins, r0, outer, 0);
  std::tie(trace.crossed_arc, trace.crossed_arc_mm) = OuterArc(occ, bins, r0, outer, kArcCrossedShare);
}

Trace TraceOutline(const cv::Mat& near, cv::Point2d c, double min_mm, double max_mm) {
  const double w = kWorkPxPerMm;
  const double r0 = 0.8 * min_mm;
  const int bins = int((1.3 * max_mm - r0) / kRadiusStepMm) + 1;
  static const auto table = [] {
    std::array<cv::Point2d, kDirections> t;
    for (int k = 0; k < kDirections; ++k)
      t[k] = {std::cos(2 * CV_PI * k / kDirections), std::sin(2 * CV_PI * k / kDirections)};
    return t;
  }();
  std::vector<std::uint8_t> occ(kDirections * bins);
  for (int k = 0; k < kDirections; ++k)
    for (int j = 0; j < bins; ++j) {
      const double r = (r0 + j * kRadiusStepMm) * w;
      const int x = cvRound(c.x + r * table[k].x), y = cvRound(c.y + r * table[k].y);
      occ[k * bins + j] = x >= 0 && y >= 0 && x < near.cols && y < near.rows && near.at<std::uint8_t>(y, x);
    }
  // Two turns, so the second is traced as a closed curve.
  const int steps = 2 * kDirections;
  std::vector<float> score(steps * bins, 0);
  std::vector<std::int8_t> from(steps * bins, 0);
  for (int j = 0; j < bins; ++j) score[j] = occ[j];
  for (int t = 1; t < steps; ++t) {
    const int k = t % kDirections;
    for (int j = 0; j < bins; ++j) {
      float best = -1e9f;
      int arg = 0;
      for (int d = -kMaxStep; d <= kMaxStep; ++d) {
        const int p = j + d;
        if (p < 0 || p >= bins) continue;
        const float s = score[(t - 1) * bins + p] - 0.1f * d * d;
        if (s > best) best = s, arg = d;
      }
      // A slight pull outward: the ring, not the text inside it.
      score[t * bins + j] = best + occ[k * bins + j] + 0.002f * j;
      from[t * bins + j] = std::int8_t(arg);
    }
  }
  std::vector<int> path(steps);
  path[steps - 1] = int(std::max_element(score.end() - bins, score.end()) - (score.end() - bins));
  for (int t = steps - 1; t > 0; --t) path[t - 1] = path[t] + from[t * bins + path[t]];

  Trace trace;
  // The path wanders from stroke to stroke wherever there is ink; a stamp's
  // outline is one rigid curve. Fit that curve to where the path was inked
  // (twice, the second time without points a millimetre off), then judge
  // the curve, not the path.
  std::vector<int> dirs;
  std::vector<double> radii;
  for (int k = 0; k < kDirections; ++k) {
    const int j = path[kDirections + k];
    if (occ[k * bins + j]) dirs.push_back(k), radii.push_back(r0 + j * kRadiusStepMm);
  }
  if (int(dirs.size()) < kDirections / 4) return trace;
  std::vector<double> shape = FitShape(dirs, radii);
  {
    std::vector<int> keep_dirs;
    std::vector<double> keep_radii;
    for (std::size_t i = 0; i < dirs.size(); ++i)
      if (std::abs(ShapeRadius(shape, dirs[i]) - radii[i]) <= 1.0)
        keep_dirs.push_back(dirs[i]), keep_radii.push_back(radii[i]);
    if (int(keep_dirs.size()) < kDirections / 4) return trace;
    shape = FitShape(keep_dirs, keep_radii);
    double sum = 0;
    for (std::size_t i = 0; i < keep_dirs.size(); ++i) {
      const double d = ShapeRadius(shape, keep_dirs[i]) - keep_radii[i];
      sum += d * d;
    }
    trace.residual_mm = std::sqrt(sum / keep_dirs.size());
  }
  std::vector<std::uint8_t> on(kDirections);
  int clear = 0;
  for (int k = 0; k < kDirections; ++k) {
    const double r = ShapeRadius(shape, k);
    const int j = int(std::lround((r - r0) / kRadiusStepMm));
    bool inked = false, inked_outside = false;
    for (int d = -1; d <= 1; ++d)
      if (j + d >= 0 && j + d < bins && occ[k * bins + j + d]) inked = true;
    for (int o = 4; o <= 7; ++o)
      if (j + o >= 0 && j + o < bins && occ[k * bins + j + o]) inked_outside = true;
    // An outline has paper 2 mm outside it (inside are the stamp's letters):
    // a stroke crossing the curve inks the outside too.
    auto paper = [&](int jj) { return jj < 0 || jj >= bins || !occ[k * bins + jj]; };
    on[k] = inked && paper(j + 4);
    clear += !inked_outside;
    trace.max_mm = std::max(trace.max_mm, r);
    trace.mean_mm += r / kDirections;
  }
  // Runs of inked directions, around the turn.
  int counted = 0;
  int start = 0;
  while (start < kDirections && on[start]) ++start;
  if (start == kDirections) {
    counted = kDirections;
    trace.longest = 1;
  } else {
    for (int i = 0; i < kDirections;) {
      if (!on[(start + i) % kDirections]) {
        ++i;
        continue;
      }
      int len = 0;
      while (i + len < kDirections && on[(start + i + len) % kDirections]) ++len;
      trace.longest = std::max(trace.longest, double(len) / kDirections);
      if (len >= kMinRun) counted += len;
      i += len;
    }
  }
  trace.coverage = double(counted) / kDirections;
  trace.clear_outside = double(clear) / kDirections;
  OuterArcs(occ, bins, r0, trace);
  return trace;
}

}  // namespace

StampOutline FindStampOutline(const cv::Mat& ink, double px_per_mm, double min_radius_mm,
                              double max_radius_mm) {
  StampOutline best;
  if (ink.empty() || cv::countNonZero(ink) == 0) return best;
  const double f = kWorkPxPerMm / px_per_mm;
  cv::Mat small;
  cv::resize(ink, small, cv::Size(), f, f, cv::INTER_AREA);
  const cv::Mat occ = small > 40;
  cv::Mat near;
  cv::dilate(occ, near, cv::Mat());

  // Centre votes along each edge pixel's normal, both ways.
  cv::Mat soft, dx, dy;
  occ.convertTo(soft, CV_32F, 1.0 / 255);
  cv::GaussianBlur(soft, soft, cv::Size(), 1.0);
  cv::Sobel(soft, dx, CV_32F, 1, 0);
  cv::Sobel(soft, dy, CV_32F, 0, 1);
  cv::Mat votes = cv::Mat::zeros(occ.size(), CV_32F);
  const int rmin = int(min_radius_mm * kWorkPxPerMm), rmax = int(max_radius_mm * kWorkPxPerMm);
  for (int y = 0; y < occ.rows; ++y)
    for (int x = 0; x < occ.cols; ++x) {
      const float gx = dx.at<float>(y, x), gy = dy.at<float>(y, x);
      const float mag = std::sqrt(gx * gx + gy * gy);
      if (mag < 0.3f) continue;
      const float ux = gx / mag, uy = gy / mag;
      // Every other radius: the votes are smoothed below anyway.
      for (int r = rmin; r <= rmax; r += 3)
        for (int s : {-1, 1}) {
          const int vx = cvRound(x + s * r * ux), vy = cvRound(y + s * r * uy);
          if (vx >= 0 && vy >= 0 && vx < votes.cols && vy < votes.rows) votes.at<float>(vy, vx) += 1;
        }
    }
  cv::GaussianBlur(votes, votes, cv::Size(), 1.5);

  double first = 0;
  std::vector<cv::Point> centres;
  for (int candidate = 0; candidate < 3; ++candidate) {
    double peak = 0;
    cv::Point at;
    cv::minMaxLoc(votes, nullptr, &peak, nullptr, &at);
    if (peak <= 0 || (candidate > 0 && peak < 0.3 * first)) break;
    if (candidate == 0) first = peak;
    cv::circle(votes, at, int(3 * kWorkPxPerMm), cv::Scalar(0), cv::FILLED);
    centres.push_back(at);
  }
  // The candidates as voted, then around the best one.
  double best_arc = 0, best_arc_mm = 0, best_crossed = 0;
  auto consider = [&](cv::Point2d c) {
    const Trace t = TraceOutline(near, c, min_radius_mm, max_radius_mm);
    if (t.arc > best_arc && t.arc_mm >= min_radius_mm && t.arc_mm <= max_radius_mm)
      best_arc = t.arc, best_arc_mm = t.arc_mm;
    if (t.crossed_arc > best_crossed && t.crossed_arc_mm >= std::max(min_radius_mm, kCrossedArcMinRadiusMm) &&
        t.crossed_arc_mm <= max_radius_mm)
      best_crossed = t.crossed_arc;
    if (t.mean_mm < min_radius_mm || t.mean_mm > max_radius_mm) return;
    const double score = t.Score();
    // The best-scoring outline; while none scores, the best-covered one (for
    // diagnostics).
    if (score > best.score || (best.score == 0 && score == 0 && t.coverage > best.coverage)) {
      best.score = score;
      best.centre = {c.x / f, c.y / f};
      best.radius_mm = t.mean_mm;
      best.max_radius_mm = t.max_mm;
      best.coverage = t.coverage;
      best.longest = t.longest;
      best.residual_mm = t.residual_mm;
      best.clear_outside = t.clear_outside;
    }
  };
  for (const cv::Point& c : centres) consider(c);
  if (best.coverage > 0.25 && best.score < 1) {
    // A millimetre around the best centre, along each axis.
    const cv::Point2d c(best.centre.x * f, best.centre.y * f);
    for (const cv::Point2d d : {cv::Point2d(-2, 0), cv::Point2d(2, 0), cv::Point2d(0, -2), cv::Point2d(0, 2)})
      consider(c + d);
  }
  best.arc = best_arc;
  best.arc_mm = best_arc_mm;
  best.crossed_arc = best_crossed;
  return best;
}

double SealScore(const StampOutline& o, bool through_strokes) {
  const double arc = through_strokes ? std::max(o.arc, o.crossed_arc) : o.arc;
  const double partial = std::clamp((arc - kPartialArcFrom) / (kPartialArcTo - kPartialArcFrom), 0.0, 1.0);
  return std::max(o.score, partial);
}

SealMeasure MeasureSeal(const ZoneImage& zone, const FormZone& seal, StampOutline* found) {
  SealMeasure m;
  m.zone = seal.name;
  if (zone.zone.empty()) return m;
  // The zone and its surroundings up to kSealMarginMm.
  const int grow = int(std::lround(kSealMarginMm * zone.px_per_mm));
  const cv::Rect area = cv::Rect(zone.zone.x - grow, zone.zone.y - grow, zone.zone.width + 2 * grow,
                                 zone.zone.height + 2 * grow) &
                        cv::Rect({}, zone.added.size());
  // Stamps are often pressed faintly: lighter ink counts here than in writing.
  const cv::Mat faint = (zone.darkness(area) >= kFaintDarkness) & ~zone.print(area);
  // In a seal box the clerk signs across the seal: its arc goes on under
  // the strokes.
  auto score = [](const StampOutline& o) { return SealScore(o, /*through_strokes=*/true); };
  StampOutline outline;
  if (!zone.red.empty()) {
    // Seal red is never the form's own printing: the whole ring is there.
    outline = FindStampOutline(zone.red(area), zone.px_per_mm, kSealMinRadiusMm, kSealMaxRadiusMm);
  }
  if (score(outline) < 1) {
    const StampOutline shape = FindStampOutline(faint, zone.px_per_mm, kSealMinRadiusMm, kSealMaxRadiusMm);
    if (score(shape) > score(outline) || score(outline) == 0) outline = shape;
  }
  if (score(outline) < 1 && zone.red.empty()) {
    // On a gray scan a red seal is lighter than pen ink: without the darkest
    // strokes a signature across the seal no longer hides its outline.
    const cv::Mat light = faint & (zone.darkness(area) < kPenDarkness);
    const StampOutline shape = FindStampOutline(light, zone.px_per_mm, kSealMinRadiusMm, kSealMaxRadiusMm);
    if (score(shape) > score(outline)) outline = shape;
  }
  m.score = score(outline);
  if (found) *found = outline;
  return m;
}

}  // namespace scangate
