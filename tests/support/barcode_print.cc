// See barcode_print.h.
//
// The symbol is drawn in its own frame at eight samples per module (bars
// with their ink spread, then voids and specks), averaged over one page
// pixel's footprint, and warped onto the page at its angle: edges land
// between pixels as they do on paper.
#include "tests/support/barcode_print.h"

#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace scangate::synth {

PrintedGeometry PrintCode128(cv::Mat& page, const PrintedCode& code, cv::Point2f centre,
                             double degrees, double dpi) {
  const ZXing::BitMatrix bits =
      ZXing::MultiFormatWriter(ZXing::BarcodeFormat::Code128).setMargin(0).encode(code.text, 0, 1);
  const int modules = bits.width();
  const double px_per_mm = dpi / 25.4;
  const double module_px = code.module_mm * px_per_mm;
  const double height_px = code.height_mm * px_per_mm;

  // The symbol's own frame: `per` samples a module, quiet zones included.
  const int per = std::max(8, static_cast<int>(std::ceil(module_px)));
  const double quiet = code.quiet_modules;
  const int cols = static_cast<int>(std::ceil((modules + 2 * quiet) * per));
  const int rows = std::max(1, static_cast<int>(std::round(height_px / module_px * per)));
  // Bars as exact coverage per column, so that any ink spread shows.
  std::vector<float> column(cols, 0);
  const double half_gain = code.ink_spread_modules / 2;
  for (int m = 0; m < modules;) {
    if (!bits.get(m, 0)) {
      ++m;
      continue;
    }
    int end = m;
    while (end < modules && bits.get(end, 0)) ++end;
    const double a = (quiet + m - half_gain) * per, b = (quiet + end + half_gain) * per;
    for (int x = std::max(0, static_cast<int>(std::floor(a)));
         x < std::min<double>(cols, std::ceil(b)); ++x)
      column[x] = std::min(1.0f, column[x] + static_cast<float>(std::min<double>(b, x + 1) -
                                                                std::max<double>(a, x)));
    m = end;
  }
  cv::Mat ink(rows, cols, CV_32F);
  for (int y = 0; y < rows; ++y) std::copy(column.begin(), column.end(), ink.ptr<float>(y));
  if (code.defects > 0) {
    cv::RNG rng(code.seed * 7919u + 17u);
    const double square_modules = (modules + 2 * quiet) * static_cast<double>(rows) / per;
    const int spots = static_cast<int>(std::lround(code.defects * square_modules));
    for (int i = 0; i < spots; ++i) {
      cv::Point at(rng.uniform(0, cols), rng.uniform(0, rows));
      int radius = std::max(1, static_cast<int>(per * rng.uniform(0.2, 0.4)));
      // A void where ink is, a speck where paper is.
      cv::circle(ink, at, radius, cv::Scalar(ink.at<float>(at) > 0.5f ? 0.0 : 1.0), cv::FILLED);
    }
  }

  // Average over a page pixel's footprint, then warp onto the page.
  const double samples_per_px = per / module_px;
  const int footprint = std::max(1, static_cast<int>(std::lround(samples_per_px)));
  cv::Mat coverage = ink;
  if (footprint > 1)
    cv::blur(coverage, coverage, cv::Size(footprint, footprint), cv::Point(-1, -1),
             cv::BORDER_CONSTANT);
  const double theta = degrees * CV_PI / 180;
  const cv::Point2f u(static_cast<float>(std::cos(theta)), static_cast<float>(-std::sin(theta)));
  const cv::Point2f v(-u.y, u.x);
  // page = centre + (u * (sx - cols/2) + v * (sy - rows/2)) / samples_per_px
  const float k = static_cast<float>(1 / samples_per_px);
  const cv::Point2f origin = centre - (u * (cols / 2.0f) + v * (rows / 2.0f)) * k;
  const cv::Matx23f symbol_to_page(u.x * k, v.x * k, origin.x, u.y * k, v.y * k, origin.y);
  std::vector<cv::Point2f> corners = {
      {0, 0}, {float(cols), 0}, {float(cols), float(rows)}, {0, float(rows)}};
  cv::transform(corners, corners, symbol_to_page);
  const cv::Rect bounds = cv::boundingRect(corners) & cv::Rect(0, 0, page.cols, page.rows);
  PrintedGeometry g;
  g.u = u, g.v = v;
  g.module_px = static_cast<float>(module_px);
  g.length_px = static_cast<float>(modules * module_px);
  g.height_px = static_cast<float>(height_px);
  g.first_bar = centre - u * (g.length_px / 2);
  g.bounds = bounds;
  if (bounds.empty()) return g;

  cv::Matx23f local = symbol_to_page;
  local(0, 2) -= bounds.x, local(1, 2) -= bounds.y;
  cv::Mat cover, clear;
  cv::warpAffine(coverage, cover, local, bounds.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  cv::Mat inside(rows, cols, CV_32F, cv::Scalar(1));
  cv::warpAffine(inside, clear, local, bounds.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);

  const int channels = page.channels();
  double ink_level[3], gray_ink = 0.114 * code.ink[0] + 0.587 * code.ink[1] + 0.299 * code.ink[2];
  for (int c = 0; c < 3; ++c) ink_level[c] = channels == 1 ? gray_ink : code.ink[c];
  constexpr double kPaperWhite = 255;
  for (int y = 0; y < bounds.height; ++y) {
    uint8_t* row = page.ptr<uint8_t>(bounds.y + y) + bounds.x * channels;
    const float* cv_row = cover.ptr<float>(y);
    const float* clear_row = clear.ptr<float>(y);
    for (int x = 0; x < bounds.width; ++x) {
      const double c = cv_row[x], quiet_zone = clear_row[x];
      for (int ch = 0; ch < channels; ++ch) {
        double paper = row[x * channels + ch] * (1 - quiet_zone) + kPaperWhite * quiet_zone;
        double bar = kPaperWhite - code.contrast * (kPaperWhite - ink_level[ch]);
        row[x * channels + ch] = cv::saturate_cast<uint8_t>(paper * (1 - c) + bar * c);
      }
    }
  }
  return g;
}

void ScanArea(cv::Mat& page, cv::Rect area, const ScanEffects& scan) {
  area &= cv::Rect(0, 0, page.cols, page.rows);
  if (area.empty()) return;
  cv::Mat region = page(area);
  if (scan.blur_sigma_px > 0.05)
    cv::GaussianBlur(region, region, cv::Size(), scan.blur_sigma_px, scan.blur_sigma_px,
                     cv::BORDER_REPLICATE);
  if (scan.noise_sigma > 0) {
    cv::Mat noise(region.size(), CV_MAKETYPE(CV_16S, region.channels()));
    cv::RNG rng(scan.seed * 104729u + 3u);
    rng.fill(noise, cv::RNG::NORMAL, 0.0, scan.noise_sigma);
    cv::Mat noisy;
    cv::add(region, noise, noisy, cv::noArray(), region.type());
    noisy.copyTo(region);
  }
  if (scan.bilevel) cv::threshold(region, region, scan.bilevel_threshold, 255, cv::THRESH_BINARY);
}

void PrintQrCode(cv::Mat& page, const std::string& text, cv::Point top_left, int module_px) {
  const ZXing::BitMatrix bits =
      ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode).setMargin(0).encode(text, 0, 0);
  const int quiet = 4;
  const int side = (bits.width() + 2 * quiet) * module_px;
  const cv::Rect area = cv::Rect(top_left, cv::Size(side, side)) & cv::Rect(0, 0, page.cols, page.rows);
  page(area).setTo(cv::Scalar::all(255));
  for (int y = 0; y < bits.height(); ++y)
    for (int x = 0; x < bits.width(); ++x)
      if (bits.get(x, y))
        cv::rectangle(page,
                      cv::Rect(top_left.x + (quiet + x) * module_px,
                               top_left.y + (quiet + y) * module_px, module_px, module_px),
                      cv::Scalar::all(0), cv::FILLED);
}

}  // namespace scangate::synth
