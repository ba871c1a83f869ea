// See scan_stream_client.h.
#include "clients/scan_stream_client.h"

namespace scangate::cli {

v1::ScanRequest OpenRequest(const std::string& id, const std::string& profile,
                            const std::string& station, const std::string& operator_id,
                            bool resume) {
  v1::ScanRequest open;
  open.mutable_open()->set_batch_id(id);
  open.mutable_open()->set_profile(profile);
  open.mutable_open()->set_station_id(station);
  open.mutable_open()->set_operator_id(operator_id);
  open.mutable_open()->set_resume(resume);
  return open;
}

void ScanStreamClient::End() {
  if (!stream_) return;
  ctx_->TryCancel();
  stream_->Finish();
  stream_.reset();
  ctx_.reset();
  batch_.clear();
}

void ScanStreamClient::Broke() {
  grpc::Status status = stream_->Finish();
  stream_.reset();
  ctx_.reset();
  batch_.clear();
  throw ServerError(status.ok() ? "the stream ended early" : status.error_message(),
                    status.ok() ? grpc::StatusCode::UNAVAILABLE : status.error_code());
}

void ScanStreamClient::Write(const v1::ScanRequest& request) {
  if (!stream_->Write(request)) Broke();
}

v1::ScanResponse ScanStreamClient::ReadUntil(v1::ScanResponse::KindCase kind) {
  v1::ScanResponse r;
  while (stream_->Read(&r)) {
    if (r.kind_case() == kind) return r;
    if (r.has_batch()) Broke();  // the server ended the batch (shutting down)
  }
  Broke();
}

v1::BatchOpened ScanStreamClient::Open(const v1::ScanRequest& open) {
  End();
  ctx_ = std::make_unique<grpc::ClientContext>();
  stream_ = stub_->Scan(ctx_.get());
  Write(open);
  v1::BatchOpened opened = ReadUntil(v1::ScanResponse::kOpened).opened();
  batch_ = open.open().batch_id();
  return opened;
}

v1::BatchVerdict ScanStreamClient::Close() {
  v1::ScanRequest close;
  close.mutable_close();
  Write(close);
  stream_->WritesDone();
  v1::BatchVerdict verdict = ReadUntil(v1::ScanResponse::kBatch).batch();
  for (v1::ScanResponse rest; stream_->Read(&rest);) {
  }
  stream_->Finish();
  stream_.reset();
  ctx_.reset();
  batch_.clear();
  return verdict;
}

}  // namespace scangate::cli
