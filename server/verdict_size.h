// How large a batch verdict may grow: every client must get it in one
// message (the followers' feed, GetBatchVerdict, the station's stream), so a
// verdict too large to send is refused before the ledger records it.
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>

#include "scangate/v1/verdict.pb.h"

namespace scangate {

struct ServiceOptions;

// What the signature, the sequence number and the message around a verdict
// add once it has been checked.
inline constexpr std::size_t kVerdictEnvelopeBytes = 4096;

// OK when `verdict` with its envelope fits in `options.max_message_bytes`;
// else RESOURCE_EXHAUSTED saying both sizes. The batch then stays open,
// resumable: deleting pages (or splitting the batch) lets it close.
grpc::Status CheckVerdictSize(const v1::BatchVerdict& verdict, const ServiceOptions& options);

}  // namespace scangate
