// See ink.h. Halving by 2x2 box averages is the one full-resolution pass
// (OpenCV's exact-half path is vectorised; odd sizes would leave it). Ink is
// judged against the local paper level, not a global threshold, so uneven
// lighting and tinted paper do not turn a page grey, and relative to that
// level (a quarter darker), which keeps faint show-through out.
#include "pipeline/image/ink.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace scangate {
namespace {

void Halve(const cv::Mat& src, cv::Mat& out) {
  cv::Mat even = src(cv::Rect(0, 0, src.cols & ~1, src.rows & ~1));
  cv::resize(even, out, cv::Size(even.cols / 2, even.rows / 2), 0, 0, cv::INTER_AREA);
}

double Percentile(const cv::Mat& gray, double q) {
  int hist[256] = {};
  for (int y = 0; y < gray.rows; ++y) {
    const std::uint8_t* row = gray.ptr<std::uint8_t>(y);
    for (int x = 0; x < gray.cols; ++x) ++hist[row[x]];
  }
  const double target = q * double(gray.total());
  double seen = 0;
  for (int v = 0; v < 256; ++v)
    if ((seen += hist[v]) >= target) return v;
  return 255;
}

// Spread of the two-row difference over a sparse sample; the median keeps
// the few samples on ink edges from counting.
double DifferenceNoise(const cv::Mat& fine) {
  int hist[256] = {};
  int n = 0;
  for (int y = 1; y + 1 < fine.rows; y += 7) {
    const std::uint8_t* above = fine.ptr<std::uint8_t>(y - 1);
    const std::uint8_t* below = fine.ptr<std::uint8_t>(y + 1);
    for (int x = 0; x < fine.cols; x += 5) ++hist[std::abs(below[x] - above[x])], ++n;
  }
  int seen = 0;
  for (int v = 0; v < 256; ++v)
    if ((seen += hist[v]) * 2 >= n) return (v + 0.5) / 0.6745;
  return 0;
}

// Dark regions reaching the image edge: the scanner lid or a black border.
// One breadth-first flood from every dark edge pixel at once (cv::floodFill
// per seed costs an allocation each, and a noisy edge has hundreds of seeds).
// Returns whether there is any.
bool DarkBorder(const cv::Mat& coarse, double paper, cv::Mat& border, std::vector<int>& queue) {
  const int w = coarse.cols, h = coarse.rows;
  const std::uint8_t dark = cv::saturate_cast<std::uint8_t>(paper * 0.5);
  border.create(h, w, CV_8U);
  border.setTo(0);
  queue.clear();
  auto push = [&](int x, int y) {
    std::uint8_t& b = border.at<std::uint8_t>(y, x);
    if (!b && coarse.at<std::uint8_t>(y, x) < dark) {
      b = 255;
      queue.push_back(y * w + x);
    }
  };
  for (int x = 0; x < w; ++x) push(x, 0), push(x, h - 1);
  for (int y = 0; y < h; ++y) push(0, y), push(w - 1, y);
  for (std::size_t i = 0; i < queue.size(); ++i) {
    const int x = queue[i] % w, y = queue[i] / w;
    if (x > 0) push(x - 1, y);
    if (x + 1 < w) push(x + 1, y);
    if (y > 0) push(x, y - 1);
    if (y + 1 < h) push(x, y + 1);
  }
  if (queue.empty()) return false;
  cv::dilate(border, border, cv::Mat());
  return true;
}

}  // namespace

void FindInk(const cv::Mat& gray, double page_dpi, InkMap& ink) {
  // Kept to a range where the kernel sizes below stay small integers.
  const double dpi =
      std::isfinite(page_dpi) && page_dpi > 0 ? std::clamp(page_dpi, 25.0, 4800.0) : 300;
  InkMap::Workspace& work = ink.work;
  cv::Mat level = gray;
  double level_dpi = dpi;
  int factor = 1, halvings = 0;
  auto halve = [&] {
    Halve(level, work.halves[halvings]);
    level = work.halves[halvings++];
    level_dpi /= 2, factor *= 2;
  };
  while (level_dpi / 2 >= 99.5 && level.cols >= 128 && level.rows >= 128 && halvings < 3) halve();
  ink.fine = level;
  ink.fine_dpi = level_dpi;
  ink.fine_scale = 1.0 / factor;
  while (level_dpi / 2 >= 74.5 && level.cols >= 128 && level.rows >= 128 && halvings < 4) halve();
  ink.coarse = level;
  ink.dpi = level_dpi;
  ink.scale = 1.0 / factor;
  const cv::Mat& coarse = ink.coarse;
  if (coarse.empty()) return;

  ink.paper = std::max(1.0, Percentile(coarse, 0.97));
  ink.fine_noise = DifferenceNoise(ink.fine);
  // The paper under the ink: the brightest pixel within ~2.5 mm, wider than
  // any stroke of body text. Ink: a quarter darker than that.
  const int k = 2 * int(std::lround(ink.dpi / 25.4)) + 1;
  cv::dilate(coarse, work.paper_level, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(k, k)));
  ink.mask.create(coarse.size(), CV_8U);
  for (int y = 0; y < coarse.rows; ++y) {
    const std::uint8_t* g = coarse.ptr<std::uint8_t>(y);
    const std::uint8_t* p = work.paper_level.ptr<std::uint8_t>(y);
    std::uint8_t* m = ink.mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < coarse.cols; ++x) m[x] = 4 * g[x] < 3 * p[x] ? 255 : 0;
  }
  if (DarkBorder(coarse, ink.paper, ink.border, work.flood)) {
    ink.mask.setTo(0, ink.border);
    cv::dilate(ink.border, ink.near_border, cv::Mat(), {-1, -1}, 2);
  } else {
    ink.near_border.create(coarse.size(), CV_8U);
    ink.near_border.setTo(0);
  }
}

InkMap FindInk(const cv::Mat& gray, double page_dpi) {
  InkMap ink;
  FindInk(gray, page_dpi, ink);
  return ink;
}

}  // namespace scangate
