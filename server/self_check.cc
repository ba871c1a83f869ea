// See self_check.h.
#include "server/self_check.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace scangate {

std::string SelfCheckPage() {
  // A5 at 100 dpi: small enough to judge in milliseconds, large enough that
  // every check runs on it.
  cv::Mat page(827, 583, CV_8UC1, cv::Scalar(255));
  for (int y = 70; y < 760; y += 28)
    cv::putText(page, "Scangate self-check page, judged before serving", {40, y},
                cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(0), 1);
  std::vector<std::uint8_t> png;
  cv::imencode(".png", page, png);
  return std::string(png.begin(), png.end());
}

}  // namespace scangate
