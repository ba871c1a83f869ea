// See corpus_paper.h. Magnitudes follow what office scanners produce: paper
// 230-252, toner 20-60, show-through 8-35 levels, shadows up to near black.
#include "bench/corpus/corpus_paper.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "tests/support/synthetic_page.h"

namespace scangate::corpus {
namespace {

int Px(double mm, double dpi) { return int(std::lround(mm * dpi / 25.4)); }

// Hershey text with a cap height in millimetres.
void PutText(cv::Mat& gray, const std::string& text, cv::Point baseline, double cap_mm,
             double dpi, int face, int ink) {
  const double cap_px = cap_mm * dpi / 25.4;
  const int thickness = std::max(1, int(std::lround(cap_px * 0.09)));
  int base = 0;
  const double unit = cv::getTextSize("H", face, 1.0, 1, &base).height;
  cv::putText(gray, text, baseline, face, cap_px / unit, cv::Scalar::all(ink), thickness,
              cv::LINE_AA);
}

// Multiplies every channel of the pixels by `f(x, y)` in [0, 1].
template <class F>
void Darken(cv::Mat& page, F f) {
  const int ch = page.channels();
  for (int y = 0; y < page.rows; ++y) {
    std::uint8_t* row = page.ptr<std::uint8_t>(y);
    for (int x = 0; x < page.cols; ++x) {
      float k = f(x, y);
      if (k >= 0.999f) continue;
      for (int c = 0; c < ch; ++c) row[x * ch + c] = std::uint8_t(row[x * ch + c] * k + 0.5f);
    }
  }
}

}  // namespace

cv::Mat BlankSheet(double width_mm, double height_mm, double dpi, cv::RNG& rng) {
  cv::Mat page(Px(height_mm, dpi), Px(width_mm, dpi), CV_8UC1);
  const double paper = rng.uniform(232.0, 252.0), falloff = rng.uniform(0.0, 8.0);
  cv::Mat row(1, page.cols, CV_8UC1);
  for (int x = 0; x < page.cols; ++x) {
    double off = (x - page.cols / 2.0) / (page.cols / 2.0);
    row.at<std::uint8_t>(0, x) = cv::saturate_cast<std::uint8_t>(paper - falloff * off * off);
  }
  cv::repeat(row, page.rows, 1, page);
  return page;
}

void PrintShortLine(cv::Mat& gray, double dpi, cv::RNG& rng) {
  static const char* lines[] = {"Page 2 of 3",
                                "This page intentionally left blank",
                                "Continued overleaf",
                                "See attachment 4",
                                "Copy for the archive",
                                "Received 12.03.2025",
                                "No further entries",
                                "Signed in the presence of the clerk",
                                "Annex B - page 7",
                                "End of declaration"};
  const std::string text = lines[rng.uniform(0, int(std::size(lines)))];
  static const int faces[] = {cv::FONT_HERSHEY_SIMPLEX, cv::FONT_HERSHEY_COMPLEX,
                              cv::FONT_HERSHEY_DUPLEX, cv::FONT_HERSHEY_TRIPLEX};
  const double cap = rng.uniform(2.0, 3.8);
  const double mm_w = gray.cols * 25.4 / dpi, mm_h = gray.rows * 25.4 / dpi;
  // The text is at most ~ 0.8 * cap * chars wide; keep it inside 20 mm margins.
  const double width = 0.8 * cap * double(text.size());
  const double x = rng.uniform(20.0, std::max(21.0, mm_w - 20 - width));
  const double y = rng.uniform(25.0, mm_h - 25);
  PutText(gray, text, {Px(x, dpi), Px(y, dpi)}, cap, dpi, faces[rng.uniform(0, 4)],
          rng.uniform(15, 70));
}

void Sign(cv::Mat& gray, double dpi, cv::RNG& rng) {
  const double width = rng.uniform(25.0, 60.0), height = rng.uniform(7.0, 18.0);
  const double mm_w = gray.cols * 25.4 / dpi, mm_h = gray.rows * 25.4 / dpi;
  const double x0 = rng.uniform(20.0, mm_w - 20 - width);
  const double y0 = rng.uniform(mm_h * 0.45, mm_h - 25 - height);
  const int ink = rng.uniform(25, 110);
  const int pen = std::max(1, Px(rng.uniform(0.3, 0.7), dpi));
  // Two or three strokes: loops riding on a wave, the way a name is written
  // fast, sometimes with an underline.
  const int strokes = rng.uniform(1, 4);
  double start = 0;
  for (int s = 0; s < strokes; ++s) {
    const double span = (1.0 - start) / (strokes - s) * rng.uniform(0.7, 1.0);
    const double loops = rng.uniform(2.0, 7.0);
    // Loops close where the pen runs back faster than the hand moves on.
    const double rx = rng.uniform(0.15, 0.5) * width * span / loops;
    const double ry = rng.uniform(0.2, 0.45);
    const double a1 = rng.uniform(0.05, 0.25), f1 = rng.uniform(0.5, 2.0), p1 = rng.uniform(0., 6.3);
    std::vector<cv::Point> path;
    for (int i = 0; i <= 500; ++i) {
      double t = i / 500.0, u = start + span * t;
      double phase = 2 * CV_PI * loops * t;
      double xm = x0 + width * u + rx * std::sin(phase);
      double ym = y0 + height * (0.5 + a1 * std::sin(2 * CV_PI * f1 * t + p1) +
                                 ry * std::cos(phase) * (0.6 + 0.4 * std::sin(5 * t + p1)));
      path.push_back({Px(xm, dpi), Px(ym, dpi)});
    }
    cv::polylines(gray, path, false, cv::Scalar::all(ink), pen, cv::LINE_AA);
    start += span + 0.03;
  }
  if (rng.uniform(0, 3) == 0) {
    cv::Point a(Px(x0, dpi), Px(y0 + height * 1.05, dpi)),
        b(Px(x0 + width * rng.uniform(0.6, 1.0), dpi), Px(y0 + height * rng.uniform(0.9, 1.2), dpi));
    cv::line(gray, a, b, cv::Scalar::all(ink), pen, cv::LINE_AA);
  }
}

void ShowThrough(cv::Mat& gray, double dpi, cv::RNG& rng) {
  synth::PageSpec spec;
  spec.width_mm = gray.cols * 25.4 / dpi;
  spec.height_mm = gray.rows * 25.4 / dpi;
  spec.dpi = dpi;
  spec.seed = std::uint32_t(rng.next());
  spec.text_lines = rng.uniform(10, 40);
  cv::Mat back = synth::TextPage(spec);
  cv::resize(back, back, gray.size());
  cv::flip(back, back, 1);
  const double diffusion = rng.uniform(1.0, 3.0) * dpi / 300;
  cv::GaussianBlur(back, back, cv::Size(), diffusion);
  const float strength = float(rng.uniform(8.0, 35.0) / 227.0);  // darkening of full toner
  for (int y = 0; y < gray.rows; ++y) {
    std::uint8_t* g = gray.ptr<std::uint8_t>(y);
    const std::uint8_t* b = back.ptr<std::uint8_t>(y);
    for (int x = 0; x < gray.cols; ++x)
      g[x] = std::uint8_t(g[x] * (1 - strength * (255 - b[x]) / 255.0f) + 0.5f);
  }
}

void PunchHoles(cv::Mat& page, double dpi, bool dark_lid, cv::RNG& rng) {
  const bool left = rng.uniform(0, 3) != 0;
  const int holes = rng.uniform(0, 3) == 0 ? 4 : 2;
  const double diameter = rng.uniform(5.0, 6.5), inset = rng.uniform(9.0, 13.0);
  const double along = (left ? page.rows : page.cols) * 25.4 / dpi;
  const double pitch = holes == 2 ? 80 : rng.uniform(70.0, 80.0);
  const int fill = dark_lid ? rng.uniform(5, 45) : rng.uniform(175, 235);
  for (int h = 0; h < holes; ++h) {
    double c = along / 2 + (h - (holes - 1) / 2.0) * pitch;
    cv::Point centre = left ? cv::Point(Px(inset, dpi), Px(c, dpi))
                            : cv::Point(Px(c, dpi), Px(inset, dpi));
    int r = Px(diameter / 2, dpi);
    // The hole's wall throws a thin shadow on one side.
    cv::circle(page, centre + cv::Point(1, 1) * std::max(1, r / 12), r, cv::Scalar::all(fill * 0.6),
               cv::FILLED, cv::LINE_AA);
    cv::circle(page, centre, r, cv::Scalar::all(fill), cv::FILLED, cv::LINE_AA);
  }
}

void PlacePhoto(cv::Mat& gray, double dpi, bool halftone, cv::RNG& rng) {
  const double w_mm = rng.uniform(45.0, 90.0), h_mm = rng.uniform(35.0, 65.0);
  const double mm_w = gray.cols * 25.4 / dpi, mm_h = gray.rows * 25.4 / dpi;
  cv::Rect box(Px(rng.uniform(20.0, std::max(21.0, mm_w - 20 - w_mm)), dpi),
               Px(rng.uniform(30.0, std::max(31.0, mm_h - 30 - h_mm)), dpi), Px(w_mm, dpi),
               Px(h_mm, dpi));
  box &= cv::Rect(0, 0, gray.cols, gray.rows);
  // A smooth scene: a lit gradient, soft blobs, and a few hard-edged objects.
  cv::Mat photo(box.size(), CV_32F);
  const double gx = rng.uniform(-1.0, 1.0), gy = rng.uniform(-1.0, 1.0), base = rng.uniform(90., 200.);
  for (int y = 0; y < photo.rows; ++y)
    for (int x = 0; x < photo.cols; ++x)
      photo.at<float>(y, x) = float(base + 40 * (gx * x / photo.cols + gy * y / photo.rows));
  for (int i = 0; i < 7; ++i) {
    cv::Point c(rng.uniform(0, photo.cols), rng.uniform(0, photo.rows));
    int r = rng.uniform(photo.rows / 10 + 1, photo.rows / 3 + 2);
    cv::circle(photo, c, r, cv::Scalar(rng.uniform(20.0, 235.0)), cv::FILLED, cv::LINE_AA);
  }
  cv::GaussianBlur(photo, photo, cv::Size(), Px(rng.uniform(0.3, 2.0), dpi) + 0.5);
  cv::rectangle(photo, cv::Rect(photo.cols / 4, photo.rows / 3, photo.cols / 3, photo.rows / 2),
                cv::Scalar(rng.uniform(20.0, 235.0)), cv::FILLED);
  cv::Mat roi = gray(box);
  if (!halftone) {
    photo.convertTo(roi, CV_8U);
    return;
  }
  // Clustered-dot screen at 45 degrees, 85-150 lines per inch.
  const double period = dpi / rng.uniform(85.0, 150.0);
  const double k = 2 * CV_PI / period / std::sqrt(2.0);
  for (int y = 0; y < roi.rows; ++y)
    for (int x = 0; x < roi.cols; ++x) {
      double screen = 0.5 + 0.25 * (std::cos(k * (x + y)) + std::cos(k * (x - y)));
      double dark = 1 - photo.at<float>(y, x) / 255.0;
      roi.at<std::uint8_t>(y, x) = dark > screen ? 30 : 250;
    }
}

cv::Mat Colourise(const cv::Mat& gray, cv::RNG& rng) {
  const cv::Vec3d paper(rng.uniform(222., 250.), rng.uniform(236., 252.), rng.uniform(242., 255.));
  cv::Vec3d ink;
  switch (rng.uniform(0, 5)) {
    case 0: ink = {110, 45, 25}; break;  // blue-black ballpoint
    case 1: ink = {30, 40, 70}; break;   // brown-black
    default: ink = {28, 28, 32}; break;  // toner
  }
  // Gray 0..255 runs from ink to paper colour, channel by channel.
  std::vector<cv::Mat> planes(3);
  for (int c = 0; c < 3; ++c) {
    cv::Mat lut(1, 256, CV_8U);
    for (int g = 0; g < 256; ++g)
      lut.at<std::uint8_t>(g) = cv::saturate_cast<std::uint8_t>(ink[c] + (paper[c] - ink[c]) * g / 255);
    cv::LUT(gray, lut, planes[std::size_t(c)]);
  }
  cv::Mat out;
  cv::merge(planes, out);
  return out;
}

void EdgeShadow(cv::Mat& page, double dpi, cv::RNG& rng) {
  const int edges = rng.uniform(1, 3);
  for (int e = 0; e < edges; ++e) {
    const int side = rng.uniform(0, 4);
    const float depth = float(rng.uniform(0.15, 0.85));
    const float width = float(Px(rng.uniform(1.5, 7.0), dpi));
    Darken(page, [&](int x, int y) {
      int d = side == 0 ? x : side == 1 ? page.cols - 1 - x : side == 2 ? y : page.rows - 1 - y;
      return 1 - depth * std::exp(-float(d) / width);
    });
  }
}

void Dust(cv::Mat& page, double dpi, cv::RNG& rng) {
  const int specks = rng.uniform(5, 40);
  for (int i = 0; i < specks; ++i) {
    cv::Point at(rng.uniform(0, page.cols), rng.uniform(0, page.rows));
    double r_mm = rng.uniform(0.0, 1.0) < 0.85 ? rng.uniform(0.03, 0.12) : rng.uniform(0.12, 0.3);
    int r = std::max(1, Px(r_mm, dpi));
    cv::circle(page, at, r, cv::Scalar::all(rng.uniform(30, 180)), cv::FILLED, cv::LINE_AA);
  }
  const int hairs = rng.uniform(0, 3);
  for (int i = 0; i < hairs; ++i) {
    std::vector<cv::Point> hair;
    cv::Point2d p(rng.uniform(0, page.cols), rng.uniform(0, page.rows));
    double heading = rng.uniform(0.0, 2 * CV_PI), step = rng.uniform(0.1, 0.3) * dpi / 25.4;
    for (int k = 0; k < 40; ++k) {
      heading += rng.gaussian(0.12);
      p += cv::Point2d(std::cos(heading), std::sin(heading)) * step;
      hair.push_back(p);
    }
    cv::polylines(page, hair, false, cv::Scalar::all(rng.uniform(70, 170)), 1, cv::LINE_AA);
  }
}

void BlackBands(cv::Mat& page, double dpi, cv::RNG& rng) {
  const int sides = rng.uniform(1, 16);
  for (int side = 0; side < 4; ++side) {
    if (!(sides & (1 << side))) continue;
    int w = std::max(1, Px(rng.uniform(1.0, 8.0), dpi));
    cv::Rect band = side == 0   ? cv::Rect(0, 0, w, page.rows)
                    : side == 1 ? cv::Rect(page.cols - w, 0, w, page.rows)
                    : side == 2 ? cv::Rect(0, 0, page.cols, w)
                                : cv::Rect(0, page.rows - w, page.cols, w);
    page(band).setTo(cv::Scalar::all(rng.uniform(0, 40)));
  }
}

void PaperTexture(cv::Mat& page, double dpi, cv::RNG& rng) {
  cv::Mat fine(page.size(), CV_32F), coarse(page.size() / 8 + cv::Size(1, 1), CV_32F);
  rng.fill(fine, cv::RNG::NORMAL, 0, 1);
  rng.fill(coarse, cv::RNG::NORMAL, 0, 1);
  cv::GaussianBlur(fine, fine, cv::Size(), std::max(0.6, 0.8 * dpi / 300));
  cv::GaussianBlur(coarse, coarse, cv::Size(), 2);
  cv::resize(coarse, coarse, page.size(), 0, 0, cv::INTER_LINEAR);
  const float amplitude = float(rng.uniform(3.0, 9.0));
  cv::Mat texture = (fine * 2.2 + coarse * 2.5) * amplitude;
  const int ch = page.channels();
  for (int y = 0; y < page.rows; ++y) {
    std::uint8_t* row = page.ptr<std::uint8_t>(y);
    const float* t = texture.ptr<float>(y);
    for (int x = 0; x < page.cols; ++x)
      for (int c = 0; c < ch; ++c)
        row[x * ch + c] = cv::saturate_cast<std::uint8_t>(row[x * ch + c] + t[x] * row[x * ch + c] / 255.f);
  }
}

}  // namespace scangate::corpus
