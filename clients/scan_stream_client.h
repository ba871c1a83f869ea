// A station's Scan stream, one request answered at a time: open (or
// resume) a batch, send a request and wait for its answer, close it and
// take the batch verdict. Used by the hot-folder station; `scangate scan`
// builds its OpenBatch the same way (OpenRequest).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "scangate/v1/scangate.grpc.pb.h"

namespace scangate::cli {

// A call the server refused or a stream that broke, with its status code.
struct ServerError : std::runtime_error {
  ServerError(const std::string& what, grpc::StatusCode c) : std::runtime_error(what), code(c) {}
  grpc::StatusCode code;
};

// The request that opens (or, with `resume`, continues) batch `id`.
v1::ScanRequest OpenRequest(const std::string& id, const std::string& profile,
                            const std::string& station, const std::string& operator_id,
                            bool resume);

class ScanStreamClient {
 public:
  explicit ScanStreamClient(std::shared_ptr<grpc::Channel> channel)
      : stub_(v1::Scangate::NewStub(std::move(channel))) {}
  ~ScanStreamClient() { End(); }

  // Ends any stream still open, opens a new one with `open` (an OpenRequest)
  // and waits for BatchOpened; throws ServerError.
  v1::BatchOpened Open(const v1::ScanRequest& open);
  // Whether a stream is open on batch `id`.
  bool IsOpenOn(const std::string& id) const { return stream_ && batch_ == id; }
  // Sends one request; throws ServerError when the stream broke.
  void Write(const v1::ScanRequest& request);
  // Reads until a response of `kind`; a batch verdict before it (the server
  // ended the batch) or the end of the stream throws ServerError.
  v1::ScanResponse ReadUntil(v1::ScanResponse::KindCase kind);
  // Closes the batch and returns its verdict; the stream ends.
  v1::BatchVerdict Close();
  // Cancels the stream, if any: the batch stays open in the ledger.
  void End();

  v1::Scangate::Stub& stub() { return *stub_; }

 private:
  [[noreturn]] void Broke();

  std::unique_ptr<v1::Scangate::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ScanRequest, v1::ScanResponse>> stream_;
  std::string batch_;
};

}  // namespace scangate::cli
