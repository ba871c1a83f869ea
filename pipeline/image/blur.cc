// Edge-spread blur estimate. For an ink/paper step of height h smeared by a
// Gaussian of sigma s, the steepest rise per pixel is h/(s*sqrt(2*pi)): the
// ratio of a ramp's height to its steepest slope gives s whatever the ink
// density, font size or amount of text, which a Laplacian variance does not.
//
// The page is cut into 12.5-mm cells. In each cell that holds ink (the
// working ink map says where), two short bands along x and two along y are
// read at full resolution, a few pixels wide and averaged against sensor
// noise, and every ink edge on them gives a reading. A cell is judged on the
// median reading of its 3x3 neighbourhood, the worse of the two directions
// (motion smears along one), turned into a spread by the sampling model below
// and rid of the pixel's own width. Each reading is first corrected for thin
// strokes, which blur never lets reach full ink (ThinStroke). Only strong ink-to-paper ramps count:
// paper texture, JPEG ringing and halftone dots rise far less. The page's
// score is the spread a quarter of its text cells reach; the share of cells
// over the limit is the blurred area.
#include "pipeline/image/blur.h"
#include "pipeline/image/profile_math.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace scangate {
namespace {

constexpr double kSqrt2Pi = 2.5066282746310002;
constexpr double kCellMm = 12.5;
// Bands read per cell and direction, and edges a direction needs over a
// cell's neighbourhood to give a median. A direction with fewer counts for
// nothing: a smear along it can leave few ramps steep enough to count, so
// the bar is kept low.
constexpr int kBandsPerCell = 2;
constexpr std::size_t kMinEdges = 16;
// A ramp is an ink edge when it rises this share of the cell's contrast.
constexpr double kMinRise = 0.4;
// An edge counts when the change across its band stays below this share of
// the change along it: its normal within ~56 degrees of the band, so that
// grazing edges (a near-horizontal rule on a row), stretched along the band
// by 1/cos of the angle, do not read as blur.
constexpr double kMaxAcross = 1.5;

struct Cell {
  bool text = false;            // holds ink with contrast: part of the text area
  std::vector<float> along[2];  // readings, pixels: along x (rows) and along y
};

// What the steepest-rise estimate reads, on average over where an edge falls
// between pixels, for an edge of true spread `s` pixels sampled by pixels
// (differences over `step` pixels). Below two pixels the sampling phase
// matters: an edge centred between two pixels looks sharper than one centred
// on a pixel. The inverse of this turns a tile's median reading into the
// spread, the same at 150 dpi as at 600.
double ReadingOf(double s, int step) {
  constexpr int kPhases = 16;
  std::vector<double> readings;
  for (int ph = 0; ph < kPhases; ++ph) {
    const double phase = (ph + 0.5) / kPhases;
    double steepest = 0;
    for (int k = -int(4 * s) - step - 2; k <= int(4 * s) + 2; ++k) {
      double a = 0.5 * std::erfc(-(k - phase) / (s * std::sqrt(2.0)));
      double b = 0.5 * std::erfc(-(k + step - phase) / (s * std::sqrt(2.0)));
      steepest = std::max(steepest, b - a);
    }
    readings.push_back(step / (kSqrt2Pi * steepest));
  }
  std::nth_element(readings.begin(), readings.begin() + kPhases / 2, readings.end());
  return readings[kPhases / 2];
}

class ReadingToSpread {
 public:
  explicit ReadingToSpread(int step) {
    for (double s = 0.05; s <= 16; s *= 1.03) table_.push_back({ReadingOf(s, step), s});
  }
  double operator()(double reading) const {
    if (reading <= table_.front().first) return table_.front().second;
    for (std::size_t i = 1; i < table_.size(); ++i)
      if (table_[i].first >= reading) {
        const auto& [r0, s0] = table_[i - 1];
        const auto& [r1, s1] = table_[i];
        return s0 + (s1 - s0) * (reading - r0) / (r1 - r0);
      }
    return reading;  // wide edges: the reading is the spread
  }

 private:
  std::vector<std::pair<double, double>> table_;
};

// Built on first use, one per difference distance (a few ms each).
const ReadingToSpread& SpreadTable(int step) {
  switch (step) {
    case 1: { static const ReadingToSpread t(1); return t; }
    case 2: { static const ReadingToSpread t(2); return t; }
    case 3: { static const ReadingToSpread t(3); return t; }
    default: { static const ReadingToSpread t(4); return t; }
  }
}

// A thin stroke blurred wider than itself never reaches full ink: its ramps
// rise only a fraction f of the ink-to-paper contrast, and read as less
// spread than a step blurred alike (down to 0.66 of it). For a bar of width
// w under a Gaussian of sigma s, f = erf(u/sqrt2) with u = w/(2s), and the
// reading is k(u) s. This turns f into k, from a table over u.
class ThinStroke {
 public:
  ThinStroke() {
    std::vector<std::pair<double, double>> by_u;  // (f, k) as u grows
    for (double u = 0.02; u < 4; u *= 1.05) {
      double peak_slope = 0;  // max over t of phi(t-u) - phi(t+u), the falling side
      for (double t = 0; t < u + 4; t += 0.005)
        peak_slope = std::max(peak_slope, Phi(t - u) - Phi(t + u));
      const double f = std::erf(u / std::sqrt(2.0));
      by_u.push_back({f, f / (kSqrt2Pi * peak_slope)});
    }
    // Resampled on an even grid of f, for a lookup per edge.
    for (int i = 0; i <= kSteps; ++i) {
      const double f = double(i) / kSteps;
      std::size_t j = 1;
      while (j < by_u.size() && by_u[j].first < f) ++j;
      if (j == by_u.size()) {
        k_[i] = 1;
      } else {
        const auto& [f0, k0] = by_u[j - 1];
        const auto& [f1, k1] = by_u[j];
        k_[i] = f <= f0 ? k0 : k0 + (k1 - k0) * (f - f0) / (f1 - f0);
      }
    }
  }
  // Reading over spread, for a ramp rising `f` (0..1) of the full contrast.
  double operator()(double f) const { return k_[std::size_t(std::clamp(f, 0.0, 1.0) * kSteps + 0.5)]; }

 private:
  static constexpr int kSteps = 256;
  static double Phi(double t) { return std::exp(-t * t / 2) / kSqrt2Pi; }
  double k_[kSteps + 1];
};

// Ramps on one averaged band profile. `rise_min`: height a ramp needs to be
// an ink edge. `step`: the difference distance in pixels (2 at 600 dpi).
struct Ramp {
  float reading;  // spread read off the ramp, pixels
  int at;         // where it is steepest, along the band
  int slope;      // that steepest rise, over `step` pixels, band-summed
};

void MeasureRamps(const std::vector<int>& v, int rise_min, double contrast, int step, int max_walk,
                  std::vector<Ramp>& out) {
  static const ThinStroke thin_stroke;
  const int n = int(v.size());
  const int trigger = std::max(1, rise_min / 6);
  int i = 0;
  while (i + step < n) {
    const int d = v[std::size_t(i + step)] - v[std::size_t(i)];
    if (d < trigger && d > -trigger) {
      ++i;
      continue;
    }
    const int sign = d > 0 ? 1 : -1;
    int lo = i, hi = i + step;
    while (lo > 0 && (v[std::size_t(lo)] - v[std::size_t(lo - 1)]) * sign > 0 && i - lo < max_walk) --lo;
    while (hi < n - 1 && (v[std::size_t(hi + 1)] - v[std::size_t(hi)]) * sign > 0 && hi - i < max_walk)
      ++hi;
    int steepest = 0, at = i;
    for (int k = lo; k + step <= hi; ++k) {
      const int rise_here = (v[std::size_t(k + step)] - v[std::size_t(k)]) * sign;
      if (rise_here > steepest) steepest = rise_here, at = k + step / 2;
    }
    const int rise = (v[std::size_t(hi)] - v[std::size_t(lo)]) * sign;
    const bool walled = lo > 0 && hi < n - 1 && i - lo < max_walk && hi - i < max_walk;
    if (walled && rise >= rise_min && steepest > 0) {
      const double reading = double(rise) * step / (kSqrt2Pi * steepest);
      out.push_back({float(reading / thin_stroke(std::min(1.0, rise / contrast))), at, steepest});
    }
    i = hi;
  }
}

}  // namespace

BlurMeasure MeasureBlur(const cv::Mat& gray, const InkMap& ink, double dpi, bool bilevel,
                        const BlurOptions& options) {
  BlurMeasure m;
  if (bilevel || gray.empty() || ink.mask.empty()) return m;
  // Whatever dpi comes in (resolution.cc keeps it to what scanners use),
  // the pixel sizes below stay small integers.
  const double page_dpi = std::isfinite(dpi) && dpi > 0 ? std::clamp(dpi, 25.0, 4800.0) : 300;
  const double to_300 = 300.0 / page_dpi;
  // Rises over ~0.17 mm (two pixels at 300 dpi): half the noise of a one-pixel
  // difference, and still three times finer than the blur to be found.
  const int step = std::clamp(int(std::lround(page_dpi / 150)), 1, 4);
  // Bands ~0.25 mm across: sensor noise averages out, strokes stay straight.
  const int band = std::max(1, int(std::lround(page_dpi / 100)));
  // Ramps longer than ~2 mm are shading, not text edges.
  const int max_walk = std::max(6, int(std::lround(page_dpi / 25.4 * 2)));
  const double to_page = 1.0 / ink.scale;
  const ReadingToSpread& spreads = SpreadTable(step);

  const cv::Mat& mask = ink.mask;
  // Cells are at least a pixel of the mask, so there are never more cells
  // than mask pixels, and positions are computed in 64 bits: a page 100000
  // pixels long read at a dpi inferred from a 1-pixel side once asked for
  // tens of millions of cells and wrapped an int.
  const double cell_px = std::isfinite(ink.dpi) ? std::max(1.0, kCellMm * ink.dpi / 25.4) : 1.0;
  const int nx =
      int(std::clamp(std::round(mask.cols / cell_px), 1.0, double(std::max(1, mask.cols))));
  const int ny =
      int(std::clamp(std::round(mask.rows / cell_px), 1.0, double(std::max(1, mask.rows))));
  auto cell_at = [nx](int cx, int cy) {
    return std::size_t(cy) * std::size_t(nx) + std::size_t(cx);
  };
  // The first pixel of cell `i` of `n` along a side of `length` pixels.
  auto cell_start = [](int length, int i, int n) { return int(std::int64_t(length) * i / n); };
  std::vector<Cell> cells(std::size_t(nx) * std::size_t(ny));
  std::size_t sampled = 0, grays = 0;
  std::vector<int> profile, row_ink, col_ink, lines;
  std::vector<Ramp> ramps;
  for (int cy = 0; cy < ny; ++cy)
    for (int cx = 0; cx < nx; ++cx) {
      const int x0 = cell_start(mask.cols, cx, nx), x1 = cell_start(mask.cols, cx + 1, nx);
      const int y0 = cell_start(mask.rows, cy, ny), y1 = cell_start(mask.rows, cy + 1, ny);
      // One pass over the cell: ink per row and column, and the darkest ink
      // (the cell's contrast is paper against it).
      row_ink.assign(std::size_t(y1 - y0), 0);
      col_ink.assign(std::size_t(x1 - x0), 0);
      int darkest = 255, inked = 0;
      for (int y = y0; y < y1; ++y) {
        const std::uint8_t* mask_row = mask.ptr<std::uint8_t>(y);
        const std::uint8_t* g = ink.coarse.ptr<std::uint8_t>(y);
        int in_row = 0;
        for (int x = x0; x < x1; ++x) {  // branch-free: the mask is 0 or 255
          const int on = mask_row[x] & 1;
          in_row += on;
          col_ink[std::size_t(x - x0)] += on;
          darkest = std::min(darkest, on ? int(g[x]) : 255);
        }
        row_ink[std::size_t(y - y0)] = in_row;
        inked += in_row;
      }
      const double contrast = ink.paper - darkest;
      if (inked < 4 || contrast < 40) continue;
      Cell& cell = cells[cell_at(cx, cy)];
      cell.text = true;
      for (int dir = 0; dir < 2; ++dir) {
        // Coarse rows (dir 0) or columns (dir 1) of the cell that cross ink.
        const std::vector<int>& counts = dir == 0 ? row_ink : col_ink;
        lines.clear();
        for (std::size_t l = 0; l < counts.size(); ++l)
          if (counts[l] >= 2) lines.push_back(int(l));
        const int bands = std::min<int>(kBandsPerCell, int(lines.size()));
        for (int b = 0; b < bands; ++b) {
          const int l = lines[(2 * std::size_t(b) + 1) * lines.size() / (2 * std::size_t(bands))];
          // The band's full-resolution position and extent.
          const int centre = int(((dir == 0 ? y0 : x0) + l + 0.5) * to_page);
          const int from = int((dir == 0 ? x0 : y0) * to_page);
          const int to = std::min(int((dir == 0 ? x1 : y1) * to_page), dir == 0 ? gray.cols : gray.rows);
          const int first = std::max(0, centre - band / 2);
          const int last = std::min(dir == 0 ? gray.rows : gray.cols, first + band);
          profile.assign(std::size_t(std::max(0, to - from)), 0);
          int* v = profile.data();
          const int n = int(profile.size());
          if (dir == 0) {
            for (int r = first; r < last; ++r) {
              const std::uint8_t* p = gray.ptr<std::uint8_t>(r) + from;
              for (int k = 0; k < n; ++k) v[k] += p[k], grays += unsigned(p[k] - 1) < 254u;
            }
          } else {
            for (int k = 0; k < n; ++k) {
              const std::uint8_t* p = gray.ptr<std::uint8_t>(from + k);
              for (int c = first; c < last; ++c) v[k] += p[c], grays += unsigned(p[c] - 1) < 254u;
            }
          }
          sampled += std::size_t(n) * std::size_t(last - first);
          const double band_contrast = contrast * (last - first);
          const int rise_min = int(kMinRise * band_contrast);
          ramps.clear();
          MeasureRamps(profile, rise_min, band_contrast, step, max_walk, ramps);
          // Only edges facing the band (kMaxAcross): the change across is
          // the gradient across the band at the ramp's steepest point.
          const int mid = std::clamp(centre, 1, (dir == 0 ? gray.rows : gray.cols) - 2);
          for (const Ramp& r : ramps) {
            const int along = from + r.at;
            const int before = dir == 0 ? gray.at<std::uint8_t>(mid - 1, along) : gray.at<std::uint8_t>(along, mid - 1);
            const int after = dir == 0 ? gray.at<std::uint8_t>(mid + 1, along) : gray.at<std::uint8_t>(along, mid + 1);
            const double across = std::abs(after - before) / 2.0;
            const double along_slope = double(r.slope) / (step * (last - first));
            if (across <= kMaxAcross * along_slope) cell.along[dir].push_back(r.reading);
          }
        }
      }
    }
  // A 1-bit page saved as 8-bit gray: black and white, nothing between.
  if (grays < sampled / 100) return m;

  // Each text cell is judged on the edges of its 3x3 neighbourhood (~38 mm
  // square): enough edges for a steady median, at a third of that pitch.
  std::vector<float> cell_sigma, pool;
  std::vector<float> sigma_at(cells.size(), -1.0f);  // per cell; -1: not judged
  for (int cy = 0; cy < ny; ++cy)
    for (int cx = 0; cx < nx; ++cx) {
      const Cell& cell = cells[cell_at(cx, cy)];
      // Every cell with ink is text area, even where blur left it no edge
      // of its own: its neighbourhood speaks for it.
      if (!cell.text) continue;
      float reading = -1;
      for (int dir = 0; dir < 2; ++dir) {
        pool.clear();
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) {
            const int x = cx + dx, y = cy + dy;
            if (x < 0 || y < 0 || x >= nx || y >= ny) continue;
            const auto& e = cells[cell_at(x, y)].along[dir];
            pool.insert(pool.end(), e.begin(), e.end());
          }
        if (pool.size() >= kMinEdges) reading = std::max(reading, Median(pool));
      }
      if (reading < 0) continue;
      // The spread on paper: the pixel's own width (a box, variance 1/12)
      // taken out, in 300-dpi pixels.
      const double spread = spreads(reading);
      cell_sigma.push_back(float(std::sqrt(std::max(0.0, spread * spread - 1.0 / 12)) * to_300));
      sigma_at[cell_at(cx, cy)] = cell_sigma.back();
    }
  if (cell_sigma.empty()) return m;

  m.applicable = true;
  m.text_cells = int(cell_sigma.size());
  int blurred = 0;
  for (float s : cell_sigma) blurred += s > options.max_sigma_300dpi;
  m.blurred_area_ratio = double(blurred) / double(cell_sigma.size());
  // The largest blurred region. A lifted corner, an edge off the glass, a
  // fold over one field blur one piece of the page; the odd cell a sharp
  // page reads over the limit (a photograph, a large bold heading) stands
  // alone. Blurred cells join a region across a gap of up to two cells (a
  // blank line or the space between two columns holds no text cell, a
  // cell with few edges reads sharp); the cells along its border, half in the blur and
  // half out, read between sharp and the limit and join it when they touch
  // it (kBorderShare of the limit; the region does not grow from them):
  // without them a strip or a field loses a cell's width all round, half
  // its area.
  {
    constexpr int kReach = 3;
    constexpr double kBorderShare = 0.5;
    const double border = kBorderShare * options.max_sigma_300dpi;
    std::vector<int> stack;
    std::vector<char> seen(cells.size(), 0);
    int largest = 0;
    for (std::size_t start = 0; start < cells.size(); ++start) {
      if (seen[start] || sigma_at[start] <= options.max_sigma_300dpi) continue;
      int size = 0;
      seen[start] = 1;
      stack.assign(1, int(start));
      while (!stack.empty()) {
        const int i = stack.back();
        stack.pop_back();
        ++size;
        const int cx = i % nx, cy = i / nx;
        for (int dy = -kReach; dy <= kReach; ++dy)
          for (int dx = -kReach; dx <= kReach; ++dx) {
            const int x = cx + dx, y = cy + dy;
            if (x < 0 || y < 0 || x >= nx || y >= ny) continue;
            const std::size_t j = cell_at(x, y);
            const bool touching = std::abs(dx) <= 1 && std::abs(dy) <= 1;
            if (seen[j] || sigma_at[j] <= (touching ? border : options.max_sigma_300dpi)) continue;
            seen[j] = 1;
            if (sigma_at[j] > options.max_sigma_300dpi)
              stack.push_back(int(j));
            else
              ++size;  // a border cell: counted, not grown from
          }
      }
      largest = std::max(largest, size);
    }
    m.blurred_region_ratio = double(largest) / double(cell_sigma.size());
  }
  // The page's score: the spread that a quarter of its text area reaches.
  std::sort(cell_sigma.begin(), cell_sigma.end());
  m.sigma_300dpi = cell_sigma[std::size_t(0.75 * double(cell_sigma.size() - 1) + 0.5)];
  return m;
}

}  // namespace scangate
