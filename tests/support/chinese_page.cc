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

}  // namespace scangate::synth
