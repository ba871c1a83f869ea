// The hot-folder station (`scangate scan --watch DIR`): what it does with
// the files a counter's scanner writes (watch_station.cc); its command line
// is watch_command.cc.
#pragma once

#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <memory>
#include <string>

#include "clients/channel.h"

namespace scangate::cli {

struct WatchOptions {
  Connection connection;
  std::shared_ptr<grpc::Channel> channel;
  std::string profile, station, op, category;
  std::filesystem::path dir;
  double settle = 0.5, idle_close = 10, until_idle = 0;
  // --screen: where the counter screen listens (counter_screen.h's
  // ParseScreenAddress form); empty: no screen.
  std::string screen;
};

// Runs until a signal or --until-idle; the exit code (0 stopped, 2 error).
// Termination signals must be blocked (common/signals.h) before the
// channel is made.
int RunStation(WatchOptions options);

}  // namespace scangate::cli
