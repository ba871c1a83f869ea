// See verdict_size.h.
#include "server/verdict_size.h"

#include <string>

#include "server/scan_service.h"

namespace scangate {

grpc::Status CheckVerdictSize(const v1::BatchVerdict& verdict, const ServiceOptions& options) {
  const std::size_t max_message_bytes = options.max_message_bytes;
  const std::size_t size = verdict.ByteSizeLong() + kVerdictEnvelopeBytes;
  if (size <= max_message_bytes) return grpc::Status::OK;
  return {grpc::StatusCode::RESOURCE_EXHAUSTED,
          "the batch verdict would be " + std::to_string(size) + " bytes, over the limit of " +
              std::to_string(max_message_bytes) + " bytes a message to the followers may have; " +
              "the batch stays open: delete pages or split it"};
}

}  // namespace scangate
