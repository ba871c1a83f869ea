// PNG through libpng's simplified reader, straight into the page's 8-bit
// planes. OpenCV's imdecode hands back the file's own depth and alpha first:
// a 16-bit RGBA page of 80 Mpx is 640 MB before it is brought to 8 bits and
// composed over white, and 1.9 GB at the peak. libpng does both per row.
#include <png.h>

#include <opencv2/imgproc.hpp>
#include <string>

#include "pipeline/decode/image_headers.h"

namespace scangate::headers {
namespace {

struct ImageCloser {
  png_image* image;
  ~ImageCloser() { png_image_free(image); }
};

PageError PngError(const png_image& image) {
  std::string message = "png data cannot be decoded";
  if (image.message[0]) message += std::string(": ") + image.message;
  return {PageErrorKind::kCorrupt, message};
}

}  // namespace

Fallible<PageImage> DecodePngFrame(std::span<const std::uint8_t> bytes, const FrameInfo& info) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  ImageCloser closer{&image};
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) return PngError(image);
  if (image.width != info.width || image.height != info.height)
    return PageError{PageErrorKind::kCorrupt, "png decoded size differs from its header"};
  const bool colour = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
  // 16-bit samples scaled to 8 bits as they are (a scanner's 16 bits are on
  // the same curve as its 8), not taken for linear light and re-encoded.
  image.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
  image.format = colour ? PNG_FORMAT_BGR : PNG_FORMAT_GRAY;
  PageImage page;
  page.file_dpi_x = info.dpi_x;
  page.file_dpi_y = info.dpi_y > 0 ? info.dpi_y : info.dpi_x;
  cv::Mat& plane = colour ? page.color : page.gray;
  plane.create(int(info.height), int(info.width), colour ? CV_8UC3 : CV_8UC1);
  // Transparency is composed over white paper, as a scanner would show it.
  const png_color white{255, 255, 255};
  if (!png_image_finish_read(&image, &white, plane.data, png_int_32(plane.step[0]), nullptr))
    return PngError(image);
  if (colour) {
    cv::cvtColor(page.color, page.gray, cv::COLOR_BGR2GRAY);
    page.color_mode = ColorMode::kColor;
  } else {
    page.color_mode = info.bilevel ? ColorMode::kBilevel : ColorMode::kGray;
  }
  return page;
}

}  // namespace scangate::headers
