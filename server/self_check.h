// The page a starting server judges before grpc.health.v1 reports SERVING:
// proof that the engine, the decoders and the checks work in this process.
#pragma once

#include <string>

namespace scangate {

// A small PNG of printed text lines; judged without an error verdict.
std::string SelfCheckPage();

}  // namespace scangate
