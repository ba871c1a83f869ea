// The batch rules: the verdict on a whole transaction's pages, decided from
// the page verdicts as the ledger records them (no conversion back to the
// pipeline's types: each page verdict carries what these rules need, its
// transaction id and, where it matters, why it has none).
#pragma once

#include <vector>

#include "pipeline/profile.h"
#include "scangate/v1/verdict.pb.h"

namespace scangate {

// The batch's decision, reasons, transaction id and page counts: every page
// reason repeated with its page index, then the batch's own rules (page
// count, the summary sheet and its transaction barcode). `closed` is false
// for a batch the station never closed. Separator sheets are the caller's
// to leave out. The batch's identity, versions and pages are the caller's.
v1::BatchVerdict DecideBatch(const std::vector<v1::PageVerdict>& pages, const Profile& profile,
                             bool closed);

}  // namespace scangate
