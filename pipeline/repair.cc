// See repair.h.
#include "pipeline/repair.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgproc.hpp>

#include "common/sha256.h"
#include "pipeline/decode/encode.h"
#include "pipeline/image/ink.h"

namespace scangate {
namespace {

// A band of border thinner than this is the scanner's edge, not worth a crop.
constexpr double kMinCropMm = 1.0;
// Never more than this share of the page from one side: beyond it, the dark
// region is the page's own (a photo, a dark form) and is left as it is.
constexpr double kMaxCropShare = 0.25;
// A row or column is border when this share of it is.
constexpr double kBorderShare = 0.5;
// Specks: at most this across, and no other ink this close.
constexpr double kSpeckMm = 0.15;
constexpr double kSpeckClearMm = 0.5;
// zlib's fastest level for a lossless archive copy: a noisy colour scan
// takes seconds at level 6 for a file about a tenth smaller.
constexpr int kArchivePngLevel = 1;
// A 1-bit page with fewer isolated specks is not cleaned for them alone.
constexpr int kMinSpecksToClean = 25;

std::string Format(const char* fmt, double value) {
  char text[80];
  std::snprintf(text, sizeof text, fmt, value);
  return text;
}

// Whether `code` rejects a page and the rule lets the server repair it.
bool Repairable(const Reason& r, const PageVerdict& v, const Profile& profile) {
  switch (r.code) {
    case ReasonCode::kPageTurned:
      return profile.repair.turn_upright;
    case ReasonCode::kSkewed:
      return profile.repair.deskew_up_to_degrees > 0 &&
             std::abs(v.skew.degrees) <= profile.repair.deskew_up_to_degrees;
    default:
      return false;
  }
}

}  // namespace

PageImage TurnPage(const PageImage& page, int degrees, cv::Matx23d& orig_from_turned) {
  const int code = degrees == 90 ? cv::ROTATE_90_CLOCKWISE
                   : degrees == 180 ? cv::ROTATE_180
                                    : cv::ROTATE_90_COUNTERCLOCKWISE;
  PageImage turned;
  cv::rotate(page.gray, turned.gray, code);
  if (!page.color.empty()) cv::rotate(page.color, turned.color, code);
  turned.color_mode = page.color_mode;
  turned.file_dpi_x = degrees == 180 ? page.file_dpi_x : page.file_dpi_y;
  turned.file_dpi_y = degrees == 180 ? page.file_dpi_y : page.file_dpi_x;
  const double w = page.gray.cols - 1, h = page.gray.rows - 1;
  // Clockwise a quarter: turned (x, y) was (y, h - x); upside down: (w - x,
  // h - y); counter-clockwise a quarter: (w - y, x).
  orig_from_turned = degrees == 90    ? cv::Matx23d(0, 1, 0, -1, 0, h)
                     : degrees == 180 ? cv::Matx23d(-1, 0, w, 0, -1, h)
                                      : cv::Matx23d(0, -1, w, 1, 0, 0);
  return turned;
}

PageImage DeskewPage(const PageImage& page, double skew_degrees) {
  // New planes: a copy of `page` would share its pixels, and the warp would
  // write into the page as scanned.
  PageImage out;
  out.color_mode = page.color_mode;
  out.file_dpi_x = page.file_dpi_x;
  out.file_dpi_y = page.file_dpi_y;
  const cv::Point2f centre(float(page.gray.cols - 1) / 2, float(page.gray.rows - 1) / 2);
  // getRotationMatrix2D turns counter-clockwise on screen for a positive
  // angle: content skewed counter-clockwise comes back by the negative.
  const cv::Mat m = cv::getRotationMatrix2D(centre, -skew_degrees, 1.0);
  auto warp = [&](const cv::Mat& in, cv::Mat& to) {
    cv::warpAffine(in, to, m, in.size(), cv::INTER_CUBIC, cv::BORDER_REPLICATE);
  };
  if (!page.color.empty()) {
    // The gray view from the colour, as the decoders make it: one warp.
    warp(page.color, out.color);
    cv::cvtColor(out.color, out.gray, cv::COLOR_BGR2GRAY);
    return out;
  }
  warp(page.gray, out.gray);
  if (page.color_mode == ColorMode::kBilevel) {
    // Thresholded again at half the contrast: strokes keep their width.
    cv::threshold(out.gray, out.gray, 127, 255, cv::THRESH_BINARY);
  }
  return out;
}

BorderBands FindBorderBands(const InkMap& ink, cv::Size page_size) {
  BorderBands bands;
  const cv::Mat& b = ink.border;
  if (b.empty() || ink.scale <= 0 || cv::countNonZero(b) == 0) return bands;
  const int w = b.cols, h = b.rows;
  const int max_cols = int(w * kMaxCropShare), max_rows = int(h * kMaxCropShare);
  auto column = [&](int x) { return cv::countNonZero(b.col(x)) >= kBorderShare * h; };
  auto row = [&](int y) { return cv::countNonZero(b.row(y)) >= kBorderShare * w; };
  int left = 0, right = 0, top = 0, bottom = 0;
  while (left < max_cols && column(left)) ++left;
  while (right < max_cols && column(w - 1 - right)) ++right;
  while (top < max_rows && row(top)) ++top;
  while (bottom < max_rows && row(h - 1 - bottom)) ++bottom;
  // The border's anti-aliased rim and the sheet's shadowed edge: one more
  // coarse pixel where there is a band at all.
  const double to_page = 1.0 / ink.scale;
  const double min_px = kMinCropMm / 25.4 * ink.dpi;
  auto side = [&](int n, int limit) {
    if (n == 0 || n < min_px) return 0;
    return int(std::lround(std::min(n + 1, limit) * to_page));
  };
  bands.left = side(left, max_cols);
  bands.right = side(right, max_cols);
  bands.top = side(top, max_rows);
  bands.bottom = side(bottom, max_rows);
  // Page pixels beyond the coarse grid's rounding stay inside the page.
  bands.left = std::min(bands.left, int(page_size.width * kMaxCropShare));
  bands.right = std::min(bands.right, int(page_size.width * kMaxCropShare));
  bands.top = std::min(bands.top, int(page_size.height * kMaxCropShare));
  bands.bottom = std::min(bands.bottom, int(page_size.height * kMaxCropShare));
  return bands;
}

int Despeckle(cv::Mat& bilevel, double dpi, bool remove) {
  if (bilevel.empty() || dpi <= 0) return 0;
  const cv::Mat ink = bilevel < 128;
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(ink, labels, stats, centroids, 8, CV_32S);
  const int max_side = std::max(1, int(std::lround(kSpeckMm / 25.4 * dpi)));
  const int clear = std::max(1, int(std::lround(kSpeckClearMm / 25.4 * dpi)));
  // Ink counted over any rectangle in constant time.
  cv::Mat integral;
  cv::integral(ink / 255, integral, CV_32S);
  auto ink_in = [&](int x0, int y0, int x1, int y1) {  // [x0, x1) x [y0, y1)
    x0 = std::clamp(x0, 0, ink.cols), x1 = std::clamp(x1, 0, ink.cols);
    y0 = std::clamp(y0, 0, ink.rows), y1 = std::clamp(y1, 0, ink.rows);
    return integral.at<int>(y1, x1) - integral.at<int>(y0, x1) - integral.at<int>(y1, x0) +
           integral.at<int>(y0, x0);
  };
  int specks = 0;
  for (int i = 1; i < n; ++i) {
    const int x = stats.at<int>(i, cv::CC_STAT_LEFT), y = stats.at<int>(i, cv::CC_STAT_TOP);
    const int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
    if (w > max_side || h > max_side) continue;
    const int area = stats.at<int>(i, cv::CC_STAT_AREA);
    // Nothing else within `clear` of the speck's box: its own ink is all there is.
    if (ink_in(x - clear, y - clear, x + w + clear, y + h + clear) != area) continue;
    ++specks;
    if (remove) bilevel(cv::Rect(x, y, w, h)).setTo(255);
  }
  return specks;
}

bool WantsRepair(const PageVerdict& v, const Profile& profile, const BorderBands& borders,
                 int specks) {
  const RepairRule& rule = profile.repair;
  if (!rule.any() || v.error_kind || v.too_dark) return false;
  bool rejected = false;
  for (const Reason& r : v.reasons) {
    if (!r.waived_by.empty()) continue;
    if (!Repairable(r, v, profile)) return false;
    rejected = true;
  }
  if (rejected) return true;
  if (v.is_blank) return false;
  return (rule.crop_borders && borders.any()) ||
         (rule.despeckle && v.color_mode == ColorMode::kBilevel && specks >= kMinSpecksToClean);
}

RepairedPage RepairPage(const PageImage& page, const PageVerdict& v, const Profile& profile) {
  const RepairRule& rule = profile.repair;
  RepairedPage out;
  RepairRecord& record = out.record;
  record.original_skew_degrees = v.skew.degrees;
  record.original_blur_sigma = v.blur.sigma_300dpi;
  record.original_width = v.width;
  record.original_height = v.height;
  PageImage image = page;
  const bool turned = v.orientation.degrees != 0 &&
                      v.orientation.confidence >= profile.min_orientation_confidence;
  if (rule.turn_upright && turned) {
    cv::Matx23d back;
    image = TurnPage(image, v.orientation.degrees, back);
    record.turned_degrees = v.orientation.degrees;
  }
  // Levelled wherever the rule allows the angle and the angle is sure:
  // on a page repaired anyway, a skew within the limit goes too.
  const double skew = v.skew.degrees;
  if (rule.deskew_up_to_degrees > 0 && v.skew.confidence >= profile.min_skew_confidence &&
      std::abs(skew) <= rule.deskew_up_to_degrees && std::abs(skew) >= 0.02) {
    image = DeskewPage(image, skew);
    record.deskewed_degrees = skew;
  }
  const double dpi = v.resolution.dpi > 0 ? v.resolution.dpi : 300;
  if (rule.crop_borders) {
    const InkMap ink = FindInk(image.gray, dpi);
    const BorderBands bands = FindBorderBands(ink, image.gray.size());
    if (bands.any()) {
      const cv::Rect keep(bands.left, bands.top, image.gray.cols - bands.left - bands.right,
                          image.gray.rows - bands.top - bands.bottom);
      image.gray = image.gray(keep).clone();
      if (!image.color.empty()) image.color = image.color(keep).clone();
      const double mm = 25.4 / dpi;
      record.cropped_left_mm = bands.left * mm;
      record.cropped_top_mm = bands.top * mm;
      record.cropped_right_mm = bands.right * mm;
      record.cropped_bottom_mm = bands.bottom * mm;
    }
  }
  if (rule.despeckle && image.color_mode == ColorMode::kBilevel) {
    // Painted on a plane of its own, never on the page as scanned.
    if (image.gray.data == page.gray.data) image.gray = image.gray.clone();
    record.specks_removed = Despeckle(image.gray, dpi, true);
  }
  DescribeRepair(record);
  out.image = std::move(image);
  return out;
}

void DescribeRepair(RepairRecord& record) {
  record.done.clear();
  if (record.turned_degrees)
    record.done.push_back("turned " + std::to_string(record.turned_degrees) + " degrees");
  if (record.deskewed_degrees != 0)
    record.done.push_back(Format("deskewed %.2f degrees", record.deskewed_degrees));
  const std::pair<double, const char*> sides[] = {{record.cropped_left_mm, "left"},
                                                  {record.cropped_top_mm, "top"},
                                                  {record.cropped_right_mm, "right"},
                                                  {record.cropped_bottom_mm, "bottom"}};
  for (const auto& [cut, name] : sides)
    if (cut > 0) record.done.push_back(Format("cropped %.0f mm ", cut) + name);
  if (record.specks_removed > 0)
    record.done.push_back("removed " + std::to_string(record.specks_removed) + " specks");
}


Outcome EncodeArchiveCopy(const PageImage& image, double dpi, const RepairRule& rule,
                          RepairRecord& record) {
  Expected<std::string> encoded = Error{""};
  if (image.color_mode == ColorMode::kBilevel) {
    record.archive_media_type = "image/tiff";
    cv::Mat bilevel;
    cv::threshold(image.gray, bilevel, 127, 255, cv::THRESH_BINARY);
    encoded = EncodeTiffFile({bilevel}, dpi);
  } else {
    const cv::Mat& pixels = image.color_mode == ColorMode::kColor && !image.color.empty()
                                ? image.color
                                : image.gray;
    record.archive_media_type = rule.jpeg_quality > 0 ? "image/jpeg" : "image/png";
    encoded = rule.jpeg_quality > 0 ? EncodeJpegFile(pixels, rule.jpeg_quality, dpi)
                                    : EncodePngFile(pixels, dpi, kArchivePngLevel);
  }
  if (!encoded.ok()) return encoded.error();
  if (encoded.value().size() > kMaxArchiveCopyBytes)
    return Error{"the archive copy would be " + std::to_string(encoded.value().size() >> 20) +
                 " MiB, over the bound of " + std::to_string(kMaxArchiveCopyBytes >> 20) + " MiB"};
  record.archive_copy = std::move(encoded.value());
  record.archive_sha256 = Sha256Hex(std::string_view(record.archive_copy));
  return Ok{};
}

}  // namespace scangate
