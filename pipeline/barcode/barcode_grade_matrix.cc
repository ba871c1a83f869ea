// Grading 2-D codes (see barcode_grade.h).
//
// 2-D codes follow ISO/IEC 15415 loosely: symbol contrast, minimum
// reflectance and modulation (how far module centres stand from the global
// threshold), from one image of the symbol straightened by its corners.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "pipeline/barcode/barcode_grade.h"
#include "pipeline/barcode/grade_scales.h"

namespace scangate {

using namespace grading;

void GradeMatrixSymbol(const cv::Mat& gray, double px_per_mm, BarcodeMeasure& m) {
  const cv::Point2f c[4] = {{float(m.corners[0]), float(m.corners[1])},
                            {float(m.corners[2]), float(m.corners[3])},
                            {float(m.corners[4]), float(m.corners[5])},
                            {float(m.corners[6]), float(m.corners[7])}};
  m.orientation_degrees = OrientationOf(c[1] - c[0]);
  auto dist = [](cv::Point2f a, cv::Point2f b) { return std::hypot(a.x - b.x, a.y - b.y); };
  const float width = (dist(c[0], c[1]) + dist(c[3], c[2])) / 2;
  const float height = (dist(c[0], c[3]) + dist(c[1], c[2])) / 2;
  if (gray.empty() || width < 6 || height < 6) return;

  // The symbol straightened, at about its own scale, with room around it for
  // the quiet zone (QR Code asks for four modules).
  // Small symbols are enlarged to resolve their modules; large ones kept
  // under 1200 px a side (2 px a module for the widest PDF417).
  float scale = std::clamp(160.0f / std::min(width, height), 1.0f, 4.0f);
  scale = std::min(scale, 1200.0f / std::max(width, height));
  const int w = cvRound(width * scale), h = cvRound(height * scale);
  const int margin = cvRound(0.35f * std::max(w, h)) + 4;
  const cv::Point2f upright[4] = {{float(margin), float(margin)},
                                  {float(margin + w), float(margin)},
                                  {float(margin + w), float(margin + h)},
                                  {float(margin), float(margin + h)}};
  cv::Mat to_page = cv::getPerspectiveTransform(upright, c);
  cv::Mat straight;
  cv::warpPerspective(gray, straight, to_page, cv::Size(w + 2 * margin, h + 2 * margin),
                      cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, cv::Scalar(0));
  const cv::Rect symbol(margin, margin, w, h);

  // Reflectance extremes as robust percentiles of the symbol.
  std::array<int, 256> hist{};
  for (int y = symbol.y; y < symbol.y + h; ++y) {
    const uint8_t* row = straight.ptr<uint8_t>(y);
    for (int x = symbol.x; x < symbol.x + w; ++x) ++hist[row[x]];
  }
  auto percentile = [&](double share) {
    long target = static_cast<long>(share * w * h), seen = 0;
    for (int v = 0; v < 256; ++v) {
      seen += hist[v];
      if (seen > target) return v / 255.0;
    }
    return 1.0;
  };
  const double rmin = percentile(0.01), rmax = percentile(0.99), sc = rmax - rmin;
  const double gt = (rmin + rmax) / 2;
  const int gt_level = static_cast<int>(gt * 255);

  // Module size: single-module runs are the commonest in any data region;
  // average the runs near the shortest ones.
  std::vector<int> runs;
  std::vector<std::pair<cv::Point, int>> run_centres;  // centre and length, along rows
  for (int y = symbol.y + 1; y < symbol.y + h - 1; y += 2) {
    const uint8_t* row = straight.ptr<uint8_t>(y);
    int start = symbol.x;
    for (int x = symbol.x + 1; x <= symbol.x + w; ++x) {
      if (x < symbol.x + w && (row[x] < gt_level) == (row[start] < gt_level)) continue;
      if (start > symbol.x && x < symbol.x + w) {  // whole runs only
        runs.push_back(x - start);
        run_centres.push_back({{(start + x) / 2, y}, x - start});
      }
      start = x;
    }
  }
  double module = 0;
  if (!runs.empty()) {
    std::vector<int> sorted = runs;
    std::sort(sorted.begin(), sorted.end());
    const double p10 = sorted[sorted.size() / 10];
    double sum = 0;
    int count = 0;
    for (int r : sorted)
      if (r <= 1.5 * p10) sum += r, ++count;
    module = count ? sum / count : p10;
  }
  if (m.format == "QRCode" && module > 0) {  // 21 + 4k modules a side
    double modules = std::max(21.0, 21 + 4 * std::round((w / module - 21) / 4));
    module = w / modules;
  }

  // Modulation: how far the centre of each run stands from the threshold,
  // against the symbol contrast; a bad module is one near the threshold.
  std::vector<double> separation;
  const int inset = std::max(0, static_cast<int>(module / 4));
  for (const auto& [centre, length] : run_centres) {
    if (module > 0 && length < 0.6 * module) continue;  // noise
    int x0 = std::max(symbol.x, centre.x - inset),
        x1 = std::min(symbol.x + w - 1, centre.x + inset);
    double sum = 0;
    for (int x = x0; x <= x1; ++x) sum += straight.at<uint8_t>(centre.y, x) / 255.0;
    double r = sum / (x1 - x0 + 1);
    separation.push_back(sc > 0 ? 2 * std::abs(r - gt) / sc : 0);
  }
  double modulation = 0;
  if (!separation.empty()) {
    std::nth_element(separation.begin(), separation.begin() + separation.size() / 20,
                     separation.end());
    modulation = std::min(1.0, separation[separation.size() / 20]);
  }

  // Quiet zone: light rings outward from the symbol, half a module wide; a
  // ring reaching off the page ends it too.
  double quiet_required = 1;
  if (m.format == "QRCode")
    quiet_required = 4;
  else if (m.format == "PDF417")
    quiet_required = 2;
  else if (m.format == "Aztec")
    quiet_required = 0;
  double quiet = 0;
  if (module > 0) {
    const double step = std::max(1.0, module / 2);
    const int rings = static_cast<int>((margin - 1) / step);
    std::vector<long> dark(rings, 0), total(rings, 0);
    std::vector<bool> off_page(rings, false);
    const cv::Matx33d t = to_page;
    for (int y = 0; y < straight.rows; ++y) {
      for (int x = 0; x < straight.cols; ++x) {
        int d =
            std::max({symbol.x - 1 - x, x - (symbol.x + w), symbol.y - 1 - y, y - (symbol.y + h)});
        if (d < 0) continue;
        int ring = static_cast<int>(d / step);
        if (ring >= rings) continue;
        double z = t(2, 0) * x + t(2, 1) * y + t(2, 2);
        double px = (t(0, 0) * x + t(0, 1) * y + t(0, 2)) / z;
        double py = (t(1, 0) * x + t(1, 1) * y + t(1, 2)) / z;
        if (px < 0 || py < 0 || px > gray.cols - 1 || py > gray.rows - 1) off_page[ring] = true;
        ++total[ring];
        dark[ring] += straight.at<uint8_t>(y, x) < gt_level;
      }
    }
    for (int ring = 0; ring < rings; ++ring) {
      if (off_page[ring] || dark[ring] > 0.01 * total[ring]) break;
      quiet = (ring + 1) * step / module;
      if (quiet >= quiet_required + 1) break;
    }
  }

  BarcodeGrade& q = m.quality;
  q = BarcodeGrade{};
  q.scans = 1;
  q.symbol_contrast = sc, q.min_reflectance = rmin, q.modulation = modulation;
  q.decodability = 1;
  const double grades[3] = {rmin <= 0.5 * rmax ? 4.0 : 0.0, GradeOn(sc, kSymbolContrast),
                            GradeOn(modulation, kMatrixModulation)};
  const GradeParameter names[3] = {GradeParameter::kMinReflectance,
                                   GradeParameter::kSymbolContrast, GradeParameter::kModulation};
  int worst = static_cast<int>(std::min_element(grades, grades + 3) - grades);
  q.grade_value = grades[worst];
  q.grade = GradeOfValue(q.grade_value);
  if (q.grade_value < 4) q.limited_by = names[worst];
  m.x_dimension_px = module / scale;
  if (px_per_mm > 0) m.x_dimension_mm = m.x_dimension_px / px_per_mm;
  m.quiet_zone_modules = quiet;
  m.quiet_zone_ok = module > 0 && quiet + 0.25 >= quiet_required;
}


}  // namespace scangate
