// The reactor for one WatchVerdicts stream (the archive service's feed).
#pragma once

#include "scan_service.h"

namespace scangate {

grpc::ServerWriteReactor<v1::VerdictEvent>* NewWatchStream(ScangateService& service,
                                                           std::uint64_t after_sequence);

}  // namespace scangate
