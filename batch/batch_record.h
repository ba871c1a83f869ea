// What the ledger holds of a batch: how it was opened, its state, its page
// verdicts and its last batch verdict. The batch core decides from these
// records; the ledger backends store them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scangate/v1/verdict.pb.h"

namespace scangate {

struct BatchOpenRecord {
  std::string batch_id;
  std::string profile;
  std::string profile_version;
  std::string station_id;
  std::string operator_id;
  std::string retention;
  std::int64_t opened_at = 0;
};

struct StoredBatch {
  BatchOpenRecord open;
  // "open" until the station closes it; then "final"; "incomplete" when the
  // stream ended without a close.
  std::string state;
  // The batch's newest claim when it was read (server/ledger.h): with the
  // state, what a reopen compares before it sets.
  std::uint64_t claim = 0;
  std::vector<v1::PageVerdict> pages;  // by page index
  // The last batch verdict recorded; a final one carries its feed sequence.
  std::optional<v1::BatchVerdict> verdict;
};

}  // namespace scangate
