// How counters fill a summary sheet. Handwriting is drawn, not typeset: glyph
// shapes from the bundled font are jittered letter by letter, slanted and
// warped by a smooth random field, thinned to a pen's centre line and inked
// again with a pen whose width and pressure drift along the line. Cursive
// signatures are trochoids (a pen circling while it moves on). Stamps are
// built from rings, stars and arc text, pressed unevenly.
#include <algorithm>
#include <cmath>
#include <cctype>
#include <opencv2/imgproc.hpp>
#include <opencv2/ximgproc.hpp>

#include "tests/support/summary_forms.h"
#include "tests/support/typesetting.h"

namespace scangate::synth {
namespace {

struct Pen {
  cv::Scalar ink;     // BGR
  double width_px;    // nominal stroke width
  double pressure;    // 0.5 light .. 1 firm
};

Pen RandomPen(cv::RNG& rng, double px_per_mm) {
  static const cv::Scalar inks[] = {
      {150, 65, 30},   // blue ballpoint
      {170, 90, 45},   // lighter blue ballpoint
      {40, 38, 38},    // black ballpoint
      {25, 22, 25},    // black gel
      {110, 55, 45},   // blue-black
  };
  return {inks[rng.uniform(0, 5)], px_per_mm * rng.uniform(0.28, 0.6), rng.uniform(0.6, 1.0)};
}

// UTF-8 characters of `text`.
std::vector<std::string> Characters(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = text[i];
    const std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    out.push_back(text.substr(i, n));
    i += n;
  }
  return out;
}

// A smooth random field in [-1, 1], `cells` wide across the image.
cv::Mat SmoothField(cv::RNG& rng, cv::Size size, double cell_px) {
  const int gw = std::max(2, int(size.width / cell_px) + 2), gh = std::max(2, int(size.height / cell_px) + 2);
  cv::Mat grid(gh, gw, CV_32F);
  rng.fill(grid, cv::RNG::UNIFORM, -1.0, 1.0);
  cv::Mat field;
  cv::resize(grid, field, size, 0, 0, cv::INTER_CUBIC);
  return field;
}

// Inks the centre lines in `skeleton` (255 on the line) onto `page` with its
// top-left at `at`: width and pressure drift smoothly along the strokes.
void InkStrokes(cv::Mat& page, const cv::Mat& skeleton, cv::Point at, const Pen& pen, cv::RNG& rng) {
  const int pad = int(std::ceil(pen.width_px)) + 2;
  cv::Mat canvas;
  cv::copyMakeBorder(skeleton, canvas, pad, pad, pad, pad, cv::BORDER_CONSTANT, 0);
  cv::Mat dist;
  cv::distanceTransform(255 - canvas, dist, cv::DIST_L2, 3);
  const cv::Mat drift = SmoothField(rng, canvas.size(), std::max(8.0, pen.width_px * 25));
  const cv::Point origin = at - cv::Point(pad, pad);
  const cv::Rect area = cv::Rect(origin, canvas.size()) & cv::Rect(0, 0, page.cols, page.rows);
  for (int y = area.y; y < area.br().y; ++y) {
    cv::Vec3b* row = page.ptr<cv::Vec3b>(y);
    const float* d = dist.ptr<float>(y - origin.y);
    const float* v = drift.ptr<float>(y - origin.y);
    for (int x = area.x; x < area.br().x; ++x) {
      const int cx = x - origin.x;
      const double p = std::clamp(pen.pressure + 0.25 * v[cx], 0.35, 1.1);
      const double half = pen.width_px / 2 * (0.7 + 0.5 * p);
      const double cover = std::clamp(half + 0.5 - d[cx], 0.0, 1.0);
      if (cover <= 0) continue;
      const double alpha = cover * std::min(1.0, 0.45 + 0.55 * p);
      for (int k = 0; k < 3; ++k)
        row[x][k] = cv::saturate_cast<std::uint8_t>(row[x][k] * (1 - alpha * (1 - pen.ink[k] / 255.0)));
    }
  }
}

// Handwritten `text`: each character jittered in size, place and angle, the
// whole slanted and warped, then thinned to centre lines. Returns the
// skeleton; `height_px` is the character height.
cv::Mat HandSkeleton(cv::RNG& rng, const std::string& text, int height_px, double slant,
                     double warp, bool connect) {
  const std::vector<std::string> chars = Characters(text);
  const int pad = height_px;
  int width = pad * 2;
  for (const std::string& c : chars) width += int(ChineseWidth(c, height_px) * 1.25) + 2;
  cv::Mat glyphs(height_px * 3, width, CV_8UC1, cv::Scalar(0));
  double x = pad;
  std::vector<cv::Point> joints;
  for (const std::string& c : chars) {
    const int h = std::max(6, int(height_px * rng.uniform(0.82, 1.12)));
    const int w = ChineseWidth(c, h);
    cv::Mat one(h * 2, w + h, CV_8UC1, cv::Scalar(0));
    PrintChinese(one, c, {h / 2, h / 4}, h, cv::Scalar(255));
    const cv::Mat turn = cv::getRotationMatrix2D({one.cols / 2.0f, one.rows / 2.0f},
                                                 rng.uniform(-6.0, 6.0), 1.0);
    cv::Mat turned;
    cv::warpAffine(one, turned, turn, one.size());
    one = turned;
    // `one` has the em box's top-left at (h/2, h/4); put it at (x, height_px).
    const int top = height_px + int(rng.uniform(-0.1, 0.1) * height_px) - h / 4;
    cv::Rect place(int(x) - h / 2, top, one.cols, one.rows);
    cv::Rect clipped = place & cv::Rect(0, 0, glyphs.cols, glyphs.rows);
    cv::Mat dst = glyphs(clipped);
    cv::max(dst, one(clipped - place.tl()), dst);
    joints.push_back({int(x + w * 0.9), int(height_px * 1.5 + rng.uniform(-0.2, 0.3) * height_px)});
    x += w * rng.uniform(0.88, 1.12) + (c.size() == 1 ? 0 : height_px * rng.uniform(0.0, 0.18));
  }
  // Slant and a smooth warp: the same letter is never drawn the same way.
  cv::Mat map_x(glyphs.size(), CV_32F), map_y(glyphs.size(), CV_32F);
  const cv::Mat fx = SmoothField(rng, glyphs.size(), height_px * 0.7);
  const cv::Mat fy = SmoothField(rng, glyphs.size(), height_px * 0.7);
  const double amp = warp * height_px;
  const double base = height_px * 2.0;
  for (int y = 0; y < glyphs.rows; ++y)
    for (int xx = 0; xx < glyphs.cols; ++xx) {
      map_x.at<float>(y, xx) = float(xx + slant * (y - base) + amp * fx.at<float>(y, xx));
      map_y.at<float>(y, xx) = float(y + amp * fy.at<float>(y, xx));
    }
  cv::Mat warped;
  cv::remap(glyphs, warped, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  cv::threshold(warped, warped, 100, 255, cv::THRESH_BINARY);
  cv::Mat skeleton;
  cv::ximgproc::thinning(warped, skeleton);
  if (connect) {
    // Quick hands join characters with a hairline.
    for (std::size_t i = 0; i + 1 < joints.size(); ++i)
      if (rng.uniform(0, 3))
        cv::line(skeleton, joints[i], joints[i + 1] + cv::Point(-height_px / 2, -height_px / 3),
                 cv::Scalar(255), 1, cv::LINE_8);
  }
  return skeleton;
}

// Cursive without an alphabet: each letter one turn of a trochoid.
cv::Mat CursiveSkeleton(cv::RNG& rng, double width_px, double x_height, double slant) {
  const int pad = int(x_height * 3);
  cv::Mat canvas(int(x_height * 6), int(width_px) + 2 * pad, CV_8UC1, cv::Scalar(0));
  std::vector<std::vector<cv::Point>> strokes;
  double x = pad, base = x_height * 3.6;
  const double end = pad + width_px;
  while (x < end) {
    std::vector<cv::Point> word;
    const int letters = rng.uniform(3, 8);
    const double drift = rng.uniform(-0.05, 0.05);
    for (int l = 0; l < letters && x < end; ++l) {
      const double w = x_height * rng.uniform(0.45, 0.9);
      const int kind = rng.uniform(0, 10);
      const double h = x_height * (kind < 3 ? rng.uniform(1.7, 2.5) : rng.uniform(0.8, 1.15));
      const double depth = kind == 3 ? x_height * rng.uniform(0.6, 1.1) : 0;
      const double loop = rng.uniform(0.12, 0.35);
      for (int s = 0; s < 18; ++s) {
        const double t = 2 * CV_PI * s / 18;
        const double rise = (1 - std::cos(t)) / 2;
        const double y = base - (depth > 0 ? -depth * rise : h * rise);
        const double px = x + w * s / 18 - loop * w * std::sin(t) + slant * (base - y);
        word.push_back({cvRound(px), cvRound(y)});
      }
      x += w;
      base += drift * w;
    }
    strokes.push_back(word);
    x += x_height * rng.uniform(0.8, 1.6);
  }
  // The flourish under the name.
  std::vector<cv::Point> flourish;
  const double dip = x_height * rng.uniform(0.5, 1.0);
  for (int i = 0; i <= 40; ++i) {
    const double t = i / 40.0;
    flourish.push_back({cvRound(pad - x_height + t * (width_px + 2 * x_height)),
                        cvRound(x_height * 4.2 + dip * 4 * t * (1 - t) - t * dip)});
  }
  if (rng.uniform(0, 3)) strokes.push_back(flourish);
  cv::polylines(canvas, strokes, false, cv::Scalar(255), 1, cv::LINE_8);
  return canvas;
}

const char* kNames[] = {"张伟", "王秀英", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽华",
                        "周敏", "吴建国", "徐立", "孙桂兰", "马超", "朱晓东", "胡婷", "郭志强"};
const char* kWords[] = {"江东市东湖区建设路18号", "中国工商银行江东支行", "基本养老金",
                        "城镇职工养老保险", "户籍地址", "退休", "按月领取", "本人申请",
                        "身份证复印件一份", "变更联系电话", "迁入本市", "单位变更",
                        "河西区滨江路6号3栋", "农业银行城南分理处", "见附件", "已核对"};

std::string Digits(cv::RNG& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += char('0' + rng.uniform(0, 10));
  return s;
}

std::string EntryFor(cv::RNG& rng, const std::string& field) {
  auto has = [&](const char* w) { return field.find(w) != std::string::npos; };
  if (has("id")) return Digits(rng, 17) + (rng.uniform(0, 5) ? std::string(1, char('0' + rng.uniform(0, 10))) : "X");
  if (has("phone")) return "1" + Digits(rng, 10);
  if (has("account") || has("card") || has("number")) return Digits(rng, rng.uniform(8, 20));
  if (has("name")) return kNames[rng.uniform(0, 16)];
  return kWords[rng.uniform(0, 16)];
}

// Writes `text` by hand in `area` (page pixels), cut to fit.
// `at_left`: start near the box's left edge (the right is left for a stamp).
void WriteIn(cv::Mat& page, cv::RNG& rng, const Sheet& sheet, const BoxMm& area, std::string text,
             bool signature, bool at_left = false) {
  const Pen pen = RandomPen(rng, sheet.px_per_mm);
  const double h_mm = signature ? rng.uniform(7.0, std::min(14.0, area.height * 0.7))
                                : rng.uniform(3.5, std::min(6.5, area.height * 0.62));
  const int h = std::max(8, sheet.Px(h_mm));
  std::vector<std::string> chars = Characters(text);
  const double room = sheet.px_per_mm * (area.width - 6);
  while (chars.size() > 2 && ChineseWidth(text, h) * 1.1 > room) {
    chars.pop_back();
    text.clear();
    for (const auto& c : chars) text += c;
  }
  const double slant = signature ? rng.uniform(0.1, 0.5) : rng.uniform(-0.1, 0.3);
  const cv::Mat skeleton = HandSkeleton(rng, text, h, slant, signature ? rng.uniform(0.08, 0.16)
                                                                      : rng.uniform(0.03, 0.08),
                                        signature);
  // HandSkeleton's canvas puts the characters' tops at ~height_px.
  const double free_w = std::max(0.0, room - ChineseWidth(text, h) * 1.1);
  const cv::Point at(sheet.Px(area.x + 2) + int(rng.uniform(0.0, at_left ? 0.1 : 1.0) * free_w) - h,
                     sheet.Px(area.y + (area.height - h_mm) / 2 + rng.uniform(-1.0, 1.0)) - h);
  InkStrokes(page, skeleton, at, pen, rng);
}

void Signature(cv::Mat& page, cv::RNG& rng, const Sheet& sheet, const BoxMm& area,
               bool at_left = false) {
  if (rng.uniform(0, 2)) {
    WriteIn(page, rng, sheet, area, kNames[rng.uniform(0, 16)], true, at_left);
    return;
  }
  const double x_h = sheet.px_per_mm * rng.uniform(2.5, std::min(5.0, area.height / 5));
  const double width = sheet.px_per_mm * rng.uniform(25.0, std::min(60.0, area.width - 15));
  const cv::Mat skeleton = CursiveSkeleton(rng, width, x_h, rng.uniform(0.2, 0.6));
  const cv::Point at(sheet.Px(area.x + rng.uniform(3.0, 8.0)) - int(x_h * 3),
                     sheet.Px(area.y + area.height / 2) - int(x_h * 3.3));
  InkStrokes(page, skeleton, at, RandomPen(rng, sheet.px_per_mm), rng);
}

void Dot(cv::Mat& page, cv::RNG& rng, const Sheet& sheet, const BoxMm& area) {
  const cv::Point c = sheet.At(area.x + rng.uniform(0.15, 0.85) * area.width,
                               area.y + rng.uniform(0.2, 0.8) * area.height);
  const Pen pen = RandomPen(rng, sheet.px_per_mm);
  cv::circle(page, c, std::max(1, sheet.Px(rng.uniform(0.25, 0.7))), pen.ink, cv::FILLED, cv::LINE_AA);
}

// A short stroke: a tick (two legs) or a dash. `size_mm` its extent.
void Tick(cv::Mat& page, cv::RNG& rng, const Sheet& sheet, const BoxMm& area, double size_mm,
          bool dash) {
  const int s = sheet.Px(size_mm);
  cv::Mat skeleton(s * 2 + 4, s * 2 + 4, CV_8UC1, cv::Scalar(0));
  const cv::Point a(2 + s / 4, 2 + s), b(2 + s / 2, 2 + s + s / 2), c(2 + s + s / 2, 2 + s / 4);
  if (dash) cv::line(skeleton, a, {a.x + s, a.y + int(rng.uniform(-0.2, 0.2) * s)}, cv::Scalar(255));
  else {
    cv::line(skeleton, a, b, cv::Scalar(255));
    cv::line(skeleton, b, c, cv::Scalar(255));
  }
  const cv::Point at = sheet.At(area.x + rng.uniform(0.1, 0.7) * area.width,
                                area.y + rng.uniform(0.0, 0.5) * area.height);
  InkStrokes(page, skeleton, at - cv::Point(s / 2, s / 2), RandomPen(rng, sheet.px_per_mm), rng);
}

void RuledLine(cv::Mat& page, cv::RNG& rng, const Sheet& sheet, const BoxMm& area) {
  const double len = area.width * rng.uniform(0.4, 0.85);
  const double x0 = area.x + rng.uniform(1.0, area.width - len - 1);
  const double y = area.y + area.height * rng.uniform(0.35, 0.8);
  cv::Mat skeleton(sheet.Px(4) + 4, sheet.Px(len) + 4, CV_8UC1, cv::Scalar(0));
  const int tilt = int(rng.uniform(-0.015, 0.015) * skeleton.cols);
  cv::line(skeleton, {2, skeleton.rows / 2}, {skeleton.cols - 3, skeleton.rows / 2 + tilt}, cv::Scalar(255));
  InkStrokes(page, skeleton, sheet.At(x0, y) - cv::Point(2, skeleton.rows / 2),
             RandomPen(rng, sheet.px_per_mm), rng);
}

void PrintedNote(cv::Mat& page, cv::RNG& rng, const Sheet& sheet, const BoxMm& area) {
  static const char* notes[] = {"张伟", "（本人签字）", "李娜 代办", "此栏由经办机构填写",
                                "2026年11月27日", "王秀英"};
  const std::string text = notes[rng.uniform(0, 6)];
  int h = sheet.Px(rng.uniform(3.5, 6.0));
  while (ChineseWidth(text, h) > sheet.Px(area.width - 4) && h > 8) h -= 2;
  PrintChinese(page, text,
               sheet.At(area.x + rng.uniform(1.0, std::max(1.5, area.width - 2 - ChineseWidth(text, h) / sheet.px_per_mm)),
                        area.y + rng.uniform(0.2, 0.5) * area.height),
               h, kToner);
}

void Smudge(cv::Mat& page, cv::RNG& rng, const Sheet& sheet, const BoxMm& area) {
  // Over the label band above the writing area and the box's edge.
  const cv::Point c = sheet.At(area.x + rng.uniform(0.05, 0.6) * area.width, area.y - rng.uniform(-1.0, 3.0));
  const cv::Size axes(sheet.Px(rng.uniform(3.0, 9.0)), sheet.Px(rng.uniform(2.0, 5.0)));
  cv::Mat blot(page.size(), CV_8UC1, cv::Scalar(0));
  cv::Rect box(c - cv::Point(axes.width * 2, axes.height * 2), cv::Size(axes.width * 4, axes.height * 4));
  box &= cv::Rect(0, 0, page.cols, page.rows);
  cv::Mat roi = blot(box);
  cv::ellipse(roi, c - box.tl(), axes, rng.uniform(0.0, 180.0), 0, 360, cv::Scalar(255), cv::FILLED);
  cv::GaussianBlur(roi, roi, cv::Size(), axes.height * 0.5);
  const double strength = rng.uniform(0.06, 0.16);
  for (int y = box.y; y < box.br().y; ++y)
    for (int x = box.x; x < box.br().x; ++x) {
      const double a = strength * blot.at<std::uint8_t>(y, x) / 255.0;
      cv::Vec3b& px = page.at<cv::Vec3b>(y, x);
      for (int k = 0; k < 3; ++k) px[k] = cv::saturate_cast<std::uint8_t>(px[k] * (1 - a));
    }
}

// The stamp's inked shape at `px_per_mm`, coverage 0..255, centred.
cv::Mat StampMask(cv::RNG& rng, const StampStyle& style, double px_per_mm) {
  const double size = style.size_mm * px_per_mm;
  const int side = int(size * 1.15) + 8;
  cv::Mat mask(side, side, CV_8UC1, cv::Scalar(0));
  const cv::Point2d c(side / 2.0, side / 2.0);
  const int ring = std::max(2, int(px_per_mm * rng.uniform(0.9, 1.4)));
  auto glyph_at = [&](const std::string& ch, cv::Point2d pos, double angle_deg, int h) {
    const int box = h * 2;
    cv::Mat g(box, box, CV_8UC1, cv::Scalar(0));
    PrintChinese(g, ch, {box / 2 - h / 2, box / 2 - h / 2 - h / 8}, h, cv::Scalar(255));
    const cv::Mat turn = cv::getRotationMatrix2D({box / 2.0f, box / 2.0f}, angle_deg, 1.0);
    cv::Mat turned;
    cv::warpAffine(g, turned, turn, g.size());
    g = turned;
    cv::Rect place(int(pos.x) - box / 2, int(pos.y) - box / 2, box, box);
    cv::Rect clipped = place & cv::Rect(0, 0, side, side);
    cv::Mat dst = mask(clipped);
    cv::max(dst, g(clipped - place.tl()), dst);
  };
  const std::vector<std::string> arc = Characters("江东市社会保险事业管理中心");
  if (style.shape == StampShape::kSquare) {
    const int half = int(size / 2);
    cv::rectangle(mask, cv::Point(c) - cv::Point(half, half), cv::Point(c) + cv::Point(half, half),
                  cv::Scalar(255), ring, cv::LINE_AA);
    const std::vector<std::string> chars = Characters(rng.uniform(0, 2) ? "业务专用" : "张伟之印");
    const int h = int(size * 0.36);
    for (int i = 0; i < 4; ++i)
      glyph_at(chars[i], {c.x + (i < 2 ? 1 : -1) * size * 0.22, c.y + (i % 2 ? 1 : -1) * size * 0.22}, 0, h);
  } else {
    const double rx = size / 2, ry = style.shape == StampShape::kOval ? size / 2 * 0.7 : size / 2;
    cv::ellipse(mask, cv::Point(c), cv::Size(int(rx), int(ry)), 0, 0, 360, cv::Scalar(255), ring, cv::LINE_AA);
    // Five-pointed star in the middle, text along the upper arc.
    std::vector<cv::Point> star;
    const double star_r = std::min(rx, ry) * 0.32;
    for (int i = 0; i < 10; ++i) {
      const double a = CV_PI / 2 + i * CV_PI / 5, r = star_r * (i % 2 ? 0.4 : 1.0);
      star.push_back({cvRound(c.x + r * std::cos(a)), cvRound(c.y - r * std::sin(a))});
    }
    if (style.shape == StampShape::kRound) cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{star}, cv::Scalar(255), cv::LINE_AA);
    const int h = int(std::min(rx, ry) * 0.3);
    const double from = 200, to = 340;
    for (std::size_t i = 0; i < arc.size(); ++i) {
      const double at = (from - 20 + (to - from + 40) * (i + 0.5) / arc.size()) * CV_PI / 180;
      const cv::Point2d pos(c.x + (rx - ring - h * 0.75) * std::cos(at), c.y + (ry - ring - h * 0.75) * std::sin(at));
      glyph_at(arc[i], pos, -(at * 180 / CV_PI + 90), h);
    }
    const std::string bottom = "业务专用章";
    const int hb = int(h * 0.9);
    const int w = ChineseWidth(bottom, hb);
    PrintChinese(mask, bottom, {int(c.x) - w / 2, int(c.y + std::min(rx, ry) * 0.42)}, hb, cv::Scalar(255));
  }
  const cv::Mat turn = cv::getRotationMatrix2D(c, style.degrees, 1.0);
  cv::Mat turned;
  cv::warpAffine(mask, turned, turn, mask.size());
  return turned;
}

// Presses a stamp centred at `centre` (page pixels): blotchy ink, one side
// lighter, blended like ink over whatever is under it.
void Press(cv::Mat& page, cv::RNG& rng, const Sheet& sheet, const StampStyle& style, cv::Point2d centre) {
  const cv::Mat mask = StampMask(rng, style, sheet.px_per_mm);
  const int side = mask.cols;
  cv::Mat texture(side, side, CV_32FC1);
  rng.fill(texture, cv::RNG::UNIFORM, 0.0, 1.0);
  cv::GaussianBlur(texture, texture, cv::Size(), sheet.px_per_mm * 0.4);
  cv::normalize(texture, texture, 0.45, 1.0, cv::NORM_MINMAX);
  const double light = rng.uniform(0.0, 2 * CV_PI);
  const cv::Rect place(cvRound(centre.x) - side / 2, cvRound(centre.y) - side / 2, side, side);
  const cv::Rect clipped = place & cv::Rect(0, 0, page.cols, page.rows);
  for (int y = clipped.y; y < clipped.br().y; ++y)
    for (int x = clipped.x; x < clipped.br().x; ++x) {
      const int my = y - place.y, mx = x - place.x;
      const float cover = mask.at<std::uint8_t>(my, mx) / 255.0f;
      if (cover == 0) continue;
      double side_factor = 1;
      if (style.partial) {
        // Pressed crooked: ink fades to almost nothing across the stamp.
        const double along = ((mx - side / 2.0) * std::cos(light) + (my - side / 2.0) * std::sin(light)) / (side / 2.0);
        side_factor = std::clamp(0.55 + 0.6 * along, 0.08, 1.0);
      } else {
        side_factor = 0.85 + 0.15 * std::cos(std::atan2(my - side / 2.0, mx - side / 2.0) - light);
      }
      const double alpha = cover * texture.at<float>(my, mx) * side_factor * style.strength;
      cv::Vec3b& px = page.at<cv::Vec3b>(y, x);
      for (int k = 0; k < 3; ++k)
        px[k] = cv::saturate_cast<std::uint8_t>(px[k] * (1 - alpha * (1 - style.ink[k] / 255.0)));
    }
}

cv::Point2d Centre(const Sheet& sheet, const BoxMm& area, double offset_mm, cv::RNG& rng) {
  const double a = rng.uniform(0.0, 2 * CV_PI);
  return {sheet.px_per_mm * (area.x + area.width / 2 + offset_mm * std::cos(a)),
          sheet.px_per_mm * (area.y + area.height / 2 + offset_mm * std::sin(a))};
}

}  // namespace

void FillForm(cv::Mat& page, const FormDesign& form, double dpi, const FormFill& fill) {
  const Sheet sheet(dpi);
  cv::RNG rng(fill.seed);
  for (std::size_t i = 0; i < form.fields.size() && i < fill.fields.size(); ++i) {
    const BoxMm& a = form.fields[i].area;
    switch (fill.fields[i]) {
      case FieldEntry::kWritten: WriteIn(page, rng, sheet, a, EntryFor(rng, form.fields[i].name), false); break;
      case FieldEntry::kEmpty: break;
      case FieldEntry::kStrayDot: Dot(page, rng, sheet, a); break;
      case FieldEntry::kStrayTick: Tick(page, rng, sheet, a, rng.uniform(1.2, 2.5), true); break;
      case FieldEntry::kSmudge: Smudge(page, rng, sheet, a); break;
    }
  }
  for (std::size_t i = 0; i < form.signatures.size() && i < fill.signatures.size(); ++i) {
    const BoxMm& a = form.signatures[i].area;
    switch (fill.signatures[i]) {
      case SignatureEntry::kSigned:
        Signature(page, rng, sheet, a, int(i) == fill.stamp_over_signature);
        break;
      case SignatureEntry::kEmpty: break;
      case SignatureEntry::kTick: Tick(page, rng, sheet, a, rng.uniform(4.0, 9.0), false); break;
      case SignatureEntry::kRuledLine: RuledLine(page, rng, sheet, a); break;
      case SignatureEntry::kPrintedText: PrintedNote(page, rng, sheet, a); break;
      case SignatureEntry::kStampOnly: {
        StampStyle name_stamp{StampShape::kSquare, cv::Scalar(45, 40, 205), rng.uniform(14.0, 20.0),
                              rng.uniform(0.7, 1.0), false, rng.uniform(-10.0, 10.0)};
        if (rng.uniform(0, 3) == 0) name_stamp = fill.stamp;
        Press(page, rng, sheet, name_stamp, Centre(sheet, a, rng.uniform(0.0, 4.0), rng));
        break;
      }
      case SignatureEntry::kStrayDot: Dot(page, rng, sheet, a); break;
    }
  }
  for (std::size_t i = 0; i < form.seals.size() && i < fill.seals.size(); ++i) {
    const BoxMm& a = form.seals[i].area;
    switch (fill.seals[i]) {
      case SealEntry::kStamped: {
        // Offices often sign in the seal box too, then stamp over it.
        const bool sign = rng.uniform(0, 4) == 0;
        if (sign || fill.signed_in_seal_box) Signature(page, rng, sheet, a);
        if (rng.uniform(0, 4) == 0) PrintedNote(page, rng, sheet, a);
        Press(page, rng, sheet, fill.stamp, Centre(sheet, a, fill.stamp_offset_mm, rng));
        break;
      }
      case SealEntry::kEmpty: break;
      case SealEntry::kSignatureOnly: Signature(page, rng, sheet, a); break;
      case SealEntry::kPrintedText: PrintedNote(page, rng, sheet, a); break;
      case SealEntry::kTick: Tick(page, rng, sheet, a, rng.uniform(4.0, 9.0), false); break;
    }
  }
  if (fill.stamp_over_signature >= 0 && std::size_t(fill.stamp_over_signature) < form.signatures.size() &&
      fill.signatures[fill.stamp_over_signature] == SignatureEntry::kSigned) {
    // Over the end of the signature, as offices stamp across the clerk's
    // name: most of the name stays clear of the stamp.
    const BoxMm& a = form.signatures[fill.stamp_over_signature].area;
    Press(page, rng, sheet, fill.stamp, {sheet.px_per_mm * (a.x + a.width * rng.uniform(0.62, 0.85)),
                                         sheet.px_per_mm * (a.y + a.height / 2)});
  }
}

FormFill RandomFill(const FormDesign& form, std::uint32_t seed, bool complete) {
  cv::RNG rng(seed * 7919u + 17);
  FormFill f;
  f.seed = seed;
  f.fields.assign(form.fields.size(), FieldEntry::kWritten);
  f.signatures.assign(form.signatures.size(), SignatureEntry::kSigned);
  f.seals.assign(form.seals.size(), SealEntry::kStamped);
  // Red mostly; blue, purple and black some.
  static const cv::Scalar inks[] = {{45, 40, 205}, {60, 50, 225}, {80, 70, 190},
                                    {160, 60, 40}, {140, 40, 120}, {50, 45, 45}};
  const int pick = rng.uniform(0, 20);
  f.stamp.ink = inks[pick < 12 ? 0 : pick < 14 ? 1 : pick < 16 ? 2 : pick < 18 ? 3 : pick < 19 ? 4 : 5];
  const int shape = rng.uniform(0, 10);
  f.stamp.shape = shape < 6 ? StampShape::kRound : shape < 8 ? StampShape::kOval : StampShape::kSquare;
  f.stamp.size_mm = f.stamp.shape == StampShape::kSquare ? rng.uniform(22.0, 30.0)
                    : f.stamp.shape == StampShape::kOval  ? rng.uniform(40.0, 46.0)
                                                          : rng.uniform(38.0, 44.0);
  f.stamp.strength = rng.uniform(0, 4) ? rng.uniform(0.75, 1.0) : rng.uniform(0.5, 0.75);
  f.stamp.partial = rng.uniform(0, 6) == 0;
  f.stamp.degrees = rng.uniform(-25.0, 25.0);
  f.stamp_offset_mm = rng.uniform(0.0, 7.0);
  f.stamp_over_signature = rng.uniform(0, 3) == 0 ? int(form.signatures.size()) - 1 : -1;
  if (complete) return f;
  const int defects = rng.uniform(1, 4);
  for (int d = 0; d < defects; ++d) {
    const int where = rng.uniform(0, 10);
    if (where < 5) {
      static const FieldEntry wrong[] = {FieldEntry::kEmpty, FieldEntry::kEmpty, FieldEntry::kStrayDot,
                                         FieldEntry::kStrayTick, FieldEntry::kSmudge};
      f.fields[rng.uniform(0, int(f.fields.size()))] = wrong[rng.uniform(0, 5)];
    } else if (where < 8) {
      static const SignatureEntry wrong[] = {SignatureEntry::kEmpty, SignatureEntry::kEmpty, SignatureEntry::kTick,
                                             SignatureEntry::kRuledLine, SignatureEntry::kPrintedText,
                                             SignatureEntry::kStampOnly, SignatureEntry::kStrayDot};
      f.signatures[rng.uniform(0, int(f.signatures.size()))] = wrong[rng.uniform(0, 7)];
    } else {
      static const SealEntry wrong[] = {SealEntry::kEmpty, SealEntry::kEmpty, SealEntry::kSignatureOnly,
                                        SealEntry::kPrintedText, SealEntry::kTick};
      f.seals[rng.uniform(0, int(f.seals.size()))] = wrong[rng.uniform(0, 5)];
    }
  }
  return f;
}

cv::Mat CompletedSheet(const std::string& form_name, double dpi, const std::string& transaction,
                       std::uint32_t seed, bool colour) {
  const FormDesign& form = BundledForm(form_name);
  FormFill fill = RandomFill(form, seed, true);
  fill.stamp = StampStyle{};
  fill.stamp_over_signature = -1;
  fill.stamp_offset_mm = 2;
  cv::Mat page = PrintedForm(form, dpi, transaction);
  FillForm(page, form, dpi, fill);
  if (!colour) cv::cvtColor(page, page, cv::COLOR_BGR2GRAY);
  return page;
}

namespace {

// Centre lines warped as a hand warps them: slanted, and pushed about by a
// smooth random field; `glyphs` holds strokes (any width), returns the
// thinned result.
cv::Mat HandWarp(cv::RNG& rng, const cv::Mat& glyphs, double slant, double amp_px, double cell_px, double base_y) {
  cv::Mat map_x(glyphs.size(), CV_32F), map_y(glyphs.size(), CV_32F);
  const cv::Mat fx = SmoothField(rng, glyphs.size(), cell_px);
  const cv::Mat fy = SmoothField(rng, glyphs.size(), cell_px);
  for (int y = 0; y < glyphs.rows; ++y)
    for (int x = 0; x < glyphs.cols; ++x) {
      map_x.at<float>(y, x) = float(x + slant * (y - base_y) + amp_px * fx.at<float>(y, x));
      map_y.at<float>(y, x) = float(y + amp_px * fy.at<float>(y, x));
    }
  cv::Mat warped;
  cv::remap(glyphs, warped, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  cv::threshold(warped, warped, 100, 255, cv::THRESH_BINARY);
  cv::Mat skeleton;
  cv::ximgproc::thinning(warped, skeleton);
  return skeleton;
}

const char* kFirstNames[] = {"John", "Mary", "Robert", "Ann", "William", "Peter", "Carol", "Thomas", "James",
                             "Linda", "Richard", "Susan", "George", "Helen", "Arthur", "Karen"};
const char* kSurnames[] = {"Smith", "Jones", "Miller", "Davis", "Brown", "Wilson", "Moore", "Taylor", "Anderson",
                           "Gertz", "Jackson", "White", "Harris", "Martin", "Thompson", "Garcia", "Eisenhart",
                           "Kowalski", "Lee", "Hendershot"};

// A Latin name as people sign it: "John Smith", "J. Smith", "R. F. Gertz".
std::string LatinName(cv::RNG& rng) {
  std::string name;
  const int form = rng.uniform(0, 3);
  if (form == 0) name = std::string(kFirstNames[rng.uniform(0, 16)]) + " ";
  else
    for (int i = 0; i < form; ++i) name += std::string(1, char('A' + rng.uniform(0, 26))) + ". ";
  return name + kSurnames[rng.uniform(0, 20)];
}

// A Latin name in a script face, or only its initials, as a hand writes it.
cv::Mat LatinSkeleton(cv::RNG& rng, double height_px, double slant, bool initials) {
  std::string text = LatinName(rng);
  if (initials) {
    std::string short_text;
    bool start = true;
    for (char ch : text) {
      if (start && std::isalpha(static_cast<unsigned char>(ch))) short_text += ch;
      start = ch == ' ' || ch == '.';
    }
    text = short_text.substr(0, std::size_t(rng.uniform(1, 4)));
  }
  const int face = rng.uniform(0, 2) ? cv::FONT_HERSHEY_SCRIPT_SIMPLEX : cv::FONT_HERSHEY_SCRIPT_COMPLEX;
  const double scale = cv::getFontScaleFromHeight(face, std::max(6, int(height_px)), 1);
  int base = 0;
  const cv::Size size = cv::getTextSize(text, face, scale, 1, &base);
  const int pad = int(height_px * 1.5);
  cv::Mat glyphs(size.height + base + 2 * pad, size.width + 2 * pad + int(height_px), CV_8UC1, cv::Scalar(0));
  const int thick = std::max(1, int(height_px / 12));
  cv::putText(glyphs, text, {pad, pad + size.height}, face, scale, cv::Scalar(255), thick, cv::LINE_8);
  if (initials && rng.uniform(0, 2)) {
    // A tail trailing off the last letter.
    std::vector<cv::Point> tail;
    const double x0 = pad + size.width, y0 = pad + size.height * 0.8;
    const double len = height_px * rng.uniform(1.0, 3.0);
    for (int i = 0; i <= 20; ++i)
      tail.push_back({cvRound(x0 + len * i / 20.0), cvRound(y0 - height_px * 0.3 * std::sin(i / 20.0 * CV_PI * rng.uniform(1.0, 3.0)))});
    cv::polylines(glyphs, tail, false, cv::Scalar(255), thick);
  }
  return HandWarp(rng, glyphs, slant, height_px * rng.uniform(0.04, 0.12), height_px * 0.8, pad + size.height);
}

// A quick scrawl: a zigzag or a wave of falling amplitude, sometimes
// crossing itself.
cv::Mat ScrawlSkeleton(cv::RNG& rng, double height_px, double slant) {
  const int peaks = rng.uniform(4, 14);
  const double step = height_px * rng.uniform(0.25, 0.7);
  const int pad = int(height_px * 1.5);
  cv::Mat canvas(int(height_px * 4), int(peaks * step + 2 * pad + height_px), CV_8UC1, cv::Scalar(0));
  std::vector<cv::Point> line;
  const double base = height_px * 2.2;
  const bool smooth = rng.uniform(0, 2);
  double amp = height_px * rng.uniform(0.5, 1.0);
  const double fall = rng.uniform(0.85, 1.0);
  for (int p = 0; p <= peaks; ++p) {
    const double a = amp * rng.uniform(0.6, 1.2);
    amp *= fall;
    const int samples = smooth ? 8 : 1;
    for (int s = 0; s < samples; ++s) {
      const double t = (p + double(s) / samples);
      const double y = smooth ? base - a / 2 * std::sin(t * CV_PI) : base - (p % 2 ? a / 2 : -a / 2);
      const double back = rng.uniform(0, 4) == 0 ? -step * 0.4 : 0;
      line.push_back({cvRound(pad + t * step + back + slant * (base - y)), cvRound(y)});
    }
  }
  cv::polylines(canvas, line, false, cv::Scalar(255), 1, cv::LINE_8);
  return canvas;
}

// Loops in a row ("llll", "eeee"), of changing size.
cv::Mat LoopSkeleton(cv::RNG& rng, double height_px, double slant) {
  const int loops = rng.uniform(3, 9);
  const int pad = int(height_px * 1.5);
  const double w = height_px * rng.uniform(0.35, 0.7);
  cv::Mat canvas(int(height_px * 4), int(loops * w + 2 * pad + height_px), CV_8UC1, cv::Scalar(0));
  std::vector<cv::Point> line;
  const double base = height_px * 2.8;
  for (int l = 0; l < loops; ++l) {
    const double h = height_px * rng.uniform(0.5, 1.1);
    const double loop = rng.uniform(0.4, 0.9);
    for (int s = 0; s < 24; ++s) {
      const double t = 2 * CV_PI * s / 24;
      const double rise = (1 - std::cos(t)) / 2;
      const double y = base - h * rise;
      line.push_back({cvRound(pad + l * w + w * s / 24 - loop * w * std::sin(t) + slant * (base - y)), cvRound(y)});
    }
  }
  cv::polylines(canvas, line, false, cv::Scalar(255), 1, cv::LINE_8);
  return canvas;
}

}  // namespace

const char* SignatureStyleName(SignatureStyle style) {
  switch (style) {
    case SignatureStyle::kChineseName: return "chinese";
    case SignatureStyle::kCursive: return "cursive";
    case SignatureStyle::kLatinName: return "latin";
    case SignatureStyle::kInitials: return "initials";
    case SignatureStyle::kScrawl: return "scrawl";
    case SignatureStyle::kLoops: return "loops";
    case SignatureStyle::kCount: break;
  }
  return "?";
}

cv::Rect SignAt(cv::Mat& page, double dpi, cv::Point left_mid, double height_mm, SignatureStyle style,
                bool underline, double pen_mm, cv::RNG& rng) {
  const double ppm = dpi / 25.4;
  const double h = std::max(6.0, height_mm * ppm);
  const double slant = rng.uniform(-0.1, 0.6);
  cv::Mat skeleton;
  switch (style) {
    case SignatureStyle::kChineseName: {
      const int count = rng.uniform(0, 3) ? 1 : 2;
      std::string text;
      for (int i = 0; i < count; ++i) text += kNames[rng.uniform(0, 16)];
      skeleton = HandSkeleton(rng, text, int(h), slant, rng.uniform(0.06, 0.2), rng.uniform(0, 3) != 0);
      break;
    }
    case SignatureStyle::kCursive:
      skeleton = CursiveSkeleton(rng, h * rng.uniform(3.0, 9.0), h * rng.uniform(0.35, 0.6), slant);
      break;
    case SignatureStyle::kLatinName: skeleton = LatinSkeleton(rng, h, slant, false); break;
    case SignatureStyle::kInitials: skeleton = LatinSkeleton(rng, h * 1.3, slant, true); break;
    case SignatureStyle::kScrawl: skeleton = ScrawlSkeleton(rng, h, slant); break;
    case SignatureStyle::kLoops: skeleton = LoopSkeleton(rng, h, slant); break;
    case SignatureStyle::kCount: return {};
  }
  cv::Rect ink = cv::boundingRect(skeleton);
  if (ink.empty()) return {};
  if (underline) {
    // A flourish or a plain line under the name, a little crooked.
    const double y = ink.br().y + h * rng.uniform(0.05, 0.4);
    const double x0 = ink.x - h * rng.uniform(0.0, 0.6), x1 = ink.br().x + h * rng.uniform(-0.3, 0.8);
    const double bow = h * rng.uniform(-0.3, 0.3), tilt = h * rng.uniform(-0.3, 0.3);
    std::vector<cv::Point> line;
    for (int i = 0; i <= 30; ++i) {
      const double t = i / 30.0;
      line.push_back({cvRound(x0 + t * (x1 - x0)), cvRound(y + bow * 4 * t * (1 - t) + tilt * t)});
    }
    cv::Mat grown(std::max(skeleton.rows, int(y + h)), std::max(skeleton.cols, int(x1 + h)), CV_8UC1, cv::Scalar(0));
    skeleton.copyTo(grown(cv::Rect(0, 0, skeleton.cols, skeleton.rows)));
    cv::polylines(grown, line, false, cv::Scalar(255), 1, cv::LINE_8);
    skeleton = grown;
    ink = cv::boundingRect(skeleton);
  }
  const cv::Point at(left_mid.x - ink.x, left_mid.y - (ink.y + ink.height / 2));
  Pen pen = RandomPen(rng, ppm);
  if (pen_mm > 0) pen.width_px = pen_mm * ppm;
  pen.pressure = rng.uniform(0.45, 1.0);
  if (page.channels() == 1) {
    cv::Mat colour;
    cv::cvtColor(page, colour, cv::COLOR_GRAY2BGR);
    InkStrokes(colour, skeleton, at, pen, rng);
    cv::cvtColor(colour, page, cv::COLOR_BGR2GRAY);
  } else {
    InkStrokes(page, skeleton, at, pen, rng);
  }
  const int grow = int(std::ceil(pen.width_px)) + 1;
  return cv::Rect(ink.x + at.x - grow, ink.y + at.y - grow, ink.width + 2 * grow, ink.height + 2 * grow) &
         cv::Rect(0, 0, page.cols, page.rows);
}

void PressStamp(cv::Mat& page, double dpi, cv::Point centre, const StampStyle& style, cv::RNG& rng) {
  const Sheet sheet(dpi);
  if (page.channels() == 1) {
    cv::Mat colour;
    cv::cvtColor(page, colour, cv::COLOR_GRAY2BGR);
    Press(colour, rng, sheet, style, centre);
    cv::cvtColor(colour, page, cv::COLOR_BGR2GRAY);
  } else {
    Press(page, rng, sheet, style, centre);
  }
}

}  // namespace scangate::synth
