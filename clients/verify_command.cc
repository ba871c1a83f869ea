// `scangate verify`: checks a follower's manifest against the server's public
// key, and optionally that image files are the very pages it was given for.
#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <iostream>
#include <set>
#include <span>
#include <sstream>

#include "clients/commands.h"
#include "common/sha256.h"
#include "wire/verdict_signature.h"

namespace scangate::cli {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int RunVerify(const std::vector<std::string>& args) {
  const char* usage =
      "usage: scangate verify --public-key PEM MANIFEST [IMAGE...]\n"
      "  checks the manifest's Ed25519 signature, and that each IMAGE is one of its pages\n"
      "exit: 0 verified, 1 not verified, 2 error\n";
  if (WantsHelp(args)) {
    std::cout << usage;
    return 0;
  }
  std::string key_path, manifest;
  std::vector<std::string> images;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--public-key" && i + 1 < args.size()) key_path = args[++i];
    else if (!args[i].empty() && args[i][0] == '-') {
      std::cerr << usage;
      return 2;
    } else if (manifest.empty()) manifest = args[i];
    else images.push_back(args[i]);
  }
  if (key_path.empty() || manifest.empty()) {
    std::cerr << usage;
    return 2;
  }
  std::string key = Slurp(key_path), json = Slurp(manifest);
  if (key.empty() || json.empty()) {
    std::cerr << "scangate verify: cannot read " << (key.empty() ? key_path : manifest) << "\n";
    return 2;
  }
  v1::BatchVerdict verdict;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(json, &verdict, options).ok()) {
    std::cerr << "scangate verify: " << manifest << " is not a verdict manifest\n";
    return 2;
  }
  if (Outcome verified = VerifyVerdict(verdict, key); !verified.ok()) {
    std::cout << manifest << ": NOT VERIFIED: " << verified.error().message << "\n";
    return 1;
  }
  // A repaired page is known by both files: the original the station sent
  // and the archive copy the server made of it.
  std::set<std::string> checked, archived;
  for (const auto& p : verdict.pages()) {
    checked.insert(p.sha256());
    if (!p.repair().archive_sha256().empty()) archived.insert(p.repair().archive_sha256());
  }
  int status = 0;
  for (const std::string& image : images) {
    std::string bytes = Slurp(image);
    std::string sha = Sha256Hex(bytes);
    const bool known = checked.count(sha), copy = archived.count(sha);
    std::cout << image << ": "
              << (known  ? "a checked page"
                  : copy ? "the archive copy of a checked page (repaired by the server)"
                         : "NOT a page of this batch")
              << "\n";
    if (!known && !copy) status = 1;
  }
  std::cout << manifest << ": verified (batch " << verdict.batch_id() << ", "
            << v1::Decision_Name(verdict.decision()) << ", key " << verdict.signing_key_id()
            << ")\n";
  return status;
}

}  // namespace scangate::cli
