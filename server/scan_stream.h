// The reactor for one Scan stream (a station's batch).
#pragma once

#include "scan_service.h"

namespace scangate {

// Refused at once (UNAUTHENTICATED, PERMISSION_DENIED) unless the caller has
// the STATION role.
grpc::ServerBidiReactor<v1::ScanRequest, v1::ScanResponse>* NewScanStream(
    ScangateService& service, grpc::CallbackServerContext& context);

}  // namespace scangate
