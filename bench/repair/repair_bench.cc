// `scangate-repair-bench [--batches N] [--scans DIR] [--profiles DIR]`:
// repair before reject (issue 21) on a generated counter corpus. Each batch
// is a pension-claim transaction: its processing slip (the bundled form,
// completed) and three more pages drawn from the image-checks generator
// (text, forms, Chinese forms and certificates, ID card copies, real scans
// from ../shared/data/scans; gray, colour and 1-bit G4; 200 and 300 dpi),
// each fed as counters feed them: turned 180 degrees (15 %) or a quarter
// (4 %), skewed 1-5 degrees (35 %), on a black lid or with black border
// bands (25 %). Every page is judged under the profile without a repair
// rule and with `repair { turn_upright deskew_up_to_degrees: 5
// crop_borders despeckle }`, in this process, one thread.
//
// Prints, tuning | validation (bench/holdout.h, by batch name): the share
// of batches accepted without a rescan (every page accepted) before and
// after repair; the quality of the repaired pages (their skew and
// orientation measured again, the blur score against the original's, the
// slip's registration and zone decisions against the same slip fed
// straight); and ms/page of CPU with and without repair.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "bench/corpus/image_corpus.h"
#include "bench/holdout.h"
#include "pipeline/judge.h"
#include "tests/support/summary_forms.h"
#include "tests/support/synthetic_page.h"
#include "wire/profile_store.h"

namespace {

using namespace scangate;

double ThreadCpuMs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

struct Feed {
  int turn = 0;          // 0, 90, 180, 270: as corpus::Recipe::turn_degrees
  double skew = 0;       // degrees, counter-clockwise
  bool border = false;   // black lid or black bands
};

struct Page {
  std::string name;
  std::string bytes;
  Feed feed;
  bool slip = false;
  std::string straight;  // the slip fed straight, for its zone decisions
};

struct Batch {
  std::string name;
  std::vector<Page> pages;
};

Feed DrawFeed(std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  Feed f;
  const double t = u(rng);
  f.turn = t < 0.15 ? 180 : t < 0.17 ? 90 : t < 0.19 ? 270 : 0;
  if (u(rng) < 0.35)
    f.skew = (u(rng) < 0.5 ? -1 : 1) * (1 + 4 * u(rng));
  else
    f.skew = (u(rng) - 0.5) * 1.0;
  f.border = u(rng) < 0.25;
  return f;
}

// The completed pension-claim slip, fed as `feed` says.
std::string Slip(const Feed& feed, double dpi, std::uint32_t seed, bool colour,
                 const std::string& txn) {
  cv::Mat sheet = synth::CompletedSheet("pension-claim", dpi, txn, seed, colour);
  if (feed.skew != 0) sheet = synth::Rotate(sheet, feed.skew);
  if (feed.border) {
    // A black lid showing along two edges, 4-10 mm.
    const int band = int(dpi / 25.4 * (4 + seed % 7));
    sheet(cv::Rect(0, 0, band, sheet.rows)).setTo(cv::Scalar::all(12));
    sheet(cv::Rect(0, sheet.rows - band, sheet.cols, band)).setTo(cv::Scalar::all(12));
  }
  if (feed.turn == 180) cv::rotate(sheet, sheet, cv::ROTATE_180);
  if (feed.turn == 90) cv::rotate(sheet, sheet, cv::ROTATE_90_COUNTERCLOCKWISE);
  if (feed.turn == 270) cv::rotate(sheet, sheet, cv::ROTATE_90_CLOCKWISE);
  return synth::EncodeJpeg(sheet, 90, dpi);
}

std::vector<Batch> MakeCorpus(int batches, const corpus::ScanLibrary& scans) {
  std::vector<Batch> out;
  std::mt19937 rng(2121);
  std::uniform_real_distribution<double> u(0, 1);
  const corpus::Content kinds[] = {corpus::Content::kTextPage, corpus::Content::kFormPage,
                                   corpus::Content::kChineseForm, corpus::Content::kChinesePage,
                                   corpus::Content::kIdCard, corpus::Content::kScan};
  for (int b = 0; b < batches; ++b) {
    Batch batch;
    char name[32];
    std::snprintf(name, sizeof name, "counter-%03d", b);
    batch.name = name;
    const double dpi = u(rng) < 0.5 ? 200 : 300;
    char txn[32];
    std::snprintf(txn, sizeof txn, "SI2026120%06d", 300000 + b);
    Page slip;
    slip.name = batch.name + "-0-slip.jpg";
    slip.slip = true;
    slip.feed = DrawFeed(rng);
    const bool colour = u(rng) < 0.7;
    slip.bytes = Slip(slip.feed, dpi, std::uint32_t(b + 1), colour, txn);
    slip.straight = Slip(Feed{}, dpi, std::uint32_t(b + 1), colour, txn);
    batch.pages.push_back(std::move(slip));
    for (int p = 1; p < 4; ++p) {
      corpus::Recipe r;
      r.seed = std::uint32_t(2121 + b * 8 + p);
      r.content = kinds[rng() % std::size(kinds)];
      if (r.content == corpus::Content::kScan) {
        if (!scans.available()) r.content = corpus::Content::kTextPage;
        else r.scan = scans.files()[rng() % scans.files().size()];
      }
      r.dpi = dpi;
      const double c = u(rng);
      r.color = c < 0.4 ? corpus::Color::kGray : c < 0.7 ? corpus::Color::kColor
                                                         : corpus::Color::kBilevel;
      r.encoding = r.color == corpus::Color::kBilevel ? corpus::Encoding::kTiffG4
                                                      : corpus::Encoding::kJpeg;
      r.jpeg_quality = 85 + int(rng() % 8);
      r.noise_sigma = r.color == corpus::Color::kBilevel ? 0 : 2;
      Page page;
      page.feed = DrawFeed(rng);
      r.turn_degrees = page.feed.turn;
      r.rotation_degrees = page.feed.skew;
      if (page.feed.border)
        r.artefacts = u(rng) < 0.5 ? corpus::kBlackBands : corpus::kDarkBackground;
      page.name = batch.name + "-" + std::to_string(p) + ".page";
      page.bytes = corpus::RenderPage(r, scans, page.name).bytes;
      batch.pages.push_back(std::move(page));
    }
    out.push_back(std::move(batch));
  }
  return out;
}

PageVerdict Judge(const std::string& bytes, const Profile& profile, double& ms) {
  const std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
  const double start = ThreadCpuMs();
  std::vector<PageVerdict> v = JudgeFile(data, "page", profile, JudgeOptions{});
  ms = ThreadCpuMs() - start;
  return v.empty() ? PageVerdict{} : v[0];
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(q * double(v.size())))];
}
double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / double(v.size());
}

// What one split measured.
struct Figures {
  int batches = 0, batches_before = 0, batches_after = 0;
  int pages = 0, pages_before = 0, pages_after = 0;
  int turned = 0, skewed = 0, bordered = 0;
  int repaired = 0, repaired_level = 0, repaired_upright = 0;
  std::vector<double> level_error, blur_change;
  int slips_repaired = 0, slips_registered = 0, slips_zones_same = 0;
  std::vector<double> ms_plain, ms_repair, ms_repaired_pages;
  // Why pages are still rejected after repair: reason code, pages.
  std::map<int, int> still_rejected;
};

bool SameZones(const PageVerdict& a, const PageVerdict& b) {
  if (a.fields.size() != b.fields.size() || a.signatures.size() != b.signatures.size() ||
      a.seals.size() != b.seals.size())
    return false;
  for (std::size_t i = 0; i < a.fields.size(); ++i)
    if (a.fields[i].filled != b.fields[i].filled) return false;
  for (std::size_t i = 0; i < a.signatures.size(); ++i)
    if (a.signatures[i].present != b.signatures[i].present) return false;
  for (std::size_t i = 0; i < a.seals.size(); ++i)
    if (a.seals[i].present != b.seals[i].present) return false;
  return true;
}

const char* ColorName(ColorMode m) {
  return m == ColorMode::kBilevel ? "1-bit" : m == ColorMode::kGray ? "gray" : "colour";
}

std::string Done(const RepairRecord& r) {
  std::string out;
  for (const std::string& d : r.done) out += (out.empty() ? "" : ", ") + d;
  return out;
}

std::string Share(int n, int of) {
  char text[48];
  std::snprintf(text, sizeof text, "%6.2f%% (%d/%d)", of ? 100.0 * n / of : 0.0, n, of);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  int batches = 30;
  std::string scans_dir = std::string(SCANGATE_SHARED_DATA_DIR) + "/scans";
  std::string profiles = std::string(SCANGATE_SOURCE_DIR) + "/profiles";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--batches" && i + 1 < argc) batches = std::max(1, std::atoi(argv[++i]));
    else if (a == "--scans" && i + 1 < argc) scans_dir = argv[++i];
    else if (a == "--profiles" && i + 1 < argc) profiles = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: scangate-repair-bench [--batches N] [--scans DIR] [--profiles DIR]\n");
      return a == "--help" ? 0 : 2;
    }
  }
  cv::setNumThreads(1);
  Expected<LoadedProfile> loaded = ProfileStore::LoadFile(profiles + "/pension-claim.textproto");
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
    return 2;
  }
  const Profile plain = *loaded.value().profile;
  Profile repairing = plain;
  repairing.repair.turn_upright = true;
  repairing.repair.deskew_up_to_degrees = 5;
  repairing.repair.crop_borders = true;
  repairing.repair.despeckle = true;

  const corpus::ScanLibrary scans(scans_dir);
  const std::vector<Batch> corpus = MakeCorpus(batches, scans);
  Figures split[2];
  for (const Batch& batch : corpus) {
    Figures& f = split[bench::InValidation(batch.name) ? 1 : 0];
    ++f.batches;
    bool all_before = true, all_after = true;
    for (const Page& page : batch.pages) {
      ++f.pages;
      f.turned += page.feed.turn != 0;
      f.skewed += std::abs(page.feed.skew) >= 1;
      f.bordered += page.feed.border;
      double ms_plain = 0, ms_repair = 0;
      const PageVerdict before = Judge(page.bytes, plain, ms_plain);
      const PageVerdict after = Judge(page.bytes, repairing, ms_repair);
      f.ms_plain.push_back(ms_plain);
      f.ms_repair.push_back(ms_repair);
      const bool ok_before = before.decision == Decision::kAccept;
      const bool ok_after = after.decision == Decision::kAccept;
      f.pages_before += ok_before;
      f.pages_after += ok_after;
      all_before = all_before && ok_before;
      all_after = all_after && ok_after;
      if (!ok_after) {
        std::set<int> codes;
        for (const Reason& r : after.reasons) codes.insert(int(r.code));
        for (int c : codes) ++f.still_rejected[c];
      }
      if (!after.repair) continue;
      ++f.repaired;
      f.ms_repaired_pages.push_back(ms_repair);
      // The archive copy judged as a file of its own: what the archive keeps.
      double ms = 0;
      const PageVerdict copy = Judge(after.repair->archive_copy, plain, ms);
      f.level_error.push_back(std::abs(copy.skew.degrees));
      f.repaired_level += std::abs(copy.skew.degrees) <= 0.05;
      if (std::abs(copy.skew.degrees) > 0.05 && !bench::InValidation(batch.name))
        std::printf("  tuning miss: %s %s, skew %.2f -> %.3f (confidence %.2f), %s\n",
                    page.name.c_str(), ColorName(copy.color_mode), before.skew.degrees,
                    copy.skew.degrees, copy.skew.confidence, Done(*after.repair).c_str());
      f.repaired_upright += copy.orientation.degrees == 0 ||
                            copy.orientation.confidence < plain.min_orientation_confidence;
      if (before.blur.applicable && copy.blur.applicable)
        f.blur_change.push_back(copy.blur.sigma_300dpi - before.blur.sigma_300dpi);
      if (page.slip) {
        ++f.slips_repaired;
        const PageVerdict straight = Judge(page.straight, plain, ms);
        f.slips_registered += copy.summary_sheet;
        f.slips_zones_same += copy.summary_sheet && SameZones(copy, straight);
      }
    }
    f.batches_before += all_before;
    f.batches_after += all_after;
  }

  std::printf("COUNTER CORPUS (%d batches of a slip and 3 pages; tuning | validation by batch name)\n",
              batches);
  auto row = [&](const char* what, auto value) {
    std::printf("  %-46s %-24s | %s\n", what, value(split[0]).c_str(), value(split[1]).c_str());
  };
  row("pages turned / skewed 1-5 deg / on black", [](const Figures& f) {
    return std::to_string(f.turned) + " / " + std::to_string(f.skewed) + " / " +
           std::to_string(f.bordered) + " of " + std::to_string(f.pages);
  });
  row("batches accepted without a rescan, before", [](const Figures& f) {
    return Share(f.batches_before, f.batches);
  });
  row("batches accepted without a rescan, after", [](const Figures& f) {
    return Share(f.batches_after, f.batches);
  });
  row("pages accepted, before", [](const Figures& f) { return Share(f.pages_before, f.pages); });
  row("pages accepted, after", [](const Figures& f) { return Share(f.pages_after, f.pages); });
  row("still rejected after repair, by reason (code: pages)", [](const Figures& f) {
    std::string out;
    for (const auto& [code, n] : f.still_rejected)
      out += (out.empty() ? "" : ", ") + std::to_string(code) + ": " + std::to_string(n);
    return out.empty() ? std::string("none") : out;
  });
  std::printf("REPAIRED PAGES (their archive copies judged again)\n");
  row("repaired and accepted", [](const Figures& f) { return std::to_string(f.repaired); });
  row("level within 0.05 deg", [](const Figures& f) { return Share(f.repaired_level, f.repaired); });
  row("|skew| mean / worst, deg", [](const Figures& f) {
    char t[48];
    std::snprintf(t, sizeof t, "%.3f / %.3f", Mean(f.level_error),
                  f.level_error.empty() ? 0.0 : *std::max_element(f.level_error.begin(), f.level_error.end()));
    return std::string(t);
  });
  row("upright (or no sure way up)", [](const Figures& f) { return Share(f.repaired_upright, f.repaired); });
  row("blur score change mean / worst (gray, colour)", [](const Figures& f) {
    char t[48];
    std::snprintf(t, sizeof t, "%+.3f / %+.3f (%zu)", Mean(f.blur_change),
                  f.blur_change.empty() ? 0.0 : *std::max_element(f.blur_change.begin(), f.blur_change.end()),
                  f.blur_change.size());
    return std::string(t);
  });
  row("slips registered", [](const Figures& f) { return Share(f.slips_registered, f.slips_repaired); });
  row("slips' zones judged as fed straight", [](const Figures& f) {
    return Share(f.slips_zones_same, f.slips_repaired);
  });
  std::printf("SPEED (CPU ms/page, one thread, same pages, same process)\n");
  row("without repair: mean / p99", [](const Figures& f) {
    char t[48];
    std::snprintf(t, sizeof t, "%.0f / %.0f", Mean(f.ms_plain), Percentile(f.ms_plain, 0.99));
    return std::string(t);
  });
  row("with repair: mean / p99", [](const Figures& f) {
    char t[48];
    std::snprintf(t, sizeof t, "%.0f / %.0f", Mean(f.ms_repair), Percentile(f.ms_repair, 0.99));
    return std::string(t);
  });
  row("repaired pages only: mean / p99", [](const Figures& f) {
    char t[48];
    std::snprintf(t, sizeof t, "%.0f / %.0f", Mean(f.ms_repaired_pages),
                  Percentile(f.ms_repaired_pages, 0.99));
    return std::string(t);
  });
  return 0;
}
