// See page_signature.h. Candidates are found as before: marks well above the
// text height that are not rulings, not a row of equal letters (a printed
// heading), outside the letterhead band, grouped when near one another. What
// decides is no longer a set of hand-set ramps but a small boosted-trees
// model (OpenCV ml) over a compact description of each candidate, trained by
// `scangate-train-page-signature` on generated pages (handwritten
// signatures of many styles on printed matter of many kinds, some of it the
// tuning split's real printed scans; no Tobacco-800 page) and bundled as
// page_signature_model.yml. Hand-set ramps fitted to the Tobacco-800 pages
// the project had learned those pages: on pages nobody tuned on they read
// headings, music titles and tickets as signatures. They still count where
// the model does not rule a candidate out (kModelGate): the generator's
// signatures do not cover every real hand.
#include "pipeline/sheet/page_signature.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <opencv2/ml.hpp>

#include "pipeline/sheet/form_registration.h"
#include "pipeline/sheet/signature.h"

namespace scangate {

// page_signature_model.yml, built in: its pieces, then a null.
extern const char* const kPageSignatureModel[];

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
// Below this probability the model rules a candidate out (headlines, music,
// tickets, logos: what the former ramps read as signatures); above it the
// ramps may still find it a signature. Chosen on the Tobacco-800 tuning split
// between 0.001 and 0.01, which scored alike there: the stricter.
constexpr double kModelGate = 0.01;

struct Mark {
  cv::Rect box;
  int label = 0;
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

double Ramp(double v, double from, double to) { return std::clamp((v - from) / (to - from), 0.0, 1.0); }

// Sets `runs` to 255 on every pixel of a row run of `ink` at least `length`
// long.
void MarkRuns(const cv::Mat& ink, cv::Mat& runs, int length) {
  for (int y = 0; y < ink.rows; ++y) {
    const std::uint8_t* in = ink.ptr<std::uint8_t>(y);
    std::uint8_t* out = runs.ptr<std::uint8_t>(y);
    for (int x = 0; x < ink.cols;) {
      if (!in[x]) {
        ++x;
        continue;
      }
      const int from = x;
      while (x < ink.cols && in[x]) ++x;
      if (x - from >= length) std::fill(out + from, out + x, std::uint8_t(255));
    }
  }
}

// The same down the columns, row by row (no transposed copies): each
// column's current run is counted, and marked when it ends long enough.
void MarkColumnRuns(const cv::Mat& ink, cv::Mat& runs, int length) {
  std::vector<int> count(std::size_t(ink.cols), 0);
  auto mark = [&](int x, int end) {
    for (int y = end - count[std::size_t(x)]; y < end; ++y) runs.at<std::uint8_t>(y, x) = 255;
  };
  for (int y = 0; y < ink.rows; ++y) {
    const std::uint8_t* in = ink.ptr<std::uint8_t>(y);
    for (int x = 0; x < ink.cols; ++x) {
      int& c = count[std::size_t(x)];
      if (in[x]) {
        ++c;
      } else if (c) {
        if (c >= length) mark(x, y);
        c = 0;
      }
    }
  }
  for (int x = 0; x < ink.cols; ++x)
    if (count[std::size_t(x)] >= length) mark(x, ink.rows);
}

// connectedComponentsWithStats' box and area columns, from the labels in
// one pass (its own statistics cost several times the labelling).
cv::Mat Stats(const cv::Mat& labels, int n) {
  cv::Mat stats(n, 5, CV_32S);
  for (int i = 0; i < n; ++i) {
    int* s = stats.ptr<int>(i);
    s[cv::CC_STAT_LEFT] = labels.cols, s[cv::CC_STAT_TOP] = labels.rows;
    s[cv::CC_STAT_WIDTH] = -1, s[cv::CC_STAT_HEIGHT] = -1, s[cv::CC_STAT_AREA] = 0;  // right, bottom for now
  }
  for (int y = 0; y < labels.rows; ++y) {
    const int* l = labels.ptr<int>(y);
    for (int x = 0; x < labels.cols; ++x) {
      if (!l[x]) continue;
      int* s = stats.ptr<int>(l[x]);
      s[cv::CC_STAT_LEFT] = std::min(s[cv::CC_STAT_LEFT], x);
      s[cv::CC_STAT_WIDTH] = std::max(s[cv::CC_STAT_WIDTH], x);
      s[cv::CC_STAT_TOP] = std::min(s[cv::CC_STAT_TOP], y);
      s[cv::CC_STAT_HEIGHT] = y;
      ++s[cv::CC_STAT_AREA];
    }
  }
  for (int i = 1; i < n; ++i) {
    int* s = stats.ptr<int>(i);
    s[cv::CC_STAT_WIDTH] = s[cv::CC_STAT_WIDTH] - s[cv::CC_STAT_LEFT] + 1;
    s[cv::CC_STAT_HEIGHT] = s[cv::CC_STAT_HEIGHT] - s[cv::CC_STAT_TOP] + 1;
  }
  return stats;
}

const cv::ml::Boost* Model() {
  static std::once_flag once;
  static cv::Ptr<cv::ml::Boost> model;
  std::call_once(once, [] {
    std::string text;
    for (const char* const* piece = kPageSignatureModel; *piece; ++piece) text += *piece;
    if (text.empty()) return;
    try {
      cv::Ptr<cv::ml::Boost> m = cv::Algorithm::loadFromString<cv::ml::Boost>(text);
      if (m && m->isTrained()) model = m;
    } catch (const cv::Exception&) {
    }
  });
  return model.get();
}

}  // namespace

double PageSignatureProbability(const PageSignatureFeatures& features) {
  const cv::ml::Boost* model = Model();
  if (!model) return 0;
  const cv::Mat sample(1, kPageSignatureFeatures, CV_32F, const_cast<float*>(features.data()));
  // Real AdaBoost's sum over the trees (PREDICT_SUM: without it RAW_OUTPUT
  // gives only the class index) is half the log-odds of the second class
  // (1: a signature).
  const double sum = model->predict(sample, cv::noArray(), int(cv::ml::DTrees::PREDICT_SUM) | int(cv::ml::StatModel::RAW_OUTPUT));
  return 1 / (1 + std::exp(-2 * sum));
}

std::vector<PageSignatureCandidate> PageSignatureCandidates(const InkMap& ink) {
  std::vector<PageSignatureCandidate> out;
  if (ink.fine.empty() || ink.fine_dpi <= 0) return out;
  const double ppm = ink.fine_dpi / 25.4;
  const cv::Mat dark = Darkness(ink.fine, ink.fine_dpi, 2.5);
  cv::Mat strokes = dark >= kInkDarkness;
  {
    // Pixels of straight runs at least kRulingMm long, across and along:
    // an opening with a line, as a scan of the runs (far cheaper).
    const int run = int(kRulingMm * ppm);
    cv::Mat rulings(strokes.size(), CV_8U, cv::Scalar(0));
    MarkRuns(strokes, rulings, run);
    MarkColumnRuns(strokes, rulings, run);
    cv::dilate(rulings, rulings, cv::Mat());
    strokes.setTo(0, rulings);
  }
  // Scans in black and white break thin pen lines: close one-pixel gaps.
  cv::Mat joined;
  cv::morphologyEx(strokes, joined, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_CROSS, {3, 3}));
  cv::Mat labels;
  const int n = cv::connectedComponents(joined, labels, 8, CV_32S);
  const cv::Mat stats = Stats(labels, n);
  auto box_of = [&](int i) {
    return cv::Rect(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                    stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
  };
  // The page's text height (the median height of letter-sized marks) and
  // its type's stroke width (area over half the outline, roughly: area over
  // the larger side).
  std::vector<double> heights;
  double text_area = 0, text_run = 0;
  for (int i = 1; i < n; ++i) {
    const double h = stats.at<int>(i, cv::CC_STAT_HEIGHT) / ppm;
    if (h > 1 && h < 6) {
      heights.push_back(h);
      text_area += stats.at<int>(i, cv::CC_STAT_AREA);
      text_run += std::max(stats.at<int>(i, cv::CC_STAT_HEIGHT), stats.at<int>(i, cv::CC_STAT_WIDTH));
    }
  }
  double text = 2.5;
  if (!heights.empty()) {
    std::nth_element(heights.begin(), heights.begin() + heights.size() / 2, heights.end());
    text = heights[heights.size() / 2];
  }
  const double text_stroke_mm = text_run > 0 ? text_area / text_run / ppm : 0.3;
  const double width_mm = joined.cols / ppm, height_mm = joined.rows / ppm;
  std::vector<Mark> marks;
  for (int i = 1; i < n; ++i) {
    const cv::Rect r = box_of(i);
    const double x = r.x / ppm, y = r.y / ppm, w = r.width / ppm, h = r.height / ppm;
    if (h > 60 || w > 120) continue;  // frames and borders
    if (x < kEdgeMm || y < kEdgeMm || x + w > width_mm - kEdgeMm || y + h > height_mm - kEdgeMm) continue;
    if (y < kLetterheadMm) continue;
    const bool tall = h >= std::max(1.5 * text, 3.0) || (w >= 8 && h >= 1.2 * text);
    if (!tall || IsLine(labels, i, r, ppm)) continue;
    marks.push_back({r, i});
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
    int members = 0;
    double area = 0;
    for (const Mark& mk : marks)
      if (mk.cluster == c) {
        box = box.empty() ? mk.box : (box | mk.box);
        ++members;
        area += stats.at<int>(mk.label, cv::CC_STAT_AREA);
      }
    // The candidate's own marks: typed lines its box takes in (a closing, the
    // typed name under a signature) are not measured as its strokes.
    cv::Mat own(box.size(), CV_8U, cv::Scalar(0));
    {
      std::vector<std::uint8_t> member(std::size_t(n), 0);
      for (const Mark& mk : marks)
        if (mk.cluster == c) member[std::size_t(mk.label)] = 1;
      for (int y = 0; y < box.height; ++y) {
        const int* l = labels.ptr<int>(box.y + y) + box.x;
        const std::uint8_t* st = strokes.ptr<std::uint8_t>(box.y + y) + box.x;
        std::uint8_t* o = own.ptr<std::uint8_t>(y);
        for (int x = 0; x < box.width; ++x) o[x] = member[std::size_t(l[x])] && st[x] ? 255 : 0;
      }
    }
    const StrokeFeatures f = MeasureStrokes(own, dark(box), ppm);
    const double w = box.width / ppm, h = box.height / ppm;
    const double box_area = std::max(1.0, w * h);
    // Holes (closed loops) per mark: type's o, e, a and b against a pen's
    // few loops.
    std::vector<std::vector<cv::Point>> contours;
    std::vector<cv::Vec4i> hierarchy;
    cv::findContours(own.clone(), contours, hierarchy, cv::RETR_CCOMP, cv::CHAIN_APPROX_SIMPLE);
    int holes = 0;
    for (const cv::Vec4i& hv : hierarchy) holes += hv[3] >= 0;
    const double stroke_mm = f.length_mm > 0 ? area / (ppm * ppm) / f.length_mm : 0;
    PageSignatureCandidate cand;
    cand.box = box;
    cand.features = {float(w),
                     float(h),
                     float(h / text),
                     float(std::log(std::max(0.05, w / std::max(0.1, h)))),
                     float(f.length_mm),
                     float(f.length_mm / box_area),
                     float(f.focus),
                     float(f.upright),
                     float(f.axis_alignment),
                     float(f.complexity),
                     float(f.letters),
                     float(f.level_letters),
                     float(f.letter_aspect),
                     float(f.weight),
                     float(area / (ppm * ppm) / box_area),
                     float(holes / double(members)),
                     float(stroke_mm / std::max(0.05, text_stroke_mm))};
    cand.score = PageSignatureProbability(cand.features);
    if (cand.score >= kModelGate) {
      // The former hand-set ramps (long strokes, wide, not dense, many
      // directions, not upright) still speak for a candidate the model does
      // not rule out: real signatures the generator does not draw.
      const double density = f.length_mm / box_area;
      const double hand = std::min({Ramp(f.length_mm, 30, 60), Ramp(w, 12, 22), Ramp(0.55 - density, 0, 0.15),
                                    Ramp(0.62 - f.focus, 0, 0.12), Ramp(0.3 - f.upright, 0, 0.1)});
      cand.score = std::max(cand.score, hand);
    }
    out.push_back(cand);
  }
  return out;
}

SignatureMeasure MeasurePageSignature(const InkMap& ink) {
  SignatureMeasure m;
  m.zone = "page";
  for (const PageSignatureCandidate& c : PageSignatureCandidates(ink)) m.score = std::max(m.score, c.score);
  return m;
}

}  // namespace scangate
