// The end of a Scan stream as the tests read it: writes done, every answer
// read, the status. Header only: the tests that stream through gRPC include it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <optional>
#include <vector>

#include "scangate/v1/scangate.pb.h"

namespace scangate::testing {

struct StreamEnd {
  std::vector<v1::PageVerdict> pages;   // in the order they came
  std::optional<v1::BatchVerdict> batch;  // the last batch verdict, if any came
  grpc::Status status;
};

// Ends the writes of `stream` (a Scan client stream whose Close the test has
// written, or not) and reads it to its end.
template <class Stream>
StreamEnd FinishStream(Stream& stream) {
  stream.WritesDone();
  StreamEnd end;
  v1::ScanResponse r;
  while (stream.Read(&r)) {
    if (r.has_page()) end.pages.push_back(r.page());
    if (r.has_batch()) end.batch = r.batch();
  }
  end.status = stream.Finish();
  return end;
}

}  // namespace scangate::testing
