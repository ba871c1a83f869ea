// SIGTERM and SIGINT are taken by one thread with sigwait, never by a handler
// that could interrupt gRPC or TBB in the middle of a page.
#pragma once

#include <csignal>

namespace scangate {

// Blocks SIGTERM and SIGINT in the calling thread and returns the set, for
// sigwait. Call before any thread starts, so that every thread inherits it.
sigset_t BlockTerminationSignals();

}  // namespace scangate
