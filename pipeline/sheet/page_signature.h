// Page-wide signature: whether a page bears a handwritten signature anywhere
// (profiles without a form: "this page must be signed").
#pragma once

#include <array>
#include <opencv2/core.hpp>
#include <vector>

#include "pipeline/image/ink.h"
#include "pipeline/measurements.h"

namespace scangate {

// What the classifier reads of one candidate (a group of marks well above
// the page's text height): its size, also relative to the page's own text,
// stroke length, shape and direction, how type-like its letters stand, its
// loops and its stroke width against the type's. Only the candidate's own
// shape: where it sits and what surrounds it differ between generated and
// real pages more than between signatures and print.
constexpr int kPageSignatureFeatures = 17;
using PageSignatureFeatures = std::array<float, kPageSignatureFeatures>;

struct PageSignatureCandidate {
  cv::Rect box;  // in `InkMap::fine` pixels
  PageSignatureFeatures features{};
  double score = 0;  // the classifier's probability that this is a signature
};

// Every candidate on the page with its features and score: for the model's
// trainer (bench/summary/train_page_signature.cc) and diagnostics.
std::vector<PageSignatureCandidate> PageSignatureCandidates(const InkMap& ink);

// The probability the bundled model gives one feature vector, 0..1.
double PageSignatureProbability(const PageSignatureFeatures& features);

// Zone "page"; score 0..1: the best candidate's probability.
SignatureMeasure MeasurePageSignature(const InkMap& ink);

}  // namespace scangate
