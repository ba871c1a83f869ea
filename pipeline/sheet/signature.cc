// See signature.h. Stamps are taken out first (seal red on colour pages; a
// closed outline and everything inside it on any page), then straight pen
// lines and specks. What is left is judged as strokes: long enough, wide
// enough, turning often (a tick turns once), and not set along the page's
// axes the way type is.
#include "pipeline/sheet/signature.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "pipeline/sheet/seal.h"

namespace scangate {
namespace {

constexpr double kSpeckMm2 = 0.25;
// A pen line: long and no wider than a broad pen.
constexpr double kLineMinMm = 5, kLineMaxSpreadMm = 0.4;
// Office seals pressed over a signature box: 18 to 52 mm across. Smaller
// outlines are too easily traced around a written character; square stamps
// (name stamps 12-24 mm, office stamps up to 30 mm) are found by their frame
// instead.
constexpr double kStampMinRadiusMm = 9, kStampMaxRadiusMm = 26;
constexpr double kNameStampMinMm = 12, kNameStampMaxMm = 32;
// How far around the box stamps are looked for.
constexpr double kStampSearchMm = 12;
constexpr double kStampScore = 0.5;
// By shape alone (no seal red to confirm it), an outline inked in under half
// its directions is as easily traced through a signature's own loops and a
// neighbouring box's stamp: it takes everything inside it away only when
// it is well closed or its outer ink runs smoothly around half the turn
// (SealScore 1).
constexpr double kShapeStampScore = 1;
// A ring traced through a signature's loops and its underline is inked
// over about half the turn, with no smooth outer arc: by shape alone a
// stamp's outline must be inked over more than that, or show the smooth
// outer arc of a stamp pressed crooked (SealScore's partial arc at 1).
constexpr double kShapeStampCoverage = 0.55, kShapeStampArc = 0.5;
// Darkness (of 255) by which a pen stroke under a stamp outdoes the stamp's ink.
constexpr int kPenOverStamp = 60;
// How far past a stamp's disc its own marks may reach.
constexpr double kStampSpillMm = 6;
// Left-overs of a red seal: marks with this share of their ink within
// kBesideRedMm of its red.
constexpr double kBesideRedMm = 1.0, kBesideRedShare = 0.8;

double Ramp(double v, double from, double to) { return std::clamp((v - from) / (to - from), 0.0, 1.0); }

// Square frames of stamps: one mark, 12-32 mm a side, nearly square,
// most of its ink within 1.5 mm of its bounding rectangle's sides.
std::vector<cv::RotatedRect> NameStampFrames(const cv::Mat& strokes, double px_per_mm) {
  std::vector<cv::RotatedRect> frames;
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(strokes, labels, stats, centroids, 8, CV_32S);
  const double lo = kNameStampMinMm * px_per_mm, hi = kNameStampMaxMm * px_per_mm * 1.2;
  for (int i = 1; i < n; ++i) {
    const int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
    if (w < lo || h < lo || w > hi || h > hi) continue;
    const cv::Rect box(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP), w, h);
    std::vector<cv::Point> points;
    for (int y = box.y; y < box.br().y; ++y)
      for (int x = box.x; x < box.br().x; ++x)
        if (labels.at<int>(y, x) == i) points.push_back({x, y});
    const cv::RotatedRect rect = cv::minAreaRect(points);
    const double a = std::max(rect.size.width, rect.size.height), b = std::min(rect.size.width, rect.size.height);
    if (b < lo || a > kNameStampMaxMm * px_per_mm || a > 1.35 * b) continue;
    const double angle = rect.angle * CV_PI / 180, c = std::cos(angle), s = std::sin(angle);
    const double band = 1.5 * px_per_mm;
    int on_sides = 0;
    for (const cv::Point& p : points) {
      const double dx = p.x - rect.center.x, dy = p.y - rect.center.y;
      const double u = std::abs(dx * c + dy * s), v = std::abs(-dx * s + dy * c);
      on_sides += u >= rect.size.width / 2 - band || v >= rect.size.height / 2 - band;
    }
    if (on_sides >= 0.7 * points.size()) frames.push_back(rect);
  }
  return frames;
}

// Takes a stamp out of `strokes` (the pixels in `area`), keeping only what is
// clearly darker than the stamp's own ink: a pen stroke under a red seal on a
// gray scan. (On a 1-bit scan nothing inside can be told apart.)
void RemoveStamp(cv::Mat& strokes, const cv::Mat& area, const cv::Mat& darkness) {
  std::vector<std::uint8_t> levels;
  for (int y = 0; y < area.rows; ++y)
    for (int x = 0; x < area.cols; ++x)
      if (area.at<std::uint8_t>(y, x) && strokes.at<std::uint8_t>(y, x))
        levels.push_back(darkness.at<std::uint8_t>(y, x));
  if (levels.empty()) return;
  std::nth_element(levels.begin(), levels.begin() + levels.size() / 2, levels.end());
  const int pen = levels[levels.size() / 2] + kPenOverStamp;
  strokes.setTo(0, area & (darkness < pen));
}

// The marks of `strokes` with at least `share` of their ink inside `area`.
cv::Mat MarksWithin(const cv::Mat& strokes, const cv::Mat& area, double share) {
  cv::Mat labels;
  const int n = cv::connectedComponents(strokes, labels, 8, CV_32S);
  std::vector<int> inside(n, 0), all(n, 0);
  for (int y = 0; y < labels.rows; ++y) {
    const int* l = labels.ptr<int>(y);
    const std::uint8_t* a = area.ptr<std::uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x)
      if (l[x]) ++all[l[x]], inside[l[x]] += a[x] != 0;
  }
  std::vector<std::uint8_t> within(n, 0);
  for (int i = 1; i < n; ++i) within[i] = inside[i] >= share * all[i];
  cv::Mat mask(strokes.size(), CV_8U, cv::Scalar(0));
  for (int y = 0; y < labels.rows; ++y) {
    const int* l = labels.ptr<int>(y);
    std::uint8_t* m = mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x) m[x] = within[l[x]] ? 255 : 0;
  }
  return mask;
}

// The marks of `strokes` with some ink inside `area`.
cv::Mat MarksTouching(const cv::Mat& strokes, const cv::Mat& area) {
  return MarksWithin(strokes, area, 1e-9);
}

}  // namespace

StrokeFeatures MeasureStrokes(const cv::Mat& strokes, const cv::Mat& darkness, double px_per_mm) {
  StrokeFeatures f;
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(strokes, labels, stats, centroids, 8, CV_32S);
  const double speck = kSpeckMm2 * px_per_mm * px_per_mm;
  // Second moments of every mark in one pass.
  std::vector<cv::Vec6d> sums(n, cv::Vec6d::all(0));  // n, x, y, xx, xy, yy
  for (int y = 0; y < labels.rows; ++y) {
    const int* l = labels.ptr<int>(y);
    for (int x = 0; x < labels.cols; ++x)
      if (l[x]) sums[l[x]] += cv::Vec6d(1, x, y, double(x) * x, double(x) * y, double(y) * y);
  }
  std::vector<std::uint8_t> keep(n, 0);
  for (int i = 1; i < n; ++i) {
    if (stats.at<int>(i, cv::CC_STAT_AREA) < speck) continue;
    const cv::Vec6d& m = sums[i];
    const double mx = m[1] / m[0], my = m[2] / m[0];
    const double a = m[3] / m[0] - mx * mx, b = m[4] / m[0] - mx * my, c = m[5] / m[0] - my * my;
    const double root = std::sqrt(std::max(0.0, (a - c) * (a - c) / 4 + b * b));
    const double major = std::sqrt(std::max(0.0, (a + c) / 2 + root)) * std::sqrt(12.0) / px_per_mm;
    const double spread = std::sqrt(std::max(0.0, (a + c) / 2 - root)) / px_per_mm;
    if (major >= kLineMinMm && spread <= kLineMaxSpreadMm) continue;  // a pen line
    keep[i] = 1;
  }
  cv::Mat kept(strokes.size(), CV_8U, cv::Scalar(0));
  for (int y = 0; y < labels.rows; ++y) {
    const int* l = labels.ptr<int>(y);
    std::uint8_t* k = kept.ptr<std::uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x) k[x] = keep[l[x]] ? 255 : 0;
  }
  if (cv::countNonZero(kept) == 0) return f;
  cv::Mat inner;
  cv::erode(kept, inner, cv::getStructuringElement(cv::MORPH_CROSS, {3, 3}));
  const int edge = cv::countNonZero(kept & ~inner);
  f.length_mm = edge / 2.0 / px_per_mm;
  const cv::Rect bounds = cv::boundingRect(kept);
  f.extent_mm = std::max(bounds.width, bounds.height) / px_per_mm;
  f.complexity = f.length_mm / std::max(1.0, f.extent_mm);

  // Edge directions, over the strokes' bounds only.
  const cv::Rect around = cv::Rect(bounds.x - 3, bounds.y - 3, bounds.width + 6, bounds.height + 6) &
                          cv::Rect({}, kept.size());
  kept = kept(around);
  cv::Mat gx, gy, soft;
  darkness(around).convertTo(soft, CV_32F);
  cv::Sobel(soft, gx, CV_32F, 1, 0);
  cv::Sobel(soft, gy, CV_32F, 0, 1);
  cv::Mat near;
  cv::dilate(kept, near, cv::Mat());
  // Edge directions (mod 180 degrees) in 15-degree bins, by edge strength.
  constexpr int kBins = 12;
  double hist[kBins] = {};
  double aligned = 0, total = 0;
  constexpr double kTolerance = 7 * CV_PI / 180;
  for (int y = 0; y < near.rows; ++y)
    for (int x = 0; x < near.cols; ++x) {
      if (!near.at<std::uint8_t>(y, x)) continue;
      const double u = gx.at<float>(y, x), v = gy.at<float>(y, x);
      const double mag = std::sqrt(u * u + v * v);
      if (mag < 200) continue;
      const double half_turn = std::fmod(std::atan2(v, u) + 2 * CV_PI, CV_PI);
      hist[std::min(kBins - 1, int(half_turn / CV_PI * kBins))] += mag;
      const double quarter = std::fmod(half_turn, CV_PI / 2);
      if (quarter < kTolerance || quarter > CV_PI / 2 - kTolerance) aligned += mag;
      total += mag;
    }
  f.axis_alignment = total > 0 ? aligned / total : 0;
  {
    // Type stands upright: its strokes' local direction (structure tensor,
    // smoothed over a stroke's width) lies within a few degrees of the axes.
    cv::Mat xx = gx.mul(gx), yy = gy.mul(gy), xy = gx.mul(gy);
    cv::GaussianBlur(xx, xx, cv::Size(), 1.2);
    cv::GaussianBlur(yy, yy, cv::Size(), 1.2);
    cv::GaussianBlur(xy, xy, cv::Size(), 1.2);
    double up = 0, all = 0;
    for (int y = 0; y < near.rows; ++y)
      for (int x = 0; x < near.cols; ++x) {
        if (!kept.at<std::uint8_t>(y, x)) continue;
        const double a = xx.at<float>(y, x), b = yy.at<float>(y, x), c = xy.at<float>(y, x);
        const double coherence = std::sqrt((a - b) * (a - b) + 4 * c * c);
        if (coherence <= 0) continue;
        const double angle = 0.5 * std::atan2(2 * c, a - b);  // gradient direction
        const double quarter = std::fmod(angle + 2 * CV_PI, CV_PI / 2);
        const double off = std::min(quarter, CV_PI / 2 - quarter);
        if (off < 3 * CV_PI / 180) up += coherence;
        all += coherence;
      }
    f.upright = all > 0 ? up / all : 0;
  }
  {
    // Type sits on a line: letters of one height, tops and bottoms level.
    // Letters here are the runs of inked columns.
    std::vector<int> top(kept.cols, -1), bottom(kept.cols, -1);
    for (int y = 0; y < kept.rows; ++y) {
      const std::uint8_t* row = kept.ptr<std::uint8_t>(y);
      for (int x = 0; x < kept.cols; ++x)
        if (row[x]) {
          if (top[x] < 0) top[x] = y;
          bottom[x] = y;
        }
    }
    std::vector<std::pair<int, int>> letters;  // top, bottom
    std::vector<double> aspects;
    for (int x = 0; x < kept.cols;) {
      if (top[x] < 0) {
        ++x;
        continue;
      }
      int t = top[x], b = bottom[x];
      const int from = x;
      while (x < kept.cols && top[x] >= 0) t = std::min(t, top[x]), b = std::max(b, bottom[x]), ++x;
      if ((b - t) / px_per_mm >= 1.5) {
        letters.push_back({t, b});
        aspects.push_back(double(x - from) / (b - t + 1));
      }
    }
    if (!aspects.empty()) {
      std::nth_element(aspects.begin(), aspects.begin() + aspects.size() / 2, aspects.end());
      f.letter_aspect = aspects[aspects.size() / 2];
    }
    f.letters = int(letters.size());
    if (letters.size() >= 3) {
      std::vector<int> tops, bottoms, heights;
      for (auto [t, b] : letters) tops.push_back(t), bottoms.push_back(b), heights.push_back(b - t);
      auto median = [](std::vector<int> v) {
        std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
        return v[v.size() / 2];
      };
      const int mt = median(tops), mb = median(bottoms);
      const double tolerance = std::max(1.0, 0.08 * median(heights));
      int level = 0;
      for (auto [t, b] : letters) level += std::abs(t - mt) <= tolerance && std::abs(b - mb) <= tolerance;
      f.level_letters = double(level) / letters.size();
    }
    if (!letters.empty()) {
      std::vector<int> heights;
      for (auto [t, b] : letters) heights.push_back(b - t + 1);
      std::nth_element(heights.begin(), heights.begin() + heights.size() / 2, heights.end());
      f.letter_height_mm = heights[heights.size() / 2] / px_per_mm;
      // Stroke width from area over outline: a stroke of length L and width
      // w has area L w and an outline of 2 L.
      const double width_mm = 2.0 * cv::countNonZero(kept) / std::max(1, edge) / px_per_mm;
      f.weight = width_mm / std::max(0.5, f.letter_height_mm);
    }
  }
  // The two strongest directions (each with its neighbours' spill-over
  // halved): a tick's two legs, a line, type's rows and columns.
  double smooth[kBins];
  for (int i = 0; i < kBins; ++i)
    smooth[i] = hist[i] + 0.5 * (hist[(i + 1) % kBins] + hist[(i + kBins - 1) % kBins]);
  const int first = int(std::max_element(smooth, smooth + kBins) - smooth);
  double second = 0;
  for (int i = 0; i < kBins; ++i) {
    const int d = std::min(std::abs(i - first), kBins - std::abs(i - first));
    if (d >= 2) second = std::max(second, smooth[i]);
  }
  f.focus = total > 0 ? std::min(1.0, (smooth[first] + second) / (2 * total)) : 0;
  return f;
}

double PrintLikeness(const StrokeFeatures& f) {
  // Upright strokes, heavy for their size, small letters, letters level on
  // a line: each only a hint, together a good one. Level letters count only
  // where they stand apart: runs two and a half times wider than high are
  // joined words, and cursive words in a row are as level as type.
  const double apart = Ramp(2.5 - f.letter_aspect, 0, 1);
  const double level = f.letters >= 3 ? Ramp(f.level_letters, 0.5, 0.9) * apart : 0;
  return (Ramp(f.upright, 0.15, 0.25) + Ramp(f.weight, 0.09, 0.12) + Ramp(6.5 - f.letter_height_mm, 0, 1.5) +
          level) / 4;
}

double HandwritingScore(const StrokeFeatures& f) {
  return std::min({Ramp(f.length_mm, 12, 25), Ramp(f.extent_mm, 5, 10), Ramp(0.62 - f.focus, 0, 0.12),
                   1 - Ramp(PrintLikeness(f), 0.55, 0.64)});
}

SignatureMeasure MeasureSignature(const ZoneImage& zone, const FormZone& box,
                                  StrokeFeatures* features) {
  SignatureMeasure m;
  m.zone = box.name;
  if (zone.zone.empty()) return m;
  // Stamps are looked for around the box too: a seal pressed across a low
  // box shows only a band of itself inside it.
  const int grow = int(std::lround(kStampSearchMm * zone.px_per_mm));
  const cv::Rect search = cv::Rect(zone.zone.x - grow, zone.zone.y - grow, zone.zone.width + 2 * grow,
                                   zone.zone.height + 2 * grow) &
                          cv::Rect({}, zone.added.size());
  const cv::Rect inner = zone.zone - search.tl();
  cv::Mat strokes = zone.added(search).clone();
  const cv::Mat darkness = zone.darkness(search);
  bool red_stamp = false;
  if (!zone.red.empty()) {
    // A red stamp goes by its colour, and nothing under it with it.
    cv::Mat red = zone.red(search).clone();
    const cv::Rect red_spread = cv::boundingRect(red);
    if (std::min(red_spread.width, red_spread.height) >= 2 * kStampMinRadiusMm * zone.px_per_mm)
      red_stamp = FindStampOutline(red, zone.px_per_mm, kStampMinRadiusMm, kStampMaxRadiusMm).score >= kStampScore;
    cv::dilate(red, red, cv::Mat(), cv::Point(-1, -1), 2);
    strokes.setTo(0, red);
    // Where the seal's ink was too pale or blurred to read as red, pieces
    // of its ring and lettering are left lying along the red: take the
    // marks that lie almost wholly beside it too. A pen stroke crossing the
    // seal runs on beyond it and stays.
    if (red_stamp) {
      cv::Mat beside;
      const int r = std::max(1, int(std::lround(kBesideRedMm * zone.px_per_mm)));
      cv::dilate(red, beside, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * r + 1, 2 * r + 1}));
      strokes.setTo(0, MarksWithin(strokes, beside, kBesideRedShare));
    }
  }
  bool removed = false;
  for (const cv::RotatedRect& frame : NameStampFrames(strokes, zone.px_per_mm)) {
    cv::Mat area(strokes.size(), CV_8U, cv::Scalar(0));
    cv::Point2f corners[4];
    cv::RotatedRect(frame.center, frame.size + cv::Size2f(2, 2) * float(zone.px_per_mm), frame.angle)
        .points(corners);
    std::vector<cv::Point> polygon(corners, corners + 4);
    cv::fillConvexPoly(area, polygon, cv::Scalar(255));
    RemoveStamp(strokes, area, darkness);
    removed = true;
  }
  // Only ink spanning a stamp's size can hold one; twice, since a seal's
  // lettering can pass for an outline inside its ring.
  auto outline = [&] {
    const cv::Rect spread = cv::boundingRect(strokes);
    return !red_stamp && std::min(spread.width, spread.height) >= 2 * kStampMinRadiusMm * zone.px_per_mm
               ? FindStampOutline(strokes, zone.px_per_mm, kStampMinRadiusMm, kStampMaxRadiusMm)
               : StampOutline{};
  };
  const StampOutline stamp = outline();
  StampOutline found = stamp;
  auto sure = [](const StampOutline& o) {
    return o.score >= kStampScore && SealScore(o) >= kShapeStampScore &&
           (o.coverage >= kShapeStampCoverage || o.arc >= kShapeStampArc);
  };
  for (int round = 0; round < 2 && sure(found); ++round) {
    // The outline's farthest point, or further for a square's corners.
    const double reach = std::max(found.max_radius_mm + 2, 1.2 * found.radius_mm);
    cv::Mat disc(strokes.size(), CV_8U, cv::Scalar(0));
    cv::circle(disc, found.centre, int(reach * zone.px_per_mm), cv::Scalar(255), cv::FILLED);
    // An oval's ends or a ring traced inside its lettering reach past the
    // disc: marks the disc cuts that end within a few millimetres of it go
    // too (a pen stroke crossing the stamp runs on further).
    cv::Mat spill(strokes.size(), CV_8U, cv::Scalar(0));
    cv::circle(spill, found.centre, int((reach + kStampSpillMm) * zone.px_per_mm), cv::Scalar(255), cv::FILLED);
    disc |= MarksWithin(strokes, spill, 1.0) & MarksTouching(strokes, disc);
    RemoveStamp(strokes, disc, darkness);
    removed = true;
    // A second outline counts only around the first: the ring outside the
    // lettering taken for the first one.
    const StampOutline again = outline();
    found = cv::norm(again.centre - found.centre) <= found.radius_mm * zone.px_per_mm / 2 ? again : StampOutline{};
  }
  StrokeFeatures f = MeasureStrokes(strokes(inner), darkness(inner), zone.px_per_mm);
  f.stamp_removed = removed;
  if (stamp.score > 0) {
    const double dx = std::max({0.0, inner.x - stamp.centre.x, stamp.centre.x - inner.br().x});
    const double dy = std::max({0.0, inner.y - stamp.centre.y, stamp.centre.y - inner.br().y});
    f.stamp_off_box_mm = std::hypot(dx, dy) / zone.px_per_mm;
  }
  f.stamp = stamp;
  m.score = HandwritingScore(f);
  if (features) *features = f;
  return m;
}

}  // namespace scangate
