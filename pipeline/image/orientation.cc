// Orientation from the text lines, on the coarse ink mask turned by the
// page's skew so that its lines run along rows or columns.
//
// 1. Axis. Text lines pile their ink into rows with empty gaps between them;
//    across the lines the ink is spread evenly (letters fall anywhere, and
//    the narrow gaps between CJK characters vanish once the profile is
//    smoothed over a millimetre). The profile that varies more, against
//    its own mean, says whether the lines run across (0 or 180) or down
//    the page (90 or 270).
// 2. Which side is up, with the lines turned horizontal, by two cues:
//    - Latin script: a line's x-height band is its densest; ascenders and
//      capitals above it carry more ink than descenders below it.
//    - Any script: lines start at the left margin (an indent of a few
//      characters aside) and end where they end (the last line of a
//      paragraph, ragged right): line starts agree from one line to the
//      next far better than line ends. Upside down it is the reverse. This
//      cue carries CJK text, whose square characters have no ascenders.
//    A line whose densest band fills it from top to bottom (CJK) gives the
//    first cue nothing.
// 3. Where both leave a page of many lines unsure (digits and capitals),
//    the glyphs' own shapes (ReadGlyphs below).
// Pages with few lines (blank, a photo, a short note) get low confidence.
// Cost: one turn of the coarse mask (at most 100 dpi), row and column sums;
// on the unsure pages of step 3 a turn of the fine page and its connected
// components as well.
#include "pipeline/image/orientation.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace scangate {
namespace {

// A text line is between these heights; taller runs are pictures, tables
// or lines merged by a smudge.
constexpr double kMinLineMm = 1.2, kMaxLineMm = 9.0;
// Vertical strips the ascender cue reads separately, so that columns whose
// baselines differ do not smear each other's lines.
constexpr double kStripMm = 40;
// A page whose lines' densest bands span more than this share of them on
// average is set in square characters (tuned on the orientation corpus:
// Latin pages 0.49-0.71, Chinese 0.83-0.89).
constexpr double kSquareScriptCore = 0.78;
// Line pieces (per strip) below which the confidence is scaled down.
constexpr double kSureLines = 16;
// A row of a strip inked over this share of its width is a ruling: text
// rows are inked over at most about two thirds of it (Chinese lines at
// ~75 dpi 57-67% on the generated forms).
constexpr float kRuleCover = 0.9f;
// The lines' cues this sure stand; below it, on a page with this many line
// pieces, the glyphs' shapes are read as well.
constexpr double kSureFromLines = 0.5;
constexpr int kGlyphsFromLines = 30;

// The ink of the coarse mask turned so that the skew is undone, as points
// (x, y) in a frame that holds every corner.
struct Frame {
  std::vector<cv::Point> points;
  int width = 0, height = 0;
};

void InkPoints(const InkMap& ink, std::vector<cv::Point>& out) {
  out.clear();
  if (ink.mask.empty()) return;
  cv::findNonZero(ink.mask, out);
}

Frame Turn(const std::vector<cv::Point>& ink, cv::Size size, double skew_degrees) {
  Frame f;
  const double a = skew_degrees * CV_PI / 180;
  const float c = float(std::cos(a)), s = float(std::sin(a));
  const float cx = (size.width - 1) / 2.f, cy = (size.height - 1) / 2.f;
  // Content turned counter-clockwise on screen by the skew: turn it back.
  f.width = int(std::ceil(size.width * std::abs(c) + size.height * std::abs(s))) + 2;
  f.height = int(std::ceil(size.width * std::abs(s) + size.height * std::abs(c))) + 2;
  f.points.resize(ink.size());
  const float ox = f.width / 2.f + 0.5f, oy = f.height / 2.f + 0.5f;
  for (std::size_t i = 0; i < ink.size(); ++i) {
    const float dx = float(ink[i].x) - cx, dy = float(ink[i].y) - cy;
    const int x = int(c * dx - s * dy + ox), y = int(s * dx + c * dy + oy);
    f.points[i] = cv::Point(std::clamp(x, 0, f.width - 1), std::clamp(y, 0, f.height - 1));
  }
  return f;
}

// A quarter turn clockwise: the left edge becomes the top.
Frame Sideways(const Frame& straight) {
  Frame f;
  f.width = straight.height;
  f.height = straight.width;
  f.points.resize(straight.points.size());
  for (std::size_t i = 0; i < straight.points.size(); ++i)
    f.points[i] = cv::Point(straight.height - 1 - straight.points[i].y, straight.points[i].x);
  return f;
}

// How much a profile varies against its mean, over the span that holds ink,
// after a box smoothing `smooth` bins wide.
double Variation(const std::vector<float>& p, int smooth) {
  std::size_t lo = 0, hi = p.size();
  while (lo < hi && p[lo] <= 0) ++lo;
  while (hi > lo && p[hi - 1] <= 0) --hi;
  if (hi - lo < std::size_t(4 * smooth)) return 0;
  std::vector<double> cum(hi - lo + 1, 0);
  for (std::size_t i = lo; i < hi; ++i) cum[i - lo + 1] = cum[i - lo] + p[i];
  double sum = 0, sq = 0;
  int n = 0;
  for (std::size_t i = 0; i + std::size_t(smooth) <= hi - lo; ++i, ++n) {
    const double v = (cum[i + std::size_t(smooth)] - cum[i]) / smooth;
    sum += v;
    sq += v * v;
  }
  if (n == 0 || sum <= 0) return 0;
  const double mean = sum / n;
  return std::max(0.0, sq / n - mean * mean) / (mean * mean);
}

// Rows over columns: above 1 the frame's lines run across.
double AxisRatioOf(const Frame& f, double dpi) {
  std::vector<float> rows(std::size_t(f.height), 0.f), cols(std::size_t(f.width), 0.f);
  for (const cv::Point& p : f.points) ++rows[std::size_t(p.y)], ++cols[std::size_t(p.x)];
  const int smooth = std::max(2, int(std::lround(dpi / 25.4)));
  const double across = Variation(rows, smooth), down = Variation(cols, smooth);
  if (across <= 0 && down <= 0) return 1;
  return down > 0 ? across / down : 100;
}

struct Run {
  int begin, end;  // [begin, end)
};

// Runs of a profile above `floor`.
std::vector<Run> Runs(const float* p, float floor, int begin, int end) {
  std::vector<Run> runs;
  int start = -1;
  for (int i = begin; i < end; ++i) {
    const bool on = p[i] > floor;
    if (on && start < 0) start = i;
    if (!on && start >= 0) runs.push_back({start, i}), start = -1;
  }
  if (start >= 0) runs.push_back({start, end});
  return runs;
}

struct Votes {
  double ascender = 0, ascender_weight = 0;
  double start_spread = 0, end_spread = 0;
  int lines = 0, pairs = 0;
  double core_sum = 0;
};

// The cues on a frame whose lines run along its rows, as if it were upright:
// positive votes say it is, negative that it is upside down.
Votes ReadUpright(const Frame& f, double dpi) {
  Votes v;
  const double px_mm = dpi / 25.4;
  const int min_line = std::max(3, int(std::lround(kMinLineMm * px_mm)));
  const int max_line = int(std::lround(kMaxLineMm * px_mm));

  // Row profiles of vertical strips, all from one pass over the points.
  const int strip = std::max(16, int(std::lround(kStripMm * px_mm)));
  const int strips = (f.width + strip - 1) / strip;
  std::vector<float> rows(std::size_t(strips) * std::size_t(f.height), 0.f);
  std::vector<float> all_rows(std::size_t(f.height), 0.f);
  for (const cv::Point& p : f.points) {
    ++rows[std::size_t(p.x / strip) * std::size_t(f.height) + std::size_t(p.y)];
    ++all_rows[std::size_t(p.y)];
  }

  // Ascenders over descenders, strip by strip. Rows inked across nearly the
  // whole strip are rulings (a table's, a form's fields), not text: a line
  // of text, Latin or Chinese, leaves gaps between its letters' strokes in
  // every row. A ruling beside a line of text would be that line's densest
  // band, and the whole line would vote as ascenders or descenders of it.
  std::vector<float> ruled(std::size_t(f.height));
  for (int k = 0; k < strips; ++k) {
    const int w = std::min(strip, f.width - k * strip);
    if (w < strip / 2) continue;
    const float* strip_rows = rows.data() + std::size_t(k) * std::size_t(f.height);
    for (std::size_t y = 0; y < ruled.size(); ++y)
      ruled[y] = strip_rows[y] >= kRuleCover * float(w) ? 0.f : strip_rows[y];
    auto is_rule = [&](int y) {
      return y >= 0 && y < f.height && strip_rows[y] >= kRuleCover * float(w);
    };
    const float* r = ruled.data();
    const float floor = std::max(1.f, 0.01f * float(w));
    for (const Run& run : Runs(r, floor, 0, f.height)) {
      const int h = run.end - run.begin;
      if (h < min_line || h > max_line) continue;
      // Ink against a ruling (a table's cell, an underlined field): its
      // extent is the ruling's, not its letters'.
      if (is_rule(run.begin - 1) || is_rule(run.end)) continue;
      float peak = 0;
      for (int y = run.begin; y < run.end; ++y) peak = std::max(peak, r[y]);
      if (peak < 0.08f * float(w)) continue;  // a few specks, not a line of text
      int top = run.begin, bottom = run.end - 1;
      while (r[top] < 0.5f * peak) ++top;
      while (r[bottom] < 0.5f * peak) --bottom;
      const int core = bottom - top + 1;
      ++v.lines;
      v.core_sum += double(core) / h;
      if (core < 2) continue;
      double above = 0, below = 0;
      for (int y = run.begin; y < top; ++y) above += r[y];
      for (int y = bottom + 1; y < run.end; ++y) below += r[y];
      if (above + below <= 0) continue;
      v.ascender += above - below;
      v.ascender_weight += above + below;
    }
  }

  // Line starts and ends, from one line to the next: which columns of each
  // line band hold ink, from a second pass over the points.
  const float floor = std::max(1.f, 0.004f * float(f.width));
  std::vector<Run> bands;
  for (const Run& r : Runs(all_rows.data(), floor, 0, f.height)) {
    const int h = r.end - r.begin;
    if (h >= min_line && h <= max_line) bands.push_back(r);
  }
  if (bands.size() < 2) return v;
  std::vector<int> band_of(std::size_t(f.height), -1);
  for (std::size_t b = 0; b < bands.size(); ++b)
    for (int y = bands[b].begin; y < bands[b].end; ++y) band_of[std::size_t(y)] = int(b);
  std::vector<float> cols(bands.size() * std::size_t(f.width), 0.f);
  for (const cv::Point& p : f.points) {
    const int b = band_of[std::size_t(p.y)];
    if (b >= 0) cols[std::size_t(b) * std::size_t(f.width) + std::size_t(p.x)] = 1;
  }
  struct Segment {
    int begin, end;
  };
  std::vector<std::vector<Segment>> lines(bands.size());
  for (std::size_t b = 0; b < bands.size(); ++b) {
    const int h = bands[b].end - bands[b].begin;
    // Word spaces close; a gap of two line heights or more parts columns.
    std::vector<Segment>& segments = lines[b];
    for (const Run& s : Runs(cols.data() + b * std::size_t(f.width), 0.f, 0, f.width)) {
      if (!segments.empty() && s.begin - segments.back().end < 2 * h)
        segments.back().end = s.end;
      else
        segments.push_back({s.begin, s.end});
    }
    std::erase_if(segments, [&](const Segment& s) { return s.end - s.begin < 3 * h; });
  }
  for (std::size_t k = 0; k + 1 < lines.size(); ++k) {
    const double h = 0.5 * ((bands[k].end - bands[k].begin) + (bands[k + 1].end - bands[k + 1].begin));
    if (bands[k + 1].begin - bands[k].end > 2.5 * h) continue;  // a new block
    for (const Segment& s : lines[k]) {
      const Segment* best = nullptr;
      int overlap = 0;
      for (const Segment& t : lines[k + 1]) {
        const int o = std::min(s.end, t.end) - std::max(s.begin, t.begin);
        if (o > overlap) overlap = o, best = &t;
      }
      if (!best) continue;
      v.start_spread += std::min(12.0, std::abs(s.begin - best->begin) / h);
      v.end_spread += std::min(12.0, std::abs(s.end - best->end) / h);
      ++v.pairs;
    }
  }
  return v;
}

// The glyphs' own shapes, for pages whose lines give no cue: digits and
// capitals (tickets, tables of figures, forms filled in in capitals) have
// no ascenders or descenders, and a table's rows start and end alike.
// - Axis: a glyph of Latin script or digits is taller than it is wide
//   (real scans: 67-96% of their glyphs); on a page turned a quarter most
//   are wider than tall. Square characters (CJK) tell nothing.
// - Which side is up: digits and capitals carry more ink in their top half
//   (4, 7, 9, F, P, T, V, Y against 2, L and the like): in six different
//   Hershey designs 6-7 of the 10 digits and half or more of the 26
//   capitals, -0.006 to -0.066 of a glyph's ink on average.
// Glyphs are the fine page's connected components of a glyph's size, read
// with the page's skew undone. The votes are weak one by one and count by
// how far their mean stands from 0 against its standard error. The way up
// only from glyphs 16 pixels tall or more on the fine page: at a dozen
// pixels how a glyph's strokes fall on the pixel grid outweighs the
// difference between its halves (tickets.tif scanned at 200 dpi, its
// digits 13 pixels tall, read its halves the other way round).
struct GlyphVotes {
  int glyphs = 0;
  // Share of glyphs taller than wide, and its sureness (0..1).
  double tall_share = 0.5, axis_sure = 0;
  // Mean of (top - bottom) / ink along the glyphs' vertical, as read with
  // the lines across (left - right for glyphs lying sideways: their tops
  // point left on a page turned 90), and its sureness (0..1, signed).
  double top_heavy = 0, side_sure = 0;
};

constexpr double kGlyphMinMm = 1.2, kGlyphMaxMm = 6.0, kGlyphMinWidthMm = 0.3;
// Standard errors a mean must stand from 0 before it counts, and over how
// many more it grows sure.
constexpr double kGlyphZ = 3.0, kGlyphZSpan = 4.0;
// Fewer glyphs tell too little, whatever their votes.
constexpr int kMinGlyphs = 150;
constexpr int kMinGlyphPixels = 16;
// The reading holds 6 bytes per pixel of the fine page (turned, binary,
// labels), beyond what the checks are budgeted (server/memory_budget.cc),
// and only for this page: a fine page larger than this (A3 at 150 dpi is
// 4.4 Mpx; a client's page can reach 80 Mpx, kept whole at 200 dpi or
// less) is not read.
constexpr double kMaxGlyphPagePixels = 6e6;

GlyphVotes ReadGlyphs(const InkMap& ink, double skew_degrees) {
  GlyphVotes g;
  const cv::Mat& fine = ink.fine;
  if (fine.empty() || ink.fine_dpi <= 0 || double(fine.total()) > kMaxGlyphPagePixels) return g;
  // Not kept from page to page: few pages are read this way.
  cv::Mat straight, binary, labels, stats, centroids;
  const cv::Mat turn = cv::getRotationMatrix2D(cv::Point2f((fine.cols - 1) / 2.f, (fine.rows - 1) / 2.f),
                                               -skew_degrees, 1.0);
  cv::warpAffine(fine, straight, turn, fine.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                 cv::Scalar(ink.paper));
  // Ink: darker than halfway to black from the paper.
  cv::threshold(straight, binary, 0.5 * ink.paper, 255, cv::THRESH_BINARY_INV);
  const int n = cv::connectedComponentsWithStats(binary, labels, stats, centroids, 8, CV_32S);
  if (n <= 1) return g;
  const double px_mm = ink.fine_dpi / 25.4;
  const int lo = std::max(4, int(std::lround(kGlyphMinMm * px_mm)));
  const int hi = int(std::lround(kGlyphMaxMm * px_mm));
  const int thin = std::max(2, int(std::lround(kGlyphMinWidthMm * px_mm)));
  std::vector<char> glyph(std::size_t(n), 0);
  int tall = 0, wide = 0;
  for (int k = 1; k < n; ++k) {
    const int w = stats.at<int>(k, cv::CC_STAT_WIDTH), h = stats.at<int>(k, cv::CC_STAT_HEIGHT);
    const int big = std::max(w, h), small = std::min(w, h);
    if (big < lo || big > hi || small < thin) continue;
    glyph[std::size_t(k)] = 1;
    tall += h > w;
    wide += w > h;
  }
  g.glyphs = tall + wide;
  if (g.glyphs < kMinGlyphs) return g;
  g.tall_share = double(tall) / g.glyphs;
  const double axis_z = std::abs(g.tall_share - 0.5) * 2 * std::sqrt(double(g.glyphs));
  g.axis_sure = std::clamp((axis_z - kGlyphZ) / kGlyphZSpan, 0.0, 1.0);
  const bool sideways = wide > tall;
  // Glyphs of the page's common size along their vertical: the text's
  // body (a line of digits or capitals is one height), not logos' pieces,
  // merged pairs or specks.
  std::vector<int> sizes;
  for (int k = 1; k < n; ++k)
    if (glyph[std::size_t(k)])
      sizes.push_back(stats.at<int>(k, sideways ? cv::CC_STAT_WIDTH : cv::CC_STAT_HEIGHT));
  std::nth_element(sizes.begin(), sizes.begin() + std::ptrdiff_t(sizes.size() / 2), sizes.end());
  const int common = sizes[sizes.size() / 2];
  if (common < kMinGlyphPixels) return g;
  for (int k = 1; k < n; ++k) {
    const int size = stats.at<int>(k, sideways ? cv::CC_STAT_WIDTH : cv::CC_STAT_HEIGHT);
    if (glyph[std::size_t(k)] && (size * 5 < common * 4 || size * 4 > common * 5)) glyph[std::size_t(k)] = 0;
  }
  // Ink in each glyph's two halves along its vertical.
  std::vector<std::array<int, 2>> halves(std::size_t(n), {0, 0});
  for (int y = 0; y < labels.rows; ++y) {
    const int* row = labels.ptr<int>(y);
    for (int x = 0; x < labels.cols; ++x) {
      const int k = row[x];
      if (k <= 0 || !glyph[std::size_t(k)]) continue;
      const int* st = stats.ptr<int>(k);
      // Twice the offset from the glyph's middle, so that odd sizes split evenly.
      const int off = sideways ? 2 * (x - st[cv::CC_STAT_LEFT]) - (st[cv::CC_STAT_WIDTH] - 1)
                               : 2 * (y - st[cv::CC_STAT_TOP]) - (st[cv::CC_STAT_HEIGHT] - 1);
      if (off < 0) ++halves[std::size_t(k)][0];
      else if (off > 0) ++halves[std::size_t(k)][1];
    }
  }
  double sum = 0, sq = 0;
  int counted = 0;
  for (int k = 1; k < n; ++k) {
    if (!glyph[std::size_t(k)]) continue;
    const auto [first, second] = halves[std::size_t(k)];
    if (first + second == 0) continue;
    const double v = double(first - second) / (first + second);
    sum += v, sq += v * v, ++counted;
  }
  if (counted < kMinGlyphs) return g;
  g.top_heavy = sum / counted;
  const double sd = std::sqrt(std::max(1e-12, sq / counted - g.top_heavy * g.top_heavy));
  const double z = std::abs(g.top_heavy) / (sd / std::sqrt(double(counted)));
  g.side_sure = std::clamp((z - kGlyphZ) / kGlyphZSpan, 0.0, 1.0);
  return g;
}

}  // namespace

OrientationMeasure MeasureOrientation(const InkMap& ink, double skew_degrees) {
  OrientationMeasure m;
  thread_local std::vector<cv::Point> points;
  InkPoints(ink, points);
  if (points.empty() || ink.dpi <= 0) return m;
  const Frame straight = Turn(points, ink.mask.size(), skew_degrees);
  m.axis_ratio = AxisRatioOf(straight, ink.dpi);
  const bool sideways = m.axis_ratio < 1;
  // Lines down the page: turned clockwise they run across, and read upright
  // if the page is at 90, upside down if at 270.
  const Votes v = ReadUpright(sideways ? Sideways(straight) : straight, ink.dpi);
  m.lines = v.lines;
  m.ascender_vote = v.ascender_weight > 0 ? v.ascender / v.ascender_weight : 0;
  const double spread = v.start_spread + v.end_spread;
  m.alignment_vote = spread > 0 ? (v.end_spread - v.start_spread) / spread : 0;

  // Each cue as sure as it is decisive and as the lines it rests on allow.
  // Square characters (CJK) fill their lines: the densest band spans most
  // of the line, where Latin's x-height spans about 0.5-0.7 of it. Their
  // top and bottom carry no ascenders and descenders: the cue is left out.
  const bool square_script = v.lines > 0 && v.core_sum / v.lines > kSquareScriptCore;
  if (square_script) m.ascender_vote = 0;
  const double ascender_lines = v.ascender_weight > 0 && !square_script ? double(v.lines) : 0;
  const double asc = std::clamp(m.ascender_vote / 0.15, -1.0, 1.0) * ascender_lines /
                     (ascender_lines + 6);
  const double align = std::clamp(m.alignment_vote / 0.4, -1.0, 1.0) * v.pairs / (v.pairs + 6.0);
  const double vote = asc + align;
  const bool upside_down = vote < 0;
  m.degrees = sideways ? (upside_down ? 270 : 90) : (upside_down ? 180 : 0);
  const double axis_sure = std::clamp((std::abs(std::log(m.axis_ratio)) - 0.1) / 0.5, 0.0, 1.0);
  // A line or two (a one-line note, a signature's caption) tells little,
  // however clear its cues.
  const double enough_lines = std::min(1.0, v.lines / kSureLines);
  m.confidence = std::clamp(std::min(axis_sure, std::abs(vote)) * enough_lines, 0.0, 1.0);

  // A page of many lines whose lines gave no sure answer: its glyphs'
  // shapes, where they are surer.
  if (m.confidence < kSureFromLines && v.lines >= kGlyphsFromLines) {
    const GlyphVotes g = ReadGlyphs(ink, skew_degrees);
    const double sure = std::min(g.axis_sure, g.side_sure);
    if (sure > m.confidence) {
      const bool glyph_sideways = g.tall_share < 0.5;
      const bool top_first = g.top_heavy > 0;
      // Tops pointing left (the first half of a sideways glyph): at 90.
      m.degrees = glyph_sideways ? (top_first ? 90 : 270) : (top_first ? 0 : 180);
      m.confidence = sure;
    }
  }
  return m;
}

}  // namespace scangate
