// Projection-profile skew: ink projected along a candidate angle piles into
// sharp rows (text lines, rulings) only at the true angle, so the sum of
// squared row counts peaks there. Coarse sweep over the whole range, then a
// fine search around the best, so the edges of the range are not blind spots.
#include "skew.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace scangate {
namespace {

constexpr double kRange = 15.0;
constexpr std::size_t kMaxPoints = 250'000;

struct Points {
  std::vector<float> x, y;
  int height = 0, width = 0;
};

Points CollectInk(const cv::Mat& mask) {
  Points p;
  p.height = mask.rows;
  p.width = mask.cols;
  std::size_t total = std::size_t(cv::countNonZero(mask));
  std::size_t every = std::max<std::size_t>(1, total / kMaxPoints + 1);
  std::size_t seen = 0;
  for (int y = 0; y < mask.rows; ++y) {
    const std::uint8_t* row = mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x)
      if (row[x] && (seen++ % every) == 0) {
        p.x.push_back(float(x - mask.cols / 2));
        p.y.push_back(float(y - mask.rows / 2));
      }
  }
  return p;
}

// Content rotated counter-clockwise by t has lines y = y0 - x*tan(t); adding
// x*tan(t) back puts each line in one bin.
double Score(const Points& p, double degrees, std::vector<float>& bins) {
  const double t = std::tan(degrees * std::numbers::pi / 180.0);
  const double offset = (p.height + p.width) / 2.0 + 2;
  bins.assign(std::size_t(p.height + p.width + 8), 0.f);
  for (std::size_t i = 0; i < p.x.size(); ++i) {
    double r = p.y[i] + p.x[i] * t + offset;
    // Split each point between its two bins: smooth in the angle.
    int b = int(r);
    float f = float(r - b);
    bins[std::size_t(b)] += 1 - f;
    bins[std::size_t(b) + 1] += f;
  }
  double s = 0;
  for (float v : bins) s += double(v) * v;
  return s;
}

}  // namespace

SkewMeasure MeasureSkew(const InkMap& ink) {
  SkewMeasure m;
  Points p = CollectInk(ink.mask);
  if (p.x.size() < 200) return m;
  std::vector<float> bins;

  std::vector<double> coarse;
  double best_angle = 0, best = -1;
  for (double a = -kRange; a <= kRange + 1e-9; a += 0.25) {
    double s = Score(p, a, bins);
    coarse.push_back(s);
    if (s > best) best = s, best_angle = a;
  }
  // Golden-section refinement in the best coarse bracket.
  double lo = std::max(-kRange - 0.25, best_angle - 0.25);
  double hi = std::min(kRange + 0.25, best_angle + 0.25);
  const double g = (std::sqrt(5.0) - 1) / 2;
  double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
  double f1 = Score(p, x1, bins), f2 = Score(p, x2, bins);
  while (hi - lo > 0.005) {
    if (f1 > f2) {
      hi = x2, x2 = x1, f2 = f1;
      x1 = hi - g * (hi - lo);
      f1 = Score(p, x1, bins);
    } else {
      lo = x1, x1 = x2, f1 = f2;
      x2 = lo + g * (hi - lo);
      f2 = Score(p, x2, bins);
    }
  }
  m.degrees = (lo + hi) / 2;
  best = std::max(best, std::max(f1, f2));

  // Confidence: how far the peak stands above the typical angle.
  std::vector<double> sorted = coarse;
  std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(sorted.size() / 2),
                   sorted.end());
  double median = sorted[sorted.size() / 2];
  m.confidence = std::clamp((best - median) / best * 2.0, 0.0, 1.0);
  return m;
}

}  // namespace scangate
