// See form_registration.h. Everything runs on a 50-dpi image of the page (a
// quarter of a millisecond per step): the form's angle from the projections
// of the page's ink (the form's rulings make sharp peaks), its scale and shift
// along each axis from the rulings' row and column profiles, then a check of
// the few best fits: the form's printing must be where the fit puts it, and
// the page's printing outside the zones must be the form's. A foreign page
// fails the check however well its own rulings line up.
#include "pipeline/sheet/form_registration.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace scangate {
namespace {

constexpr double kMaxDegrees = 12;  // the sheet may be skewed up to 10
constexpr double kMaxShiftMm = 25;  // the sheet may be shifted up to 15 mm
constexpr double kMinScale = 0.90, kMaxScale = 1.10;  // print scaling 95-105 %
// Rulings are dark runs at least this long; letters are shorter.
constexpr double kRulingMm = 8;
// Fits of each axis tried in pairs; more where the best pair scores this
// share of the registration's minimum, the page nearly registering.
constexpr std::size_t kFits = 3, kWiderFits = 6;
constexpr double kNearly = 0.6;
// Writing and stamps spill out of their zones by this much.
constexpr double kZoneSpillMm = 2.5;
// Darkness (0 paper .. 255 black) counted as ink: a quarter darker than the
// paper around it, as FindInk counts it.
constexpr int kInkDarkness = 64;
// Rulings are thin: at 50 dpi a 0.3 mm line is a third of a pixel wide.
constexpr int kRulingDarkness = 40;
// Ruling points are taken this far apart along each ruling.
constexpr double kRulingStepMm = 5;
// The zone raster's form printing is grown by this, the registration error
// the zone decisions tolerate.
constexpr double kPrintToleranceMm = 0.8;

double Radians(double degrees) { return degrees * CV_PI / 180; }
int Px(double mm, double dpi) { return int(std::lround(mm * dpi / 25.4)); }

// Rulings and labels are thin: paper is within 1.5 mm of every printed pixel.
cv::Mat Darkness(const cv::Mat& gray, double dpi) { return scangate::Darkness(gray, dpi, 1.5); }

cv::Mat Gray(const cv::Mat& image) {
  if (image.channels() == 1) return image;
  cv::Mat gray;
  cv::cvtColor(image, gray, image.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  return gray;
}

// Row sums of horizontal rulings and column sums of vertical ones: ink in
// runs at least kRulingMm long.
void LineProfiles(const cv::Mat& darkness, double dpi, std::vector<float>& rows,
                  std::vector<float>& cols, cv::Mat& inked, cv::Mat& across) {
  const int run = Px(kRulingMm, dpi);
  cv::compare(darkness, kRulingDarkness, inked, cv::CMP_GE);
  // A thin ruling that is not quite straight on the pixel grid steps from row
  // to row: a pixel counts for a row when it or a neighbour across is inked.
  cv::dilate(inked, across, cv::getStructuringElement(cv::MORPH_RECT, {1, 3}));
  rows.assign(darkness.rows, 0);
  for (int y = 0; y < across.rows; ++y) {
    const std::uint8_t* r = across.ptr<std::uint8_t>(y);
    for (int x = 0; x < across.cols;) {
      if (!r[x]) {
        ++x;
        continue;
      }
      const int from = x;
      while (x < across.cols && r[x]) ++x;
      if (x - from >= run) rows[y] += float(x - from);
    }
  }
  cv::dilate(inked, across, cv::getStructuringElement(cv::MORPH_RECT, {3, 1}));
  cols.assign(darkness.cols, 0);
  std::vector<int> length(darkness.cols, 0);
  for (int y = 0; y <= across.rows; ++y) {
    const std::uint8_t* r = y < across.rows ? across.ptr<std::uint8_t>(y) : nullptr;
    for (int x = 0; x < across.cols; ++x) {
      if (r && r[x]) {
        ++length[x];
      } else {
        if (length[x] >= run) cols[x] += float(length[x]);
        length[x] = 0;
      }
    }
  }
}

cv::Rect ZoneRect(const FormZone& z, double dpi, double grow_mm) {
  return {Px(z.x_mm - grow_mm, dpi), Px(z.y_mm - grow_mm, dpi), Px(z.width_mm + 2 * grow_mm, dpi),
          Px(z.height_mm + 2 * grow_mm, dpi)};
}

// Energy of the projections of `points` across rows and across columns of a
// frame turned by `degrees`: highest when the rulings line up with it. Each
// point is shared between its two nearest bins, else the pixel grid itself
// would pull the angle to zero.
double ProjectionEnergy(const std::vector<cv::Point>& points, double degrees, double bins_per_px,
                        int extent, std::vector<float>& hist_r, std::vector<float>& hist_c) {
  const float s = float(std::sin(Radians(degrees)) * bins_per_px);
  const float c = float(std::cos(Radians(degrees)) * bins_per_px);
  const int offset = int(extent * bins_per_px);
  const int size = 3 * offset;
  hist_r.assign(size, 0);
  hist_c.assign(size, 0);
  auto splat = [size](std::vector<float>& h, float at) {
    const int i = int(at);
    const float frac = at - float(i);
    if (i >= 0 && i + 1 < size) {
      h[i] += 1 - frac;
      h[i + 1] += frac;
    }
  };
  for (const cv::Point& p : points) {
    splat(hist_r, float(p.x) * s + float(p.y) * c + float(offset));
    splat(hist_c, float(p.x) * c - float(p.y) * s + float(offset));
  }
  double energy = 0;
  for (int i = 0; i < size; ++i) energy += double(hist_r[i]) * hist_r[i] + double(hist_c[i]) * hist_c[i];
  return energy;
}

// Positive: the page's content turned counter-clockwise on screen. Whole
// degrees on a quarter of the points, quarter degrees on half of them, then
// twentieth degrees on all of them.
double FindAngle(const std::vector<cv::Point>& points, int extent) {
  std::vector<float> hr, hc;
  std::vector<cv::Point> sample;
  std::vector<cv::Point> half;
  for (std::size_t i = 0; i < points.size(); i += 4) sample.push_back(points[i]);
  for (std::size_t i = 0; i < points.size(); i += 2) half.push_back(points[i]);
  auto best_of = [&](const std::vector<cv::Point>& pts, double from, double to, double step,
                     double bins_per_px) {
    double best = from, best_energy = -1;
    for (double a = from; a <= to + 1e-9; a += step) {
      const double e = ProjectionEnergy(pts, a, bins_per_px, extent, hr, hc);
      if (e > best_energy) best_energy = e, best = a;
    }
    return best;
  };
  double best = best_of(sample, -kMaxDegrees, kMaxDegrees, 1, 1);
  best = best_of(half, best - 0.75, best + 0.75, 0.25, 1);
  return best_of(points, best - 0.2, best + 0.2, 0.05, 2);
}

struct AxisFit {
  double scale = 1, shift = 0, score = 0;
};

// Scale and shift along one axis: page = page_centre + scale * (form -
// form_centre) + shift, where the form's rulings meet the page's most. The
// best few distinct fits: periodic rows of boxes can make a wrong one close.
std::vector<AxisFit> FitAxis(const std::vector<float>& form, double form_centre,
                             const std::vector<float>& page, double page_centre, double base_scale,
                             double max_shift,
                             int keep) {
  // The form's rulings, each one mark at its centre (a ruling spans a row or
  // two).
  std::vector<std::pair<float, float>> marks;  // position, weight
  const float top = form.empty() ? 0 : *std::max_element(form.begin(), form.end());
  for (std::size_t i = 0; i < form.size();) {
    if (top <= 0 || form[i] <= 0.05f * top) {
      ++i;
      continue;
    }
    double sum = 0, weight = 0;
    for (; i < form.size() && form[i] > 0.05f * top; ++i) sum += i * double(form[i]), weight += form[i];
    marks.emplace_back(float(sum / weight - form_centre), float(weight));
  }
  // The search runs on a profile blurred by ~1.5 px, so that a ruling's
  // peak is not missed between grid steps; the refinement on a sharper one.
  auto blurred = [&](double sigma) {
    cv::Mat in(1, int(page.size()), CV_32F, const_cast<float*>(page.data())), out;
    cv::GaussianBlur(in, out, cv::Size(2 * int(std::ceil(3 * sigma)) + 1, 1), sigma, 0);
    return std::vector<float>(out.begin<float>(), out.end<float>());
  };
  const std::vector<float> wide = blurred(2.0), sharp = blurred(0.7);
  const std::vector<float>* smooth = &wide;
  const int n = int(page.size());
  auto score = [&](double s, double t) {
    double sum = 0;
    for (const auto& [pos, w] : marks) {
      const double x = page_centre + s * pos + t;
      const int i = int(std::floor(x));
      if (i < 0 || i + 1 >= n) continue;
      const double a = x - i;
      sum += w * ((*smooth)[i] * (1 - a) + (*smooth)[i + 1] * a);
    }
    return sum;
  };
  const double scale_step = 0.005 * base_scale;
  const double min_scale = kMinScale * base_scale, max_scale = kMaxScale * base_scale;
  const int ns = int(std::lround((max_scale - min_scale) / scale_step)) + 1;
  const int nt = 2 * int(std::ceil(max_shift)) + 1;
  const double t0 = -std::ceil(max_shift);
  cv::Mat grid(ns, nt, CV_64F);
  for (int i = 0; i < ns; ++i)
    for (int j = 0; j < nt; ++j) grid.at<double>(i, j) = score(min_scale + i * scale_step, t0 + j);
  std::vector<AxisFit> peaks;
  for (int i = 0; i < ns; ++i)
    for (int j = 0; j < nt; ++j) {
      const double v = grid.at<double>(i, j);
      bool peak = v > 0;
      for (int di = -1; di <= 1 && peak; ++di)
        for (int dj = -1; dj <= 1 && peak; ++dj) {
          const int y = i + di, x = j + dj;
          if ((di || dj) && y >= 0 && y < ns && x >= 0 && x < nt && grid.at<double>(y, x) > v)
            peak = false;
        }
      if (peak) peaks.push_back({min_scale + i * scale_step, t0 + j, v});
    }
  std::sort(peaks.begin(), peaks.end(), [](const AxisFit& a, const AxisFit& b) { return a.score > b.score; });
  std::vector<AxisFit> kept;
  for (const AxisFit& p : peaks) {
    bool distinct = true;
    for (const AxisFit& k : kept)
      if (std::abs(k.shift - p.shift) < 3 && std::abs(k.scale - p.scale) < 0.02 * base_scale) distinct = false;
    if (!distinct) continue;
    smooth = &sharp;
    AxisFit best{p.scale, p.shift, score(p.scale, p.shift)};
    for (double s = p.scale - scale_step; s <= p.scale + scale_step + 1e-9; s += scale_step / 8)
      for (double t = p.shift - 1.5; t <= p.shift + 1.5 + 1e-9; t += 0.125) {
        const double v = score(s, t);
        if (v > best.score) best = {s, t, v};
      }
    smooth = &wide;
    kept.push_back(best);
    if (int(kept.size()) == keep) break;
  }
  return kept;
}

cv::Matx23d Invert(const cv::Matx23d& m) {
  cv::Matx23d inv;
  cv::invertAffineTransform(m, inv);
  return inv;
}

struct Agreement {
  double recall = 0, precision = 0;
  double Score() const { return recall + precision > 0 ? 2 * recall * precision / (recall + precision) : 0; }
};

// `page_near`: the page's ink grown by a pixel; `page_points`: its ink.
Agreement Agree(const cv::Matx23d& page_from_form, const FormTemplate& form, const cv::Mat& page_near,
                const std::vector<cv::Point>& page_points) {
  Agreement a;
  int hits = 0;
  const cv::Matx23d& m = page_from_form;
  // Every other point: the score moves by less than a hundredth.
  for (std::size_t i = 0; i < form.print_points.size(); i += 2) {
    const cv::Point& q = form.print_points[i];
    const int x = cvRound(m(0, 0) * q.x + m(0, 1) * q.y + m(0, 2));
    const int y = cvRound(m(1, 0) * q.x + m(1, 1) * q.y + m(1, 2));
    if (x >= 0 && y >= 0 && x < page_near.cols && y < page_near.rows && page_near.at<std::uint8_t>(y, x))
      ++hits;
  }
  a.recall = form.print_points.empty() ? 0 : double(hits) / ((form.print_points.size() + 1) / 2);
  const cv::Matx23d inv = Invert(m);
  int judged = 0;
  hits = 0;
  for (std::size_t i = 0; i < page_points.size(); i += 2) {
    const cv::Point& p = page_points[i];
    const int x = cvRound(inv(0, 0) * p.x + inv(0, 1) * p.y + inv(0, 2));
    const int y = cvRound(inv(1, 0) * p.x + inv(1, 1) * p.y + inv(1, 2));
    if (x < 0 || y < 0 || x >= form.judged.cols || y >= form.judged.rows) continue;
    if (!form.judged.at<std::uint8_t>(y, x)) continue;
    ++judged;
    if (form.print_near.at<std::uint8_t>(y, x)) ++hits;
  }
  a.precision = judged ? double(hits) / judged : 0;
  return a;
}

// Points every kRulingStepMm along the form's rulings, each at its
// ruling's darkness-weighted centre across the ruling.
void RulingPoints(const cv::Mat& gray, double dpi, cv::Rect leave_out, std::vector<cv::Point2d>& on_rows,
                  std::vector<cv::Point2d>& on_cols) {
  const cv::Mat dark = scangate::Darkness(gray, dpi, 1.5);
  const int run = Px(kRulingMm, dpi), step = std::max(1, Px(kRulingStepMm, dpi));
  const double mm = 25.4 / dpi;
  for (int horizontal = 0; horizontal < 2; ++horizontal) {
    cv::Mat lines;
    cv::morphologyEx(dark, lines, cv::MORPH_OPEN,
                     cv::getStructuringElement(cv::MORPH_RECT, horizontal ? cv::Size(run, 1) : cv::Size(1, run)));
    const int across = horizontal ? dark.rows : dark.cols, along = horizontal ? dark.cols : dark.rows;
    auto at = [&](const cv::Mat& m, int a, int b) {  // a along, b across
      return horizontal ? m.at<std::uint8_t>(b, a) : m.at<std::uint8_t>(a, b);
    };
    for (int a = step / 2; a < along; a += step)
      for (int b = 0; b < across;) {
        if (at(lines, a, b) < kInkDarkness) {
          ++b;
          continue;
        }
        double sum = 0, weight = 0;
        const int from = b;
        while (b < across && at(lines, a, b) >= kInkDarkness) ++b;
        for (int c = std::max(0, from - 1); c < std::min(across, b + 1); ++c) {
          sum += c * double(at(dark, a, c));
          weight += at(dark, a, c);
        }
        const cv::Point pixel = horizontal ? cv::Point(a, from) : cv::Point(from, a);
        if (weight <= 0 || leave_out.contains(pixel)) continue;
        const double centre = (sum / weight + 0.5) * mm, position = (a + 0.5) * mm;
        if (horizontal) on_rows.push_back({position, centre});
        else on_cols.push_back({centre, position});
      }
  }
}

// Bilinear sample of an 8-bit image; -1 outside.
double Sample(const cv::Mat& img, double x, double y) {
  const int x0 = int(std::floor(x)), y0 = int(std::floor(y));
  if (x0 < 0 || y0 < 0 || x0 + 1 >= img.cols || y0 + 1 >= img.rows) return -1;
  const double fx = x - x0, fy = y - y0;
  const std::uint8_t* r0 = img.ptr<std::uint8_t>(y0);
  const std::uint8_t* r1 = img.ptr<std::uint8_t>(y0 + 1);
  return (r0[x0] * (1 - fx) + r0[x0 + 1] * fx) * (1 - fy) + (r1[x0] * (1 - fx) + r1[x0 + 1] * fx) * fy;
}

// Moves the fit (form mm -> `image` pixels) onto the page's rulings: across
// each ruling point's ruling, where is the page's ruling? The six affine
// parameters follow by least squares, twice, leaving out points whose
// ruling is hidden or crossed by writing.
void SnapToRulings(const cv::Mat& image, double px_per_mm, const FormTemplate& form, cv::Matx23d& fit) {
  struct Row {
    double a[6];
    double t;
  };
  const double reach = 1.2 * px_per_mm;  // how far a ruling may be off, px
  for (int round = 0; round < 2; ++round) {
    std::vector<Row> rows;
    for (int horizontal = 0; horizontal < 2; ++horizontal) {
      const std::vector<cv::Point2d>& points = horizontal ? form.on_rows : form.on_cols;
      cv::Vec2d n = horizontal ? cv::Vec2d(fit(0, 1), fit(1, 1)) : cv::Vec2d(fit(0, 0), fit(1, 0));
      n /= cv::norm(n);
      for (const cv::Point2d& q : points) {
        const double px = fit(0, 0) * q.x + fit(0, 1) * q.y + fit(0, 2);
        const double py = fit(1, 0) * q.x + fit(1, 1) * q.y + fit(1, 2);
        double profile[64];
        const int taps = std::min(63, int(2 * reach / 0.5)) + 1;
        double brightest = -1, darkest = 256;
        int at_darkest = -1;
        bool inside = true;
        for (int i = 0; i < taps && inside; ++i) {
          const double t = -reach + 0.5 * i;
          profile[i] = Sample(image, px + t * n[0], py + t * n[1]);
          inside = profile[i] >= 0;
          brightest = std::max(brightest, profile[i]);
          if (profile[i] < darkest) darkest = profile[i], at_darkest = i;
        }
        if (!inside || brightest - darkest < 40) continue;
        double sum = 0, weight = 0;
        for (int i = std::max(0, at_darkest - 2); i <= std::min(taps - 1, at_darkest + 2); ++i) {
          const double d = brightest - profile[i];
          sum += d * (-reach + 0.5 * i);
          weight += d;
        }
        rows.push_back({{n[0] * q.x, n[0] * q.y, n[0], n[1] * q.x, n[1] * q.y, n[1]}, sum / weight});
      }
    }
    if (rows.size() < 24) return;
    std::vector<std::uint8_t> use(rows.size(), 1);
    cv::Mat delta;
    for (int pass = 0; pass < 2; ++pass) {
      cv::Mat a(0, 6, CV_64F), b(0, 1, CV_64F);
      for (std::size_t i = 0; i < rows.size(); ++i)
        if (use[i]) {
          a.push_back(cv::Mat(1, 6, CV_64F, rows[i].a));
          b.push_back(rows[i].t);
        }
      if (a.rows < 24 || !cv::solve(a.t() * a, a.t() * b, delta, cv::DECOMP_CHOLESKY)) return;
      std::vector<double> residual(rows.size());
      for (std::size_t i = 0; i < rows.size(); ++i) {
        double r = -rows[i].t;
        for (int k = 0; k < 6; ++k) r += rows[i].a[k] * delta.at<double>(k);
        residual[i] = std::abs(r);
      }
      std::vector<double> sorted = residual;
      std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
      const double limit = std::max(0.5, 3 * sorted[sorted.size() / 2]);
      for (std::size_t i = 0; i < rows.size(); ++i) use[i] = residual[i] <= limit;
    }
    for (int k = 0; k < 6; ++k) fit(k / 3, k % 3) += delta.at<double>(k);
  }
}

}  // namespace

cv::Mat Darkness(const cv::Mat& gray, double dpi, double window_mm) {
  const int k = 2 * std::max(1, Px(window_mm, dpi)) + 1;
  cv::Mat paper;
  cv::dilate(gray, paper, cv::getStructuringElement(cv::MORPH_RECT, {k, k}));
  cv::Mat ratio;
  cv::divide(gray, cv::max(paper, 1), ratio, 255.0);
  cv::Mat dark;
  cv::subtract(cv::Scalar::all(255), ratio, dark);
  return dark;
}

Expected<std::shared_ptr<const FormTemplate>> PrepareFormTemplate(const cv::Mat& blank,
                                                                 const SummaryFormRule& rule) {
  if (blank.empty() || blank.depth() != CV_8U) return Error{"not an 8-bit image"};
  if (rule.width_mm <= 0 || rule.height_mm <= 0) return Error{"the form's page size is not set"};
  const double dpi = blank.cols / rule.width_mm * 25.4;
  const double dpi_y = blank.rows / rule.height_mm * 25.4;
  if (std::abs(dpi - dpi_y) > 0.02 * dpi)
    return Error{"image is " + std::to_string(blank.cols) + "x" + std::to_string(blank.rows) +
                 " px, not the form's proportions"};
  if (dpi < 100 || dpi > 1200)
    return Error{"image is " + std::to_string(int(dpi)) + " dpi; 100 to 1200 dpi expected"};
  auto form = std::make_shared<FormTemplate>();
  form->width_mm = rule.width_mm;
  form->height_mm = rule.height_mm;
  const cv::Mat gray = Gray(blank);

  const double rd = kRegistrationDpi;
  cv::Mat small;
  cv::resize(gray, small, {Px(rule.width_mm, rd), Px(rule.height_mm, rd)}, 0, 0, cv::INTER_AREA);
  form->darkness = Darkness(small, rd);
  cv::Mat print = form->darkness >= kInkDarkness;
  print(ZoneRect(rule.barcode, rd, kZoneSpillMm) & cv::Rect({}, print.size())).setTo(0);
  cv::findNonZero(print, form->print_points);
  if (form->print_points.size() < 500)
    return Error{"the form prints almost nothing; registration needs its rulings and labels"};
  cv::dilate(print, form->print_near, cv::Mat());
  form->judged = cv::Mat(print.size(), CV_8U, cv::Scalar(255));
  auto leave_out = [&](const FormZone& z) {
    form->judged(ZoneRect(z, rd, kZoneSpillMm) & cv::Rect({}, print.size())).setTo(0);
  };
  for (const auto* zones : {&rule.fields, &rule.signatures, &rule.seals})
    for (const FormZone& z : *zones) leave_out(z);
  leave_out(rule.barcode);
  {
    cv::Mat inked, across;
    LineProfiles(form->darkness, rd, form->row_lines, form->col_lines, inked, across);
  }
  RulingPoints(gray, dpi, ZoneRect(rule.barcode, dpi, kZoneSpillMm), form->on_rows, form->on_cols);

  cv::Mat zone_gray;
  cv::resize(gray, zone_gray, {Px(rule.width_mm, kZoneDpi), Px(rule.height_mm, kZoneDpi)}, 0, 0,
             cv::INTER_AREA);
  cv::Mat zone_print = Darkness(zone_gray, kZoneDpi) >= kInkDarkness / 2;
  const int grow = 2 * Px(kPrintToleranceMm, kZoneDpi) + 1;
  cv::dilate(zone_print, form->zone_print,
             cv::getStructuringElement(cv::MORPH_ELLIPSE, {grow, grow}));
  return std::shared_ptr<const FormTemplate>(std::move(form));
}

namespace {

// Page-sized buffers kept from page to page on each thread: a fresh
// allocation of that size costs page faults, which on a virtual machine cost
// more than the work done in it (as InkMap::Workspace notes).
struct Workspace {
  cv::Mat halved, dark, border, page_ink, straight, inked, across, page_near;
  std::vector<cv::Point> points;
};

Workspace& ThreadWorkspace() {
  thread_local Workspace work;
  return work;
}

}  // namespace

FormFit RegisterForm(const InkMap& ink, const FormTemplate& form, const RegistrationHints& hints) {
  FormFit fit;
  fit.measure.attempted = true;
  if (ink.coarse.empty() || ink.dpi <= 0) return fit;
  Workspace& work = ThreadWorkspace();
  // The page at 37.5-75 dpi: the coarse image (75-150 dpi) halved, an exact
  // halving being twenty times cheaper than any other ratio.
  // `g` page pixels to one template pixel at 100 %.
  cv::Mat small;
  double rd = ink.dpi;
  if (ink.dpi >= 74 && ink.coarse.cols >= 256 && ink.coarse.rows >= 256) {
    const cv::Mat even = ink.coarse(cv::Rect(0, 0, ink.coarse.cols & ~1, ink.coarse.rows & ~1));
    cv::resize(even, work.halved, cv::Size(even.cols / 2, even.rows / 2), 0, 0, cv::INTER_AREA);
    small = work.halved;
    rd /= 2;
  } else {
    small = ink.coarse;
  }
  const double g = rd / kRegistrationDpi;
  const cv::Size size = small.size();
  // Darkness as the drop below the paper nearby (no division: this runs on
  // every page).
  cv::Mat& dark = work.dark;
  {
    const int k = 2 * Px(1.5, rd) + 1;
    cv::dilate(small, dark, cv::getStructuringElement(cv::MORPH_RECT, {k, k}));
    cv::subtract(dark, small, dark);
  }
  if (!ink.border.empty()) {
    cv::resize(ink.border, work.border, size, 0, 0, cv::INTER_NEAREST);
    dark.setTo(0, work.border);
  }
  cv::Mat& page_ink = work.page_ink;
  cv::compare(dark, kInkDarkness, page_ink, cv::CMP_GE);
  std::vector<cv::Point>& points = work.points;
  cv::findNonZero(page_ink, points);
  if (double(points.size()) < form.print_points.size() * g * g / 4) return fit;

  // Angle, then the page turned straight about its centre.
  // The page's own skew when it is known: finer than this search, which
  // works on a 37.5-75 dpi image in steps of 0.05 degrees.
  const double degrees = hints.skew_degrees ? *hints.skew_degrees
                                            : FindAngle(points, std::max(dark.cols, dark.rows));
  const double ca = std::cos(Radians(degrees)), sa = std::sin(Radians(degrees));
  const cv::Point2d pc((dark.cols - 1) / 2.0, (dark.rows - 1) / 2.0);
  // page = pc + R * (u - pc): R turns the straightened frame back onto the page.
  const cv::Matx22d turn(ca, sa, -sa, ca);
  const cv::Matx23d page_from_straight(ca, sa, pc.x - (ca * pc.x + sa * pc.y), -sa, ca,
                                       pc.y - (-sa * pc.x + ca * pc.y));
  cv::warpAffine(dark, work.straight, page_from_straight, dark.size(),
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, cv::Scalar(0));
  std::vector<float> rows, cols;
  LineProfiles(work.straight, rd, rows, cols, work.inked, work.across);

  const cv::Point2d fc((form.darkness.cols - 1) / 2.0, (form.darkness.rows - 1) / 2.0);
  const double max_shift = kMaxShiftMm / 25.4 * rd;
  std::vector<AxisFit> xs = FitAxis(form.col_lines, fc.x, cols, pc.x, g, max_shift, kFits);
  std::vector<AxisFit> ys = FitAxis(form.row_lines, fc.y, rows, pc.y, g, max_shift, kFits);

  cv::Mat& page_near = work.page_near;
  cv::dilate(page_ink, page_near, cv::Mat());
  double best_score = -1;
  cv::Matx23d best;
  AxisFit best_x, best_y;
  // The best few fits of each axis, paired; the next few too where the page
  // nearly registers: with a sheet printed large and shifted part off the
  // page, an edge's rulings are missing and the right fit ranks lower.
  auto try_pairs = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = 0; i < std::min(to, xs.size()); ++i)
      for (std::size_t j = 0; j < std::min(to, ys.size()); ++j) {
        if (i < from && j < from) continue;
        const AxisFit &x = xs[i], &y = ys[j];
        // straight = pc + S (q - fc) + t;  page = pc + R (straight - pc).
        const cv::Matx22d a = turn * cv::Matx22d(x.scale, 0, 0, y.scale);
        const cv::Vec2d t = turn * cv::Vec2d(x.shift, y.shift);
        const cv::Vec2d b = cv::Vec2d(pc.x, pc.y) + t - a * cv::Vec2d(fc.x, fc.y);
        const cv::Matx23d m(a(0, 0), a(0, 1), b[0], a(1, 0), a(1, 1), b[1]);
        const double score = Agree(m, form, page_near, points).Score();
        if (score > best_score) best_score = score, best = m, best_x = x, best_y = y;
      }
  };
  try_pairs(0, kFits);
  if (best_score < hints.min_score && best_score >= kNearly * hints.min_score) {
    // The axes fitted again for more (their first kFits are the same): only
    // here, since each fit kept is refined at a cost.
    xs = FitAxis(form.col_lines, fc.x, cols, pc.x, g, max_shift, kWiderFits);
    ys = FitAxis(form.row_lines, fc.y, rows, pc.y, g, max_shift, kWiderFits);
    try_pairs(kFits, kWiderFits);
  }
  if (best_score < 0) return fit;
  fit.measure.score = best_score;
  fit.measure.degrees = degrees;
  // Not the form: the fit is not used, so it is not refined (this runs on
  // every page of every batch).
  if (best_score < hints.min_score) return fit;

  // Form mm -> 50-dpi form pixels -> small page pixels -> page pixels. In
  // continuous coordinates (a pixel's centre at index + 0.5) a change of
  // resolution is a plain scale; `best` maps pixel indices.
  const double to_page_x = ink.dpi / rd / ink.scale, to_page_y = to_page_x;
  const double mm = kRegistrationDpi / 25.4;
  const double cx = best(0, 2) - 0.5 * (best(0, 0) + best(0, 1)) + 0.5;
  const double cy = best(1, 2) - 0.5 * (best(1, 0) + best(1, 1)) + 0.5;
  fit.page_from_mm = cv::Matx23d(best(0, 0) * mm * to_page_x, best(0, 1) * mm * to_page_x,
                                 cx * to_page_x - 0.5, best(1, 0) * mm * to_page_y,
                                 best(1, 1) * mm * to_page_y, cy * to_page_y - 0.5);
  // Snap to the rulings on the coarse image (75-150 dpi): index = (page
  // index + 0.5) * scale - 0.5.
  {
    const double s = ink.scale, o = 0.5 * s - 0.5;
    cv::Matx23d coarse = fit.page_from_mm * s;
    coarse(0, 2) += o;
    coarse(1, 2) += o;
    SnapToRulings(ink.coarse, ink.dpi / 25.4, form, coarse);
    coarse(0, 2) -= o;
    coarse(1, 2) -= o;
    fit.page_from_mm = coarse * (1 / s);
  }
  const double page_dpi = ink.dpi / ink.scale;
  fit.measure.scale = (best_x.scale + best_y.scale) / 2 / g;
  fit.measure.x_mm = fit.page_from_mm(0, 2) / page_dpi * 25.4;
  fit.measure.y_mm = fit.page_from_mm(1, 2) / page_dpi * 25.4;
  return fit;
}

}  // namespace scangate
