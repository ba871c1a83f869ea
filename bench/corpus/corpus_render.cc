// Rendering one corpus page in the order a scan happens: the printed sheet,
// the sheet turned on the glass, the glass's own marks, the optics (with the
// blur under test), sensor noise, the scanner's colour mode, the file format.
#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <zlib.h>

#include "bench/corpus/corpus_paper.h"
#include "bench/corpus/image_corpus.h"
#include "tests/support/chinese_page.h"
#include "tests/support/synthetic_page.h"

namespace scangate::corpus {
namespace {

// Every scanner's own optics: a sharp page is never a perfect step.
constexpr double kOpticsSigma300 = 0.5;
constexpr double kPartialBandMm = 10;

cv::Mat PrintedSheet(const Recipe& r, const ScanLibrary& scans, cv::RNG& rng) {
  synth::PageSpec spec;
  spec.width_mm = r.paper_width_mm;
  spec.height_mm = r.paper_height_mm;
  spec.dpi = r.dpi;
  spec.seed = r.seed;
  switch (r.content) {
    case Content::kScan: {
      cv::Mat scan = scans.Load(r.scan), out;
      const double s = r.dpi / 300.0;
      cv::resize(scan, out, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
      return out;
    }
    case Content::kTextPage:
      spec.text_lines = rng.uniform(24, 46);
      return synth::TextPage(spec);
    case Content::kFormPage:
      spec.form_lines = rng.uniform(3, 8);
      spec.table_rows = rng.uniform(3, 11);
      spec.text_lines = rng.uniform(6, 20);
      return synth::TextPage(spec);
    case Content::kSparsePage:
      spec.text_lines = rng.uniform(2, 7);
      return synth::TextPage(spec);
    case Content::kIdCard:
      return synth::IdCardCopy(spec);
    case Content::kSummarySheet: {
      synth::SummarySpec s;
      s.dpi = r.dpi;
      s.seed = r.seed;
      s.colour = r.color == Color::kColor;
      return synth::SummarySheet(s);
    }
    case Content::kChinesePage:
      spec.text_lines = rng.uniform(14, 40);
      return synth::ChineseTextPage(spec);
    case Content::kChineseForm:
      spec.form_lines = rng.uniform(3, 9);
      spec.table_rows = rng.uniform(0, 9);
      spec.text_lines = rng.uniform(2, 12);
      return synth::ChineseFormPage(spec);
    case Content::kBlank:
    case Content::kShortLine:
    case Content::kSignature: {
      cv::Mat page = BlankSheet(r.paper_width_mm, r.paper_height_mm, r.dpi, rng);
      if (r.content == Content::kShortLine) PrintShortLine(page, r.dpi, rng);
      if (r.content == Content::kSignature) Sign(page, r.dpi, rng);
      return page;
    }
  }
  throw std::logic_error("unknown content");
}

// Outlines of the printed sheet's ink (dark pixels beside light ones), carried
// through the same rotation as the page: where the text is, for the blurred
// share. Outlines, not filled area, so that a photo or a solid box counts by
// its rim as the text does by its strokes.
std::vector<cv::Point2f> InkPoints(const cv::Mat& sheet, const cv::Mat& turn, double dpi) {
  cv::Mat gray = sheet;
  if (sheet.channels() == 3) cv::cvtColor(sheet, gray, cv::COLOR_BGR2GRAY);
  const int keep_every = std::max(1, int(dpi / 150));
  std::vector<cv::Point2f> points;
  int seen = 0;
  for (int y = 0; y + 1 < gray.rows; ++y) {
    const std::uint8_t* row = gray.ptr<std::uint8_t>(y);
    const std::uint8_t* below = gray.ptr<std::uint8_t>(y + 1);
    for (int x = 0; x + 1 < gray.cols; ++x) {
      const bool dark = row[x] < 128;
      if (dark == (row[x + 1] < 128) && dark == (below[x] < 128)) continue;
      if (seen++ % keep_every == 0) points.emplace_back(float(x), float(y));
    }
  }
  if (!points.empty()) cv::transform(points, points, turn);
  return points;
}

cv::Mat DiskKernel(double radius) {
  const int r = int(std::ceil(radius)) + 1, n = 2 * r + 1, sub = 5;
  cv::Mat k(n, n, CV_32F, cv::Scalar(0));
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      int inside = 0;
      for (int sy = 0; sy < sub; ++sy)
        for (int sx = 0; sx < sub; ++sx) {
          double dx = x - r + (sx + 0.5) / sub - 0.5, dy = y - r + (sy + 0.5) / sub - 0.5;
          inside += dx * dx + dy * dy <= radius * radius;
        }
      k.at<float>(y, x) = float(inside);
    }
  return k / cv::sum(k)[0];
}

cv::Mat MotionKernel(double length, double degrees) {
  const int r = int(std::ceil(length / 2)) + 2, n = 2 * r + 1;
  cv::Mat k(n, n, CV_32F, cv::Scalar(0));
  const double c = std::cos(degrees * CV_PI / 180), s = -std::sin(degrees * CV_PI / 180);
  const int samples = int(length * 8) + 1;
  for (int i = 0; i < samples; ++i) {
    double t = (i + 0.5) / samples - 0.5;
    double x = r + t * length * c, y = r + t * length * s;
    int x0 = int(std::floor(x)), y0 = int(std::floor(y));
    float fx = float(x - x0), fy = float(y - y0);
    k.at<float>(y0, x0) += (1 - fx) * (1 - fy);
    k.at<float>(y0, x0 + 1) += fx * (1 - fy);
    k.at<float>(y0 + 1, x0) += (1 - fx) * fy;
    k.at<float>(y0 + 1, x0 + 1) += fx * fy;
  }
  return k / cv::sum(k)[0];
}

cv::Mat Optics(const cv::Mat& page, double dpi, double extra_sigma300 = 0) {
  const double s = std::hypot(kOpticsSigma300, extra_sigma300) * dpi / 300;
  cv::Mat out;
  cv::GaussianBlur(page, out, cv::Size(), s, s, cv::BORDER_REPLICATE);
  return out;
}

cv::Mat Blur(const cv::Mat& page, const Recipe& r) {
  const double scale = r.dpi / 300;
  cv::Mat out;
  switch (r.blur) {
    case BlurKind::kNone: return Optics(page, r.dpi);
    case BlurKind::kGaussian: return Optics(page, r.dpi, r.blur_amount);
    case BlurKind::kDefocus:
      cv::filter2D(page, out, -1, DiskKernel(r.blur_amount * scale), {-1, -1}, 0,
                   cv::BORDER_REPLICATE);
      return Optics(out, r.dpi);
    case BlurKind::kMotion:
      cv::filter2D(page, out, -1, MotionKernel(r.blur_amount * scale, r.motion_degrees), {-1, -1},
                   0, cv::BORDER_REPLICATE);
      return Optics(out, r.dpi);
  }
  return out;
}

// Weight of the blurred image at a position across the split: 1 inside the
// blurred region, 0 outside, a linear ramp of kPartialBandMm between (a
// document camera's focus does not stop at a line).
struct Split {
  BlurRegion region;
  double at, band;
  float Weight(double x, double y) const {
    double d = region == BlurRegion::kTop    ? at - y
               : region == BlurRegion::kBottom ? y - at
               : region == BlurRegion::kLeft   ? at - x
                                               : x - at;
    return float(std::clamp(0.5 + d / band, 0.0, 1.0));
  }
};

// A rectangle of the page blurred (kQuarter, kStrip, kBox): weight 1
// inside, a ramp of `band` pixels across its border.
struct Patch {
  cv::Rect2f area;
  double band;
  float Weight(double x, double y) const {
    const double d = std::min({x - area.x, area.x + area.width - x, y - area.y,
                               area.y + area.height - y});
    return float(std::clamp(0.5 + d / band, 0.0, 1.0));
  }
};

Patch PatchOnText(const Recipe& r, const std::vector<cv::Point2f>& ink, cv::Size size,
                  cv::RNG& rng) {
  // The text's extent: 2nd to 98th percentiles of its ink.
  std::vector<float> xs, ys;
  for (const auto& p : ink) xs.push_back(p.x), ys.push_back(p.y);
  auto at = [](std::vector<float> v, double q, float fallback) {
    if (v.empty()) return fallback;
    auto k = v.begin() + std::ptrdiff_t(q * double(v.size() - 1));
    std::nth_element(v.begin(), k, v.end());
    return *k;
  };
  const float x0 = at(xs, 0.02, 0), x1 = at(xs, 0.98, float(size.width));
  const float y0 = at(ys, 0.02, 0), y1 = at(ys, 0.98, float(size.height));
  const float w = x1 - x0, h = y1 - y0;
  const double px = r.dpi / 25.4;
  switch (r.blur_region) {
    case BlurRegion::kQuarter: {
      const int corner = rng.uniform(0, 4);
      return {{x0 + (corner & 1) * w / 2, y0 + (corner >> 1) * h / 2, w / 2, h / 2}, 5 * px};
    }
    case BlurRegion::kStrip: {
      // The bottom 15 % of the page, or of the text where it runs close to
      // the edge off the glass.
      const float top = rng.uniform(0, 2) ? 0.85f * float(size.height) : y1 - 0.15f * h;
      return {{-10.0f, top, float(size.width) + 20, float(size.height) - top + 10}, 5 * px};
    }
    default: {
      // One field or block: a third to the full width of the text, a tenth
      // to a quarter of its height.
      const float bw = float(rng.uniform(0.35, 1.0)) * w, bh = float(rng.uniform(0.1, 0.25)) * h;
      return {{x0 + float(rng.uniform(0.0, 1.0)) * (w - bw), y0 + float(rng.uniform(0.0, 1.0)) * (h - bh),
               bw, bh},
              2 * px};
    }
  }
}

template <class Region>
cv::Mat BlendBy(const cv::Mat& blurred, const cv::Mat& sharp, const Region& region) {
  cv::Mat out(sharp.size(), sharp.type());
  const int ch = sharp.channels();
  for (int y = 0; y < sharp.rows; ++y) {
    const std::uint8_t* b = blurred.ptr<std::uint8_t>(y);
    const std::uint8_t* s = sharp.ptr<std::uint8_t>(y);
    std::uint8_t* o = out.ptr<std::uint8_t>(y);
    for (int x = 0; x < sharp.cols; ++x) {
      float w = region.Weight(x, y);
      for (int c = 0; c < ch; ++c) {
        int i = x * ch + c;
        o[i] = std::uint8_t(b[i] * w + s[i] * (1 - w) + 0.5f);
      }
    }
  }
  return out;
}

Split SplitAtTextMiddle(const Recipe& r, const std::vector<cv::Point2f>& ink, cv::Size size) {
  Split split{r.blur_region, 0, kPartialBandMm * r.dpi / 25.4};
  const bool vertical = r.blur_region == BlurRegion::kTop || r.blur_region == BlurRegion::kBottom;
  std::vector<float> v;
  for (const auto& p : ink) v.push_back(vertical ? p.y : p.x);
  if (v.empty()) {
    split.at = (vertical ? size.height : size.width) / 2.0;
  } else {
    auto mid = v.begin() + std::ptrdiff_t(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    split.at = *mid;
  }
  return split;
}


void PutBe32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(char((v >> shift) & 0xFF));
}

// PNG with its pHYs chunk, at zlib's fastest level: a noisy 600-dpi page at
// the default level takes seconds, and a corpus has a thousand pages.
std::string EncodePngFast(const cv::Mat& page, double dpi) {
  std::vector<std::uint8_t> bytes;
  cv::imencode(".png", page, bytes, {cv::IMWRITE_PNG_COMPRESSION, 1});
  std::string png(bytes.begin(), bytes.end());
  std::string chunk;
  PutBe32(chunk, 9);
  chunk += "pHYs";
  const std::uint32_t per_metre = std::uint32_t(std::lround(dpi / 0.0254));
  PutBe32(chunk, per_metre);
  PutBe32(chunk, per_metre);
  chunk.push_back(1);  // unit: metre
  const auto* typed = reinterpret_cast<const Bytef*>(chunk.data() + 4);
  PutBe32(chunk, std::uint32_t(crc32(crc32(0, nullptr, 0), typed, 4 + 9)));
  png.insert(33, chunk);  // right after IHDR, before the first IDAT
  return png;
}

std::string Encode(const cv::Mat& page, const Recipe& r) {
  switch (r.encoding) {
    case Encoding::kPng: return EncodePngFast(page, r.dpi);
    case Encoding::kJpeg: return synth::EncodeJpeg(page, r.jpeg_quality, r.dpi);
    case Encoding::kTiffG4: return synth::EncodeTiffG4(page, r.dpi);
    case Encoding::kPngNoDpi: {
      std::vector<std::uint8_t> bytes;
      cv::imencode(".png", page, bytes);
      return {bytes.begin(), bytes.end()};
    }
  }
  return {};
}

}  // namespace

std::string BilevelFromScan(const cv::Mat& scan300, const BilevelRecipe& r) {
  cv::Mat page = scan300.clone();
  if (r.degrees != 0) {
    const cv::Point2f centre((page.cols - 1) / 2.0f, (page.rows - 1) / 2.0f);
    cv::warpAffine(page, page, cv::getRotationMatrix2D(centre, r.degrees, 1.0), page.size(),
                   cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(255));
  }
  if (r.sigma_px > 0) cv::GaussianBlur(page, page, cv::Size(0, 0), r.sigma_px);
  if (r.dpi != 300)
    cv::resize(page, page, cv::Size(), r.dpi / 300, r.dpi / 300, cv::INTER_AREA);
  if (r.noise > 0) page = synth::AddNoise(page, r.noise, r.seed);
  return synth::EncodeTiffG4(synth::ToBilevel(page, r.threshold), r.dpi);
}

CorpusPage RenderPage(const Recipe& r, const ScanLibrary& scans, const std::string& name) {
  cv::RNG rng(r.seed);
  CorpusPage out;
  out.name = name;
  out.recipe = r;
  Truth& t = out.truth;
  t.dpi = r.dpi;
  t.dpi_in_file = r.encoding != Encoding::kPngNoDpi;
  const bool blankish = r.content == Content::kBlank || r.content == Content::kShortLine ||
                        r.content == Content::kSignature;
  t.blank_known = true;
  t.blank = r.content == Content::kBlank;
  t.skew_known = !blankish && (r.content != Content::kScan || scans.SkewKnown(r.scan));
  t.skew_degrees = r.rotation_degrees + (r.content == Content::kScan ? scans.InherentSkew(r.scan) : 0);
  t.orientation_known = !blankish;
  t.orientation_degrees = r.turn_degrees;

  // The printed sheet and what the paper itself carries.
  cv::Mat page = PrintedSheet(r, scans, rng);
  const bool dark_lid = r.artefacts & kDarkBackground;
  if (page.channels() == 1) {
    if (r.artefacts & kHalftonePhoto) PlacePhoto(page, r.dpi, true, rng);
    if (r.artefacts & kContonePhoto) PlacePhoto(page, r.dpi, false, rng);
    if (r.artefacts & kShowThrough) ShowThrough(page, r.dpi, rng);
  }
  if (r.artefacts & kPunchHoles) PunchHoles(page, r.dpi, dark_lid, rng);
  // Laid on the glass turned: content counter-clockwise by the turn.
  if (r.turn_degrees == 90) cv::rotate(page, page, cv::ROTATE_90_COUNTERCLOCKWISE);
  if (r.turn_degrees == 180) cv::rotate(page, page, cv::ROTATE_180);
  if (r.turn_degrees == 270) cv::rotate(page, page, cv::ROTATE_90_CLOCKWISE);
  const cv::Point2f centre((page.cols - 1) / 2.0f, (page.rows - 1) / 2.0f);
  const cv::Mat turn = cv::getRotationMatrix2D(centre, r.rotation_degrees, 1.0);
  const bool partial = r.blur_region != BlurRegion::kWhole && r.blur != BlurKind::kNone;
  std::vector<cv::Point2f> ink;
  if (partial) ink = InkPoints(page, turn, r.dpi);
  if (r.color == Color::kColor && page.channels() == 1) page = Colourise(page, rng);
  if (r.color != Color::kColor && page.channels() == 3) cv::cvtColor(page, page, cv::COLOR_BGR2GRAY);

  // On the glass: rotated, on a white or a black lid.
  const cv::Scalar lid = dark_lid ? cv::Scalar::all(rng.uniform(5, 40))
                                  : cv::Scalar::all(rng.uniform(240, 256));
  cv::warpAffine(page, page, turn, page.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, lid);
  if (r.artefacts & kPaperTexture) PaperTexture(page, r.dpi, rng);
  if (r.artefacts & kEdgeShadow) EdgeShadow(page, r.dpi, rng);
  if (r.artefacts & kDust) Dust(page, r.dpi, rng);
  if (r.artefacts & kBlackBands) BlackBands(page, r.dpi, rng);

  // Optics, with the blur under test on all or part of the page.
  if (partial && r.blur_region >= BlurRegion::kQuarter) {
    const Patch patch = PatchOnText(r, ink, page.size(), rng);
    double in = 0;
    for (const auto& p : ink) in += patch.Weight(p.x, p.y);
    t.blurred_text_share = ink.empty() ? 0 : in / double(ink.size());
    page = BlendBy(Blur(page, r), Optics(page, r.dpi), patch);
  } else if (partial) {
    Split split = SplitAtTextMiddle(r, ink, page.size());
    double in = 0;
    for (const auto& p : ink) in += split.Weight(p.x, p.y);
    t.blurred_text_share = ink.empty() ? 0 : in / double(ink.size());
    page = BlendBy(Blur(page, r), Optics(page, r.dpi), split);
  } else {
    t.blurred_text_share = r.blur == BlurKind::kNone ? 0 : 1;
    page = Blur(page, r);
  }
  const bool blurred_kind = (r.blur == BlurKind::kGaussian && r.blur_amount >= 2.0) ||
                            (r.blur == BlurKind::kDefocus && r.blur_amount >= 3.0) ||
                            (r.blur == BlurKind::kMotion && r.blur_amount >= 7.0);
  const bool sharp_kind = r.blur == BlurKind::kNone ||
                          (r.blur == BlurKind::kGaussian && r.blur_amount <= 0.8) ||
                          (r.blur == BlurKind::kDefocus && r.blur_amount <= 1.6);
  if (blankish) t.blur = BlurClass::kUnlabelled;
  else if (r.color == Color::kBilevel) t.blur = BlurClass::kNotApplicable;
  else if (sharp_kind) t.blur = BlurClass::kSharp;
  else if (blurred_kind && t.blurred_text_share >= 0.1) t.blur = BlurClass::kBlurred;
  else if (blurred_kind && t.blurred_text_share < 0.03) t.blur = BlurClass::kSharp;
  else t.blur = BlurClass::kUnlabelled;

  if (r.noise_sigma > 0) page = synth::AddNoise(page, r.noise_sigma, r.seed);
  if (r.color == Color::kBilevel) page = synth::ToBilevel(page, rng.uniform(135, 176));
  out.bytes = Encode(page, r);
  return out;
}

}  // namespace scangate::corpus
