// `scangate verdict`: a batch's verdict from the ledger, by batch id or
// transaction number (what a branch system asks before volume assembly).
#include <iostream>

#include "clients/channel.h"
#include "clients/commands.h"
#include "scangate/v1/scangate.grpc.pb.h"
#include "wire/wire.h"

namespace scangate::cli {

int RunVerdict(const std::vector<std::string>& args) {
  const std::string usage =
      std::string("usage: scangate verdict --server HOST:PORT [CONNECTION] [--json] "
                  "BATCH_ID|TRANSACTION\n"
                  "exit: 0 accepted and final, 1 otherwise, 2 error or not found\n") +
      kConnectionUsage;
  if (WantsHelp(args)) {
    std::cout << usage;
    return 0;
  }
  Connection connection;
  std::string id;
  bool json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    bool bad = false;
    if (TakeConnectionFlag(args, i, connection, bad) && !bad) continue;
    if (bad) {
      std::cerr << usage;
      return 2;
    }
    if (args[i] == "--json") json = true;
    else if (!args[i].empty() && args[i][0] != '-' && id.empty()) id = args[i];
    else {
      std::cerr << usage;
      return 2;
    }
  }
  if (connection.server.empty() || id.empty()) {
    std::cerr << usage;
    return 2;
  }
  Expected<std::shared_ptr<grpc::Channel>> channel = OpenChannel(connection);
  if (!channel.ok()) {
    std::cerr << "scangate verdict: " << channel.error().message << "\n";
    return 2;
  }
  auto stub = v1::Scangate::NewStub(channel.value());
  v1::BatchVerdict verdict;
  grpc::Status status;
  std::string transaction_batches;  // by transaction: every batch of it, newest first
  // The id is a batch id or a transaction number: ask for both, batch first.
  for (bool by_transaction : {false, true}) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::GetBatchVerdictRequest request;
    if (by_transaction) request.set_transaction_id(id);
    else request.set_batch_id(id);
    status = stub->GetBatchVerdict(&ctx, request, &verdict);
    for (const auto& [key, value] : ctx.GetServerTrailingMetadata())
      if (key == "scangate-transaction-batches")
        transaction_batches.assign(value.data(), value.size());
    if (status.error_code() != grpc::StatusCode::NOT_FOUND) break;
  }
  if (!status.ok()) {
    std::cerr << "scangate verdict: " << status.error_message() << "\n";
    return 2;
  }
  if (json) {
    std::cout << ToJson(verdict) << "\n";
  } else {
    std::cout << "batch " << verdict.batch_id() << ": " << v1::Decision_Name(verdict.decision())
              << (verdict.final() ? " (final)" : " (not final)") << ", " << verdict.page_count()
              << " pages, " << verdict.counted_pages() << " counted";
    if (!verdict.transaction_id().empty()) std::cout << ", transaction " << verdict.transaction_id();
    std::cout << "\n";
    for (const v1::Reason& r : verdict.reasons()) {
      std::cout << "  - " << v1::ReasonCode_Name(r.code());
      if (r.has_page()) std::cout << " (page " << r.page() << ")";
      std::cout << ": " << r.detail() << "\n";
    }
    if (transaction_batches.find(',') != std::string::npos)
      std::cout << "transaction " << verdict.transaction_id()
                << " has several batches, newest first (this one shown): " << transaction_batches
                << "\n";
  }
  return verdict.final() && verdict.decision() == v1::ACCEPT ? 0 : 1;
}

}  // namespace scangate::cli
