// See blank.h. Dust and scanner noise are specks: marks smaller than a
// printed character's stroke are not ink that carries content.
#include "blank.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace scangate {

BlankMeasure MeasureBlank(const InkMap& ink) {
  BlankMeasure m;
  if (ink.mask.empty()) return m;
  cv::Mat labels, stats, centroids;
  int n = cv::connectedComponentsWithStats(ink.mask, labels, stats, centroids, 8, CV_32S);
  const double px_per_mm = ink.dpi / 25.4;
  const double min_area = 0.15 * px_per_mm * px_per_mm;  // 0.15 mm^2
  double total = 0, largest = 0;
  for (int i = 1; i < n; ++i) {
    double area = stats.at<int>(i, cv::CC_STAT_AREA);
    if (area < min_area) continue;
    total += area;
    largest = std::max(largest, area);
  }
  const double page = double(ink.mask.rows) * ink.mask.cols;
  m.ink_ratio = total / page;
  m.largest_mark_ratio = largest / page;
  return m;
}

}  // namespace scangate
