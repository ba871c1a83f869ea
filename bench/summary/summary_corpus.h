// The summary-sheet corpus: the bundled forms filled the way counters fill
// them (summary_forms.h), printed and scanned (rotation, shift, scale, dpi,
// blur, noise, uneven light, colour cast, gray and 1-bit, JPEG), plus pages
// that are not summary sheets. Deterministic from a seed; the truth of each
// file is written beside it as NAME.truth (key=value lines).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/support/summary_forms.h"

namespace scangate::summary_corpus {

enum class Mode { kColour, kGray, kBilevel };
enum class Encoding { kJpeg, kPng, kTiffG4 };

struct Recipe {
  std::string name;  // file name without extension
  std::uint32_t seed = 1;
  // The bundled form filled in, or empty for a page that is no summary sheet.
  std::string form;
  // For other pages: "text", "table", "idcard", "blank", "old-slip", "scan:FILE".
  std::string other;
  synth::FormFill fill;
  bool complete = false;
  std::string transaction = "SI2026112700001";
  double dpi = 300;
  double degrees = 0;  // positive: counter-clockwise on screen
  double scale = 1;
  double shift_x_mm = 0, shift_y_mm = 0;
  Mode mode = Mode::kGray;
  double blur_sigma_300 = 0;  // px at 300 dpi
  double noise_sigma = 0;
  double lighting = 1;  // the darkest corner's share of the light
  bool colour_cast = false;
  int bilevel_threshold = 160;
  Encoding encoding = Encoding::kPng;
  int jpeg_quality = 90;
};

// `sheets_per_form` filled sheets of each bundled form, `others` pages that
// are not summary sheets; `scans_dir` (the shared real scans) may be empty.
std::vector<Recipe> Plan(int sheets_per_form, int others, std::uint32_t seed,
                         const std::string& scans_dir);

// The file's bytes; `extension` gets ".jpg", ".png" or ".tif".
std::string Render(const Recipe& recipe, const std::string& scans_dir, std::string& extension);

// key=value lines: form, complete, field.NAME, signature.NAME, seal.NAME
// (the entry kind), and the print-and-scan parameters.
std::string TruthText(const Recipe& recipe);
std::map<std::string, std::string> ParseTruth(const std::string& text);

// Names of the entry kinds, as written in the truth.
const char* EntryName(synth::FieldEntry e);
const char* EntryName(synth::SignatureEntry e);
const char* EntryName(synth::SealEntry e);

}  // namespace scangate::summary_corpus
