// See blank.h. Ink is counted as marks, not pixels: each connected mark of
// the ink mask weighs its darkness-weighted area (mm^2 of full toner), and
// marks that are not content are left out: specks (dust, sensor noise) by
// their weight, marks touching the image edge or a dark border (shadows,
// lid, black bands) by where they are, filing holes by shape and place. A
// short printed line or a signature weighs ten or more mm^2; what survives
// on a blank back weighs a few.
//
// Marks are found as runs of ink joined row to row (8-connected): a nearly
// empty page costs one pass over its bytes, skipped eight at a time.
//
// Ink is judged against the paper's own level, so a page scanned with the
// lamp off has no ink on it: its "paper" is black. Its tones tell it apart:
// even the brightest thousandth of it stays dark, and its darkest thousandth
// is no darker (no print on a paper lit too dimly).
#include "pipeline/image/blank.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace scangate {
namespace {

// Lighter marks than this are dust: about a printed full stop.
constexpr double kMinMarkMm2 = 0.3;
// More ink than this share of the page is no blank page: skip the marks.
constexpr double kSurelyInked = 0.01;

// A scanner's calibration strip or the edge of an open lid can light a few
// rows of a page that is black otherwise: its tones are read inside this.
constexpr double kToneMarginMm = 5;
// Share of the page the two tone levels leave above and below them.
constexpr double kToneTail = 0.001;

// The levels kToneTail of the page is brighter, and darker, than.
void MeasureTones(const InkMap& ink, BlankMeasure& m) {
  const cv::Mat& gray = ink.coarse;
  const int margin = int(std::lround(kToneMarginMm * ink.dpi / 25.4));
  cv::Rect inner(0, 0, gray.cols, gray.rows);
  if (gray.cols > 4 * margin && gray.rows > 4 * margin)
    inner = cv::Rect(margin, margin, gray.cols - 2 * margin, gray.rows - 2 * margin);
  std::uint64_t histogram[256] = {};
  for (int y = inner.y; y < inner.y + inner.height; ++y) {
    const std::uint8_t* row = gray.ptr<std::uint8_t>(y);
    for (int x = inner.x; x < inner.x + inner.width; ++x) ++histogram[row[x]];
  }
  const double tail = kToneTail * double(inner.area());
  double seen = 0;
  int dark = 0, bright = 255;
  while (dark < 255 && (seen += double(histogram[dark])) <= tail) ++dark;
  seen = 0;
  while (bright > 0 && (seen += double(histogram[bright])) <= tail) --bright;
  m.dark_level = dark;
  m.bright_level = bright;
}

struct Run {
  int y, x0, x1;  // [x0, x1)
};

struct Mark {
  double weight = 0;  // darkness-weighted pixels
  int left = 1 << 30, top = 1 << 30, right = -1, bottom = -1;
  bool at_edge = false;
};

int Root(std::vector<int>& parent, int i) {
  while (parent[std::size_t(i)] != i) i = parent[std::size_t(i)] = parent[std::size_t(parent[std::size_t(i)])];
  return i;
}

void FindRuns(const cv::Mat& mask, std::vector<Run>& runs, std::vector<int>& row_start) {
  row_start.assign(std::size_t(mask.rows) + 1, 0);
  for (int y = 0; y < mask.rows; ++y) {
    row_start[std::size_t(y)] = int(runs.size());
    const std::uint8_t* m = mask.ptr<std::uint8_t>(y);
    int x = 0;
    while (x < mask.cols) {
      if (x + 8 <= mask.cols) {
        std::uint64_t word;
        std::memcpy(&word, m + x, 8);
        if (!word) {
          x += 8;
          continue;
        }
      }
      if (!m[x]) {
        ++x;
        continue;
      }
      const int start = x;
      while (x < mask.cols && m[x]) ++x;
      runs.push_back({y, start, x});
    }
  }
  row_start[std::size_t(mask.rows)] = int(runs.size());
}

bool LooksLikePunchHole(const Mark& mark, cv::Size page, double px_per_mm) {
  const double w = (mark.right - mark.left + 1) / px_per_mm, h = (mark.bottom - mark.top + 1) / px_per_mm;
  if (w < 3.5 || w > 9 || h < 3.5 || h > 9 || w > 1.6 * h || h > 1.6 * w) return false;
  const double cx = (mark.left + mark.right + 1) / 2.0 / px_per_mm;
  const double cy = (mark.top + mark.bottom + 1) / 2.0 / px_per_mm;
  const double right = page.width / px_per_mm - cx, bottom = page.height / px_per_mm - cy;
  return std::min({cx, cy, right, bottom}) < 20;
}

}  // namespace

BlankMeasure MeasureBlank(const InkMap& ink) {
  BlankMeasure m;
  if (ink.mask.empty() || ink.coarse.empty()) return m;
  MeasureTones(ink, m);
  const double page = double(ink.mask.total());
  const double inked = cv::countNonZero(ink.mask);
  if (inked > kSurelyInked * page) {
    m.ink_ratio = inked / page;
    m.largest_mark_ratio = m.ink_ratio;
    return m;
  }
  std::vector<Run> runs;
  std::vector<int> row_start;
  FindRuns(ink.mask, runs, row_start);

  // Join runs that touch across rows (8-connected).
  std::vector<int> parent(runs.size());
  std::iota(parent.begin(), parent.end(), 0);
  for (int y = 1; y < ink.mask.rows; ++y) {
    int a = row_start[std::size_t(y - 1)], a_end = row_start[std::size_t(y)];
    const int b_end = row_start[std::size_t(y + 1)];
    for (int b = a_end; b < b_end && a < a_end; ++b) {
      while (a < a_end && runs[std::size_t(a)].x1 < runs[std::size_t(b)].x0) ++a;
      for (int k = a; k < a_end && runs[std::size_t(k)].x0 <= runs[std::size_t(b)].x1; ++k) {
        const int ra = Root(parent, k), rb = Root(parent, b);
        if (ra != rb) parent[std::size_t(std::max(ra, rb))] = std::min(ra, rb);
      }
    }
  }

  // Weight: how much darker than the paper, full toner (three quarters
  // darker) counting one. Near a dark border: not content.
  const float paper = float(ink.paper), darkest = float(ink.paper * 0.75);
  const cv::Mat& edge_zone = ink.near_border;
  std::vector<Mark> marks(runs.size());
  const int last_x = ink.mask.cols - 1, last_y = ink.mask.rows - 1;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const Run& r = runs[i];
    Mark& mark = marks[std::size_t(Root(parent, int(i)))];
    const std::uint8_t* gray = ink.coarse.ptr<std::uint8_t>(r.y);
    for (int x = r.x0; x < r.x1; ++x) mark.weight += std::clamp((paper - gray[x]) / darkest, 0.f, 1.f);
    mark.left = std::min(mark.left, r.x0);
    mark.right = std::max(mark.right, r.x1 - 1);
    mark.top = std::min(mark.top, r.y);
    mark.bottom = std::max(mark.bottom, r.y);
    if (r.x0 == 0 || r.x1 - 1 == last_x || r.y == 0 || r.y == last_y) mark.at_edge = true;
    const std::uint8_t* zone = edge_zone.ptr<std::uint8_t>(r.y);
    for (int x = r.x0; x < r.x1 && !mark.at_edge; ++x) mark.at_edge = zone[x] != 0;
  }

  const double px_per_mm = ink.dpi / 25.4, px_mm2 = 1 / (px_per_mm * px_per_mm);
  double total = 0, largest = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (parent[i] != int(i)) continue;
    const Mark& mark = marks[i];
    if (mark.at_edge || mark.weight * px_mm2 < kMinMarkMm2) continue;
    if (LooksLikePunchHole(mark, ink.mask.size(), px_per_mm)) continue;
    total += mark.weight;
    largest = std::max(largest, mark.weight);
  }
  m.ink_ratio = total / page;
  m.largest_mark_ratio = largest / page;
  return m;
}

}  // namespace scangate
