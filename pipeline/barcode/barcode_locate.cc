// See barcode_locate.h.
//
// The page is cut into blocks of about 2.7 mm. In each, the gradient's
// structure tensor tells how much edge there is and whether it all runs one
// way (coherence); text has as much edge but in every direction, a ruled line
// runs one way but has only two edges. A block is bar-like when its edges are
// dense, coherent and, along their common direction, cross the block's mid
// level at least four times in two block lengths, the same a third of a
// block up and down the bars (straight, unlike handwriting). Neighbouring bar-like
// blocks at about the same angle make a field.
//
// Blur lowers the edge density (a Gaussian of sigma s spreads each edge
// over ~2.5 s, and flattens the narrowest elements first) while the wide
// elements still cross the mid level and stay straight: a block whose
// edges run one way even more strictly is kept on a lower density, so that
// a code blurred past reading is still found, and reported unreadable.
//
// A field is not yet a barcode: a line of text has as many upright strokes,
// a frame's thick rules, a signature's long strokes or a photograph's
// stripes make fields too. ConfirmBars straightens the field and asks what
// printing a symbology needs: many bar edges side by side, and a pattern
// that holds unchanged a long way along the bars (a text line's strokes
// change after an x-height, a signature's cross, a rule has two edges).
#include "pipeline/barcode/barcode_locate.h"
#include "pipeline/image/profile_math.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace scangate {
namespace {

struct Block {
  double jxx = 0, jyy = 0, jxy = 0;
  int lo = 255, hi = 0, n = 0;
  bool bar_like = false;
  float angle = 0;
};

constexpr int kMinRange = 20;  // gray levels between bars and spaces
constexpr double kMinCoherence = 0.6;
// Sobel energy over samples x range^2 (a Sobel step is 4 x range high).
constexpr double kMinEdgeDensity = 0.48;
// Blurred bars: lower density, stricter direction.
constexpr double kMinSoftEdgeDensity = 0.08;
constexpr double kMinSoftCoherence = 0.8;
constexpr int kMinCrossings = 4;
// Crossings count past this share of the block's range each side of its
// mid level. A blur past the module leaves the narrow elements as ripples
// on the wide ones: where the edges are as sparse as blur leaves them and
// run one way all but perfectly (kMinStrictCoherence), ripples of a third
// of that count.
constexpr float kCrossingBand = 0.15f;
constexpr float kSoftCrossingBand = 0.05f;
constexpr double kMinStrictCoherence = 0.95;
constexpr int kMinFieldBlocks = 4;
constexpr float kSameAngle = 0.3f;        // radians
constexpr double kMinStraightness = 0.6;  // profile correlation along the bars
// ConfirmBars: what printed bars have that text, rules and strokes do not.
// The fewest edges of a symbol (EAN-8 has 43, a short Code 39 about 30),
// blur taking the narrowest; the shortest bars a symbology prints (linear
// codes are printed 5 mm tall and more; a text line is 2-4 mm); how alike
// neighbouring bands along the bars must stay.
constexpr int kMinBarEdges = 10;
constexpr float kMaxEdgeGapMm = 2.5f;
constexpr float kMaxUnevenness = 0.08f;
constexpr float kMinBarHeightMm = 4.5f;
constexpr double kMinBarCorrelation = 0.7;

float SampleAt(const cv::Mat& g, float x, float y) { return BilinearGray(g, x, y, -1); }

// Whether the block at `c` looks like bars along `angle` (across the bars):
// its profile crosses the mid level often, and stays the same a third of a
// block to either side along the bars (handwriting and text do not).
bool LooksLikeBars(const cv::Mat& g, cv::Point2f c, float angle, float half_length,
                   float band_share) {
  const cv::Point2f u(std::cos(angle), std::sin(angle)), v(-u.y, u.x);
  const int n = static_cast<int>(2 * half_length) + 1;
  auto sample = [&](float offset, std::vector<float>& out) {
    out.resize(n);
    for (int i = 0; i < n; ++i) {
      float t = -half_length + i;
      out[i] = SampleAt(g, c.x + u.x * t + v.x * offset, c.y + u.y * t + v.y * offset);
      if (out[i] < 0) return false;
    }
    return true;
  };
  // The crossings first: most text blocks stop there, before the profiles
  // above and below are sampled.
  std::vector<float> mid, side;
  if (!sample(0, mid)) return false;
  auto [lo, hi] = std::minmax_element(mid.begin(), mid.end());
  const float level = (*lo + *hi) / 2, band = band_share * (*hi - *lo);
  int crossings = 0, state = 0;  // -1 dark, 1 light
  for (float value : mid) {
    int now = value < level - band ? -1 : value > level + band ? 1 : state;
    if (state != 0 && now != state) ++crossings;
    state = now;
  }
  if (crossings < kMinCrossings) return false;
  for (float offset : {-half_length / 3, half_length / 3}) {
    if (!sample(offset, side) || Correlation(side, mid) < kMinStraightness) return false;
  }
  return true;
}

// Wide bars, voids, a 1-bit scan's jagged edges or a cut leave one code as
// several fields in a row: fields at the same angle, on one line across the
// bars and not far apart for their length, are one field. (Two codes side by
// side become one field; the reader still reads both, one per pass.)
void MergeCollinear(std::vector<BarField>& fields, float block) {
  constexpr float kMaxAngle = 0.12f;  // radians
  auto angle_gap = [](float a, float b) {
    float d = std::fmod(std::abs(a - b), static_cast<float>(CV_PI));
    return std::min(d, static_cast<float>(CV_PI) - d);
  };
  for (bool merged = true; merged;) {
    merged = false;
    for (size_t i = 0; i < fields.size() && !merged; ++i) {
      for (size_t j = i + 1; j < fields.size() && !merged; ++j) {
        BarField& a = fields[i];
        const BarField& b = fields[j];
        if (angle_gap(a.angle, b.angle) > kMaxAngle) continue;
        const cv::Point2f u(std::cos(a.angle), std::sin(a.angle)), v(-u.y, u.x);
        const cv::Point2f d = b.center - a.center;
        if (std::abs(d.dot(v)) > std::max(a.height, b.height) / 2) continue;
        const float gap = std::abs(d.dot(u)) - (a.length + b.length) / 2;
        if (gap > std::max(4 * block, 0.6f * (a.length + b.length))) continue;
        // One field over both, along a's line.
        const float b_mid = d.dot(u);
        const float lo = std::min(-a.length / 2, b_mid - b.length / 2);
        const float hi = std::max(a.length / 2, b_mid + b.length / 2);
        const float share = static_cast<float>(b.blocks) / (a.blocks + b.blocks);
        a.center += u * ((lo + hi) / 2) + v * (d.dot(v) * share);
        a.length = hi - lo;
        a.height = std::max(a.height, b.height);
        a.blocks += b.blocks;
        fields.erase(fields.begin() + static_cast<std::ptrdiff_t>(j));
        merged = true;
      }
    }
  }
}

}  // namespace

std::vector<BarField> FindBarFields(const cv::Mat& gray, double dpi) {
  std::vector<BarField> fields;
  if (gray.empty() || gray.type() != CV_8UC1) return fields;
  const int block = dpi > 0 ? std::clamp(static_cast<int>(std::lround(dpi * 2.7 / 25.4)), 10, 64)
                            : std::clamp(std::min(gray.cols, gray.rows) / 16, 10, 32);
  const int stride = std::max(1, block / 10);
  const int bw = gray.cols / block, bh = gray.rows / block;
  if (bw < 2 || bh < 1) return fields;

  std::vector<Block> blocks(static_cast<size_t>(bw) * bh);
  const int y_end = std::min(bh * block, gray.rows - 1);
  // First each block's range over the same samples: a block without bars'
  // contrast (paper, most of any page) is rejected below whatever its
  // gradients, so they are summed only where the range allows bars.
  for (int y = 1; y < y_end; y += stride) {
    const uint8_t* row = gray.ptr<uint8_t>(y);
    Block* line = &blocks[static_cast<size_t>(y / block) * bw];
    for (int bx = 0; bx < bw; ++bx) {
      Block& b = line[bx];
      const int x_end = std::min((bx + 1) * block, gray.cols - 1);
      int lo = b.lo, hi = b.hi, n = 0;
      for (int x = std::max(1, bx * block); x < x_end; x += stride) {
        lo = std::min<int>(lo, row[x]), hi = std::max<int>(hi, row[x]);
        ++n;
      }
      b.lo = lo, b.hi = hi, b.n += n;
    }
  }
  for (int y = 1; y < y_end; y += stride) {
    const uint8_t* above = gray.ptr<uint8_t>(y - 1);
    const uint8_t* row = gray.ptr<uint8_t>(y);
    const uint8_t* below = gray.ptr<uint8_t>(y + 1);
    Block* line = &blocks[static_cast<size_t>(y / block) * bw];
    for (int bx = 0; bx < bw; ++bx) {
      Block& b = line[bx];
      if (b.hi - b.lo < kMinRange) continue;
      const int x_end = std::min((bx + 1) * block, gray.cols - 1);
      long jxx = 0, jyy = 0, jxy = 0;
      for (int x = std::max(1, bx * block); x < x_end; x += stride) {
        // Sobel: smoothing across each derivative keeps the angle of a
        // jagged (1-bit) edge from snapping to 0 or 45 degrees.
        int gx = (above[x + 1] - above[x - 1]) + 2 * (row[x + 1] - row[x - 1]) +
                 (below[x + 1] - below[x - 1]);
        int gy = (below[x - 1] + 2 * below[x] + below[x + 1]) -
                 (above[x - 1] + 2 * above[x] + above[x + 1]);
        jxx += gx * gx, jyy += gy * gy, jxy += gx * gy;
      }
      b.jxx += jxx, b.jyy += jyy, b.jxy += jxy;
    }
  }

  for (int by = 0; by < bh; ++by) {
    for (int bx = 0; bx < bw; ++bx) {
      Block& b = blocks[static_cast<size_t>(by) * bw + bx];
      const double energy = b.jxx + b.jyy;
      const int range = b.hi - b.lo;
      if (range < kMinRange || energy <= 0 || b.n == 0) continue;
      const double coherence =
          std::sqrt((b.jxx - b.jyy) * (b.jxx - b.jyy) + 4 * b.jxy * b.jxy) / energy;
      if (coherence < kMinCoherence) continue;
      const double density = energy / (static_cast<double>(b.n) * range * range);
      if (density < kMinSoftEdgeDensity ||
          (density < kMinEdgeDensity && coherence < kMinSoftCoherence))
        continue;
      b.angle = static_cast<float>(0.5 * std::atan2(2 * b.jxy, b.jxx - b.jyy));
      const cv::Point2f centre((bx + 0.5f) * block, (by + 0.5f) * block);
      b.bar_like = LooksLikeBars(gray, centre, b.angle, static_cast<float>(block), kCrossingBand) ||
                   (density < kMinEdgeDensity && coherence >= kMinStrictCoherence &&
                    LooksLikeBars(gray, centre, b.angle, static_cast<float>(block), kSoftCrossingBand));
    }
  }

  // Fields: 8-connected bar-like blocks at about the same angle.
  auto angle_gap = [](float a, float b) {
    float d = std::fmod(std::abs(a - b), static_cast<float>(CV_PI));
    return std::min(d, static_cast<float>(CV_PI) - d);
  };
  std::vector<int> label(blocks.size(), -1);
  std::vector<int> stack;
  for (int start = 0; start < static_cast<int>(blocks.size()); ++start) {
    if (!blocks[start].bar_like || label[start] >= 0) continue;
    std::vector<int> members;
    label[start] = start;
    stack.assign(1, start);
    while (!stack.empty()) {
      int i = stack.back();
      stack.pop_back();
      members.push_back(i);
      const int bx = i % bw, by = i / bw;
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
          int nx = bx + dx, ny = by + dy;
          if (nx < 0 || ny < 0 || nx >= bw || ny >= bh) continue;
          int j = ny * bw + nx;
          if (label[j] >= 0 || !blocks[j].bar_like) continue;
          if (angle_gap(blocks[j].angle, blocks[i].angle) > kSameAngle) continue;
          label[j] = start;
          stack.push_back(j);
        }
      }
    }
    if (static_cast<int>(members.size()) < kMinFieldBlocks) continue;
    double c2 = 0, s2 = 0;
    for (int i : members) c2 += std::cos(2 * blocks[i].angle), s2 += std::sin(2 * blocks[i].angle);
    const float angle = static_cast<float>(0.5 * std::atan2(s2, c2));
    const cv::Point2f u(std::cos(angle), std::sin(angle)), v(-u.y, u.x);
    float u0 = 1e9f, u1 = -1e9f, v0 = 1e9f, v1 = -1e9f;
    for (int i : members) {
      cv::Point2f c(((i % bw) + 0.5f) * block, ((i / bw) + 0.5f) * block);
      float a = c.dot(u), b = c.dot(v);
      u0 = std::min(u0, a), u1 = std::max(u1, a), v0 = std::min(v0, b), v1 = std::max(v1, b);
    }
    BarField f;
    f.angle = angle;
    f.length = u1 - u0 + block;
    f.height = v1 - v0 + block;
    f.center = u * ((u0 + u1) / 2) + v * ((v0 + v1) / 2);
    f.blocks = static_cast<int>(members.size());
    fields.push_back(f);
  }
  MergeCollinear(fields, static_cast<float>(block));
  std::sort(fields.begin(), fields.end(),
            [](const BarField& a, const BarField& b) { return a.blocks > b.blocks; });
  return fields;
}


// The widest gap between a code's neighbouring edges (blur may have taken
// the narrow elements between): less than a quiet zone.
float max_gap_of(float px_per_mm, const BarField& field) {
  return px_per_mm > 0 ? kMaxEdgeGapMm * px_per_mm : field.length / 4;
}

void ConfirmBars(const cv::Mat& gray, double dpi, BarField& field) {
  field.confirmed = false;
  field.edges = 0;
  field.bar_height = 0;
  if (gray.empty() || gray.type() != CV_8UC1) return;
  const float px_per_mm = dpi > 0 ? static_cast<float>(dpi / 25.4) : 0;
  // Straightened: bars upright; across them the field and, each way, room
  // for the rest of a code whose blurred bars only partly made blocks;
  // along them room for bars the blocks did not cover.
  const float beyond = std::max(field.length, px_per_mm > 0 ? 25 * px_per_mm : field.length);
  const float reach = field.height / 2 + field.length / 2;
  const int width = std::clamp(cvRound(field.length + 2 * beyond), 16, 4000);
  const int height = std::clamp(cvRound(2 * reach), 16, 4000);
  // A field this large is hatching or a photograph, not a printed code.
  if (static_cast<double>(width) * height > 8e6) return;
  const cv::Point2f u(std::cos(field.angle), std::sin(field.angle)), v(-u.y, u.x);
  const cv::Point2f origin = field.center - u * (width / 2.0f) - v * (height / 2.0f);
  cv::Mat crop;
  cv::warpAffine(gray, crop, cv::Matx23f(u.x, v.x, origin.x, u.y, v.y, origin.y),
                 cv::Size(width, height), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, cv::Scalar(255));
  // Profiles across the bars, each averaged over a band of rows (~0.4 mm),
  // over the field's own length (x0..x1 of the crop).
  const int x0 = std::clamp(cvRound(width / 2.0f - field.length / 2), 0, width - 1);
  const int x1 = std::clamp(cvRound(width / 2.0f + field.length / 2), x0 + 1, width);
  const int n = x1 - x0;
  const int band = std::max(2, px_per_mm > 0 ? cvRound(0.4f * px_per_mm) : n / 60);
  auto profile = [&](int row, int shift, int from, int to, std::vector<float>& out) {
    out.assign(static_cast<size_t>(to - from), 0.0f);
    for (int y = std::max(0, row); y < std::min(height, row + band); ++y) {
      const uint8_t* p = crop.ptr<uint8_t>(y);
      for (int x = from; x < to; ++x)
        out[static_cast<size_t>(x - from)] += p[std::clamp(x + shift, 0, width - 1)];
    }
    for (float& value : out) value /= static_cast<float>(band);
  };
  // Profiles flatter than a thousandth of a gray level have no bars.
  auto correlation = [](const std::vector<float>& a, const std::vector<float>& b) {
    return Correlation(a, b, 1e-3);
  };
  auto range_of = [](const std::vector<float>& p) {
    auto [lo, hi] = std::minmax_element(p.begin(), p.end());
    return *hi - *lo;
  };
  const int middle_row = height / 2 - band / 2;
  std::vector<float> middle, previous, current;
  profile(middle_row, 0, x0, x1, middle);
  const float middle_range = range_of(middle);
  if (middle_range < kMinRange) return;

  // How far the middle line's pattern holds along the bars, each way: band
  // after band like the one before (a few pixels of drift allowed, for the
  // field's angle being a few degrees off), like the middle line, and still
  // with the bars' contrast.
  std::vector<std::vector<float>> bands = {middle};
  for (int side : {-1, 1}) {
    previous = middle;
    int drift = 0;
    for (int row = middle_row + side * band; row >= 0 && row + band <= height; row += side * band) {
      double best = -2;
      int best_shift = drift;
      for (int shift = drift - 2; shift <= drift + 2; ++shift) {
        profile(row, shift, x0, x1, current);
        const double c = correlation(previous, current);
        if (c > best) best = c, best_shift = shift;
      }
      profile(row, best_shift, x0, x1, current);
      if (best < kMinBarCorrelation || correlation(middle, current) < kMinBarCorrelation / 2 ||
          range_of(current) < 0.5f * middle_range)
        break;
      drift = best_shift;
      previous = current;
      bands.push_back(current);
    }
  }
  field.bar_height = static_cast<float>(bands.size()) * static_cast<float>(band);
  // Printed bars are even along their length; a text line seen as bars (a
  // page turned sideways at low resolution) has letters and word gaps along
  // each "bar", handwriting thickens and thins: their bands differ from the
  // mean of all far more than sensor noise makes them.
  std::vector<float> mean(static_cast<size_t>(n), 0.0f);
  for (const auto& b : bands)
    for (size_t i = 0; i < mean.size(); ++i) mean[i] += b[i] / static_cast<float>(bands.size());
  double deviation = 0;
  for (const auto& b : bands)
    for (size_t i = 0; i < mean.size(); ++i) deviation += std::abs(b[i] - mean[i]);
  field.unevenness = static_cast<float>(deviation / (static_cast<double>(bands.size()) * n) /
                                        std::max(1.0f, range_of(mean)));

  // Edges across the bars on the middle line, on the whole crop: swings of
  // a fifth of the field's range (blur leaves the wide elements that much
  // where the narrow ones are gone), each found again, same way, on lines a
  // third of the bars' height above and below (printed bars; the text line
  // beside a rule or a word of capitals does not go on). The code's edges
  // are the run of those around the field with no gap wider than a quiet
  // zone's least.
  std::vector<float> line, above, below;
  profile(middle_row, 0, 0, width, line);
  const int offset = std::max(band, cvRound(field.bar_height / 3));
  profile(middle_row - offset, 0, 0, width, above);
  profile(middle_row + offset, 0, 0, width, below);
  const float swing = 0.2f * middle_range;
  auto steps_too = [&](const std::vector<float>& other, int x, int sign) {
    for (int d = -3; d <= 3; ++d) {
      const int a = std::clamp(x + d - 2, 0, width - 1), b = std::clamp(x + d + 2, 0, width - 1);
      if (sign * (other[static_cast<size_t>(b)] - other[static_cast<size_t>(a)]) >= swing / 2)
        return true;
    }
    return false;
  };
  std::vector<int> at;
  int state = 0, extreme_at = 0;
  float extreme = line[0];
  for (int x = 0; x < width; ++x) {
    const float value = line[static_cast<size_t>(x)];
    int edge = 0;
    const int from = extreme_at;  // the edge lies between the last extreme and here
    if (state <= 0 && value > extreme + swing) {
      edge = state < 0 ? 1 : 0;
      state = 1, extreme = value, extreme_at = x;
    } else if (state >= 0 && value < extreme - swing) {
      edge = state > 0 ? -1 : 0;
      state = -1, extreme = value, extreme_at = x;
    } else if ((state > 0 && value > extreme) || (state < 0 && value < extreme)) {
      extreme = value, extreme_at = x;
    }
    if (edge == 0) continue;
    int steepest = x;
    float best = 0;
    for (int k = std::max(2, from); k <= x; ++k) {
      const float rise = static_cast<float>(edge) *
                         (line[static_cast<size_t>(std::min(width - 1, k + 2))] -
                          line[static_cast<size_t>(k - 2)]);
      if (rise > best) best = rise, steepest = k;
    }
    if (steps_too(above, steepest, edge) && steps_too(below, steepest, edge))
      at.push_back(steepest);
  }
  const float max_gap = max_gap_of(px_per_mm, field);
  auto centre = std::lower_bound(at.begin(), at.end(), width / 2);
  if (!at.empty()) {
    auto first = centre == at.end() ? at.end() - 1 : centre, last = first;
    while (first != at.begin() && *first - *(first - 1) <= max_gap) --first;
    while (last + 1 != at.end() && *(last + 1) - *last <= max_gap) ++last;
    if (*last >= x0 - max_gap && *first <= x1 + max_gap)
      field.edges = static_cast<int>(last - first) + 1;
  }
  // Bars: enough edges, standing at least kMinBarHeightMm (or, at an
  // unknown resolution, a fifth of the field's length) tall, even along
  // their length.
  const float min_height = px_per_mm > 0 ? kMinBarHeightMm * px_per_mm : 0.2f * field.length;
  field.confirmed = field.edges >= kMinBarEdges && field.bar_height >= min_height &&
                    field.unevenness <= kMaxUnevenness;
}

}  // namespace scangate
