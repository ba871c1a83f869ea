// What scanning does to a page: rotation on the glass, defocus, sensor
// noise, and a black-and-white mode's threshold.
#include <opencv2/imgproc.hpp>

#include "tests/support/synthetic_page.h"
#include "tests/support/typesetting.h"

namespace scangate::synth {

cv::Mat Rotate(const cv::Mat& page, double degrees) {
  // OpenCV's positive angle already turns counter-clockwise on screen (y down),
  // which is the project's skew sign.
  cv::Point2f centre((page.cols - 1) / 2.0f, (page.rows - 1) / 2.0f);
  cv::Mat turn = cv::getRotationMatrix2D(centre, degrees, 1.0);
  cv::Mat out;
  cv::warpAffine(page, out, turn, page.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, kPaper);
  return out;
}

cv::Mat GaussianBlur(const cv::Mat& page, double sigma_px) {
  cv::Mat out;
  cv::GaussianBlur(page, out, cv::Size(), sigma_px, sigma_px, cv::BORDER_REPLICATE);
  return out;
}

cv::Mat AddNoise(const cv::Mat& page, double sigma, std::uint32_t seed) {
  cv::Mat noise(page.size(), CV_MAKETYPE(CV_16S, page.channels()));
  cv::RNG rng(seed);
  rng.fill(noise, cv::RNG::NORMAL, 0.0, sigma);
  cv::Mat out;
  cv::add(page, noise, out, cv::noArray(), page.type());  // saturates at 0 and 255
  return out;
}

cv::Mat ToBilevel(const cv::Mat& page, int threshold) {
  cv::Mat gray = page;
  if (page.channels() == 3) cv::cvtColor(page, gray, cv::COLOR_BGR2GRAY);
  cv::Mat out;
  cv::threshold(gray, out, threshold, 255, cv::THRESH_BINARY);
  return out;
}

}  // namespace scangate::synth
