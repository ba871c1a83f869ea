// Barcodes as printers get them wrong, for the barcode tests and bench: a
// Code 128 printed at any size and angle, faint, with ink spread or loss,
// with voids and specks, in any ink; then the scan's blur, noise and
// black-and-white mode on the area around it. The printed symbol's geometry
// comes back, so that a verifier can grade it where it is.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

namespace scangate::synth {

struct PrintedCode {
  std::string text = "SI2026112700042";
  double module_mm = 0.33;  // X-dimension
  double height_mm = 12;
  double quiet_modules = 10;
  // 1: the ink at full strength on the paper; towards 0 the bars fade into it.
  double contrast = 1.0;
  // Bar gain in modules: each bar wider by this (negative: thinner), its two
  // edges moving half of it each, as toner or ink spread does.
  double ink_spread_modules = 0;
  // Voids in bars and specks in spaces, per module of the symbol (0.05: one
  // in twenty modules), each about half a module across.
  double defects = 0;
  // Full-strength ink, BGR (gray pages take its luminance).
  cv::Scalar ink = cv::Scalar::all(15);
  std::uint32_t seed = 1;
};

// Where a printed code lies on the page, page pixels.
struct PrintedGeometry {
  cv::Point2f first_bar;  // centre of the first bar's leading edge
  cv::Point2f u, v;       // reading direction, and along the bars (unit)
  float length_px = 0;    // first bar's leading edge to last bar's trailing edge
  float height_px = 0;
  float module_px = 0;
  cv::Rect bounds;  // the symbol with its quiet zones
};

// Prints `code` centred at `centre` (page pixels), its reading direction
// turned `degrees` counter-clockwise on screen, clearing its quiet zones to
// paper white. `page` is 8-bit gray or BGR.
PrintedGeometry PrintCode128(cv::Mat& page, const PrintedCode& code, cv::Point2f centre,
                             double degrees, double dpi);

// Prints a QR code of `text`, crisp, with its top-left corner (quiet zone
// included: four modules of paper white) at `top_left`, `module_px` page
// pixels a module. `page` is 8-bit gray or BGR.
void PrintQrCode(cv::Mat& page, const std::string& text, cv::Point top_left, int module_px);

// What the scanner does to the printed code's surroundings (the rest of the
// page is left alone, to keep generation fast).
struct ScanEffects {
  double blur_sigma_px = 0.6;
  double noise_sigma = 3;
  bool bilevel = false;  // 1-bit mode: threshold at `bilevel_threshold`
  int bilevel_threshold = 150;
  std::uint32_t seed = 1;
};
void ScanArea(cv::Mat& page, cv::Rect area, const ScanEffects& scan);

}  // namespace scangate::synth
