// Supporting-document pages: text pages, ID card copies and blank backs.
// Content is drawn from a seeded cv::RNG, which (unlike <random>'s
// distributions) gives the same page on every platform.
#include "tests/support/synthetic_page.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <span>
#include <string_view>

#include "tests/support/typesetting.h"

namespace scangate::synth {
namespace {

constexpr std::string_view kWords[] = {
    "the",        "applicant",   "insured",     "person",      "pension",     "benefit",
    "contribution", "period",    "months",      "employer",    "declares",    "that",
    "of",         "and",         "to",          "in",          "is",          "for",
    "this",       "form",        "with",        "according",   "regulations", "social",
    "insurance",  "medical",     "payment",     "account",     "bank",        "registration",
    "address",    "certificate", "issued",      "by",          "office",      "date",
    "signature",  "number",      "residence",   "household",   "the",         "a",
    "has",        "been",        "paid",        "from",        "until",       "under",
    "shall",      "be",          "submitted",   "within",      "days",        "of",
    "the",        "of",          "record",      "records",     "employment",  "unit",
    "monthly",    "amount",      "basic",       "personal",    "funds",       "transfer",
    "city",       "district",    "service",     "centre",      "claim",       "approved",
    "as",         "on",          "at",          "its",         "copy",        "original",
    "attached",   "documents",   "verified",    "valid",       "identity",    "card",
    "retirement", "age",         "years",       "law",         "article",     "provided",
    "any",        "change",      "must",        "reported",    "or",          "not"};

constexpr std::string_view kTitles[] = {
    "APPLICATION FOR OLD-AGE PENSION",       "CERTIFICATE OF EMPLOYMENT",
    "CERTIFICATE OF CONTRIBUTION RECORD",    "DECLARATION OF HOUSEHOLD REGISTRATION",
    "APPLICATION FOR MEDICAL INSURANCE TRANSFER", "CONFIRMATION OF BANK ACCOUNT",
    "CERTIFICATE OF RETIREMENT",             "STATEMENT OF PERSONAL ACCOUNT"};

constexpr std::string_view kSections[] = {
    "Applicant details",  "Employment history", "Contribution record", "Declaration",
    "Payment instructions", "Attached documents", "Remarks",           "Legal notice"};

constexpr std::string_view kFormLabels[] = {
    "Full name", "ID number", "Date of birth", "Address", "Telephone", "Employer", "Bank account"};

std::string Pick(cv::RNG& rng, std::span<const std::string_view> from) {
  return std::string(from[rng.uniform(0, int(from.size()))]);
}

// A word of running text; sentences start capitalised and end with a stop.
class Prose {
 public:
  explicit Prose(cv::RNG& rng) : rng_(rng) {}
  std::string NextWord() {
    std::string w = rng_.uniform(0, 14) == 0 ? std::to_string(rng_.uniform(1, 2030))
                                             : Pick(rng_, kWords);
    if (sentence_left_ == 0) {
      sentence_left_ = rng_.uniform(6, 18);
      w[0] = char(std::toupper(w[0]));
    }
    if (--sentence_left_ == 0) w += '.';
    else if (rng_.uniform(0, 11) == 0) w += ',';
    return w;
  }
  // Ends the sentence on `word`, for the last line of a paragraph.
  void EndSentence(std::string& word) {
    if (word.back() == ',') word.back() = '.';
    else if (word.back() != '.') word += '.';
    sentence_left_ = 0;
  }

 private:
  cv::RNG& rng_;
  int sentence_left_ = 0;
};

// Sets one paragraph of `lines` lines, justified except the last, starting at
// baseline `y`. Returns the baseline below the paragraph's last line.
int SetParagraph(cv::Mat& page, Prose& prose, cv::RNG& rng, const Typeface& type, int left,
                 int right, int y, int lines, int pitch, int bottom) {
  const int space = std::max(1, TextWidth(type, "n") * 2 / 3);
  std::string carry;
  for (int line = 0; line < lines && y <= bottom; ++line, y += pitch) {
    bool last = line + 1 == lines;
    int indent = line == 0 ? 4 * space : 0;
    // The last line stops part-way across, as paragraphs do.
    int limit = last ? left + indent + int((right - left) * rng.uniform(0.25, 0.85)) : right;
    std::vector<std::string> words;
    int width = 0;
    for (;;) {
      std::string w = carry.empty() ? prose.NextWord() : std::move(carry);
      carry.clear();
      int ww = TextWidth(type, w);
      int needed = width + (words.empty() ? 0 : space) + ww;
      if (left + indent + needed > limit && !words.empty()) {
        carry = std::move(w);
        break;
      }
      width = needed;
      words.push_back(std::move(w));
    }
    if (last) {
      prose.EndSentence(words.back());
      carry.clear();
    }
    int gaps = int(words.size()) - 1;
    double gap = space;
    if (!last && gaps > 0) {
      int ink = width - gaps * space;
      gap = double(right - left - indent - ink) / gaps;
    }
    double x = left + indent;
    for (const std::string& w : words) {
      Print(page, w, {cvRound(x), y}, type);
      x += TextWidth(type, w) + gap;
    }
  }
  return y;
}

// A ruled table of contribution periods; returns the baseline below it.
int SetTable(cv::Mat& page, cv::RNG& rng, const Sheet& sheet, const Typeface& body,
             const Typeface& bold, int left, int right, int top, int rows) {
  const std::array<std::string_view, 5> heads = {"No.", "Period", "Employer", "Months", "Amount"};
  const std::array<double, 6> cols = {0, 0.08, 0.32, 0.70, 0.82, 1.0};  // share of the width
  const int row_h = sheet.Px(7.5), inset = sheet.Px(1.8), w = right - left;
  auto col_x = [&](std::size_t i) { return left + int(cols[i] * w); };
  for (int r = 0; r <= rows + 1; ++r) Rule(page, {left, top + r * row_h}, {right, top + r * row_h}, sheet);
  for (std::size_t c = 0; c < cols.size(); ++c)
    Rule(page, {col_x(c), top}, {col_x(c), top + (rows + 1) * row_h}, sheet);
  for (std::size_t c = 0; c < heads.size(); ++c)
    Print(page, std::string(heads[c]), {col_x(c) + inset, top + row_h - inset}, bold);
  for (int r = 1; r <= rows; ++r) {
    int y = top + (r + 1) * row_h - inset;
    int year = rng.uniform(1985, 2024);
    std::string employer = Pick(rng, kWords) + " " + Pick(rng, kWords) + " Co.";
    employer[0] = char(std::toupper(employer[0]));
    const std::array<std::string, 5> cells = {
        std::to_string(r), std::to_string(year) + "-" + std::to_string(year + rng.uniform(1, 9)),
        employer, std::to_string(rng.uniform(3, 120)),
        std::to_string(rng.uniform(800, 98000)) + "." + std::to_string(rng.uniform(10, 99))};
    for (std::size_t c = 0; c < cells.size(); ++c) Print(page, cells[c], {col_x(c) + inset, y}, body);
  }
  return top + (rows + 1) * row_h + sheet.Px(9);
}

}  // namespace

cv::Mat TextPage(const PageSpec& spec) {
  const Sheet sheet(spec.dpi);
  cv::RNG rng(spec.seed);
  cv::Mat page = sheet.Blank(spec.width_mm, spec.height_mm, CV_8UC1);
  const Typeface body = MakeTypeface(sheet, cv::FONT_HERSHEY_COMPLEX, 3.0, 0.2);
  const Typeface bold = MakeTypeface(sheet, cv::FONT_HERSHEY_DUPLEX, 3.2, 0.3);
  const Typeface small = MakeTypeface(sheet, cv::FONT_HERSHEY_SIMPLEX, 2.2, 0.18);
  const Typeface title = MakeTypeface(sheet, cv::FONT_HERSHEY_TRIPLEX, 5.0, 0.45);
  const int left = sheet.Px(spec.margin_mm), right = page.cols - sheet.Px(spec.margin_mm);
  const int bottom = page.rows - sheet.Px(spec.margin_mm + 12);  // above the footer
  const int pitch = sheet.Px(5.0);

  // Letterhead, title and reference line.
  int y = sheet.Px(spec.margin_mm + 2);
  Print(page, "Municipal Social Insurance Administration", {left, y}, small);
  PrintRight(page, "Form " + std::to_string(rng.uniform(100, 999)) + "-" +
                       std::to_string(rng.uniform(1, 9)),
             right, y, small);
  Rule(page, {left, y + sheet.Px(2)}, {right, y + sheet.Px(2)}, sheet, 0.4);
  y += sheet.Px(14);
  std::string heading = Pick(rng, kTitles);
  // Long titles shrink to fit the text width, as a word processor would.
  PrintCentred(page, heading, (left + right) / 2, y, Fitted(title, heading, right - left));
  y += sheet.Px(8);
  PrintRight(page, "Ref. " + std::to_string(rng.uniform(2020, 2027)) + "/" +
                       std::to_string(rng.uniform(10000, 99999)),
             right, y, small);
  y += sheet.Px(10);

  // Form lines: a printed label, a typed value, a rule to write on.
  for (int i = 0; i < spec.form_lines && y <= bottom; ++i, y += sheet.Px(8)) {
    std::string label = std::string(kFormLabels[i % std::size(kFormLabels)]) + ":";
    Print(page, label, {left, y}, bold);
    int x = left + sheet.Px(38);
    Rule(page, {x, y + sheet.Px(1)}, {right, y + sheet.Px(1)}, sheet, 0.15);
    if (rng.uniform(0, 4) != 0) {
      std::string value = Pick(rng, kWords) + " " + std::to_string(rng.uniform(10, 99999));
      value[0] = char(std::toupper(value[0]));
      Print(page, value, {x + sheet.Px(2), y - sheet.Px(0.6)}, body);
    }
  }
  if (spec.form_lines > 0) y += sheet.Px(4);

  // Sections of justified paragraphs, the table after the first.
  Prose prose(rng);
  int lines_left = spec.text_lines;
  const int sections = std::max(1, (spec.text_lines + 11) / 12);
  for (int s = 0; s < sections && lines_left > 0 && y <= bottom; ++s) {
    Print(page, std::to_string(s + 1) + ". " + std::string(kSections[(spec.seed + s) % std::size(kSections)]),
          {left, y}, bold);
    y += pitch + sheet.Px(1.5);
    int section_lines = s + 1 == sections ? lines_left : std::min(lines_left, spec.text_lines / sections);
    lines_left -= section_lines;
    while (section_lines > 0 && y <= bottom) {
      int n = std::min(section_lines, rng.uniform(3, 8));
      section_lines -= n;
      y = SetParagraph(page, prose, rng, body, left, right, y, n, pitch, bottom) + sheet.Px(2);
    }
    y += sheet.Px(4);
    if (s == 0 && spec.table_rows > 0 && y + (spec.table_rows + 1) * sheet.Px(7.5) <= bottom)
      y = SetTable(page, rng, sheet, body, bold, left, right, y - sheet.Px(4), spec.table_rows);
  }

  const int footer = page.rows - sheet.Px(spec.margin_mm);
  Rule(page, {left, footer - sheet.Px(5)}, {right, footer - sheet.Px(5)}, sheet, 0.15);
  PrintCentred(page, "Page 1 of 1", (left + right) / 2, footer, small);
  return page;
}

cv::Mat IdCardCopy(const PageSpec& spec) {
  const Sheet sheet(spec.dpi);
  cv::RNG rng(spec.seed);
  cv::Mat page = sheet.Blank(spec.width_mm, spec.height_mm, CV_8UC1);
  const double card_w = 85.6, card_h = 54, corner = 3.2;
  const Typeface label = MakeTypeface(sheet, cv::FONT_HERSHEY_SIMPLEX, 2.0, 0.18);
  const Typeface value = MakeTypeface(sheet, cv::FONT_HERSHEY_DUPLEX, 2.6, 0.25);
  const Typeface heading = MakeTypeface(sheet, cv::FONT_HERSHEY_TRIPLEX, 3.6, 0.35);
  const double x0 = (spec.width_mm - card_w) / 2;

  // A photocopy of a card: a gray card face, dark rounded outline.
  auto card = [&](double y0) {
    cv::Rect r = sheet.Box(x0, y0, card_w, card_h);
    int c = sheet.Px(corner), t = std::max(1, sheet.Px(0.35));
    cv::Rect inner(r.x + c, r.y, r.width - 2 * c, r.height);
    cv::rectangle(page, inner, cv::Scalar::all(222), cv::FILLED);
    cv::rectangle(page, cv::Rect(r.x, r.y + c, r.width, r.height - 2 * c), cv::Scalar::all(222),
                  cv::FILLED);
    const std::array<cv::Point, 4> centres = {cv::Point(r.x + c, r.y + c),
                                              cv::Point(r.br().x - c, r.y + c),
                                              cv::Point(r.br().x - c, r.br().y - c),
                                              cv::Point(r.x + c, r.br().y - c)};
    for (int i = 0; i < 4; ++i) {
      cv::ellipse(page, centres[i], {c, c}, 0, 180 + 90 * i, 270 + 90 * i, cv::Scalar::all(222),
                  cv::FILLED, cv::LINE_AA);
      cv::ellipse(page, centres[i], {c, c}, 0, 180 + 90 * i, 270 + 90 * i, kToner, t, cv::LINE_AA);
    }
    Rule(page, {r.x + c, r.y}, {r.br().x - c, r.y}, sheet, 0.35);
    Rule(page, {r.x + c, r.br().y}, {r.br().x - c, r.br().y}, sheet, 0.35);
    Rule(page, {r.x, r.y + c}, {r.x, r.br().y - c}, sheet, 0.35);
    Rule(page, {r.br().x, r.y + c}, {r.br().x, r.br().y - c}, sheet, 0.35);
    // The security print comes through a copier as faint waves.
    for (double wy = 6; wy < card_h - 4; wy += 3.5) {
      std::vector<cv::Point> wave;
      for (double wx = 2; wx < card_w - 2; wx += 0.5)
        wave.push_back(sheet.At(x0 + wx, y0 + wy + 0.8 * std::sin(wx / 3.0 + wy)));
      cv::polylines(page, wave, false, cv::Scalar::all(185), 1, cv::LINE_AA);
    }
    return r;
  };

  // Front: the holder's photo on the right, fields to its left.
  const double front_y = 45;
  card(front_y);
  cv::Rect photo = sheet.Box(x0 + card_w - 30, front_y + 6, 24, 30);
  cv::rectangle(page, photo, cv::Scalar::all(200), cv::FILLED);
  cv::Point face(photo.x + photo.width / 2, photo.y + photo.height * 2 / 5);
  cv::ellipse(page, {face.x, photo.br().y}, {photo.width * 9 / 20, photo.height / 4}, 0, 180, 360,
              cv::Scalar::all(60), cv::FILLED, cv::LINE_AA);  // shoulders
  cv::ellipse(page, face, {photo.width / 4, photo.height / 4}, 0, 0, 360, cv::Scalar::all(150),
              cv::FILLED, cv::LINE_AA);
  cv::ellipse(page, {face.x, face.y - photo.height / 10}, {photo.width * 3 / 11, photo.height / 5},
              0, 180, 360, cv::Scalar::all(40), cv::FILLED, cv::LINE_AA);  // hair
  const int birth_year = rng.uniform(1955, 1966), birth_month = rng.uniform(1, 13),
            birth_day = rng.uniform(1, 29);
  char born[32], id[32];
  std::snprintf(born, sizeof born, "%d  %02d  %02d", birth_year, birth_month, birth_day);
  std::snprintf(id, sizeof id, "110105%d%02d%02d%04d", birth_year, birth_month, birth_day,
                rng.uniform(0, 10000));
  const std::pair<const char*, std::string> fields[] = {
      {"Name", rng.uniform(0, 2) ? "ZHANG WEI" : "LI XIAOHONG"},
      {"Sex", rng.uniform(0, 2) ? "M    Han" : "F    Han"},
      {"Born", born},
      {"Address", std::to_string(rng.uniform(1, 200)) + " Fuxing Rd"},
  };
  const int field_width = sheet.Px(card_w - 31 - 19 - 2);
  double fy = front_y + 9;
  for (const auto& [name, text] : fields) {
    Print(page, name, sheet.At(x0 + 5, fy), label);
    Print(page, text, sheet.At(x0 + 19, fy), Fitted(value, text, field_width));
    fy += 7.5;
  }
  Print(page, "Citizen ID number", sheet.At(x0 + 5, front_y + card_h - 6), label);
  Print(page, id, sheet.At(x0 + 32, front_y + card_h - 6), Fitted(value, id, sheet.Px(card_w - 36)));

  // Back: emblem, title, issuing authority and validity.
  const double back_y = front_y + card_h + 25;
  card(back_y);
  cv::Point emblem = sheet.At(x0 + 13, back_y + 13);
  cv::circle(page, emblem, sheet.Px(8), kToner, sheet.Px(0.5), cv::LINE_AA);
  std::vector<cv::Point> star;
  for (int i = 0; i < 10; ++i) {
    double a = CV_PI / 2 + i * CV_PI / 5, r = sheet.Px(i % 2 ? 2.4 : 6);
    star.push_back({emblem.x + cvRound(r * std::cos(a)), emblem.y - cvRound(r * std::sin(a))});
  }
  cv::fillPoly(page, std::vector<std::vector<cv::Point>>{star}, kToner, cv::LINE_AA);
  const std::string card_title = "RESIDENT IDENTITY CARD";
  PrintCentred(page, card_title, sheet.Px(x0 + 25 + (card_w - 29) / 2), sheet.Px(back_y + 15),
               Fitted(heading, card_title, sheet.Px(card_w - 29)));
  const std::string authority = "Haidian Public Security Bureau";
  Print(page, "Issuing authority", sheet.At(x0 + 6, back_y + 38), label);
  Print(page, authority, sheet.At(x0 + 31, back_y + 38), Fitted(value, authority, sheet.Px(card_w - 35)));
  int valid_from = rng.uniform(2010, 2024);
  const std::string validity =
      std::to_string(valid_from) + ".03.01 - " + std::to_string(valid_from + 20) + ".03.01";
  Print(page, "Valid period", sheet.At(x0 + 6, back_y + 46), label);
  Print(page, validity, sheet.At(x0 + 31, back_y + 46), Fitted(value, validity, sheet.Px(card_w - 35)));

  // The clerk's certification under the copy.
  const Typeface note = MakeTypeface(sheet, cv::FONT_HERSHEY_COMPLEX, 3.0, 0.2);
  Print(page, "Copy verified against the original.", sheet.At(x0, back_y + card_h + 15), note);
  return page;
}

cv::Mat BlankBack(const PageSpec& spec) {
  const Sheet sheet(spec.dpi);
  cv::RNG rng(spec.seed);
  // Paper under a scanner lamp: a touch below white, darker towards the
  // edges, with sparse grain. Sparse, so the PNG of a blank page stays small.
  cv::Mat page = sheet.Blank(spec.width_mm, spec.height_mm, CV_8UC1);
  cv::Mat falloff(1, page.cols, CV_8UC1);
  for (int x = 0; x < page.cols; ++x) {
    double off_centre = (x - page.cols / 2.0) / (page.cols / 2.0);
    falloff.at<std::uint8_t>(0, x) = cv::saturate_cast<std::uint8_t>(248 - 3 * off_centre * off_centre);
  }
  cv::repeat(falloff, page.rows, 1, page);
  cv::Mat grain(page.size(), CV_8UC1);
  rng.fill(grain, cv::RNG::UNIFORM, 0, 256);
  cv::subtract(page, cv::Scalar(2), page, grain < 2);
  cv::add(page, cv::Scalar(2), page, grain > 253);
  // Dust on the glass: a few specks, one short fibre.
  int specks = rng.uniform(4, 9);
  for (int i = 0; i < specks; ++i) {
    cv::Point at(rng.uniform(0, page.cols), rng.uniform(0, page.rows));
    cv::Size axes(std::max(1, sheet.Px(rng.uniform(0.05, 0.25))),
                  std::max(1, sheet.Px(rng.uniform(0.05, 0.2))));
    cv::ellipse(page, at, axes, rng.uniform(0.0, 180.0), 0, 360,
                cv::Scalar::all(rng.uniform(40, 140)), cv::FILLED, cv::LINE_AA);
  }
  std::vector<cv::Point> fibre;
  cv::Point2d p(rng.uniform(0, page.cols), rng.uniform(0, page.rows));
  double heading = rng.uniform(0.0, 2 * CV_PI);
  for (int i = 0; i < 40; ++i) {
    heading += rng.gaussian(0.12);
    p += cv::Point2d(std::cos(heading), std::sin(heading)) * sheet.px_per_mm * 0.15;
    fibre.push_back(p);
  }
  cv::polylines(page, fibre, false, cv::Scalar::all(150), 1, cv::LINE_AA);
  return page;
}

}  // namespace scangate::synth
