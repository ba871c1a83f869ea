// Edge-spread blur estimate. For an ink/paper step of height h smeared by a
// Gaussian of sigma s, the steepest one-pixel difference is h/(s*sqrt(2*pi)):
// the ratio of step height to steepest slope gives s whatever the ink density,
// font size or amount of text, which a Laplacian variance does not.
#include "blur.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace scangate {
namespace {

constexpr double kSqrt2Pi = 2.5066282746310002;
constexpr int kTilesX = 4, kTilesY = 6;
// An edge counts when it rises this much from plateau to plateau (of 255):
// lower contrasts are paper texture, JPEG ringing or show-through.
constexpr int kMinStep = 60;
constexpr int kMinEdgesPerTile = 12;

struct Edge {
  float sigma;
  int tile;
};

// Walks along one line of pixels (a row or a column, via stride) and records
// one sigma per edge: the steepest difference and the plateau-to-plateau rise.
void ScanLine(const std::uint8_t* p, int n, std::ptrdiff_t stride, int max_walk, int tile_base,
              int tile_count, std::vector<Edge>& out) {
  auto at = [&](int i) { return int(p[i * stride]); };
  int i = 1;
  while (i < n - 1) {
    int d = at(i + 1) - at(i);
    if (std::abs(d) < 8) {
      ++i;
      continue;
    }
    int sign = d > 0 ? 1 : -1;
    // Extend the monotonic ramp both ways; record the steepest step on it.
    int lo = i, hi = i + 1, steepest = std::abs(d);
    while (lo > 0 && hi - lo < max_walk && (at(lo) - at(lo - 1)) * sign > 0) --lo;
    while (hi < n - 1 && hi - lo < max_walk && (at(hi + 1) - at(hi)) * sign > 0) {
      steepest = std::max(steepest, std::abs(at(hi + 1) - at(hi)));
      ++hi;
    }
    for (int k = lo; k < i; ++k) steepest = std::max(steepest, std::abs(at(k + 1) - at(k)));
    int rise = std::abs(at(hi) - at(lo));
    if (rise >= kMinStep && hi - lo < max_walk) {
      int tile = tile_base + std::min(tile_count - 1, (i * tile_count) / n);
      out.push_back({float(rise / (kSqrt2Pi * steepest)), tile});
    }
    i = hi + 1;
  }
}

float Median(std::vector<float>& v) {
  auto mid = v.begin() + std::ptrdiff_t(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

}  // namespace

BlurMeasure MeasureBlur(const cv::Mat& gray, double dpi, bool bilevel, const BlurOptions& options) {
  BlurMeasure m;
  // A 1-bit page has no gray ramps left to measure.
  if (bilevel || gray.empty()) return m;
  const double scale = dpi > 0 ? 300.0 / dpi : 1.0;
  const int max_walk = std::max(8, int(std::lround(24 / scale)));
  const int row_step = std::max(2, int(std::lround(4 / scale)));

  // Rows measure smear along x, columns along y: motion blur shows in one.
  std::vector<Edge> along_x, along_y;
  for (int y = 0; y < gray.rows; y += row_step) {
    int tile_row = std::min(kTilesY - 1, y * kTilesY / gray.rows);
    ScanLine(gray.ptr<std::uint8_t>(y), gray.cols, 1, max_walk, tile_row * kTilesX, kTilesX,
             along_x);
  }
  const std::ptrdiff_t stride = std::ptrdiff_t(gray.step1());
  for (int x = 0; x < gray.cols; x += row_step) {
    int tile_col = std::min(kTilesX - 1, x * kTilesX / gray.cols);
    std::vector<Edge> col;
    ScanLine(gray.ptr<std::uint8_t>(0) + x, gray.rows, stride, max_walk, 0, kTilesY, col);
    for (Edge& e : col) e.tile = e.tile * kTilesX + tile_col;
    along_y.insert(along_y.end(), col.begin(), col.end());
  }

  // Per tile and direction, the median spread; a tile is as blurred as its
  // worse direction.
  std::vector<std::vector<float>> tx(kTilesX * kTilesY), ty(kTilesX * kTilesY);
  for (const Edge& e : along_x) tx[std::size_t(e.tile)].push_back(e.sigma);
  for (const Edge& e : along_y) ty[std::size_t(e.tile)].push_back(e.sigma);
  std::vector<float> tile_sigma;
  for (std::size_t t = 0; t < tx.size(); ++t) {
    float s = -1;
    if (int(tx[t].size()) >= kMinEdgesPerTile) s = std::max(s, Median(tx[t]));
    if (int(ty[t].size()) >= kMinEdgesPerTile) s = std::max(s, Median(ty[t]));
    if (s >= 0) tile_sigma.push_back(float(s * scale));
  }
  if (tile_sigma.empty()) return m;

  m.applicable = true;
  int blurred = 0;
  for (float s : tile_sigma) blurred += s > options.max_sigma_300dpi;
  m.blurred_area_ratio = double(blurred) / double(tile_sigma.size());
  // The page's score: the spread of its sharper half of tiles, so that a
  // partly blurred page still shows the focus it had where it had it.
  std::vector<float> all = tile_sigma;
  m.sigma_300dpi = Median(all);
  return m;
}

}  // namespace scangate
