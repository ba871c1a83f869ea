// Errors a page can end in, as values: untrusted input never throws past judge.
#pragma once

#include <string>

#include "common/result.h"

namespace scangate {

// A small fixed set: used as a metrics label, so never grow it per message.
enum class PageErrorKind {
  kEmpty,          // zero bytes
  kUnsupported,    // not an image format we read
  kTruncated,      // the file ends before its image data does
  kCorrupt,        // the decoder refused the data
  kTooManyBytes,   // file larger than the byte limit
  kTooManyPixels,  // header claims more pixels than the limit
  kTooManyFrames,  // multi-page file with more pages than the limit
  kImplausibleGeometry,  // a shape no scanned document has (1 x 100000 pixels)
  kTooMuchMemory,  // decoding would allocate more than the per-page budget
  kInternal,       // a check failed on a page it should have handled
};

const char* PageErrorKindName(PageErrorKind kind);

struct PageError {
  PageErrorKind kind;
  std::string message;
};

// Either a page's value or the error that prevented it.
template <class T>
using Fallible = Result<T, PageError>;

}  // namespace scangate
