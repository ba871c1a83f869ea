// `scangate-summary-bench [--corpus DIR] [--tobacco DIR] [--scans DIR] [--profiles DIR] [--features] [--dump DIR]`:
// accuracy of the summary-sheet decisions on the generated corpus
// (scangate-make-summary-corpus), page-wide signatures on Tobacco-800 (tuning |
// validation split, bench/holdout.h) and on real printed pages, and
// the time registration plus every zone decision takes per page on one
// thread. Exits 1 when a figure misses its target. --dump DIR writes the
// zone of every missed decision there as a PNG (and, for page-wide
// signatures, the tuning split's missed pages with their candidates).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <ctime>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "pipeline/image/blur.h"
#include "pipeline/decode/decode.h"
#include "pipeline/sheet/form_registration.h"
#include "pipeline/sheet/form_zone.h"
#include "pipeline/image/ink.h"
#include "pipeline/sheet/page_signature.h"
#include "wire/profile_store.h"
#include "pipeline/image/resolution.h"
#include "pipeline/sheet/seal.h"
#include "pipeline/sheet/signature.h"
#include "pipeline/image/skew.h"
#include "bench/holdout.h"
#include "bench/summary/summary_corpus.h"
#include "pipeline/sheet/summary_sheet.h"
#include "pipeline/verdict.h"

namespace {

using namespace scangate;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// CPU time of this thread: what one core spends, whoever else shares it.
double ThreadCpuMs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Page {
  PageImage image;
  InkMap ink;
  ResolutionMeasure resolution;
  SkewMeasure skew;  // measured on every page before the sheet (judge.cc)
  double ink_seconds = 0;
};

bool Load(const std::string& bytes, Page& page) {
  std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  Fallible<ImageProbe> probe = ProbeImage(data, DecodeLimits{});
  if (!probe.ok()) return false;
  Fallible<PageImage> decoded = DecodeFrame(data, probe.value(), 0);
  if (!decoded.ok()) return false;
  page.image = std::move(decoded.value());
  page.resolution = MeasureResolution(page.image.gray.cols, page.image.gray.rows,
                                      page.image.file_dpi_x, page.image.file_dpi_y);
  const auto t = Clock::now();
  page.ink = FindInk(page.image.gray, page.resolution.dpi);
  page.ink_seconds = std::chrono::duration<double>(Clock::now() - t).count();
  // As judge.cc: the skew checks its edges where the text is blurred.
  const BlurMeasure blur = MeasureBlur(page.image.gray, page.ink, page.resolution.dpi,
                                       page.image.color_mode == ColorMode::kBilevel, {});
  page.skew = MeasureSkew(page.ink, &blur);
  return true;
}

struct Tally {
  int correct = 0, total = 0;
  // Missing judged present (the dangerous error), present judged missing.
  int missed = 0, false_missing = 0;
  void Add(bool truth_present, bool judged_present) {
    ++total;
    if (truth_present == judged_present) ++correct;
    else if (truth_present) ++false_missing;
    else ++missed;
  }
  double Rate() const { return total ? 100.0 * correct / total : 0; }
};

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(q * (v.size() - 1) + 0.5))];
}

std::shared_ptr<const Profile> LoadProfile(const std::string& path) {
  Expected<LoadedProfile> loaded = ProfileStore::LoadFile(path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "scangate-summary-bench: %s\n", loaded.error().message.c_str());
    return nullptr;
  }
  return loaded.value().profile;
}

// The fit the generator applied: form mm -> page px.
cv::Matx23d TruthFit(const std::map<std::string, std::string>& t, cv::Size page) {
  const double dpi = std::stod(t.at("dpi")), ppm = dpi / 25.4;
  const cv::Point2f centre(page.width / 2.0f, page.height / 2.0f);
  cv::Mat m = cv::getRotationMatrix2D(centre, std::stod(t.at("degrees")), std::stod(t.at("scale")));
  m.at<double>(0, 2) += std::stod(t.at("shift_x_mm")) * ppm;
  m.at<double>(1, 2) += std::stod(t.at("shift_y_mm")) * ppm;
  cv::Matx23d out;
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 2; ++c) out(r, c) = m.at<double>(r, c) * ppm;
  out(0, 2) = m.at<double>(0, 2);
  out(1, 2) = m.at<double>(1, 2);
  return out;
}

struct CorpusResult {
  int sheets = 0, registered = 0, others_checked = 0, false_registrations = 0;
  Tally fields, signatures, seals;
  int complete = 0, complete_rejected = 0, defective = 0, defective_caught = 0;
  std::vector<double> fit_error_mm, summary_ms, summary_cpu_ms, ink_ms;
  std::map<std::string, int> errors;  // "signature printed -> present"
  std::vector<std::string> error_files;
  double min_true_score = 1, max_false_score = 0;
};

// The zone a missed decision read: darkness, added ink and (colour pages)
// seal red side by side, for looking at.
void DumpZone(const std::string& dump, const std::string& file, const std::string& zone_name,
              const ZoneImage& z) {
  if (dump.empty() || z.darkness.empty()) return;
  std::vector<cv::Mat> parts = {255 - z.darkness, 255 - z.added};
  if (!z.red.empty()) parts.push_back(255 - z.red);
  cv::Mat row;
  cv::hconcat(parts, row);
  cv::cvtColor(row, row, cv::COLOR_GRAY2BGR);
  for (int i = 0; i < int(parts.size()); ++i)
    cv::rectangle(row, z.zone + cv::Point(i * z.darkness.cols, 0), cv::Scalar(0, 160, 0));
  cv::imwrite(dump + "/" + file + "." + zone_name + ".png", row);
}

void RunCorpus(const fs::path& dir, const std::map<std::string, std::shared_ptr<const Profile>>& profiles,
               bool features, const std::string& dump, CorpusResult& res) {
  std::vector<fs::path> truths;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".truth") truths.push_back(e.path());
  std::sort(truths.begin(), truths.end());
  for (const fs::path& truth_path : truths) {
    const auto truth = summary_corpus::ParseTruth(Slurp(truth_path));
    const std::string file = truth.at("file");
    Page page;
    if (!Load(Slurp(dir / file), page)) {
      std::fprintf(stderr, "%s: cannot decode\n", file.c_str());
      continue;
    }
    const std::string form = truth.at("form");
    for (const auto& [name, profile] : profiles) {
      PageVerdict v;
      v.resolution = page.resolution;
      v.skew = page.skew;
      const auto t0 = Clock::now();
      const double cpu0 = ThreadCpuMs();
      MeasureSummarySheet(page.image, page.ink, *profile->form, v);
      const double cpu_ms = ThreadCpuMs() - cpu0;
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      DecidePage(v, *profile);
      if (name != form) {
        ++res.others_checked;
        res.max_false_score = std::max(res.max_false_score, v.registration.score);
        if (v.summary_sheet) {
          ++res.false_registrations;
          res.error_files.push_back(file + ": registered as " + name);
        }
        continue;
      }
      // This page is a sheet of this profile's form.
      ++res.sheets;
      res.min_true_score = std::min(res.min_true_score, v.registration.score);
      res.summary_ms.push_back(ms);
      res.summary_cpu_ms.push_back(cpu_ms);
      res.ink_ms.push_back(page.ink_seconds * 1000);
      if (v.summary_sheet) {
        ++res.registered;
        const cv::Matx23d want = TruthFit(truth, page.image.gray.size());
        cv::Matx23d got;
        for (int i = 0; i < 6; ++i) got(i / 3, i % 3) = v.registration.page_from_mm[i];
        double worst = 0;
        for (cv::Vec3d c : {cv::Vec3d(0, 0, 1), cv::Vec3d(210, 0, 1), cv::Vec3d(0, 297, 1), cv::Vec3d(210, 297, 1)}) {
          const cv::Vec2d d = want * c - got * c;
          worst = std::max(worst, std::hypot(d[0], d[1]) / page.resolution.dpi * 25.4);
        }
        res.fit_error_mm.push_back(worst);
        if (features)
          std::printf("R %s deg %.2f/%.2f scale %.4f/%.4f shift %.1f,%.1f/%.1f,%.1f error %.2f mm\n", file.c_str(),
                      std::stod(truth.at("degrees")), v.registration.degrees, std::stod(truth.at("scale")),
                      v.registration.scale, std::stod(truth.at("shift_x_mm")), std::stod(truth.at("shift_y_mm")),
                      v.registration.x_mm, v.registration.y_mm, worst);
      } else {
        res.error_files.push_back(file + ": not registered (score " + std::to_string(v.registration.score) + ")");
      }
      const bool complete = truth.at("complete") == "1";
      bool rejected = !v.summary_sheet;
      auto judge = [&](Tally& tally, const std::string& key, const std::string& want_kind, bool judged) {
        const std::string kind = truth.at(key);
        const bool present = kind == want_kind;
        tally.Add(present, judged);
        rejected |= !judged;
        if (present != judged && !dump.empty()) {
          FormFit fit;
          for (int k = 0; k < 6; ++k) fit.page_from_mm(k / 3, k % 3) = v.registration.page_from_mm[k];
          const std::string zone_name = key.substr(key.find('.') + 1);
          const SummaryFormRule& rule = *profile->form;
          for (const auto* zones : {&rule.fields, &rule.signatures, &rule.seals})
            for (const FormZone& z : *zones)
              if (z.name == zone_name)
                DumpZone(dump, file, zone_name, CutZone(page.image, page.ink, fit, *rule.blank, z, 12));
        }
        if (present != judged) {
          ++res.errors[key.substr(0, key.find('.')) + " " + kind + " -> " + (judged ? "present" : "missing")];
          res.error_files.push_back(file + ": " + key + "=" + kind + " judged " + (judged ? "present" : "missing"));
        }
      };
      const SummaryFormRule& f = *profile->form;
      for (std::size_t i = 0; i < f.fields.size(); ++i)
        judge(res.fields, "field." + f.fields[i].name, "written", i < v.fields.size() && v.fields[i].filled);
      for (std::size_t i = 0; i < f.signatures.size(); ++i)
        judge(res.signatures, "signature." + f.signatures[i].name, "signed",
              i < v.signatures.size() && v.signatures[i].present);
      for (std::size_t i = 0; i < f.seals.size(); ++i)
        judge(res.seals, "seal." + f.seals[i].name, "stamped", i < v.seals.size() && v.seals[i].present);
      if (complete) {
        ++res.complete;
        res.complete_rejected += rejected;
      } else {
        ++res.defective;
        res.defective_caught += rejected;
      }
      if (features && v.summary_sheet) {
        for (const FieldMeasure& m : v.fields)
          std::printf("F %s %s %s %.4f\n", file.c_str(), m.name.c_str(), truth.at("field." + m.name).c_str(), m.ink_ratio);
        for (std::size_t i = 0; i < v.signatures.size(); ++i) {
          FormFit fit;
          fit.measure = v.registration;
          for (int k = 0; k < 6; ++k) fit.page_from_mm(k / 3, k % 3) = v.registration.page_from_mm[k];
          StrokeFeatures sf;
          MeasureSignature(CutZone(page.image, page.ink, fit, *f.blank, f.signatures[i], 12), f.signatures[i], &sf);
          std::printf("S %s %s %s %.3f len %.1f ext %.1f cx %.2f ax %.3f fo %.3f up %.3f lt %d lv %.2f lh %.1f wt %.3f as %.2f stamp %d %.2f c %.2f run %.2f o %.2f R %.1f res %.2f arc %.2f off %.1f %s\n", file.c_str(),
                      v.signatures[i].zone.c_str(), truth.at("signature." + v.signatures[i].zone).c_str(),
                      v.signatures[i].score, sf.length_mm, sf.extent_mm, sf.complexity, sf.axis_alignment, sf.focus, sf.upright, sf.letters, sf.level_letters, sf.letter_height_mm, sf.weight, sf.letter_aspect,
                      sf.stamp_removed, sf.stamp.score, sf.stamp.coverage, sf.stamp.longest, sf.stamp.clear_outside,
                      sf.stamp.radius_mm, sf.stamp.residual_mm, sf.stamp.arc, sf.stamp_off_box_mm, truth.at("mode").c_str());
        }
        for (std::size_t i = 0; i < v.seals.size(); ++i) {
          FormFit fit;
          for (int k = 0; k < 6; ++k) fit.page_from_mm(k / 3, k % 3) = v.registration.page_from_mm[k];
          StampOutline o;
          MeasureSeal(CutZone(page.image, page.ink, fit, *f.blank, f.seals[i], 4.5), f.seals[i], &o);
          const SealMeasure& m = v.seals[i];
          std::printf("L %s %s %s %.3f c %.2f run %.2f o %.2f R %.1f res %.2f arc %.2f %.1f crossed %.2f %s %s\n", file.c_str(),
                      m.zone.c_str(), truth.at("seal." + m.zone).c_str(), m.score, o.coverage, o.longest,
                      o.clear_outside, o.radius_mm, o.residual_mm, o.arc, o.arc_mm, o.crossed_arc, truth.at("mode").c_str(), truth.at("stamp").c_str());
        }
      }
    }
  }
}

// One split's tally of page-wide decisions.
struct PageWideTally {
  int signed_total = 0, signed_found = 0, unsigned_total = 0, unsigned_clear = 0;
  int Total() const { return signed_total + unsigned_total; }
  double Rate() const { return Total() ? 100.0 * (signed_found + unsigned_clear) / Total() : 0; }
  double FalseSigned() const { return unsigned_total ? 100.0 * (unsigned_total - unsigned_clear) / unsigned_total : 0; }
};

struct PageWideResult {
  PageWideTally split[2];  // [0] tuning, [1] validation (bench/holdout.h)
  std::vector<std::string> wrong;
  std::vector<double> cpu_ms;  // MeasurePageSignature alone, per page
};

// Judges one page in page-wide signature mode; adds it to `res`.
void JudgePageWide(const fs::path& f, bool is_signed, const Profile& profile, bool features, const std::string& dump,
                   PageWideResult& res) {
  Page page;
  if (!Load(Slurp(f), page)) {
    res.wrong.push_back(f.filename().string() + " (not decoded)");
    return;
  }
  PageVerdict v;
  v.resolution = page.resolution;
  const double t0 = ThreadCpuMs();
  v.signatures.push_back(MeasurePageSignature(page.ink));
  res.cpu_ms.push_back(ThreadCpuMs() - t0);
  DecidePage(v, profile);
  const bool found = v.signatures[0].present;
  const bool validation = bench::InValidation(f.filename().string());
  PageWideTally& t = res.split[validation];
  if (is_signed) ++t.signed_total, t.signed_found += found;
  else ++t.unsigned_total, t.unsigned_clear += !found;
  if (found != is_signed)
    res.wrong.push_back(f.filename().string() + " (" + (is_signed ? "signed" : "unsigned") + ", " +
                        bench::SplitName(validation) + ", score " + std::to_string(v.signatures[0].score) + ")");
  if (features) std::printf("T %s %s %s %.3f\n", is_signed ? "signed" : "unsigned", bench::SplitName(validation),
                            f.filename().c_str(), v.signatures[0].score);
  if (features && !validation) {
    // The tuning split's candidates, feature by feature.
    for (const PageSignatureCandidate& c : PageSignatureCandidates(page.ink)) {
      std::printf("C %s %s %.3f %d %d %d %d", is_signed ? "signed" : "unsigned", f.filename().c_str(), c.score,
                  c.box.x, c.box.y, c.box.width, c.box.height);
      for (float x : c.features) std::printf(" %.4g", x);
      std::printf("\n");
    }
  }
  if (!dump.empty() && found != is_signed && !validation) {
    // The tuning split's misses only: each candidate with its score.
    cv::Mat shown;
    cv::cvtColor(page.ink.fine, shown, cv::COLOR_GRAY2BGR);
    for (const PageSignatureCandidate& c : PageSignatureCandidates(page.ink)) {
      cv::rectangle(shown, c.box, c.score >= 0.5 ? cv::Scalar(0, 0, 255) : cv::Scalar(255, 0, 0), 2);
      cv::putText(shown, std::to_string(int(c.score * 100)), c.box.tl() + cv::Point(0, -3), cv::FONT_HERSHEY_SIMPLEX,
                  0.6, cv::Scalar(0, 140, 0), 2);
    }
    cv::imwrite(dump + "/pagewide_" + f.stem().string() + ".png", shown);
  }
}

void RunTobacco(const fs::path& dir, const Profile& profile, bool features, const std::string& dump,
                PageWideResult& res) {
  for (const char* folder : {"signature", "no_signature"}) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir / folder)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files)
      JudgePageWide(f, std::string(folder) == "signature", profile, features, dump, res);
  }
}

// The real printed pages in ../shared/data/scans without any handwriting
// (magazines, a music title page, math, tickets, a newspaper): whole pages
// only (form1/form2 are small crops, colorpage.030 a 70-dpi photo).
const char* const kPrintedPages[] = {"feyn.tif",       "harmoniam-11.tif", "pageseg1.tif",  "pageseg2.tif",
                                     "pageseg3.tif",   "pageseg4.tif",     "scots-frag.tif", "shearer.148.tif",
                                     "tickets.tif",    "witten.tif"};

void RunPrinted(const fs::path& dir, const Profile& profile, bool features, const std::string& dump,
                PageWideResult& res) {
  for (const char* name : kPrintedPages)
    if (fs::exists(dir / name)) JudgePageWide(dir / name, false, profile, features, dump, res);
}

}  // namespace

int main(int argc, char** argv) {
  // One core: OpenCV's own worker threads would blur the per-page times.
  cv::setNumThreads(1);
  std::string corpus, tobacco = std::string(SCANGATE_SHARED_DATA_DIR) + "/signatures/tobacco800",
                      scans = std::string(SCANGATE_SHARED_DATA_DIR) + "/scans",
                      profiles_dir = std::string(SCANGATE_SOURCE_DIR) + "/profiles";
  bool features = false;
  std::string dump;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--corpus" && i + 1 < argc) corpus = argv[++i];
    else if (a == "--tobacco" && i + 1 < argc) tobacco = argv[++i];
    else if (a == "--scans" && i + 1 < argc) scans = argv[++i];
    else if (a == "--profiles" && i + 1 < argc) profiles_dir = argv[++i];
    else if (a == "--features") features = true;
    else if (a == "--dump" && i + 1 < argc) dump = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: scangate-summary-bench [--corpus DIR] [--tobacco DIR] [--scans DIR] [--profiles DIR] "
                   "[--features] [--dump DIR]\n");
      return 2;
    }
  }
  std::map<std::string, std::shared_ptr<const Profile>> forms;
  for (const char* name : {"pension-claim", "enrolment-change"}) {
    auto p = LoadProfile(profiles_dir + "/" + name + ".textproto");
    if (!p || !p->form) return 2;
    forms[name] = p;
  }
  auto page_wide = LoadProfile(profiles_dir + "/signed-page-wide.textproto");
  if (!page_wide) return 2;

  bool pass = true;
  if (!corpus.empty()) {
    CorpusResult r;
    RunCorpus(corpus, forms, features, dump, r);
    const int non_sheets = r.others_checked;
    std::printf("Summary sheets: %s (%d sheets of %zu forms; each page also judged against the other form)\n",
                corpus.c_str(), r.sheets, forms.size());
    std::printf("  registration     %d/%d sheets registered (%.2f%%), lowest score %.3f\n", r.registered,
                r.sheets, r.sheets ? 100.0 * r.registered / r.sheets : 0, r.min_true_score);
    std::printf("  not this form    %d of %d pages wrongly registered, highest score %.3f\n",
                r.false_registrations, non_sheets, r.max_false_score);
    std::printf("  fit error        corners of the form: median %.2f mm, p95 %.2f mm, max %.2f mm\n",
                Percentile(r.fit_error_mm, 0.5), Percentile(r.fit_error_mm, 0.95), Percentile(r.fit_error_mm, 1));
    auto line = [&](const char* what, const Tally& t) {
      std::printf("  %-16s %d/%d correct (%.2f%%): %d missing judged present, %d present judged missing\n", what,
                  t.correct, t.total, t.Rate(), t.missed, t.false_missing);
      pass &= t.Rate() >= 99.5;
    };
    line("fields filled", r.fields);
    line("signatures", r.signatures);
    line("seals", r.seals);
    const double false_reject = r.complete ? 100.0 * r.complete_rejected / r.complete : 0;
    std::printf("  complete sheets  %d/%d wrongly rejected (%.2f%%)\n", r.complete_rejected, r.complete,
                false_reject);
    std::printf("  defective sheets %d/%d rejected\n", r.defective_caught, r.defective);
    std::printf("  time per sheet   registration + every zone decision on one thread, CPU time: median %.2f ms, "
                "p95 %.2f ms, max %.2f ms\n",
                Percentile(r.summary_cpu_ms, 0.5), Percentile(r.summary_cpu_ms, 0.95), Percentile(r.summary_cpu_ms, 1));
    std::printf("                   (wall clock on this shared machine: median %.2f ms, p95 %.2f ms)\n",
                Percentile(r.summary_ms, 0.5), Percentile(r.summary_ms, 0.95));
    std::printf("                   (FindInk, shared with skew/blank/blur and read here: median %.2f ms)\n",
                Percentile(r.ink_ms, 0.5));
    for (const auto& [what, n] : r.errors) std::printf("    error: %-40s %d\n", what.c_str(), n);
    for (std::size_t i = 0; i < r.error_files.size() && i < 40; ++i) std::printf("    %s\n", r.error_files[i].c_str());
    pass &= false_reject <= 0.5 && r.false_registrations == 0 && Percentile(r.summary_cpu_ms, 0.95) <= 15;
  }
  if (fs::exists(tobacco)) {
    PageWideResult t;
    RunTobacco(tobacco, *page_wide, features, dump, t);
    std::printf("Page-wide signatures: Tobacco-800 (%s)\n", tobacco.c_str());
    for (int k = 0; k < 2; ++k) {
      const PageWideTally& s = t.split[k];
      std::printf("  %-10s signed judged signed %d/%d, unsigned judged unsigned %d/%d: %.1f%% correct\n",
                  bench::SplitName(k == 1), s.signed_found, s.signed_total, s.unsigned_clear, s.unsigned_total,
                  s.Rate());
    }
    std::printf("  tuning | validation: %.1f%% | %.1f%% correct\n", t.split[0].Rate(), t.split[1].Rate());
    for (const std::string& w : t.wrong) std::printf("    wrong: %s\n", w.c_str());
    PageWideResult p;
    RunPrinted(scans, *page_wide, features, dump, p);
    PageWideTally all = p.split[0];
    all.unsigned_total += p.split[1].unsigned_total, all.unsigned_clear += p.split[1].unsigned_clear;
    std::printf("Page-wide signatures: real printed pages without handwriting (%s)\n", scans.c_str());
    std::printf("  judged signed %d/%d (%.1f%%); tuning | validation: %d/%d | %d/%d\n",
                all.unsigned_total - all.unsigned_clear, all.unsigned_total, all.FalseSigned(),
                p.split[0].unsigned_total - p.split[0].unsigned_clear, p.split[0].unsigned_total,
                p.split[1].unsigned_total - p.split[1].unsigned_clear, p.split[1].unsigned_total);
    for (const std::string& w : p.wrong) std::printf("    wrong: %s\n", w.c_str());
    std::vector<double> ms = t.cpu_ms;
    ms.insert(ms.end(), p.cpu_ms.begin(), p.cpu_ms.end());
    std::printf("  time per page  the page-wide check on one thread (after FindInk), CPU time: median %.2f ms, "
                "p95 %.2f ms, max %.2f ms\n",
                Percentile(ms, 0.5), Percentile(ms, 0.95), Percentile(ms, 1));
    pass &= t.split[1].Rate() >= 90 && all.FalseSigned() <= 5 && Percentile(ms, 0.95) <= 5;
  }
  std::printf("%s\n", pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}
