// See chinese_page.h. Characters are drawn one by one on the grid (WenQuanYi
// Zen Hei, the font the bundled forms print their labels in).
#include "tests/support/chinese_page.h"

#include <algorithm>
#include <cmath>
#include <opencv2/freetype.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

namespace scangate::synth {
namespace {

constexpr const char* kFontFile = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc";

cv::freetype::FreeType2& Font() {
  thread_local cv::Ptr<cv::freetype::FreeType2> font = [] {
    auto f = cv::freetype::createFreeType2();
    f->loadFontData(kFontFile, 0);
    return f;
  }();
  return *font;
}

// Common characters of social-insurance paperwork, UTF-8, one per entry.
std::vector<std::string> Characters() {
  const std::string text =
      "社会保险养老金申请人姓名身份证号码办理业务经办机构审核意见签字盖章日期年月日参保缴费"
      "基本医疗工伤失业生育待遇领取资格认证个人账户单位职工退休手续材料复印件原件核对无误本人"
      "承诺以上信息真实有效如有虚假愿承担法律责任特此声明住址联系电话银行开户账号类别标准规定"
      "按照有关政策执行按月发放至社会保障卡关系转移接续同意受理补充提交不予退回说明情况备注";
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    out.push_back(text.substr(i, n));
    i += n;
  }
  return out;
}

// A label of a form, full-width colon included.
const char* const kLabels[] = {"姓名：",     "性别：",         "身份证号码：", "出生日期：", "参保单位：",
                               "联系电话：", "银行开户账号：", "住址：",       "待遇类别：", "经办人："};
const char* const kHeads[] = {"序号", "起止年月", "缴费单位", "月数", "缴费基数", "备注"};

}  // namespace

cv::Mat ChineseTextPage(const PageSpec& spec) {
  const double px = spec.dpi / 25.4;
  // FreeType draws on BGR only.
  cv::Mat page(int(std::lround(spec.height_mm * px)), int(std::lround(spec.width_mm * px)), CV_8UC3,
               cv::Scalar::all(255));
  cv::RNG rng(spec.seed);
  static const std::vector<std::string> chars = Characters();
  auto glyph = [&](const std::string& s, double x_mm, double y_mm, double size_mm) {
    // putText's origin is the baseline's left end; the em box sits above it.
    Font().putText(page, s, cv::Point(int(x_mm * px), int((y_mm + 0.88 * size_mm) * px)),
                   std::max(8, int(std::lround(size_mm * px))), cv::Scalar::all(20), -1, cv::LINE_AA,
                   true);
  };
  const double left = spec.margin_mm, right = spec.width_mm - spec.margin_mm;
  double y = spec.margin_mm;
  // Title: centred, larger.
  const double title = 7;
  const int title_chars = rng.uniform(6, 12);
  double x = (spec.width_mm - title_chars * title) / 2;
  for (int i = 0; i < title_chars; ++i, x += title)
    glyph(chars[std::size_t(rng.uniform(0, int(chars.size())))], x, y, title);
  y += title * 2.2;
  const double size = rng.uniform(3.5, 4.6), pitch = size * rng.uniform(1.5, 1.9);
  const int per_line = int((right - left) / size);
  int line = 0;
  while (line < spec.text_lines && y + size < spec.height_mm - spec.margin_mm) {
    const int lines = std::min(spec.text_lines - line, rng.uniform(2, 7));
    for (int l = 0; l < lines && y + size < spec.height_mm - spec.margin_mm; ++l, ++line) {
      const int first = l == 0 ? 2 : 0;
      const int last = l + 1 == lines ? rng.uniform(3, per_line - 1) : per_line;
      for (int c = first; c < last; ++c) {
        std::string s = chars[std::size_t(rng.uniform(0, int(chars.size())))];
        if (c + 1 == last && l + 1 == lines) s = "。";
        else if (c > first + 3 && c + 2 < last && rng.uniform(0, 9) == 0) s = rng.uniform(0, 2) ? "，" : "、";
        glyph(s, left + c * size, y, size);
      }
      y += pitch;
    }
    y += pitch * 0.4;
  }
  cv::Mat gray;
  cv::cvtColor(page, gray, cv::COLOR_BGR2GRAY);
  return gray;
}

cv::Mat ChineseFormPage(const PageSpec& spec) {
  const double px = spec.dpi / 25.4;
  cv::Mat page(int(std::lround(spec.height_mm * px)), int(std::lround(spec.width_mm * px)), CV_8UC3,
               cv::Scalar::all(255));
  cv::RNG rng(spec.seed);
  static const std::vector<std::string> chars = Characters();
  const cv::Scalar ink = cv::Scalar::all(20);
  auto text = [&](const std::string& s, double x_mm, double y_mm, double size_mm, cv::Scalar colour) {
    Font().putText(page, s, cv::Point(int(x_mm * px), int((y_mm + 0.88 * size_mm) * px)),
                   std::max(8, int(std::lround(size_mm * px))), colour, -1, cv::LINE_AA, true);
  };
  auto width_of = [&](const std::string& s, double size_mm) {
    int base = 0;
    return Font().getTextSize(s, std::max(8, int(std::lround(size_mm * px))), -1, &base).width / px;
  };
  auto random_chars = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += chars[std::size_t(rng.uniform(0, int(chars.size())))];
    return s;
  };
  auto rule = [&](double x0, double y0, double x1, double y1) {
    cv::line(page, {int(x0 * px), int(y0 * px)}, {int(x1 * px), int(y1 * px)}, ink,
             std::max(1, int(std::lround(0.25 * px))), cv::LINE_AA);
  };
  const double left = spec.margin_mm, right = spec.width_mm - spec.margin_mm;
  double y = spec.margin_mm;
  // Title: centred, larger, as a certificate's is.
  const double title = rng.uniform(6.0, 8.0);
  const std::string heading = random_chars(rng.uniform(6, 11));
  text(heading, (spec.width_mm - width_of(heading, title)) / 2, y, title, ink);
  y += title * 2.2;
  const double size = rng.uniform(3.5, 4.5);
  // Labels left of ruled fields.
  for (int i = 0; i < spec.form_lines && y < spec.height_mm - 60; ++i) {
    const std::string label = kLabels[(std::size_t(i) + spec.seed) % std::size(kLabels)];
    text(label, left, y, size, ink);
    const double field = left + width_of(label, size) + 2;
    rule(field, y + size * 1.1, right, y + size * 1.1);
    if (rng.uniform(0, 4) != 0) {
      const std::string value = rng.uniform(0, 2) ? random_chars(rng.uniform(2, 8))
                                                  : std::to_string(rng.uniform(100000, 999999)) +
                                                        std::to_string(rng.uniform(1000, 9999));
      text(value, field + 2, y, size * 0.95, ink);
    }
    y += size * 2.2;
  }
  y += size;
  // A ruled table of contribution periods.
  if (spec.table_rows > 0) {
    const int columns = rng.uniform(4, 7);
    const double row_h = size * 1.9, w = (right - left) / columns;
    const int rows = std::min(spec.table_rows, int((spec.height_mm - 70 - y) / row_h) - 1);
    for (int r = 0; r <= rows + 1 && rows > 0; ++r) rule(left, y + r * row_h, right, y + r * row_h);
    for (int c = 0; c <= columns && rows > 0; ++c)
      rule(left + c * w, y, left + c * w, y + (rows + 1) * row_h);
    for (int c = 0; c < columns && rows > 0; ++c)
      text(kHeads[std::size_t(c)], left + c * w + 1.2, y + 0.45 * row_h - 0.45 * size, size * 0.9, ink);
    for (int r = 1; r <= rows; ++r)
      for (int c = 0; c < columns; ++c) {
        const int year = rng.uniform(1990, 2024);
        const std::string cell = c == 0   ? std::to_string(r)
                                 : c == 1 ? std::to_string(year) + "." + std::to_string(rng.uniform(1, 13))
                                 : c == 2 ? random_chars(rng.uniform(2, 5))
                                          : std::to_string(rng.uniform(1, 9999));
        text(cell, left + c * w + 1.2, y + r * row_h + 0.45 * row_h - 0.45 * size, size * 0.85, ink);
      }
    if (rows > 0) y += (rows + 1) * row_h + size * 1.5;
  }
  // Paragraphs on the character grid, as on the text page.
  const double pitch = size * rng.uniform(1.5, 1.9);
  const int per_line = int((right - left) / size);
  int line = 0;
  while (line < spec.text_lines && y + size < spec.height_mm - 60) {
    const int lines = std::min(spec.text_lines - line, rng.uniform(2, 6));
    for (int l = 0; l < lines && y + size < spec.height_mm - 60; ++l, ++line) {
      const int first = l == 0 ? 2 : 0;
      const int last = l + 1 == lines ? rng.uniform(3, per_line - 1) : per_line;
      for (int c = first; c < last; ++c) {
        std::string s = chars[std::size_t(rng.uniform(0, int(chars.size())))];
        if (c + 1 == last && l + 1 == lines) s = "。";
        else if (c > first + 3 && c + 2 < last && rng.uniform(0, 9) == 0) s = "，";
        text(s, left + c * size, y, size, ink);
      }
      y += pitch;
    }
    y += pitch * 0.4;
  }
  // The issuing office and the date, set right, under a red seal.
  const double foot = std::max(y + 10, spec.height_mm - spec.margin_mm - 35);
  const std::string office = random_chars(rng.uniform(6, 10)) + "（盖章）";
  const std::string date = std::to_string(rng.uniform(2015, 2027)) + "年" + std::to_string(rng.uniform(1, 13)) +
                           "月" + std::to_string(rng.uniform(1, 29)) + "日";
  text(office, right - width_of(office, size), foot, size, ink);
  text(date, right - width_of(date, size), foot + size * 2, size, ink);
  const cv::Scalar red(40, 40, rng.uniform(180, 230));
  const cv::Point centre(int((right - 25) * px), int((foot + size) * px));
  const int radius = int(rng.uniform(18.0, 21.0) * px);
  cv::circle(page, centre, radius, red, std::max(1, int(std::lround(0.8 * px))), cv::LINE_AA);
  std::vector<cv::Point> star;
  for (int i = 0; i < 10; ++i) {
    const double a = CV_PI / 2 + i * CV_PI / 5, r = radius * (i % 2 ? 0.12 : 0.3);
    star.push_back({centre.x + int(r * std::cos(a)), centre.y - int(r * std::sin(a))});
  }
  cv::fillPoly(page, std::vector<std::vector<cv::Point>>{star}, red, cv::LINE_AA);
  return page;
}

}  // namespace scangate::synth
