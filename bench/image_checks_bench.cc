// `scangate-image-checks-bench`: accuracy and speed of the image checks
// (skew, blur, blank, resolution) on the labelled corpus and on the shared
// deskew tests, with Leptonica's skew estimator run on the same pages beside
// ours. One core: OpenCV's own threads are switched off, pages run in turn.
//
//   scangate-image-checks-bench [--corpus DIR] [--seed N] [--pages SCALE]
//                               [--deskew DIR] [--no-leptonica] [--csv FILE]
//                               [--turned-only]   (the orientation set alone)
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <malloc.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "bench/holdout.h"
#include "pipeline/image/blank.h"
#include "pipeline/image/blur.h"
#include "pipeline/decode/decode.h"
#include "bench/corpus/image_corpus.h"
#include "pipeline/image/ink.h"
#include "pipeline/image/orientation.h"
#include "pipeline/judge.h"
#include "pipeline/image/resolution.h"
#include "pipeline/image/skew.h"
#include "pipeline/verdict.h"

#ifdef SCANGATE_HAVE_LEPTONICA
#include <leptonica/allheaders.h>
#endif

namespace scangate {
namespace {

using Clock = std::chrono::steady_clock;
namespace corpus = scangate::corpus;

// Check times are this thread's CPU time: the machine is shared, and time
// spent waiting for a core is not the checks' cost.
struct CpuClock {
  using time_point = double;
  static double now() {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
  }
};

double Ms(CpuClock::time_point& t) {
  double now = CpuClock::now();
  double ms = (now - t) * 1e3;
  t = now;
  return ms;
}

// One page's measurements and times.
struct Result {
  std::string name;
  std::string set;  // "corpus", "turned" (the orientation set) or "deskew-tests"
  corpus::Recipe recipe;
  corpus::Truth truth;
  int width = 0, height = 0;
  PageVerdict verdict;  // measurements and derived flags
  double decode_ms = 0, ink_ms = 0, skew_ms = 0, blank_ms = 0, blur_ms = 0, orient_ms = 0;
  // The baseline for the cost of orientation and wide skew: the precise
  // search over +-15 degrees alone (the skew check before them), on the
  // same page in the same process. Not part of checks_ms().
  double in_range_skew_ms = 0;
  bool lept_ran = false;
  double lept_degrees = 0, lept_confidence = 0, lept_binarize_ms = 0, lept_skew_ms = 0;
  double checks_ms() const { return ink_ms + skew_ms + blank_ms + blur_ms + orient_ms; }
  double skew_error() const { return verdict.skew.degrees - truth.skew_degrees; }
  double lept_error() const { return lept_degrees - truth.skew_degrees; }
  bool a4_300() const {
    const double w_mm = std::min(width, height) / truth.dpi * 25.4,
                 h_mm = std::max(width, height) / truth.dpi * 25.4;
    return std::abs(truth.dpi - 300) < 1 && std::abs(w_mm - 210) < 3 && std::abs(h_mm - 297) < 3;
  }
};

#ifdef SCANGATE_HAVE_LEPTONICA
// Leptonica wants 1 bit per pixel, 1 = ink. A fixed threshold, as its own
// pixConvertTo1 would use; packing is timed apart from the skew search.
void RunLeptonica(const cv::Mat& gray, Result& r) {
  auto t = CpuClock::now();
  PIX* pix = pixCreate(gray.cols, gray.rows, 1);
  l_uint32* data = pixGetData(pix);
  const int wpl = pixGetWpl(pix);
  for (int y = 0; y < gray.rows; ++y) {
    const std::uint8_t* g = gray.ptr<std::uint8_t>(y);
    l_uint32* line = data + std::ptrdiff_t(y) * wpl;
    for (int x = 0; x < gray.cols; ++x)
      if (g[x] < 128) line[x >> 5] |= 0x80000000u >> (x & 31);
  }
  r.lept_binarize_ms = Ms(t);
  l_float32 angle = 0, conf = 0;
  // Leptonica's defaults (reductions 4 and 2, 1-degree sweep steps, search to
  // 0.01 degrees) with the sweep widened from +-7 to +-15 degrees.
  pixFindSkewSweepAndSearch(pix, &angle, &conf, 4, 2, 15.0f, 1.0f, 0.01f);
  r.lept_skew_ms = Ms(t);
  pixDestroy(&pix);
  r.lept_ran = true;
  // Leptonica's sign is ours (checked on the synthetic pages).
  r.lept_degrees = angle;
  r.lept_confidence = conf;
}
#endif

bool Judge(std::span<const std::uint8_t> bytes, Result& r, bool leptonica) {
  auto t = CpuClock::now();
  Fallible<ImageProbe> probe = ProbeImage(bytes, DecodeLimits{});
  if (!probe.ok()) return false;
  Fallible<PageImage> decoded = DecodeFrame(bytes, probe.value(), 0);
  if (!decoded.ok()) return false;
  r.decode_ms = Ms(t);
  const PageImage& page = decoded.value();
  PageVerdict& v = r.verdict;
  r.width = v.width = page.gray.cols;
  r.height = v.height = page.gray.rows;
  v.color_mode = page.color_mode;
  v.resolution = MeasureResolution(v.width, v.height, page.file_dpi_x, page.file_dpi_y);
  const Profile profile;
  t = CpuClock::now();
  static InkMap ink;  // as judge.cc: buffers reused from page to page
  FindInk(page.gray, v.resolution.dpi, ink);
  r.ink_ms = Ms(t);
  // As judge.cc: blur first, since the skew checks its edges on blurred text.
  v.blur = MeasureBlur(page.gray, ink, v.resolution.dpi, page.color_mode == ColorMode::kBilevel,
                       {profile.max_blur_sigma});
  r.blur_ms = Ms(t);
  v.skew = MeasureSkew(ink, &v.blur);
  r.skew_ms = Ms(t);
  v.orientation = MeasureOrientation(ink, v.skew.degrees);
  r.orient_ms = Ms(t);
  v.blank = MeasureBlank(ink);
  r.blank_ms = Ms(t);
  (void)MeasureSkewInRange(ink, &v.blur);
  r.in_range_skew_ms = Ms(t);
  DecidePage(v, profile);
#ifdef SCANGATE_HAVE_LEPTONICA
  if (leptonica) RunLeptonica(page.gray, r);
#endif
  return true;
}

// ---------------------------------------------------------------- figures

struct Errors {
  std::vector<double> abs;
  void Add(double e) { abs.push_back(std::abs(e)); }
  std::size_t n() const { return abs.size(); }
  double Mae() const {
    double s = 0;
    for (double e : abs) s += e;
    return abs.empty() ? 0 : s / double(abs.size());
  }
  double Quantile(double q) const {
    if (abs.empty()) return 0;
    std::vector<double> v = abs;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, std::size_t(std::ceil(q * double(v.size())) - 1))];
  }
  double Max() const { return abs.empty() ? 0 : *std::max_element(abs.begin(), abs.end()); }
};

void SkewRow(const char* label, const std::vector<const Result*>& rs) {
  Errors ours, lept;
  int low_conf = 0, lept_fail = 0, over = 0;
  bool lept_ran = false;
  for (const Result* r : rs) {
    ours.Add(r->skew_error());
    low_conf += r->verdict.skew.confidence < Profile{}.min_skew_confidence;
    over += std::abs(r->skew_error()) > 0.2;
    if (r->lept_ran) {
      lept_ran = true;
      lept.Add(r->lept_error());
      lept_fail += std::abs(r->lept_error()) > 1.0;
    }
  }
  if (rs.empty()) return;
  std::printf("  %-30s %5zu  %6.3f %6.3f %6.3f %5d %5d", label, ours.n(), ours.Mae(),
              ours.Quantile(0.95), ours.Max(), over, low_conf);
  if (lept_ran)
    std::printf("  |  %6.3f %6.3f %7.3f %5d", lept.Mae(), lept.Quantile(0.95), lept.Max(),
                lept_fail);
  std::printf("\n");
}

using Filter = std::function<bool(const Result&)>;

std::vector<const Result*> Select(const std::vector<Result>& all, const Filter& f) {
  std::vector<const Result*> out;
  for (const Result& r : all)
    if (f(r)) out.push_back(&r);
  return out;
}

void PrintSkew(const std::vector<Result>& all) {
  std::printf(
      "\nSKEW  error in degrees; >0.2: pages worse than 0.2; lowconf: confidence below the\n"
      "profile's 0.3 (not judged). Leptonica: pixFindSkewSweepAndSearch on the same pages,\n"
      "binarised at 128, sweep +-15 in 1-degree steps, reductions 4/2; fail: off by > 1 degree.\n");
  std::printf("  %-30s %5s  %6s %6s %6s %5s %5s  |  %6s %6s %7s %5s\n", "set", "pages", "MAE",
              "p95", "max", ">0.2", "lowc", "lept", "p95", "max", "fail");
  auto known = [](const Result& r) { return r.truth.skew_known; };
  auto corpus_known = [&](const Result& r) { return r.set == "corpus" && known(r); };
  using C = corpus::Content;
  SkewRow("corpus, all with known skew", Select(all, corpus_known));
  SkewRow("  judged (confidence >= 0.3)", Select(all, [&](const Result& r) {
            return corpus_known(r) && r.verdict.skew.confidence >= Profile{}.min_skew_confidence;
          }));
  SkewRow("  synthetic pages", Select(all, [&](const Result& r) {
            return corpus_known(r) && r.recipe.content != C::kScan;
          }));
  SkewRow("  real scans, rotated", Select(all, [&](const Result& r) {
            return corpus_known(r) && r.recipe.content == C::kScan;
          }));
  SkewRow("  |skew| < 5", Select(all, [&](const Result& r) {
            return corpus_known(r) && std::abs(r.truth.skew_degrees) < 5;
          }));
  SkewRow("  5 <= |skew| < 10", Select(all, [&](const Result& r) {
            return corpus_known(r) && std::abs(r.truth.skew_degrees) >= 5 &&
                   std::abs(r.truth.skew_degrees) < 10;
          }));
  SkewRow("  10 <= |skew| <= 15", Select(all, [&](const Result& r) {
            return corpus_known(r) && std::abs(r.truth.skew_degrees) >= 10;
          }));
  SkewRow("  14 <= |skew| <= 15", Select(all, [&](const Result& r) {
            return corpus_known(r) && std::abs(r.truth.skew_degrees) >= 14;
          }));
  SkewRow("  straight (skew 0)", Select(all, [&](const Result& r) {
            return corpus_known(r) && r.truth.skew_degrees == 0;
          }));
  for (auto color : {corpus::Color::kGray, corpus::Color::kColor, corpus::Color::kBilevel})
    SkewRow((std::string("  ") + corpus::ColorName(color)).c_str(), Select(all, [&](const Result& r) {
              return corpus_known(r) && r.recipe.color == color;
            }));
  for (double dpi : {150, 200, 300, 400, 600})
    SkewRow(("  " + std::to_string(int(dpi)) + " dpi").c_str(), Select(all, [&](const Result& r) {
              return corpus_known(r) && r.truth.dpi == dpi;
            }));
  SkewRow("  black borders / background", Select(all, [&](const Result& r) {
            return corpus_known(r) &&
                   (r.recipe.artefacts & (corpus::kBlackBands | corpus::kDarkBackground));
          }));
  SkewRow("  blurred", Select(all, [&](const Result& r) {
            return corpus_known(r) && r.truth.blur == corpus::BlurClass::kBlurred;
          }));
  SkewRow("  forms and tables", Select(all, [&](const Result& r) {
            return corpus_known(r) && r.recipe.content == C::kFormPage;
          }));
  SkewRow("  sparse, ID card, summary", Select(all, [&](const Result& r) {
            return corpus_known(r) && (r.recipe.content == C::kSparsePage ||
                                       r.recipe.content == C::kIdCard ||
                                       r.recipe.content == C::kSummarySheet);
          }));
  SkewRow("deskew-tests (certain rows)", Select(all, [&](const Result& r) {
            return r.set == "deskew-tests" && known(r);
          }));
  auto unstructured = Select(all, [](const Result& r) {
    return r.set == "corpus" && r.recipe.content == C::kBlank;
  });
  if (!unstructured.empty()) {
    int low = 0;
    for (const Result* r : unstructured) low += r->verdict.skew.confidence < Profile{}.min_skew_confidence;
    std::printf("  blank pages (no structure): %d of %zu report low confidence (never rejected)\n",
                low, unstructured.size());
  }
}

void ClassRow(const char* label, const std::vector<const Result*>& rs,
              const std::function<bool(const Result&)>& correct) {
  if (rs.empty()) return;
  int ok = 0;
  for (const Result* r : rs) ok += correct(*r);
  std::printf("  %-40s %5zu  %7.2f%%  (%d wrong)\n", label, rs.size(), 100.0 * ok / double(rs.size()),
              int(rs.size()) - ok);
}

void PrintBlur(const std::vector<Result>& all) {
  std::printf("\nBLUR  correct verdicts per class (blurred: sigma>=2, disk r>=3 or motion>=7 px\n"
              "at 300 dpi on the whole page or on >=10%% of the text; sharp: sigma<=0.8)\n");
  std::printf("  %-40s %5s  %8s\n", "class", "pages", "correct");
  using B = corpus::BlurClass;
  auto is = [](B c) { return [c](const Result& r) { return r.set == "corpus" && r.truth.blur == c; }; };
  auto said_blurred = [](const Result& r) { return r.verdict.blurred; };
  auto said_sharp = [](const Result& r) { return r.verdict.blur.applicable && !r.verdict.blurred; };
  ClassRow("sharp", Select(all, is(B::kSharp)), said_sharp);
  ClassRow("  JPEG quality < 50", Select(all, [&](const Result& r) {
             return is(B::kSharp)(r) && r.recipe.encoding == corpus::Encoding::kJpeg &&
                    r.recipe.jpeg_quality < 50;
           }), said_sharp);
  ClassRow("  halftone or photo", Select(all, [&](const Result& r) {
             return is(B::kSharp)(r) &&
                    (r.recipe.artefacts & (corpus::kHalftonePhoto | corpus::kContonePhoto));
           }), said_sharp);
  ClassRow("  paper texture", Select(all, [&](const Result& r) {
             return is(B::kSharp)(r) && (r.recipe.artefacts & corpus::kPaperTexture);
           }), said_sharp);
  ClassRow("  noise sigma > 6", Select(all, [&](const Result& r) {
             return is(B::kSharp)(r) && r.recipe.noise_sigma > 6;
           }), said_sharp);
  ClassRow("  sparse text (few lines, card)", Select(all, [&](const Result& r) {
             return is(B::kSharp)(r) && (r.recipe.content == corpus::Content::kSparsePage ||
                                         r.recipe.content == corpus::Content::kIdCard);
           }), said_sharp);
  ClassRow("blurred", Select(all, is(B::kBlurred)), said_blurred);
  for (auto kind : {corpus::BlurKind::kGaussian, corpus::BlurKind::kDefocus, corpus::BlurKind::kMotion})
    ClassRow((std::string("  whole page, ") + corpus::BlurKindName(kind)).c_str(),
             Select(all, [&](const Result& r) {
               return is(B::kBlurred)(r) && r.recipe.blur == kind &&
                      r.recipe.blur_region == corpus::BlurRegion::kWhole;
             }), said_blurred);
  ClassRow("  partial (10-70% of the text)", Select(all, [&](const Result& r) {
             return is(B::kBlurred)(r) && r.recipe.blur_region != corpus::BlurRegion::kWhole;
           }), said_blurred);
  ClassRow("  sparse text (few lines, card)", Select(all, [&](const Result& r) {
             return is(B::kBlurred)(r) && (r.recipe.content == corpus::Content::kSparsePage ||
                                           r.recipe.content == corpus::Content::kIdCard);
           }), said_blurred);
  ClassRow("1-bit pages: reported not applicable", Select(all, is(B::kNotApplicable)),
           [](const Result& r) { return !r.verdict.blur.applicable; });
}

void PrintBlank(const std::vector<Result>& all) {
  std::printf("\nBLANK  correct verdicts per class\n");
  std::printf("  %-40s %5s  %8s\n", "class", "pages", "correct");
  using C = corpus::Content;
  auto content = [](C c) { return [c](const Result& r) { return r.set == "corpus" && r.recipe.content == c; }; };
  auto said_blank = [](const Result& r) { return r.verdict.is_blank; };
  auto said_not = [](const Result& r) { return !r.verdict.is_blank; };
  ClassRow("blank", Select(all, content(C::kBlank)), said_blank);
  const std::pair<unsigned, const char*> artefacts[] = {
      {corpus::kDust, "dust and hairs"},       {corpus::kEdgeShadow, "edge shadows"},
      {corpus::kPunchHoles, "punch holes"},    {corpus::kShowThrough, "show-through"},
      {corpus::kBlackBands, "black border bands"}, {corpus::kDarkBackground, "dark background"},
      {corpus::kPaperTexture, "paper texture"}};
  for (auto [flag, label] : artefacts)
    ClassRow((std::string("  with ") + label).c_str(), Select(all, [&](const Result& r) {
               return content(C::kBlank)(r) && (r.recipe.artefacts & flag);
             }), said_blank);
  ClassRow("  1-bit", Select(all, [&](const Result& r) {
             return content(C::kBlank)(r) && r.recipe.color == corpus::Color::kBilevel;
           }), said_blank);
  ClassRow("  noise sigma > 5", Select(all, [&](const Result& r) {
             return content(C::kBlank)(r) && r.recipe.noise_sigma > 5;
           }), said_blank);
  ClassRow("not blank: one short line", Select(all, content(C::kShortLine)), said_not);
  ClassRow("not blank: only a signature", Select(all, content(C::kSignature)), said_not);
  ClassRow("not blank: document pages", Select(all, [](const Result& r) {
             return r.set == "corpus" && r.truth.blank_known && !r.truth.blank &&
                    r.recipe.content != C::kShortLine && r.recipe.content != C::kSignature;
           }), said_not);
}

void PrintResolution(const std::vector<Result>& all) {
  std::printf("\nRESOLUTION  dpi within 2%% of the truth\n");
  auto corpus_page = [](const Result& r) { return r.set == "corpus"; };
  auto close = [](const Result& r) {
    return std::abs(r.verdict.resolution.dpi - r.truth.dpi) <= 0.02 * r.truth.dpi;
  };
  ClassRow("dpi in the file", Select(all, [&](const Result& r) {
             return corpus_page(r) && r.truth.dpi_in_file;
           }), [&](const Result& r) { return close(r) && !r.verdict.resolution.inferred; });
  ClassRow("no dpi in the file: inferred (A4/Letter/A5)", Select(all, [&](const Result& r) {
             return corpus_page(r) && !r.truth.dpi_in_file && r.recipe.content != corpus::Content::kScan;
           }), [&](const Result& r) { return close(r) && r.verdict.resolution.inferred; });
}

struct Mean {
  double sum = 0;
  int n = 0;
  void Add(double v) { sum += v, ++n; }
  double get() const { return n ? sum / n : 0; }
};

void TimeRow(const char* label, const std::vector<const Result*>& rs) {
  if (rs.empty()) return;
  Mean decode, ink, skew, blank, blur, orient, lb, ls;
  std::vector<double> total;
  for (const Result* r : rs) {
    decode.Add(r->decode_ms), ink.Add(r->ink_ms), skew.Add(r->skew_ms), blank.Add(r->blank_ms);
    blur.Add(r->blur_ms), orient.Add(r->orient_ms), total.push_back(r->checks_ms());
    if (r->lept_ran) lb.Add(r->lept_binarize_ms), ls.Add(r->lept_skew_ms);
  }
  std::sort(total.begin(), total.end());
  double mean_total = 0;
  for (double t : total) mean_total += t;
  mean_total /= double(total.size());
  std::printf("  %-24s %5zu %8.2f | %6.2f %6.2f %6.2f %6.2f %6.2f | %7.2f %7.2f %7.2f | %7.2f %7.2f\n",
              label, rs.size(), decode.get(), ink.get(), skew.get(), blank.get(), blur.get(), orient.get(),
              mean_total, total[total.size() / 2], total[std::size_t(0.95 * double(total.size() - 1))],
              lb.get(), ls.get());
}

// What orientation and wide skew add to the checks: skew and orientation
// as measured, against the +-15-degree search alone on the same pages (the
// skew check before them), beside the page's decode time.
void AngleCostRow(const char* label, const std::vector<const Result*>& rs) {
  if (rs.empty()) return;
  Mean decode, before, skew, orient, added;
  std::vector<double> each;
  for (const Result* r : rs) {
    decode.Add(r->decode_ms), before.Add(r->in_range_skew_ms), skew.Add(r->skew_ms), orient.Add(r->orient_ms);
    each.push_back(r->skew_ms + r->orient_ms - r->in_range_skew_ms);
    added.Add(each.back());
  }
  std::sort(each.begin(), each.end());
  std::printf("  %-24s %5zu %8.2f | %9.2f | %6.2f %6.2f | %7.2f %7.2f %7.2f\n", label, rs.size(), decode.get(),
              before.get(), skew.get(), orient.get(), added.get(), each[each.size() / 2],
              each[std::size_t(0.95 * double(each.size() - 1))]);
}

void PrintAngleCost(const std::vector<Result>& all) {
  std::printf("\nANGLE COST  ms of CPU per page on one core: orientation and wide skew against the\n"
              "+-15-degree skew search alone (before: the skew check without them), same pages, same\n"
              "process; added = skew + orient - before (mean, median, p95)\n");
  std::printf("  %-24s %5s %8s | %9s | %6s %6s | %7s %7s %7s\n", "pages", "n", "decode", "before",
              "skew", "orient", "added", "median", "p95");
  AngleCostRow("upright, A4 300 dpi", Select(all, [](const Result& r) { return r.set == "corpus" && r.a4_300(); }));
  AngleCostRow("turned, A4 300 dpi", Select(all, [](const Result& r) { return r.set == "turned" && r.a4_300(); }));
  AngleCostRow("turned, beyond 15 deg", Select(all, [](const Result& r) {
                 return r.set == "turned" && std::abs(r.truth.skew_degrees) > 15;
               }));
}

void PrintTimes(const std::vector<Result>& all) {
  std::printf("\nTIME  ms of CPU per page on one core (means; checks = ink+skew+blank+blur+orient,\n"
              "decode apart; skew includes the line axis that finds skews beyond 15 degrees)\n");
  std::printf("  %-24s %5s %8s | %6s %6s %6s %6s %6s | %7s %7s %7s | %7s %7s\n", "pages", "n",
              "decode", "ink", "skew", "blank", "blur", "orient", "checks", "median", "p95",
              "lept-bin", "lept-skw");
  auto corpus_page = [](const Result& r) { return r.set == "corpus"; };
  TimeRow("A4 300 dpi (the target)", Select(all, [&](const Result& r) { return corpus_page(r) && r.a4_300(); }));
  for (double dpi : {150, 200, 300, 400, 600})
    TimeRow((std::to_string(int(dpi)) + " dpi, all sizes").c_str(), Select(all, [&](const Result& r) {
              return corpus_page(r) && r.truth.dpi == dpi;
            }));
  TimeRow("deskew-tests", Select(all, [](const Result& r) { return r.set == "deskew-tests"; }));
  TimeRow("turned, A4 300 dpi", Select(all, [](const Result& r) { return r.set == "turned" && r.a4_300(); }));
  TimeRow("turned, beyond 15 deg", Select(all, [](const Result& r) {
            return r.set == "turned" && std::abs(r.truth.skew_degrees) > 15;
          }));
  PrintAngleCost(all);
}

// The validation split is bench/holdout.h's, as every bench's: a hash of
// the file name, fixed before any threshold was tuned.
bool Validation(const std::string& name) { return bench::InValidation(name); }

// Skew error modulo the quarter turn: the orientation is judged apart.
double SkewErrorModQuarter(const Result& r) {
  double e = std::fmod(r.verdict.skew.degrees - r.truth.skew_degrees + 405.0, 90.0) - 45;
  return e;
}

void OrientRow(const char* label, const std::vector<const Result*>& rs) {
  int n[2] = {0, 0}, ok[2] = {0, 0}, sure_wrong[2] = {0, 0}, low[2] = {0, 0};
  for (const Result* r : rs) {
    const int s = Validation(r->name);
    ++n[s];
    const bool right = r->verdict.orientation.degrees == r->truth.orientation_degrees;
    ok[s] += right;
    const bool sure = r->verdict.orientation.confidence >= Profile{}.min_orientation_confidence;
    low[s] += !sure;
    sure_wrong[s] += !right && sure;
  }
  if (rs.empty()) return;
  auto pct = [](int a, int b) { return b ? 100.0 * a / b : 0.0; };
  std::printf("  %-30s | %5d %7.2f%% %5d %5d | %5d %7.2f%% %5d %5d\n", label, n[0], pct(ok[0], n[0]),
              sure_wrong[0], low[0], n[1], pct(ok[1], n[1]), sure_wrong[1], low[1]);
}

void WideSkewRow(const char* label, const std::vector<const Result*>& rs) {
  Errors e[2];
  int over[2] = {0, 0};
  for (const Result* r : rs) {
    const int s = Validation(r->name);
    e[s].Add(SkewErrorModQuarter(*r));
    over[s] += std::abs(SkewErrorModQuarter(*r)) > (std::abs(r->truth.skew_degrees) > 15 ? 0.5 : 0.2);
  }
  if (rs.empty()) return;
  std::printf("  %-30s | %5zu %6.3f %6.3f %5d | %5zu %6.3f %6.3f %5d\n", label, e[0].n(), e[0].Mae(),
              e[0].Max(), over[0], e[1].n(), e[1].Mae(), e[1].Max(), over[1]);
}

void PrintOrientation(const std::vector<Result>& all) {
  auto turned = [](const Result& r) { return r.set == "turned" && r.truth.orientation_known; };
  // Without a turned set (a corpus of upright pages) the tables stay empty
  // and only the rejections of upright and blank pages are counted.
  std::printf(
      "\nORIENTATION  the orientation set (every content with text at 0/90/180/270, skewed up to\n"
      "44 degrees); right: the quarter turn found; sure-wrong: wrong at confidence >= %.2f (a\n"
      "PAGE_TURNED that should not be); low: below it (ORIENTATION_UNCERTAIN where the page has\n"
      "many lines). Tuning pages | validation pages (a hash of the file name, never tuned on).\n",
      Profile{}.min_orientation_confidence);
  std::printf("  %-30s | %5s %8s %5s %5s | %5s %8s %5s %5s\n", "pages", "n", "right", "s-wr", "low",
              "n", "right", "s-wr", "low");
  using C = corpus::Content;
  OrientRow("all with text", Select(all, turned));
  for (C c : {C::kScan, C::kTextPage, C::kChinesePage, C::kChineseForm, C::kFormPage, C::kSparsePage, C::kIdCard,
              C::kSummarySheet})
    OrientRow((std::string("  ") + corpus::ContentName(c)).c_str(), Select(all, [&](const Result& r) {
                return turned(r) && r.recipe.content == c;
              }));
  for (int turn : {0, 90, 180, 270})
    OrientRow(("  turned " + std::to_string(turn)).c_str(), Select(all, [&](const Result& r) {
                return turned(r) && r.truth.orientation_degrees == turn;
              }));
  for (auto color : {corpus::Color::kGray, corpus::Color::kColor, corpus::Color::kBilevel})
    OrientRow((std::string("  ") + corpus::ColorName(color)).c_str(), Select(all, [&](const Result& r) {
                return turned(r) && r.recipe.color == color;
              }));
  OrientRow("  |skew| beyond 15", Select(all, [&](const Result& r) {
              return turned(r) && std::abs(r.truth.skew_degrees) > 15;
            }));
  OrientRow("upright corpus pages, text", Select(all, [](const Result& r) {
              return r.set == "corpus" && r.truth.orientation_known &&
                     r.recipe.content != corpus::Content::kIdCard;
            }));
  std::printf(
      "\nWIDE SKEW  error in degrees modulo the quarter turn; over: worse than 0.2 within 15\n"
      "degrees, 0.5 beyond. Tuning | validation.\n");
  std::printf("  %-30s | %5s %6s %6s %5s | %5s %6s %6s %5s\n", "|skew|", "n", "MAE", "max", "over",
              "n", "MAE", "max", "over");
  auto known = [&](const Result& r) { return r.set == "turned" && r.truth.skew_known; };
  for (auto [lo, hi] : {std::pair{0.0, 15.0}, {15.0, 30.0}, {30.0, 45.0}})
    WideSkewRow((std::to_string(int(lo)) + "-" + std::to_string(int(hi)) + " degrees").c_str(),
                Select(all, [&](const Result& r) {
                  const double a = std::abs(r.truth.skew_degrees);
                  return known(r) && a >= lo && a < hi;
                }));
  WideSkewRow("  real scans 15-45", Select(all, [&](const Result& r) {
                return known(r) && std::abs(r.truth.skew_degrees) >= 15 &&
                       r.recipe.content == corpus::Content::kScan;
              }));
  // Time on the orientation set: the checks a page pays, and the skew and
  // orientation within them.
  {
    Mean checks, skew, orient;
    for (const Result* r : Select(all, turned))
      checks.Add(r->checks_ms()), skew.Add(r->skew_ms), orient.Add(r->orient_ms);
    std::printf("  ms/page on the orientation set (one core, CPU): checks %.2f, of which skew %.2f, "
                "orientation %.2f\n", checks.get(), skew.get(), orient.get());
  }
  // The misses of the tuning split, to study; the validation split's are
  // only counted above.
  int shown = 0;
  for (const Result* r : Select(all, turned)) {
    if (Validation(r->name)) continue;
    const auto& o = r->verdict.orientation;
    const bool wrong_turn = o.degrees != r->truth.orientation_degrees;
    const double limit = std::abs(r->truth.skew_degrees) > 15 ? 0.5 : 0.2;
    const bool wrong_skew = r->truth.skew_known && std::abs(SkewErrorModQuarter(*r)) > limit;
    if (!wrong_turn && !wrong_skew) continue;
    if (shown++ == 0) std::printf("  tuning misses (turn truth/found, confidence; skew truth/found):\n");
    std::printf("    %-44s %3d/%3d %.2f  %7.2f/%7.2f%s\n", r->name.c_str(), r->truth.orientation_degrees,
                o.degrees, o.confidence, r->truth.skew_degrees, r->verdict.skew.degrees,
                r->truth.skew_known ? "" : " (skew unknown)");
  }
  // What the new reasons do to pages that must never be rejected for them.
  int blank = 0, blank_rejected = 0;
  for (const Result& r : all) {
    if (r.set != "corpus" || !r.truth.blank) continue;
    ++blank;
    for (const Reason& reason : r.verdict.reasons)
      if (reason.code == ReasonCode::kPageTurned || reason.code == ReasonCode::kSkewUncertain ||
          reason.code == ReasonCode::kOrientationUncertain) {
        ++blank_rejected;
        break;
      }
  }
  std::printf("  blank pages rejected for orientation or an uncertain angle: %d of %d\n",
              blank_rejected, blank);
  int upright = 0, upright_rejected = 0;
  for (const Result& r : all) {
    if (r.set != "corpus" || !r.truth.orientation_known) continue;
    ++upright;
    for (const Reason& reason : r.verdict.reasons)
      if (reason.code == ReasonCode::kPageTurned || reason.code == ReasonCode::kSkewUncertain ||
          reason.code == ReasonCode::kOrientationUncertain) {
        ++upright_rejected;
        // The tuning split's, to study.
        if (!Validation(r.name))
          std::printf("    upright, rejected (tuning): %-44s %s\n", r.name.c_str(), reason.detail.c_str());
        break;
      }
  }
  std::printf("  upright pages (within 15 deg) rejected for orientation or an uncertain angle: %d of %d\n",
              upright_rejected, upright);
}

void WriteCsv(const std::string& path, const std::vector<Result>& all) {
  std::ofstream out(path);
  out << "set,name,content,scan,dpi,color,encoding,q,noise,artefacts,truth_skew,skew_known,skew,"
         "skew_conf,lept_skew,lept_conf,blur_class,blur_kind,blur_amount,region,share,blur_score,"
         "blurred_area,blur_applicable,blurred,blank_truth,blank_known,ink_ratio,largest_mark,"
         "is_blank,res_dpi,res_inferred,decode_ms,ink_ms,skew_ms,blank_ms,blur_ms,skew_points,"
         "skew_peak_ratio,blurred_region,truth_turn,orient,orient_conf,axis_ratio,ascender_vote,"
         "alignment_vote,lines,orient_ms,validation\n";
  for (const Result& r : all) {
    const auto& v = r.verdict;
    char line[1200];
    std::snprintf(
        line, sizeof line,
        "%s,%s,%s,%s,%.0f,%s,%s,%d,%.1f,%u,%.4f,%d,%.4f,%.3f,%.4f,%.3f,%s,%s,%.2f,%d,%.3f,%.4f,%.3f,"
        "%d,%d,%d,%d,%.7f,%.7f,%d,%.1f,%d,%.2f,%.2f,%.2f,%.2f,%.2f,%d,%.3f,%.3f,",
        r.set.c_str(), r.name.c_str(), corpus::ContentName(r.recipe.content), r.recipe.scan.c_str(),
        r.truth.dpi, corpus::ColorName(r.recipe.color), corpus::EncodingName(r.recipe.encoding),
        r.recipe.jpeg_quality, r.recipe.noise_sigma, r.recipe.artefacts, r.truth.skew_degrees,
        int(r.truth.skew_known), v.skew.degrees, v.skew.confidence, r.lept_degrees,
        r.lept_confidence, corpus::BlurClassName(r.truth.blur), corpus::BlurKindName(r.recipe.blur),
        r.recipe.blur_amount, int(r.recipe.blur_region), r.truth.blurred_text_share,
        v.blur.sigma_300dpi, v.blur.blurred_area_ratio, int(v.blur.applicable), int(v.blurred),
        int(r.truth.blank), int(r.truth.blank_known), v.blank.ink_ratio,
        v.blank.largest_mark_ratio, int(v.is_blank), v.resolution.dpi, int(v.resolution.inferred),
        r.decode_ms, r.ink_ms, r.skew_ms, r.blank_ms, r.blur_ms, v.skew.points, v.skew.peak_ratio,
        v.blur.blurred_region_ratio);
    out << line;
    std::snprintf(line, sizeof line, "%d,%d,%.3f,%.3f,%.3f,%.3f,%d,%.2f,%d\n",
                  r.truth.orientation_degrees, v.orientation.degrees, v.orientation.confidence,
                  v.orientation.axis_ratio, v.orientation.ascender_vote,
                  v.orientation.alignment_vote, v.orientation.lines, r.orient_ms,
                  int(Validation(r.name)));
    out << line;
  }
}

// 1-bit legibility: G4 pages made from the real scans, clean (the
// scanner's optics, sigma 0.3-0.8 px) and out of focus (sigma 2-4 px before
// thresholding), at thresholds from 100 (ink thinned) to 180 (ink grown),
// 300 and 200 dpi, sensor noise. Split by the scan's file name: a scan is
// tuning or validation with every page made from it.
void PrintBilevel(const std::string& scans_dir) {
  const corpus::ScanLibrary scans(scans_dir);
  if (!scans.available()) return;
  std::printf("\n1-BIT LEGIBILITY  G4 pages from the real scans; clean: sigma 0.3-0.8 px, blurred:\n"
              "sigma 2-4 px before thresholding at 100-180 (px at 300 dpi); split by scan name\n");
  const Profile profile;
  constexpr int kVariants = 8;
  // [split][class: 0 clean, 1 blurred] pages, judged right
  int pages[2][2] = {}, right[2][2] = {};
  std::vector<std::string> wrong;
  for (const std::string& file : scans.files()) {
    const cv::Mat scan = scans.Load(file);
    if (scan.empty() || std::min(scan.cols, scan.rows) < 1000) continue;  // full pages only
    const int split = bench::InValidation(file);
    cv::RNG rng(std::uint64_t(std::hash<std::string>{}(file)));
    for (int k = 0; k < kVariants; ++k)
      for (int blurred = 0; blurred < 2; ++blurred) {
        corpus::BilevelRecipe r;
        r.seed = std::uint32_t(k * 2 + blurred + 1);
        r.sigma_px = blurred ? rng.uniform(2.0, 4.0) : rng.uniform(0.3, 0.8);
        r.noise = rng.uniform(1.0, 8.0);
        r.degrees = rng.uniform(-2.0, 2.0);
        r.dpi = k % 3 == 2 ? 200 : 300;
        r.threshold = rng.uniform(100, 181);
        const std::string bytes = corpus::BilevelFromScan(scan, r);
        const std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
        const std::vector<PageVerdict> v = JudgeFile(data, file, profile, JudgeOptions{});
        if (v.empty()) continue;
        ++pages[split][blurred];
        const bool ok = blurred == int(v[0].blurred);
        right[split][blurred] += ok;
        if (!ok) {
          char line[200];
          std::snprintf(line, sizeof line, "    wrong (%s): %s %s sigma %.2f thr %d %.0f dpi noise %.1f",
                        bench::SplitName(split), file.c_str(), blurred ? "blurred" : "clean",
                        r.sigma_px, r.threshold, r.dpi, r.noise);
          wrong.push_back(line);
        }
      }
  }
  std::printf("  %-22s | %-12s | %-12s\n", "", "   tuning", " validation");
  for (int c = 0; c < 2; ++c) {
    std::printf("  %-22s", c ? "blurred: rejected" : "clean: accepted");
    for (int s = 0; s < 2; ++s)
      std::printf(" | %4d %7.2f%%", pages[s][c],
                  pages[s][c] ? 100.0 * right[s][c] / pages[s][c] : 0.0);
    std::printf("\n");
  }
  for (std::size_t i = 0; i < wrong.size() && i < 12; ++i) std::printf("%s\n", wrong[i].c_str());
  if (wrong.size() > 12) std::printf("    ... %zu more wrong\n", wrong.size() - 12);
}

// Partial blur (a lifted corner, the bottom strip off the glass, one field
// blurred; Gaussian sigma 4 px at 300 dpi) on text, form, summary-sheet
// and real-scan pages, and the same pages sharp. Blurred when the blurred
// region holds 10 % of the text or more; today's rule (25 % of the text
// cells, anywhere) beside the profile's connected region of 10 %.
void PrintPartial(const std::string& scans_dir, int count) {
  const auto scans = std::make_shared<corpus::ScanLibrary>(scans_dir);
  std::printf("\nPARTIAL BLUR  one region blurred (sigma 4 px at 300 dpi): quarter, bottom strip 15%%,\n"
              "one field; caught when it holds >= 10%% of the text; sharp twins must pass\n");
  const Profile profile;
  auto old_rule = [](const PageVerdict& v) {
    return v.blur.applicable && (v.blur.sigma_300dpi > Profile{}.max_blur_sigma ||
                                 v.blur.blurred_area_ratio >= 0.25);
  };
  const corpus::BlurRegion regions[3] = {corpus::BlurRegion::kQuarter, corpus::BlurRegion::kStrip,
                                         corpus::BlurRegion::kBox};
  const char* names[3] = {"quarter", "strip 15%", "one field"};
  // [split][region] blurred pages (share >= 10%), caught before / after;
  // [split] sharp pages, rejected before / after.
  int n[2][3] = {}, before[2][3] = {}, after[2][3] = {}, sharp[2] = {}, sharp_before[2] = {},
      sharp_after[2] = {};
  double sharp_region[2] = {};  // the largest blurred region a sharp twin reads: the margin
  std::vector<std::string> missed;
  const corpus::Content contents[4] = {corpus::Content::kTextPage, corpus::Content::kFormPage,
                                       corpus::Content::kSummarySheet, corpus::Content::kScan};
  for (int i = 0; i < count; ++i) {
    corpus::Recipe r;
    r.seed = std::uint32_t(7000 + i);
    r.content = contents[i % 4];
    if (r.content == corpus::Content::kScan) {
      if (!scans->available()) continue;
      std::vector<std::string> full;
      for (const std::string& f : scans->files())
        if (std::min(scans->Load(f).cols, scans->Load(f).rows) >= 1000) full.push_back(f);
      r.scan = full[std::size_t(i / 4) % full.size()];
    }
    r.dpi = i % 3 == 2 ? 200 : 300;
    r.noise_sigma = 2 + i % 5;
    r.color = i % 5 == 3 ? corpus::Color::kColor : corpus::Color::kGray;
    r.rotation_degrees = (i % 7 - 3) * 0.3;
    const std::string name = "partial-" + std::to_string(i) + ".png";
    const int split = bench::InValidation(name);
    corpus::Recipe sharp_recipe = r;
    const corpus::CorpusPage sharp_page = corpus::RenderPage(sharp_recipe, *scans, name);
    PageVerdict sv = JudgeFile(std::vector<std::uint8_t>(sharp_page.bytes.begin(), sharp_page.bytes.end()),
                               name, profile, JudgeOptions{})[0];
    ++sharp[split], sharp_before[split] += old_rule(sv), sharp_after[split] += sv.blurred;
    sharp_region[split] = std::max(sharp_region[split], sv.blur.blurred_region_ratio);
    const int k = i % 3;
    r.blur = corpus::BlurKind::kGaussian;
    r.blur_amount = 4;
    r.blur_region = regions[k];
    const corpus::CorpusPage page = corpus::RenderPage(r, *scans, name);
    if (page.truth.blurred_text_share < 0.10) continue;
    PageVerdict v = JudgeFile(std::vector<std::uint8_t>(page.bytes.begin(), page.bytes.end()), name,
                              profile, JudgeOptions{})[0];
    ++n[split][k], before[split][k] += old_rule(v), after[split][k] += v.blurred;
    if (!v.blurred) {
      char line[240];
      std::snprintf(line, sizeof line,
                    "    missed (%s): %s %s %s %.0f dpi, %.0f%% of the text blurred: region %.3f, "
                    "area %.3f, score %.2f",
                    bench::SplitName(split), name.c_str(), corpus::ContentName(r.content), names[k],
                    r.dpi, 100 * page.truth.blurred_text_share, v.blur.blurred_region_ratio,
                    v.blur.blurred_area_ratio, v.blur.sigma_300dpi);
      missed.push_back(line);
    }
  }
  std::printf("  %-24s | %-22s | %-22s\n", "", "        tuning", "      validation");
  std::printf("  %-24s | %5s %7s %8s | %5s %7s %8s\n", "blurred region", "pages", "before", "after",
              "pages", "before", "after");
  for (int k = 0; k < 3; ++k) {
    std::printf("  %-24s", names[k]);
    for (int s = 0; s < 2; ++s)
      std::printf(" | %5d %6.1f%% %7.1f%%", n[s][k], n[s][k] ? 100.0 * before[s][k] / n[s][k] : 0,
                  n[s][k] ? 100.0 * after[s][k] / n[s][k] : 0);
    std::printf("\n");
  }
  std::printf("  %-24s", "sharp twins rejected");
  for (int s = 0; s < 2; ++s)
    std::printf(" | %5d %7d %8d", sharp[s], sharp_before[s], sharp_after[s]);
  std::printf("\n");
  std::printf("  %-24s", "sharp twins: top region");
  for (int s = 0; s < 2; ++s) std::printf(" | %22.3f", sharp_region[s]);
  std::printf("  (limit %.2f)\n", profile.max_blurred_area_ratio);
  for (const std::string& m : missed) std::printf("%s\n", m.c_str());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

// The shared deskew tests: truth.csv beside the pages; uncertain rows left out.
void RunDeskewTests(const std::string& dir, bool leptonica, std::vector<Result>& all) {
  std::ifstream csv(dir + "/truth.csv");
  if (!csv) {
    std::fprintf(stderr, "no %s/truth.csv: deskew tests skipped\n", dir.c_str());
    return;
  }
  std::string line;
  std::getline(csv, line);
  while (std::getline(csv, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (cells.size() < 3) continue;
    Result r;
    r.set = "deskew-tests";
    r.name = cells[0];
    r.truth.skew_known = !cells[2].starts_with("uncertain");
    r.truth.skew_degrees = std::stod(cells[1]);
    r.truth.blur = corpus::BlurClass::kUnlabelled;
    const std::vector<std::uint8_t> bytes = Bytes(ReadFile(dir + "/" + cells[0]));
    if (!Judge(bytes, r, leptonica)) {
      std::fprintf(stderr, "%s: cannot decode\n", cells[0].c_str());
      continue;
    }
    r.truth.dpi = r.verdict.resolution.dpi;
    all.push_back(std::move(r));
  }
}

int Main(int argc, char** argv) {
  std::string corpus_dir, csv_path;
  const char* env = std::getenv("SCANGATE_SHARED_DATA");
  const std::string shared = env && *env ? env : SCANGATE_SHARED_DATA_DIR;
  std::string deskew_dir = shared + "/skew/deskew-tests", scans_dir = shared + "/scans";
  corpus::CorpusOptions options;
  double scale = 1;
  bool leptonica = true, bilevel_only = false, turned_only = false;
  int partial_pages = 0;  // --partial-only N: that section alone, on N pages
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--corpus") corpus_dir = value();
    else if (a == "--seed") options.seed = std::uint32_t(std::stoul(value()));
    else if (a == "--pages") scale = std::stod(value());
    else if (a == "--deskew") deskew_dir = value();
    else if (a == "--scans") scans_dir = value();
    else if (a == "--no-leptonica") leptonica = false;
    else if (a == "--bilevel-only") bilevel_only = true;
    else if (a == "--partial-only") partial_pages = std::stoi(value());
    else if (a == "--csv") csv_path = value();
    else if (a == "--turned-only") turned_only = true;
    else {
      std::fprintf(stderr,
                   "usage: scangate-image-checks-bench [--corpus DIR | --seed N --pages SCALE]\n"
                   "         [--scans DIR] [--deskew DIR] [--no-leptonica] [--csv FILE] [--bilevel-only]\n"
                   "         [--partial-only N] [--turned-only]\n"
                   "  --corpus DIR   a folder written by scangate-make-corpus\n"
                   "  --pages SCALE  generate SCALE x the default corpus in memory (default 1)\n"
                   "  --turned-only  the orientation set alone (generated), or with --corpus:\n"
                   "                 no deskew tests, partial blur or 1-bit sections\n");
      return 2;
    }
  }
#ifndef SCANGATE_HAVE_LEPTONICA
  leptonica = false;
#endif
  cv::setNumThreads(0);  // one core: no OpenCV worker threads
  // Keep freed page buffers in the heap: on this VM a page fault costs tens
  // of microseconds, and every page would fault its buffers in afresh. A
  // server judging page after page reaches the same state by itself once
  // glibc's mmap threshold has grown; the bench sets it from the start.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#ifdef SCANGATE_HAVE_LEPTONICA
  setMsgSeverity(L_SEVERITY_ERROR);  // not a warning per page at the sweep's edge
#endif

  if (bilevel_only) {
    PrintBilevel(scans_dir);
    return 0;
  }
  if (partial_pages > 0) {
    PrintPartial(scans_dir, partial_pages);
    return 0;
  }
  std::vector<Result> all;
  if (!turned_only) RunDeskewTests(deskew_dir, leptonica, all);
  auto add_page = [&](const corpus::CorpusPage& page, bool turned) {
    Result r;
    r.set = turned ? "turned" : "corpus";
    r.name = page.name;
    r.recipe = page.recipe;
    r.truth = page.truth;
    if (!Judge(Bytes(page.bytes), r, leptonica))
      std::fprintf(stderr, "%s: cannot decode\n", page.name.c_str());
    else
      all.push_back(std::move(r));
  };
  const auto start = Clock::now();
  if (!corpus_dir.empty()) {
    auto pages = corpus::ReadTruthCsv(corpus_dir + "/truth.csv");
    for (std::size_t i = 0; i < pages.size(); ++i) {
      pages[i].bytes = ReadFile(corpus_dir + "/" + pages[i].name);
      add_page(pages[i], pages[i].recipe.turn_degrees != 0 ||
                             std::abs(pages[i].truth.skew_degrees) > 15.5);
      pages[i].bytes.clear();
      if ((i + 1) % 100 == 0) std::fprintf(stderr, "%zu/%zu pages\n", i + 1, pages.size());
    }
  } else {
    options.content_pages = int(options.content_pages * scale);
    options.blank_pages = int(options.blank_pages * scale);
    options.near_blank_pages = int(options.near_blank_pages * scale);
    options.turned_pages = int(options.turned_pages * scale);
    if (turned_only) options.content_pages = options.blank_pages = options.near_blank_pages = 0;
    corpus::ImageCorpus corpus(options, std::make_shared<corpus::ScanLibrary>(scans_dir));
    const std::size_t upright = std::size_t(options.content_pages + options.blank_pages +
                                            options.near_blank_pages);
    for (std::size_t i = 0; i < corpus.size(); ++i) {
      add_page(corpus.Make(i), i >= upright);
      if ((i + 1) % 100 == 0) std::fprintf(stderr, "%zu/%zu pages\n", i + 1, corpus.size());
    }
  }
  if (corpus_dir.empty())
    std::printf("image checks bench: %zu pages (corpus generated in memory, seed %u), %.0f s\n",
                all.size(), options.seed, std::chrono::duration<double>(Clock::now() - start).count());
  else
    std::printf("image checks bench: %zu pages (corpus %s), %.0f s\n", all.size(), corpus_dir.c_str(),
                std::chrono::duration<double>(Clock::now() - start).count());
  PrintSkew(all);
  PrintBlur(all);
  PrintBlank(all);
  PrintResolution(all);
  if (!turned_only) {
    PrintPartial(scans_dir, 96);
    PrintBilevel(scans_dir);
  }
  PrintOrientation(all);
  PrintTimes(all);
  if (!csv_path.empty()) WriteCsv(csv_path, all);
  return 0;
}

}  // namespace
}  // namespace scangate

int main(int argc, char** argv) {
  try {
    return scangate::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scangate-image-checks-bench: %s\n", e.what());
    return 1;
  }
}
