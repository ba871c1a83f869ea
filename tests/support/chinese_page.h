// A page of Chinese text, typeset as a Chinese office document is: a centred
// title, paragraphs of full-width characters on a fixed grid, each opening
// with a two-character indent, its last line ending short, with the
// full-width punctuation that sits low in its cell (，。、). For the
// orientation check: square characters have no ascenders to tell up from
// down.
#pragma once

#include <opencv2/core.hpp>

#include "tests/support/synthetic_page.h"

namespace scangate::synth {

// `spec.text_lines` body lines; 8-bit gray on white, at `spec.dpi`.
cv::Mat ChineseTextPage(const PageSpec& spec);

// A Chinese form or certificate: a centred title, `spec.form_lines` labels
// (姓名：...) each left of a ruled field, some filled in; a ruled table of
// `spec.table_rows` rows under Chinese column heads, its cells numbers and
// short words; `spec.text_lines` lines of text; the issuing office and the
// date set right, under a round red seal. BGR on white (the seal is red).
cv::Mat ChineseFormPage(const PageSpec& spec);

}  // namespace scangate::synth
