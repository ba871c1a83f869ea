// The reactor for one Scan stream (a station's batch).
#pragma once

#include "server/scan_service.h"

namespace scangate {

// Refused at once (UNAUTHENTICATED, PERMISSION_DENIED) unless the caller has
// the STATION or the SUPERVISOR role. A caller with SUPERVISOR alone may only
// resume a batch (any station's), waive its reasons and close it; waivers
// need SUPERVISOR. Requests beyond the caller's roles end the stream
// PERMISSION_DENIED naming the role.
grpc::ServerBidiReactor<v1::ScanRequest, v1::ScanResponse>* NewScanStream(
    ScangateService& service, grpc::CallbackServerContext& context);

}  // namespace scangate
