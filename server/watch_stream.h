// The reactor for one WatchVerdicts stream (the archive service's feed).
#pragma once

#include "server/scan_service.h"

namespace scangate {

// Refused at once (UNAUTHENTICATED, PERMISSION_DENIED) unless the caller has
// the ARCHIVE role.
grpc::ServerWriteReactor<v1::VerdictEvent>* NewWatchStream(ScangateService& service,
                                                           const grpc::CallbackServerContext& context,
                                                           std::uint64_t after_sequence);

}  // namespace scangate
