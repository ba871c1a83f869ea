// Synthetic scanned pages for tests, benches and the bundled sample batch:
// document-like pages, the degradations a counter scanner produces, and
// encoders that carry the dpi in the file the way scanners write it.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace scangate::synth {

// A printed page. Everything on paper is sized in millimetres, so the same
// spec renders the same document at any dpi.
struct PageSpec {
  double width_mm = 210;  // A4
  double height_mm = 297;
  double dpi = 300;
  std::uint32_t seed = 1;  // same seed, same page
  double margin_mm = 20;
  int text_lines = 36;   // body text lines, split into paragraphs under headings
  int form_lines = 0;    // "Label: ____" ruled lines to fill in, under the title
  int table_rows = 0;    // a ruled table after the first section; 0: none
};

// A page of document text: title, numbered section headings, justified
// paragraphs, optional form lines and table, page footer. 8-bit gray on white.
cv::Mat TextPage(const PageSpec& spec);

// A photocopy of both sides of an ID card (85.6 x 54 mm), centred on a page of
// `spec`'s paper size. 8-bit gray; ToBilevel it for a G4 copy.
cv::Mat IdCardCopy(const PageSpec& spec);

// The back of a duplex sheet: paper tone, faint noise and a few dust specks.
// Judged blank; its ink stays far below the blank threshold.
cv::Mat BlankBack(const PageSpec& spec);

// A rectangle on the summary sheet in millimetres, from the top-left of the
// printed form: the frame profile zones are written in.
struct BoxMm {
  double x = 0, y = 0, width = 0, height = 0;
};

// Where SummarySheet prints things. Fixed, like a form template.
struct SummaryLayout {
  BoxMm barcode;             // the bars with their quiet zones
  std::vector<BoxMm> fields; // field boxes, in SummarySpec::filled order
  std::vector<std::string> field_labels;
  BoxMm signature;
  BoxMm seal;
};
const SummaryLayout& SummarySheetLayout();

// A transaction's processing slip as the business system prints it and the
// counter completes it.
struct SummarySpec {
  double dpi = 300;
  std::uint32_t seed = 1;
  std::string transaction_number = "SI2026112700042";  // carried by the Code 128
  // One flag per SummarySheetLayout().fields entry; a false box stays empty.
  // Shorter than the field list: the remaining boxes are filled.
  std::vector<bool> filled;
  bool signed_by_applicant = true;
  bool sealed = true;
  bool colour = true;  // false: 8-bit gray, as a gray scan of the sheet
};

// A4 summary sheet: title, Code 128 top right, labelled field boxes with
// handwriting, a signed signature box and a red round seal. BGR, or gray.
cv::Mat SummarySheet(const SummarySpec& spec);

// Draws `text` as Code 128 with the first bar's top-left at `top_left`.
// Clears a 10-module quiet zone on either side, as printers leave one.
void DrawCode128(cv::Mat& page, const std::string& text, cv::Point top_left, double module_px,
                 int height_px);

// Degradations. Each returns a new image of the same size and type.
// Positive degrees turn the content counter-clockwise as seen on screen (the
// project's skew convention); corners brought in are paper white.
cv::Mat Rotate(const cv::Mat& page, double degrees);
cv::Mat GaussianBlur(const cv::Mat& page, double sigma_px);
cv::Mat AddNoise(const cv::Mat& page, double sigma, std::uint32_t seed = 1);
// Gray (or BGR) to 0/255 gray, as a scanner's black-and-white mode does.
cv::Mat ToBilevel(const cv::Mat& page, int threshold = 160);

// Encoders: whole files as bytes, with the dpi in the file's own metadata.
std::string EncodePng(const cv::Mat& page, double dpi);           // pHYs chunk
std::string EncodeJpeg(const cv::Mat& page, int quality, double dpi);  // JFIF density
std::string EncodeBmp(const cv::Mat& page, double dpi);           // pels per metre
// WebP has no dpi field without an EXIF block; readers infer it.
std::string EncodeWebp(const cv::Mat& page, int quality);
// 1-bit CCITT G4, min-is-white; `bilevel` is a ToBilevel result.
std::string EncodeTiffG4(const cv::Mat& bilevel, double dpi);
// One directory per page: bilevel pages as G4, others as deflated 8-bit gray
// (BGR pages as RGB).
std::string EncodeTiffMultiPage(const std::vector<cv::Mat>& pages, double dpi);

}  // namespace scangate::synth
