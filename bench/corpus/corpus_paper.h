// What lies on the paper and on the scanner glass: blank sheets, a short line
// or a signature, photos, show-through, punch holes, shadows, dust. Internal
// to the corpus. Sizes are in millimetres and scaled by `dpi`.
#pragma once

#include <opencv2/core.hpp>

namespace scangate::corpus {

// Paper under a scanner lamp: a little below white, falling off to the sides.
cv::Mat BlankSheet(double width_mm, double height_mm, double dpi, cv::RNG& rng);
// One short printed line ("Page 2 of 3", "Intentionally left blank", ...).
void PrintShortLine(cv::Mat& gray, double dpi, cv::RNG& rng);
// A handwritten signature and nothing else.
void Sign(cv::Mat& gray, double dpi, cv::RNG& rng);
// The back page's print, mirrored and diffused through the paper.
void ShowThrough(cv::Mat& gray, double dpi, cv::RNG& rng);
// Two or four filing holes near the left or top edge; `dark_lid` shows black.
void PunchHoles(cv::Mat& page, double dpi, bool dark_lid, cv::RNG& rng);
// A photo block over part of the page, halftoned (dots) or continuous tone.
void PlacePhoto(cv::Mat& gray, double dpi, bool halftone, cv::RNG& rng);
// Gray page to BGR with paper tint and ink colour.
cv::Mat Colourise(const cv::Mat& gray, cv::RNG& rng);

// On the glass, in image coordinates (after the paper is rotated).
void EdgeShadow(cv::Mat& page, double dpi, cv::RNG& rng);
void Dust(cv::Mat& page, double dpi, cv::RNG& rng);
void BlackBands(cv::Mat& page, double dpi, cv::RNG& rng);
void PaperTexture(cv::Mat& page, double dpi, cv::RNG& rng);

}  // namespace scangate::corpus
