// The corpus plan: which page, how rotated, blurred, noised, coloured and
// encoded, drawn from one seeded generator so the same seed gives the same
// corpus on every machine. Shares are chosen so that every class the issue
// names has a few hundred pages, and the hard corners (the ends of the skew
// range, heavy JPEG, black borders, artefacts on blank pages) are all present.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "bench/corpus/image_corpus.h"

namespace scangate::corpus {
namespace {

std::uint32_t Mix(std::uint32_t seed, std::uint64_t index, std::uint64_t salt) {
  std::uint64_t x = (std::uint64_t(seed) << 32) ^ (index * 0x9E3779B97F4A7C15ull) ^ salt;
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return std::uint32_t(x) | 1u;
}

// Picks an index by weight.
int Pick(cv::RNG& rng, std::initializer_list<double> weights) {
  double total = 0;
  for (double w : weights) total += w;
  double u = rng.uniform(0.0, total);
  int i = 0;
  for (double w : weights) {
    if (u < w) return i;
    u -= w;
    ++i;
  }
  return i - 1;
}

bool Chance(cv::RNG& rng, double p) { return rng.uniform(0.0, 1.0) < p; }

double PickDpi(cv::RNG& rng) {
  static const double dpis[] = {150, 200, 300, 400, 600};
  return dpis[Pick(rng, {16, 22, 46, 10, 6})];
}

void PickPaper(cv::RNG& rng, Recipe& r) {
  switch (Pick(rng, {75, 15, 10})) {
    case 0: r.paper_width_mm = 210, r.paper_height_mm = 297; break;
    case 1: r.paper_width_mm = 215.9, r.paper_height_mm = 279.4; break;
    default: r.paper_width_mm = 148, r.paper_height_mm = 210; break;
  }
}

void PickColorAndEncoding(cv::RNG& rng, Recipe& r, double bilevel_share) {
  double rest = 1 - bilevel_share;
  r.color = Color(Pick(rng, {rest * 0.64, rest * 0.36, bilevel_share}));
  if (r.color == Color::kBilevel) {
    r.encoding = Pick(rng, {70, 25, 5}) == 0 ? Encoding::kTiffG4 : Encoding::kPng;
    if (Chance(rng, 0.05)) r.encoding = Encoding::kPngNoDpi;
  } else {
    r.encoding = Encoding(std::array<int, 3>{int(Encoding::kJpeg), int(Encoding::kPng),
                                             int(Encoding::kPngNoDpi)}[std::size_t(
        Pick(rng, {62, 28, 10}))]);
    // Heavy JPEG is where blur estimators go wrong: over-represent it.
    r.jpeg_quality = Chance(rng, 0.3) ? rng.uniform(25, 50) : rng.uniform(50, 96);
  }
}

double PickNoise(cv::RNG& rng) {
  return Chance(rng, 0.8) ? rng.uniform(0.5, 6.0) : rng.uniform(6.0, 14.0);
}

// Rotation over the whole range, with extra weight at the ends (where a
// sweep-based estimator goes blind) and at zero (where a careless one invents
// skew). `inherent` is the content's own skew: the truth must stay in range.
double PickRotation(cv::RNG& rng, double inherent) {
  double a;
  switch (Pick(rng, {10, 12, 78})) {
    case 0: a = 0; break;
    case 1: a = (Chance(rng, 0.5) ? 1 : -1) * rng.uniform(14.0, 15.0); break;
    default: a = rng.uniform(-15.0, 15.0); break;
  }
  return std::clamp(a + inherent, -15.0, 15.0) - inherent;
}

void PickBlur(cv::RNG& rng, Recipe& r) {
  if (Chance(rng, 0.58)) {
    switch (Pick(rng, {40, 45, 15})) {
      case 0: r.blur = BlurKind::kNone; break;
      case 1: r.blur = BlurKind::kGaussian, r.blur_amount = rng.uniform(0.3, 0.8); break;
      default: r.blur = BlurKind::kDefocus, r.blur_amount = rng.uniform(0.6, 1.2); break;
    }
    return;
  }
  switch (Pick(rng, {35, 30, 35})) {
    case 0: r.blur = BlurKind::kGaussian, r.blur_amount = rng.uniform(2.0, 5.0); break;
    case 1: r.blur = BlurKind::kDefocus, r.blur_amount = rng.uniform(3.0, 7.0); break;
    default:
      r.blur = BlurKind::kMotion, r.blur_amount = rng.uniform(7.0, 20.0);
      r.motion_degrees = rng.uniform(0.0, 180.0);
      break;
  }
  if (Chance(rng, 0.45)) r.blur_region = BlurRegion(rng.uniform(1, 8));
}

Recipe PlanContent(cv::RNG& rng, const ScanLibrary& scans) {
  Recipe r;
  if (scans.available() && Chance(rng, 0.4)) {
    r.content = Content::kScan;
    std::vector<std::string> trusted, other;
    for (const std::string& f : scans.files()) (scans.SkewKnown(f) ? trusted : other).push_back(f);
    const auto& from = (!trusted.empty() && (other.empty() || Chance(rng, 0.7))) ? trusted : other;
    r.scan = from[std::size_t(rng.uniform(0, int(from.size())))];
  } else {
    r.content = Content(Pick(rng, {35, 20, 15, 10, 20}));
    if (r.content != Content::kSummarySheet && r.content != Content::kIdCard) PickPaper(rng, r);
  }
  r.dpi = PickDpi(rng);
  if (r.content == Content::kScan) {
    // A big scan at 600 dpi would pass the decoder's 80-Mpx limit.
    const cv::Mat scan = scans.Load(r.scan);
    if (double(scan.total()) * (r.dpi / 300) * (r.dpi / 300) > 60e6) r.dpi = 300;
  }
  const double inherent = r.content == Content::kScan ? scans.InherentSkew(r.scan) : 0;
  r.rotation_degrees = PickRotation(rng, inherent);
  // Summary sheets are mostly scanned in colour (the seal is red).
  PickColorAndEncoding(rng, r, r.content == Content::kSummarySheet ? 0.15 : 0.3);
  if (r.color != Color::kBilevel) PickBlur(rng, r);
  r.noise_sigma = PickNoise(rng);
  if (Chance(rng, 0.12)) r.artefacts |= kDarkBackground;
  if (Chance(rng, 0.10)) r.artefacts |= kBlackBands;
  if (Chance(rng, 0.15)) r.artefacts |= kPaperTexture;
  if (Chance(rng, 0.20)) r.artefacts |= kDust;
  const bool synthetic_text = r.content == Content::kTextPage || r.content == Content::kFormPage ||
                              r.content == Content::kSparsePage;
  if (synthetic_text && Chance(rng, 0.15)) r.artefacts |= kHalftonePhoto;
  if (synthetic_text && Chance(rng, 0.10)) r.artefacts |= kContonePhoto;
  return r;
}

Recipe PlanBlankish(cv::RNG& rng, Content content) {
  Recipe r;
  r.content = content;
  PickPaper(rng, r);
  r.dpi = PickDpi(rng);
  r.rotation_degrees = rng.uniform(-3.0, 3.0);
  PickColorAndEncoding(rng, r, 0.25);
  r.noise_sigma = Chance(rng, 0.7) ? rng.uniform(0.5, 5.0) : rng.uniform(5.0, 12.0);
  if (Chance(rng, 0.7)) r.artefacts |= kDust;
  if (Chance(rng, 0.3)) r.artefacts |= kEdgeShadow;
  if (Chance(rng, 0.3)) r.artefacts |= kPunchHoles;
  if (Chance(rng, 0.35)) r.artefacts |= kShowThrough;
  if (Chance(rng, 0.2)) r.artefacts |= kBlackBands;
  if (Chance(rng, 0.1)) r.artefacts |= kDarkBackground;
  if (Chance(rng, 0.2)) r.artefacts |= kPaperTexture;
  return r;
}

// The orientation set: every content with text, laid on the glass at any
// quarter turn, and skewed within 15 degrees or between 15 and 44 (at 45 a
// page is as far from one axis as from the next: neither is wrong).
Recipe PlanTurned(cv::RNG& rng, const ScanLibrary& scans) {
  Recipe r;
  if (scans.available() && Chance(rng, 0.35)) {
    r.content = Content::kScan;
    r.scan = scans.files()[std::size_t(rng.uniform(0, int(scans.files().size())))];
    const cv::Mat scan = scans.Load(r.scan);
    r.dpi = double(scan.total()) > 30e6 ? 300 : (Chance(rng, 0.7) ? 300 : 200);
  } else {
    r.content = std::array<Content, 7>{Content::kTextPage, Content::kChinesePage,
                                       Content::kFormPage, Content::kSparsePage, Content::kIdCard,
                                       Content::kSummarySheet, Content::kChineseForm}[std::size_t(
        Pick(rng, {30, 30, 15, 8, 7, 10, 15}))];
    r.dpi = PickDpi(rng);
    if (r.dpi > 300) r.dpi = 300;
  }
  r.turn_degrees = 90 * rng.uniform(0, 4);
  const double inherent = r.content == Content::kScan ? scans.InherentSkew(r.scan) : 0;
  const double sign = Chance(rng, 0.5) ? 1 : -1;
  const double a = Chance(rng, 0.4) ? rng.uniform(-15.0, 15.0) : sign * rng.uniform(15.0, 44.0);
  r.rotation_degrees = std::clamp(a + inherent, -44.0, 44.0) - inherent;
  PickColorAndEncoding(rng, r, r.content == Content::kSummarySheet ? 0.15 : 0.3);
  if (r.color != Color::kBilevel && Chance(rng, 0.3)) {
    r.blur = BlurKind::kGaussian;
    r.blur_amount = rng.uniform(0.3, 0.8);
  }
  r.noise_sigma = PickNoise(rng);
  if (Chance(rng, 0.10)) r.artefacts |= kDarkBackground;
  if (Chance(rng, 0.15)) r.artefacts |= kDust;
  return r;
}

}  // namespace

ImageCorpus::ImageCorpus(const CorpusOptions& options, std::shared_ptr<const ScanLibrary> scans)
    : scans_(std::move(scans)) {
  const int upright = options.content_pages + options.blank_pages + options.near_blank_pages;
  const int total = upright + options.turned_pages;
  for (int i = 0; i < total; ++i) {
    cv::RNG rng(Mix(options.seed, std::uint64_t(i), 0x5eed));
    Recipe r;
    if (i >= upright)
      r = PlanTurned(rng, *scans_);
    else if (i < options.content_pages)
      r = PlanContent(rng, *scans_);
    else if (i < options.content_pages + options.blank_pages)
      r = PlanBlankish(rng, Content::kBlank);
    else
      r = PlanBlankish(rng, Chance(rng, 0.5) ? Content::kShortLine : Content::kSignature);
    r.seed = Mix(options.seed, std::uint64_t(i), 0xc0de);
    plan_.push_back(r);
  }
}

std::string ImageCorpus::Name(std::size_t i) const {
  const Recipe& r = plan_[i];
  std::string what = r.content == Content::kScan ? r.scan.substr(0, r.scan.find('.'))
                                                 : ContentName(r.content);
  char name[160];
  const char* ext = r.encoding == Encoding::kJpeg     ? "jpg"
                    : r.encoding == Encoding::kTiffG4 ? "tif"
                                                      : "png";
  if (r.turn_degrees != 0 || std::abs(r.rotation_degrees) > 15)
    std::snprintf(name, sizeof name, "p%04zu-%s-%.0fdpi-%s-turn%d.%s", i, what.c_str(), r.dpi,
                  ColorName(r.color), r.turn_degrees, ext);
  else
    std::snprintf(name, sizeof name, "p%04zu-%s-%.0fdpi-%s-%s.%s", i, what.c_str(), r.dpi,
                  ColorName(r.color), BlurKindName(r.blur), ext);
  return name;
}

CorpusPage ImageCorpus::Make(std::size_t i) const { return RenderPage(plan_[i], *scans_, Name(i)); }

const char* ContentName(Content c) {
  switch (c) {
    case Content::kTextPage: return "text";
    case Content::kFormPage: return "form";
    case Content::kSparsePage: return "sparse";
    case Content::kIdCard: return "idcard";
    case Content::kSummarySheet: return "summary";
    case Content::kScan: return "scan";
    case Content::kBlank: return "blank";
    case Content::kShortLine: return "oneline";
    case Content::kSignature: return "signature";
    case Content::kChinesePage: return "chinese";
    case Content::kChineseForm: return "chineseform";
  }
  return "?";
}

const char* ColorName(Color c) {
  switch (c) {
    case Color::kGray: return "gray";
    case Color::kColor: return "color";
    case Color::kBilevel: return "bilevel";
  }
  return "?";
}

const char* BlurKindName(BlurKind k) {
  switch (k) {
    case BlurKind::kNone: return "none";
    case BlurKind::kGaussian: return "gaussian";
    case BlurKind::kDefocus: return "defocus";
    case BlurKind::kMotion: return "motion";
  }
  return "?";
}

const char* EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kPng: return "png";
    case Encoding::kPngNoDpi: return "png-nodpi";
    case Encoding::kJpeg: return "jpeg";
    case Encoding::kTiffG4: return "tiff-g4";
  }
  return "?";
}

const char* BlurClassName(BlurClass c) {
  switch (c) {
    case BlurClass::kSharp: return "sharp";
    case BlurClass::kBlurred: return "blurred";
    case BlurClass::kNotApplicable: return "n/a";
    case BlurClass::kUnlabelled: return "";
  }
  return "?";
}

}  // namespace scangate::corpus
