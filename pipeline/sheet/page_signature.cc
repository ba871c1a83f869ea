// See page_signature.h. Handwriting stands out of a typed page by size and
// by shape: marks well above the text height that are not rulings, not a
// row of equal letters (a printed heading), not crammed like a logo, and
// whose strokes run in many directions and not upright. Such marks near one
// another form a candidate; the page's score is its best candidate's.
// Measured on Tobacco-800 (bench/summary_bench.cc).
#include "pipeline/sheet/page_signature.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "pipeline/sheet/form_registration.h"
#include "pipeline/sheet/signature.h"

namespace scangate {
namespace {

constexpr int kInkDarkness = 64;
// Rulings: straight runs at least this long are taken out first, so that a
// signature on its line is judged without the line.
constexpr double kRulingMm = 12;
// Letterheads (logos, script lettering) live in the top band of a page;
// signatures do not.
constexpr double kLetterheadMm = 30;
// Marks this close to the image edge are scanner edge and punch-hole noise.
constexpr double kEdgeMm = 3;

double Ramp(double v, double from, double to) { return std::clamp((v - from) / (to - from), 0.0, 1.0); }

struct Mark {
  cv::Rect box;
  bool printed = false;
  int cluster = -1;
};

// Thin (a straight pen or printed line) by its second moments.
bool IsLine(const cv::Mat& labels, int id, const cv::Rect& box, double px_per_mm) {
  const cv::Moments mo = cv::moments(labels(box) == id, true);
  if (mo.m00 <= 0) return true;
  const double a = mo.mu20 / mo.m00, b = mo.mu11 / mo.m00, c = mo.mu02 / mo.m00;
  const double root = std::sqrt(std::max(0.0, (a - c) * (a - c) / 4 + b * b));
  return std::sqrt(std::max(0.0, (a + c) / 2 - root)) / px_per_mm < 0.45;
}

}  // namespace

SignatureMeasure MeasurePageSignature(const InkMap& ink) {
  SignatureMeasure m;
  m.zone = "page";
  if (ink.fine.empty() || ink.fine_dpi <= 0) return m;
  const double ppm = ink.fine_dpi / 25.4;
  const cv::Mat dark = Darkness(ink.fine, ink.fine_dpi, 2.5);
  cv::Mat strokes = dark >= kInkDarkness;
  {
    const int run = int(kRulingMm * ppm);
    cv::Mat across, along;
    cv::morphologyEx(strokes, across, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_RECT, {run, 1}));
    cv::morphologyEx(strokes, along, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_RECT, {1, run}));
    cv::Mat rulings = across | along;
    cv::dilate(rulings, rulings, cv::Mat());
    strokes.setTo(0, rulings);
  }
  // Scans in black and white break thin pen lines: close one-pixel gaps.
  cv::Mat joined;
  cv::morphologyEx(strokes, joined, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_CROSS, {3, 3}));
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(joined, labels, stats, centroids, 8, CV_32S);
  auto box_of = [&](int i) {
    return cv::Rect(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                    stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
  };
  // The page's text height: the median height of letter-sized marks.
  std::vector<double> heights;
  for (int i = 1; i < n; ++i) {
    const double h = stats.at<int>(i, cv::CC_STAT_HEIGHT) / ppm;
    if (h > 1 && h < 6) heights.push_back(h);
  }
  double text = 2.5;
  if (!heights.empty()) {
    std::nth_element(heights.begin(), heights.begin() + heights.size() / 2, heights.end());
    text = heights[heights.size() / 2];
  }
  const double width_mm = joined.cols / ppm, height_mm = joined.rows / ppm;
  std::vector<Mark> marks;
  for (int i = 1; i < n; ++i) {
    const cv::Rect r = box_of(i);
    const double x = r.x / ppm, y = r.y / ppm, w = r.width / ppm, h = r.height / ppm;
    if (h > 60 || w > 120) continue;  // frames and borders
    if (x < kEdgeMm || y < kEdgeMm || x + w > width_mm - kEdgeMm || y + h > height_mm - kEdgeMm) continue;
    if (y < kLetterheadMm) continue;
    const bool tall = h >= std::max(1.8 * text, 3.5) || (w >= 10 && h >= 1.3 * text);
    if (!tall || IsLine(labels, i, r, ppm)) continue;
    marks.push_back({r});
  }
  // A printed heading: three or more marks of one height on one line.
  for (Mark& a : marks) {
    int same = 0;
    for (const Mark& b : marks) {
      if (&a == &b) continue;
      const double h = std::max(a.box.height, b.box.height);
      if (std::abs(a.box.y - b.box.y) <= 0.08 * h && std::abs(a.box.br().y - b.box.br().y) <= 0.08 * h &&
          std::abs(a.box.height - b.box.height) <= 0.1 * h &&
          std::abs((a.box.x + a.box.width / 2) - (b.box.x + b.box.width / 2)) < 6 * h)
        ++same;
    }
    a.printed = same >= 2;
  }
  // Candidates: marks within a few millimetres of one another.
  const int gap = int(std::max(2 * text, 4.0) * ppm);
  int clusters = 0;
  for (std::size_t i = 0; i < marks.size(); ++i) {
    if (marks[i].printed || marks[i].cluster >= 0) continue;
    marks[i].cluster = clusters;
    std::vector<std::size_t> todo{i};
    while (!todo.empty()) {
      const cv::Rect a = marks[todo.back()].box;
      todo.pop_back();
      const cv::Rect reach(a.x - gap, a.y - gap / 2, a.width + 2 * gap, a.height + gap);
      for (std::size_t j = 0; j < marks.size(); ++j)
        if (!marks[j].printed && marks[j].cluster < 0 && (reach & marks[j].box).area() > 0) {
          marks[j].cluster = clusters;
          todo.push_back(j);
        }
    }
    ++clusters;
  }
  for (int c = 0; c < clusters; ++c) {
    cv::Rect box;
    for (const Mark& mk : marks)
      if (mk.cluster == c) box = box.empty() ? mk.box : (box | mk.box);
    const StrokeFeatures f = MeasureStrokes(strokes(box), dark(box), ppm);
    const double w = box.width / ppm, h = box.height / ppm;
    const double density = f.length_mm / std::max(1.0, w * h);  // mm of stroke per mm^2
    const double score = std::min({Ramp(f.length_mm, 30, 60), Ramp(w, 12, 22), Ramp(0.55 - density, 0, 0.15),
                                   Ramp(0.62 - f.focus, 0, 0.12), Ramp(0.3 - f.upright, 0, 0.1)});
    m.score = std::max(m.score, score);
  }
  return m;
}

}  // namespace scangate
