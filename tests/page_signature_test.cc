// Page-wide signature check (issue 18): real pages, judged end to end as the
// server judges them in a profile that wants every page signed. Only files of
// the tuning split (bench/holdout.h) are named here; the validation split is
// for the bench alone.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/holdout.h"
#include "pipeline/judge.h"
#include "pipeline/sheet/page_signature.h"
#include "tests/support/summary_forms.h"
#include "tests/support/synthetic_page.h"
#include "tests/support/test_data.h"

namespace scangate {
namespace {

Profile PageWide() {
  Profile p;
  p.page_signature.required = true;
  return p;
}

// The page-wide signature measure of a real file's first page, or nothing
// when the shared data is not there.
std::optional<SignatureMeasure> Judge(const std::string& relative) {
  const std::string bytes = testing::ReadAll(testing::SharedData(relative));
  if (bytes.empty()) return std::nullopt;
  const std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
  const std::vector<PageVerdict> pages = JudgeFile(data, relative, PageWide(), JudgeOptions{});
  if (pages.empty() || pages[0].signatures.empty()) return SignatureMeasure{};
  return pages[0].signatures[0];
}

// Magazines, a newspaper, a music title page and lottery tickets: print only.
// Before the model, five of these six read as signed (a magazine's headline
// and the music page's engraving at score 1.0).
TEST(PageSignatureReal, PrintedPagesWithoutHandwritingAreNotSigned) {
  int checked = 0;
  for (const char* file : {"harmoniam-11.tif", "pageseg1.tif", "pageseg2.tif", "pageseg4.tif", "scots-frag.tif",
                           "tickets.tif"}) {
    ASSERT_FALSE(bench::InValidation(file)) << file;
    const auto m = Judge(std::string("scans/") + file);
    if (!m) continue;
    ++checked;
    EXPECT_FALSE(m->present) << file << " read as signed, score " << m->score;
  }
  if (checked == 0) GTEST_SKIP() << "no shared scans";
}

// The first four signed and the first four unsigned Tobacco-800 letters of
// the tuning split, by name. Before the model the memo xlx69d00-page07_6 (a
// typed page, no signature) read as signed with score 1.0. One of the eight
// may still be wrong: whz29d00-page03_1, a copy of a copy whose typed letters
// run together, still reads as signed.
TEST(PageSignatureReal, TobaccoLettersOfTheTuningSplit) {
  int checked = 0, wrong = 0;
  std::string wrong_names;
  auto check = [&](const std::string& folder, const char* file, bool is_signed) {
    ASSERT_FALSE(bench::InValidation(file)) << file;
    const auto m = Judge("signatures/tobacco800/" + folder + "/" + file);
    if (!m) return;
    ++checked;
    if (m->present != is_signed) {
      ++wrong;
      wrong_names += std::string(" ") + file + " (score " + std::to_string(m->score) + ")";
    }
    if (std::string(file) == "xlx69d00-page07_6.tif") {
      EXPECT_FALSE(m->present) << file << ", score " << m->score;
    }
  };
  for (const char* file : {"wrv35d00-page02_2.tif", "wzk36d00page02-first_2.tif", "xca6aa00.tif", "xik90c00_1.tif"})
    check("signature", file, true);
  for (const char* file : {"whz29d00-page03_1.tif", "xik94f00-page03_2.tif", "xlx69d00-page07_4.tif",
                           "xlx69d00-page07_6.tif"})
    check("no_signature", file, false);
  if (checked == 0) GTEST_SKIP() << "no shared Tobacco-800 pages";
  EXPECT_LE(wrong, 1) << "judged wrongly:" << wrong_names;
}

// Typed letters signed in each of the generator's styles (two hands each)
// mostly read as signed; the letters unsigned do not. Scores are
// probabilities. On held-out generated pages, whose signatures are also small
// and over print, the model finds about two in three; these 9-mm signatures
// in white space it finds 12 of 12 today, and the bar is 10 of 12.
TEST(PageSignatureSynthetic, EveryStyleOnALetter) {
  int found = 0, total = 0;
  std::string missed;
  for (std::uint32_t seed : {5u, 6u}) {
    synth::PageSpec spec;
    spec.dpi = 200;
    spec.text_lines = 14;
    spec.seed = seed;
    const cv::Mat letter = synth::TextPage(spec);
    const SignatureMeasure unsigned_page = MeasurePageSignature(FindInk(letter, 200));
    EXPECT_GE(unsigned_page.score, 0.0);
    EXPECT_LT(unsigned_page.score, 0.5) << "the typed letter alone, seed " << seed;
    for (int s = 0; s < int(synth::SignatureStyle::kCount); ++s) {
      const auto style = synth::SignatureStyle(s);
      cv::Mat page = letter.clone();
      cv::RNG rng(100 * seed + std::uint32_t(s));
      synth::SignAt(page, 200, {page.cols / 2, page.rows * 3 / 4}, 9, style, s % 2 == 1, 0.45, rng);
      const SignatureMeasure m = MeasurePageSignature(FindInk(page, 200));
      EXPECT_LE(m.score, 1.0);
      ++total;
      if (m.score >= 0.5) ++found;
      else missed += std::string(" ") + synth::SignatureStyleName(style) + " (" + std::to_string(m.score) + ")";
    }
  }
  EXPECT_GE(found, 10) << found << " of " << total << " signed letters found; missed:" << missed;
}

}  // namespace
}  // namespace scangate
