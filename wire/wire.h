// Conversions between the pipeline's values and the wire contract (proto).
#pragma once

#include <string>

#include "pipeline/profile.h"
#include "scangate/v1/profile.pb.h"
#include "scangate/v1/verdict.pb.h"
#include "pipeline/verdict.h"

namespace scangate {

void ToProto(const PageVerdict& in, v1::PageVerdict* out);
void ToProto(const Reason& in, v1::Reason* out);
// Moves a repaired page's archive copy (RepairRecord::archive_copy) into
// `out`, which ToProto filled: only for the page's answer to the station,
// never into what is stored.
void AttachArchiveCopy(PageVerdict& in, v1::PageVerdict* out);
Profile FromProto(const v1::Profile& in);

// The verdict in protobuf's JSON mapping: proto field names kept, default
// values printed, one line. The contract other tools read.
std::string ToJson(const google::protobuf::Message& message);

}  // namespace scangate
