// How `scangate scan` and the hot-folder station (`scan --watch`) print
// verdicts for the clerk: one wording for reasons, waivers and categories in
// both, so the two cannot drift apart. Text from the server that a page or a
// barcode carried (a transaction number) is printed in its printable form.
#pragma once

#include <string>

#include "scangate/v1/scangate.pb.h"

namespace scangate::cli {

// One line per reason, each "\n      - CODE (page N): detail", with
// " [waived by SUPERVISOR: note]" for a waived one.
std::string ReasonList(const google::protobuf::RepeatedPtrField<v1::Reason>& reasons);

// "ACCEPT" or "REJECT", " (blank)", then `note` (e.g. the summary sheet's
// transaction), the page's category (" [id-card, by the clerk clerk-7]",
// " [separator sheet: ...]") and its reasons.
std::string PageVerdictText(const v1::PageVerdict& page, const std::string& note = {});

// "N pages (M counted)", ", transaction T" when the batch has one, and the
// batch's reasons.
std::string BatchVerdictDetails(const v1::BatchVerdict& batch);

}  // namespace scangate::cli
