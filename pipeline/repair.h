// Repair before reject: a page whose only failures the profile lets the
// server repair (RepairRule) is turned upright, deskewed, cropped to the
// sheet and despeckled, judged again by every check, and answered with the
// repaired page's verdict, or its own where the repair does not save it.
//
// How each repair is made:
// - turned by exact quarter turns (a transposition, no resampling);
// - deskewed about the page's centre on the page's own canvas (the corners
//   brought in repeat the page's edge, so a dark border stays a border and
//   white paper stays paper): gray and colour by bicubic interpolation; a
//   1-bit page is interpolated bicubically and thresholded again at
//   mid-gray, so each stroke edge lands where the interpolated edge crosses
//   half its contrast and strokes keep their width (a gray resampling kept
//   gray, or thresholded lower, would thicken them);
// - cropped where InkMap::border (dark regions joined to the image edge)
//   fills at least half of a row or column, from each edge inward, never
//   more than a quarter of the page on a side;
// - on 1-bit pages, specks of ink of at most 0.15 mm across with no other
//   ink within 0.5 mm are removed (a full stop or an i's dot always has a
//   letter that close).
#pragma once

#include "pipeline/decode/page_image.h"
#include "pipeline/image/ink.h"
#include "pipeline/profile.h"
#include "pipeline/verdict.h"

namespace scangate {

// The page turned clockwise by `degrees` (90, 180, 270): upright, if the
// orientation was right. `orig_from_turned` maps its pixels back.
PageImage TurnPage(const PageImage& page, int degrees, cv::Matx23d& orig_from_turned);

// The page rotated about its centre so that content skewed `skew_degrees`
// (positive: counter-clockwise on screen) is level. See above for how.
PageImage DeskewPage(const PageImage& page, double skew_degrees);

// Rows and columns of dark border on each side of the page, in page pixels,
// from the ink map of that page; all zero where there is none.
struct BorderBands {
  int left = 0, top = 0, right = 0, bottom = 0;
  bool any() const { return left || top || right || bottom; }
};
BorderBands FindBorderBands(const InkMap& ink, cv::Size page_size);

// Isolated specks on a 1-bit page (see above); with `remove`, they are
// painted white. Returns how many there are.
int Despeckle(cv::Mat& bilevel, double dpi, bool remove);

// Whether the page, judged and decided, is one to repair: every reason
// that rejects it is one the rule lets the server repair, or it is
// accepted and has a border to crop or specks to remove (and the rule
// allows that). `borders` and `specks` are the page's own.
bool WantsRepair(const PageVerdict& v, const Profile& profile, const BorderBands& borders,
                 int specks);

// The repaired page, and what was done to it (RepairRecord without the
// archive copy and the original's reasons).
struct RepairedPage {
  PageImage image;
  RepairRecord record;
};
RepairedPage RepairPage(const PageImage& page, const PageVerdict& v, const Profile& profile);

// Fills record.done from what the record says was done.
void DescribeRepair(RepairRecord& record);

// Rounds of repair and judging a page gets at most: the first, one for
// what it revealed (a way up, a residual skew), and one to settle.
constexpr int kMaxRepairRounds = 3;
// A repaired page is level when its skew is measured within this.
constexpr double kLevelDegrees = 0.05;

// The archive copy of a repaired page: 1-bit as CCITT G4 TIFF, gray and
// colour as JPEG at the rule's quality or lossless PNG, at `dpi`. Sets
// record.archive_copy, archive_sha256 and archive_media_type, or returns
// the error that prevented it (the page then keeps its own verdict).
Outcome EncodeArchiveCopy(const PageImage& image, double dpi, const RepairRule& rule,
                          RepairRecord& record);

// The archive copy is carried in the page's verdict on the Scan stream:
// larger than this and no copy is made (the page keeps its own verdict).
// A 300-dpi A4 colour page as PNG is 10-25 MB, as JPEG 1-3 MB.
constexpr std::size_t kMaxArchiveCopyBytes = 48u << 20;

}  // namespace scangate
