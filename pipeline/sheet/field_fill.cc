// See field_fill.h.
#include "pipeline/sheet/field_fill.h"

#include <algorithm>

namespace scangate {
namespace {

// Inked neighbours (of eight) a pixel of a written stroke has.
constexpr int kMinNeighbours = 2;

}  // namespace

FieldMeasure MeasureField(const ZoneImage& zone, const FormZone& field) {
  FieldMeasure m;
  m.name = field.name;
  if (zone.zone.empty()) return m;
  // A speck is a pixel or two; a pen line, however thin, has at least two
  // inked neighbours among its eight. (Cheaper than labelling the marks.)
  const cv::Mat& added = zone.added;
  const cv::Rect r = zone.zone;
  long inked = 0;
  for (int y = r.y; y < r.br().y; ++y) {
    const std::uint8_t* above = added.ptr<std::uint8_t>(std::max(0, y - 1));
    const std::uint8_t* row = added.ptr<std::uint8_t>(y);
    const std::uint8_t* below = added.ptr<std::uint8_t>(std::min(added.rows - 1, y + 1));
    for (int x = r.x; x < r.br().x; ++x) {
      if (!row[x]) continue;
      const int l = std::max(0, x - 1), h = std::min(added.cols - 1, x + 1);
      const int neighbours = (above[l] != 0) + (above[x] != 0) + (above[h] != 0) + (row[l] != 0) +
                             (row[h] != 0) + (below[l] != 0) + (below[x] != 0) + (below[h] != 0);
      inked += neighbours >= kMinNeighbours;
    }
  }
  m.ink_ratio = double(inked) / double(r.area());
  return m;
}

}  // namespace scangate
