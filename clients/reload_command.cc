// `scangate reload-profiles`: the server reads its profiles folder again
// (admin role). On a bad file the profiles in force stay, and the error names
// the file and line.
#include <iostream>

#include "clients/channel.h"
#include "clients/commands.h"
#include "scangate/v1/scangate.grpc.pb.h"

namespace scangate::cli {

int RunReloadProfiles(const std::vector<std::string>& args) {
  const std::string usage =
      std::string("usage: scangate reload-profiles --server HOST:PORT [CONNECTION]\n"
                  "exit: 0 reloaded (the profiles now in force are listed), 2 error\n") +
      kConnectionUsage;
  if (WantsHelp(args)) {
    std::cout << usage;
    return 0;
  }
  Connection connection;
  for (std::size_t i = 0; i < args.size(); ++i) {
    bool bad = false;
    if (!TakeConnectionFlag(args, i, connection, bad) || bad) {
      std::cerr << usage;
      return 2;
    }
  }
  if (connection.server.empty()) {
    std::cerr << usage;
    return 2;
  }
  Expected<std::shared_ptr<grpc::Channel>> channel = OpenChannel(connection);
  if (!channel.ok()) {
    std::cerr << "scangate reload-profiles: " << channel.error().message << "\n";
    return 2;
  }
  auto stub = v1::Scangate::NewStub(channel.value());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::ReloadProfilesResponse response;
  grpc::Status status = stub->ReloadProfiles(&ctx, {}, &response);
  if (!status.ok()) {
    std::cerr << "scangate reload-profiles: " << status.error_message() << "\n";
    return 2;
  }
  for (const v1::ProfileSummary& p : response.profiles())
    std::cout << p.name() << "\t" << p.version() << "\n";
  return 0;
}

}  // namespace scangate::cli
