// The reactor for one Scan stream (a station's batch).
#pragma once

#include "scan_service.h"

namespace scangate {

grpc::ServerBidiReactor<v1::ScanRequest, v1::ScanResponse>* NewScanStream(
    ScangateService& service);

}  // namespace scangate
