// Verdicts that can be verified: the server signs each batch verdict with
// Ed25519 over a canonical text of the verdict and every page's SHA-256, so
// the archive can prove later that the images it keeps are the ones checked.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"

#include "scangate/v1/verdict.pb.h"

namespace scangate {

// The exact bytes signed: a line-oriented text any language can rebuild from
// the manifest's JSON (see the definition for the format). Version 2 adds
// each page's category and the clerk's waivers to version 1; version 3 the
// verdict's version and the feed entry it supersedes; version 4 (what the
// server signs) the SHA-256 of each repaired page's archive copy.
// Verification still accepts the older ones for older manifests.
constexpr int kSignedPayloadVersion = 4;
std::string SignedPayload(const v1::BatchVerdict& verdict, int version = kSignedPayloadVersion);

class VerdictSigner {
 public:
  // Loads the private key (PEM) at `path`, or creates one there (mode 0600)
  // with its public key beside it as PATH.pub. The error names the file.
  static Expected<std::unique_ptr<VerdictSigner>> LoadOrCreate(const std::string& path);
  ~VerdictSigner();

  // Sets verdict.signature and verdict.signing_key_id. `version` other than
  // the current one only to make older manifests in tests.
  void Sign(v1::BatchVerdict& verdict, int version = kSignedPayloadVersion) const;
  const std::string& key_id() const { return key_id_; }
  std::string public_key_pem() const;

 private:
  struct Key;
  explicit VerdictSigner(std::unique_ptr<Key> key);
  std::unique_ptr<Key> key_;
  std::string key_id_;
};

// Checks a verdict's signature against a public key (PEM); the error says
// why it does not hold.
Outcome VerifyVerdict(const v1::BatchVerdict& verdict, const std::string& public_key_pem);

}  // namespace scangate
