// Page files as scanners write them, dpi included: the pipeline reads the dpi
// from the file and only infers it when absent, so test files must carry it.
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

#include "pipeline/decode/encode.h"
#include "tests/support/synthetic_page.h"

namespace scangate::synth {
namespace {

constexpr double kMetresPerInch = 0.0254;

std::string Imencode(const char* ext, const cv::Mat& page, const std::vector<int>& params = {}) {
  std::vector<std::uint8_t> bytes;
  if (!cv::imencode(ext, page, bytes, params))
    throw std::runtime_error(std::string("cv::imencode failed for ") + ext);
  return {bytes.begin(), bytes.end()};
}

void PutLe32At(std::string& out, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = char((v >> (8 * i)) & 0xFF);
}

// The pipeline's encoders (pipeline/decode/encode.h), failing loudly.
std::string Take(Expected<std::string> encoded) {
  if (!encoded.ok()) throw std::runtime_error(encoded.error().message);
  return std::move(encoded.value());
}

}  // namespace

std::string EncodePng(const cv::Mat& page, double dpi) { return Take(EncodePngFile(page, dpi)); }

std::string EncodeJpeg(const cv::Mat& page, int quality, double dpi) {
  return Take(EncodeJpegFile(page, quality, dpi));
}

std::string EncodeBmp(const cv::Mat& page, double dpi) {
  std::string bmp = Imencode(".bmp", page);
  // BITMAPINFOHEADER: biXPelsPerMeter at 38, biYPelsPerMeter at 42.
  if (bmp.size() < 54) throw std::runtime_error("EncodeBmp: short header");
  const std::uint32_t per_metre = std::uint32_t(std::lround(dpi / kMetresPerInch));
  PutLe32At(bmp, 38, per_metre);
  PutLe32At(bmp, 42, per_metre);
  return bmp;
}

std::string EncodeWebp(const cv::Mat& page, int quality) {
  return Imencode(".webp", page, {cv::IMWRITE_WEBP_QUALITY, quality});
}

std::string EncodeTiffG4(const cv::Mat& bilevel, double dpi) {
  if (!IsBilevel(bilevel)) throw std::invalid_argument("EncodeTiffG4: page is not 0/255 gray");
  return Take(EncodeTiffFile({bilevel}, dpi));
}

std::string EncodeTiffMultiPage(const std::vector<cv::Mat>& pages, double dpi) {
  return Take(EncodeTiffFile(pages, dpi));
}

}  // namespace scangate::synth
