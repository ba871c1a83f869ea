// JPEG through libjpeg-turbo directly, so that damaged data is an error.
// OpenCV's imdecode prints libjpeg's "Corrupt JPEG data" warnings to stderr
// and hands back the page with grey blocks or smeared rows where the data
// went wrong: a damaged scan passed as a good one into the legal archive.
// Here every warning that means lost image data (a bad Huffman code, a
// segment that ends early, a marker where data should be) ends the page as
// kCorrupt, and the file ending early as kTruncated. Extraneous bytes before
// a marker lose no pixels and are let through. CMYK and YCCK files (rare in
// scanners, common in print workflows) go on through OpenCV, which converts
// them.
// jpeglib.h needs size_t and FILE declared before it.
#include <cstddef>
#include <cstdio>
#include <jerror.h>
#include <jpeglib.h>

#include <csetjmp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "pipeline/decode/image_headers.h"

namespace scangate::headers {
namespace {

struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  int corrupt_warnings = 0;
  bool ended_early = false;
  char first_warning[JMSG_LENGTH_MAX] = {};
};

[[noreturn]] void ExitOnError(j_common_ptr info) {
  auto* errors = reinterpret_cast<ErrorManager*>(info->err);
  std::longjmp(errors->jump, 1);
}

// Warnings only (level -1); trace messages (level >= 0) are ignored.
void CountWarning(j_common_ptr info, int level) {
  if (level >= 0) return;
  auto* errors = reinterpret_cast<ErrorManager*>(info->err);
  const int code = errors->pub.msg_code;
  if (code == JWRN_EXTRANEOUS_DATA) return;
  if (code == JWRN_JPEG_EOF) errors->ended_early = true;
  if (errors->corrupt_warnings++ == 0) info->err->format_message(info, errors->first_warning);
}

struct Decompressor {
  jpeg_decompress_struct info{};
  ~Decompressor() { jpeg_destroy_decompress(&info); }
};

}  // namespace

namespace {

enum class Outcome { kDecoded, kFailed, kCmyk, kWrongSize };

// The part that libjpeg may leave by longjmp: only plain values live here,
// and `out` lives in the caller, so nothing is left half-made.
Outcome Decode(Decompressor& d, ErrorManager& errors, std::span<const std::uint8_t> bytes,
               const FrameInfo& frame, cv::Mat& out) {
  if (setjmp(errors.jump)) return Outcome::kFailed;
  jpeg_create_decompress(&d.info);
  jpeg_mem_src(&d.info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&d.info, TRUE);
  if (d.info.jpeg_color_space == JCS_CMYK || d.info.jpeg_color_space == JCS_YCCK)
    return Outcome::kCmyk;
  const bool gray = d.info.num_components == 1;
  d.info.out_color_space = gray ? JCS_GRAYSCALE : JCS_EXT_BGR;
  jpeg_start_decompress(&d.info);
  if (d.info.output_width != frame.width || d.info.output_height != frame.height)
    return Outcome::kWrongSize;
  out.create(int(d.info.output_height), int(d.info.output_width), gray ? CV_8UC1 : CV_8UC3);
  while (d.info.output_scanline < d.info.output_height) {
    JSAMPROW row = out.ptr<JSAMPLE>(int(d.info.output_scanline));
    jpeg_read_scanlines(&d.info, &row, 1);
  }
  jpeg_finish_decompress(&d.info);
  return Outcome::kDecoded;
}

}  // namespace

Fallible<PageImage> DecodeJpegFrame(std::span<const std::uint8_t> bytes, const FrameInfo& frame,
                                    bool& needs_other_decoder) {
  needs_other_decoder = false;
  ErrorManager errors;
  Decompressor d;
  d.info.err = jpeg_std_error(&errors.pub);
  errors.pub.error_exit = ExitOnError;
  errors.pub.emit_message = CountWarning;
  cv::Mat out;
  switch (Decode(d, errors, bytes, frame, out)) {
    case Outcome::kFailed: {
      char message[JMSG_LENGTH_MAX] = {};
      errors.pub.format_message(reinterpret_cast<j_common_ptr>(&d.info), message);
      return PageError{PageErrorKind::kCorrupt,
                       std::string("jpeg data cannot be decoded: ") + message};
    }
    case Outcome::kCmyk:
      needs_other_decoder = true;
      return PageError{PageErrorKind::kUnsupported, "cmyk jpeg"};
    case Outcome::kWrongSize:
      return PageError{PageErrorKind::kCorrupt, "jpeg decoded size differs from its header"};
    case Outcome::kDecoded:
      break;
  }
  if (errors.ended_early)
    return PageError{PageErrorKind::kTruncated, "jpeg data is truncated (the file ends early)"};
  if (errors.corrupt_warnings > 0)
    return PageError{PageErrorKind::kCorrupt,
                     "jpeg data is corrupt (" + std::to_string(errors.corrupt_warnings) +
                         (errors.corrupt_warnings == 1 ? " error: " : " errors, the first: ") +
                         errors.first_warning + "): the page's pixels are damaged; scan it again"};
  PageImage page;
  page.file_dpi_x = frame.dpi_x;
  page.file_dpi_y = frame.dpi_y > 0 ? frame.dpi_y : frame.dpi_x;
  if (out.channels() == 1) {
    page.gray = out;
    page.color_mode = ColorMode::kGray;
  } else {
    page.color = out;
    cv::cvtColor(page.color, page.gray, cv::COLOR_BGR2GRAY);
    page.color_mode = ColorMode::kColor;
  }
  return page;
}

}  // namespace scangate::headers
