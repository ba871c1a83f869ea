// The page at the working resolutions skew, blank and blur read: one pass
// over the full-resolution pixels, the rest on images a tenth the size.
#pragma once

#include <opencv2/core.hpp>
#include <vector>

namespace scangate {

struct InkMap {
  // The page halved while it stays at 100 dpi or more (100-150 dpi), gray.
  // Skew's points come from here.
  cv::Mat fine;
  double fine_dpi = 0;
  // `fine` halved again while it stays at 75 dpi or more (75-100 dpi).
  cv::Mat coarse;
  double dpi = 0;  // of `coarse`, `mask` and `border`
  // 255 where ink: clearly darker than the paper around it, outside borders.
  cv::Mat mask;
  // 255 where a dark scanner border or dark background: dark regions joined
  // to the image edge, grown by a pixel to take their anti-aliased rim.
  cv::Mat border;
  // The paper's gray level (a high percentile of the page).
  double paper = 255;
  // Sensor noise on `fine`: the robust spread of the difference between
  // pixels two rows apart, in gray levels.
  double fine_noise = 0;
  // `border` grown by two more pixels: points and marks this close to a
  // border are the border's own edge.
  cv::Mat near_border;
  // Coarse pixels per page pixel, and fine pixels per page pixel.
  double scale = 1;
  double fine_scale = 1;

  // Buffers kept from page to page: a fresh page-sized allocation costs
  // page faults, which on a virtual machine cost more than the checks.
  struct Workspace {
    cv::Mat halves[4];
    cv::Mat paper_level;
    std::vector<int> flood;
  } work;
};

// Fills `ink` for the page, reusing its buffers. `page_dpi` is the page's
// effective resolution (0: unknown, taken as 300). `fine` may share the
// page's own pixels (a page at 150 dpi is not reduced).
void FindInk(const cv::Mat& gray, double page_dpi, InkMap& ink);

// The same into a new map, for one-off use.
InkMap FindInk(const cv::Mat& gray, double page_dpi);

}  // namespace scangate
