// See resolution.h.
#include "pipeline/image/resolution.h"

#include <algorithm>
#include <cmath>

namespace scangate {
namespace {

struct Paper {
  const char* name;
  double short_mm, long_mm;
};

// Most common first: ties go to the paper counters scan most.
constexpr Paper kPapers[] = {
    {"A4", 210, 297},    {"Letter", 215.9, 279.4}, {"A5", 148, 210},        {"A3", 297, 420},
    {"B5", 176, 250},    {"Legal", 215.9, 355.6},  {"ID card", 53.98, 85.6}, {"A6", 105, 148},
};
constexpr double kScanDpis[] = {100, 150, 200, 240, 300, 400, 600, 1200};
// What scanners are set to, from a fax's coarsest to a photo scanner's
// finest: a file's own dpi is trusted within it, and an inferred one kept in
// it. Without the clamp a 1-pixel side "is" a sheet at 0.1 dpi, and every
// check sizing its grid in millimetres sizes it in millions of cells.
constexpr double kMinScanDpi = 50, kMaxScanDpi = 2400;

double NearestScanDpi(double dpi) {
  double best = kScanDpis[0];
  for (double d : kScanDpis)
    if (std::abs(d - dpi) < std::abs(best - dpi)) best = d;
  return best;
}

}  // namespace

ResolutionMeasure MeasureResolution(int width_px, int height_px, double file_dpi_x,
                                    double file_dpi_y) {
  const double short_px = std::min(width_px, height_px), long_px = std::max(width_px, height_px);
  double dpi = std::min(file_dpi_x, file_dpi_y > 0 ? file_dpi_y : file_dpi_x);
  // Many programs write 72 or 96 dpi whatever the scan: trust the file only
  // where the paper it implies is a plausible size for a scanned document,
  // from a card (40 mm) to the glass of an A3+ scanner (483 mm).
  if (dpi >= kMinScanDpi && dpi <= kMaxScanDpi) {
    double long_mm = long_px / dpi * 25.4, short_mm = short_px / dpi * 25.4;
    if (long_mm <= 500 && short_mm >= 40) return {dpi, false, ""};
  }
  // Infer: a paper whose aspect matches, at a dpi near a scanner setting.
  ResolutionMeasure best{0, true, ""};
  double best_error = 1e9;
  for (const Paper& p : kPapers) {
    double dpi_short = short_px / p.short_mm * 25.4, dpi_long = long_px / p.long_mm * 25.4;
    double aspect_error = std::abs(dpi_short - dpi_long) / dpi_long;
    if (aspect_error > 0.04) continue;
    double d = (dpi_short + dpi_long) / 2;
    double setting_error = std::abs(d - NearestScanDpi(d)) / d;
    double error = aspect_error + setting_error;
    if (error < best_error - 0.01) {
      best_error = error;
      best = {d, true, p.name};
    }
  }
  if (best.dpi == 0) {
    // No paper matched (a cropped scan): assume an A4 width, the usual sheet.
    best = {short_px / kPapers[0].short_mm * 25.4, true, ""};
  }
  best.dpi = std::clamp(best.dpi, kMinScanDpi, kMaxScanDpi);
  return best;
}

}  // namespace scangate
