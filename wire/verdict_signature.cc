// See verdict_signature.h.
#include "wire/verdict_signature.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace scangate {
namespace {

// Percent-encodes anything that could break the line format.
std::string Field(const std::string& value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (c <= ' ' || c == '%' || c >= 0x7F) {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += char(c);
    }
  }
  return out.empty() ? "-" : out;
}

std::string KeyIdOf(EVP_PKEY* key) {
  unsigned char raw[64];
  std::size_t len = sizeof raw;
  EVP_PKEY_get_raw_public_key(key, raw, &len);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(raw, len, digest, &digest_len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (unsigned i = 0; i < 8; ++i) {
    id += hex[digest[i] >> 4];
    id += hex[digest[i] & 15];
  }
  return id;
}

std::string PublicPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, std::size_t(len));
  BIO_free(bio);
  return pem;
}

}  // namespace

std::string SignedPayload(const v1::BatchVerdict& v, int version) {
  std::ostringstream out;
  out << "scangate-verdict/" << version << "\n"
      << "batch_id " << Field(v.batch_id()) << "\n"
      << "transaction_id " << Field(v.transaction_id()) << "\n"
      << "profile " << Field(v.profile()) << " " << Field(v.profile_version()) << "\n"
      << "decision " << v1::Decision_Name(v.decision()) << "\n"
      << "final " << (v.final() ? "true" : "false") << "\n"
      << "station " << Field(v.station_id()) << "\n"
      << "operator " << Field(v.operator_id()) << "\n"
      << "closed_at " << v.closed_at() << "\n";
  // Version 3: which version of the batch's verdict this is, and what it
  // supersedes, so that a correction cannot pass for the first verdict.
  if (version >= 3) out << "version " << std::max<std::uint32_t>(1, v.version()) << " supersedes "
                        << v.supersedes() << "\n";
  std::vector<const v1::PageVerdict*> pages;
  for (const auto& p : v.pages()) pages.push_back(&p);
  std::sort(pages.begin(), pages.end(),
            [](auto* a, auto* b) { return a->page_index() < b->page_index(); });
  for (const auto* p : pages) {
    out << "page " << p->page_index() << " " << Field(p->sha256()) << " "
        << v1::Decision_Name(p->decision()) << "\n";
    if (version < 2) continue;
    // Version 2: where the page is filed, and what the clerk waived on it.
    out << "category " << p->page_index() << " " << Field(p->category()) << "\n";
    // Version 4: the archive copy of a page the server repaired, so that
    // either file can be verified.
    if (version >= 4 && !p->repair().archive_sha256().empty())
      out << "archive " << p->page_index() << " " << Field(p->repair().archive_sha256()) << "\n";
    for (const v1::Reason& r : p->reasons())
      if (!r.waived_by().empty())
        out << "waived " << p->page_index() << " " << v1::ReasonCode_Name(r.code()) << " "
            << Field(r.waived_by()) << " " << Field(r.waiver_note()) << "\n";
  }
  return out.str();
}

struct VerdictSigner::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

VerdictSigner::VerdictSigner(std::unique_ptr<Key> key)
    : key_(std::move(key)), key_id_(KeyIdOf(key_->pkey)) {}

VerdictSigner::~VerdictSigner() = default;

Expected<std::unique_ptr<VerdictSigner>> VerdictSigner::LoadOrCreate(const std::string& path) {
  auto key = std::make_unique<Key>();
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    key->pkey = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    if (!key->pkey || EVP_PKEY_get_id(key->pkey) != EVP_PKEY_ED25519) {
      return Error{path + ": not an Ed25519 private key in PEM"};
    }
  } else {
    key->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!key->pkey) {
      return Error{"cannot create an Ed25519 key"};
    }
    mode_t old = umask(077);
    FILE* out = std::fopen(path.c_str(), "w");
    umask(old);
    if (!out || !PEM_write_PrivateKey(out, key->pkey, nullptr, nullptr, 0, nullptr, nullptr)) {
      if (out) std::fclose(out);
      return Error{path + ": cannot write the signing key"};
    }
    std::fclose(out);
    std::ofstream(path + ".pub") << PublicPem(key->pkey);
  }
  return std::unique_ptr<VerdictSigner>(new VerdictSigner(std::move(key)));
}

std::string VerdictSigner::public_key_pem() const { return PublicPem(key_->pkey); }

void VerdictSigner::Sign(v1::BatchVerdict& verdict, int version) const {
  const std::string payload = SignedPayload(verdict, version);
  unsigned char sig[64];
  std::size_t len = sizeof sig;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_->pkey) == 1 &&
            EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(payload.data()),
                           payload.size()) == 1;
  EVP_MD_CTX_free(ctx);
  // Ed25519 signing of a buffer in memory cannot fail short of a broken
  // library: crash loudly rather than archive an unsigned verdict.
  if (!ok) std::abort();
  verdict.set_signature(std::string(reinterpret_cast<char*>(sig), len));
  verdict.set_signing_key_id(key_id_);
}

Outcome VerifyVerdict(const v1::BatchVerdict& verdict, const std::string& public_key_pem) {
  if (verdict.signature().empty()) return Error{"the verdict carries no signature"};
  BIO* bio = BIO_new_mem_buf(public_key_pem.data(), int(public_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return Error{"not an Ed25519 public key in PEM"};
  }
  if (!verdict.signing_key_id().empty() && verdict.signing_key_id() != KeyIdOf(key)) {
    EVP_PKEY_free(key);
    return Error{"signed by key " + verdict.signing_key_id() + ", not by this key"};
  }
  // The current payload, then the older one: manifests signed before
  // categories and waivers were covered still verify.
  bool ok = false;
  for (int version = kSignedPayloadVersion; version >= 1 && !ok; --version) {
    const std::string payload = SignedPayload(verdict, version);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
         EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(verdict.signature().data()),
                          verdict.signature().size(),
                          reinterpret_cast<const unsigned char*>(payload.data()),
                          payload.size()) == 1;
    EVP_MD_CTX_free(ctx);
  }
  EVP_PKEY_free(key);
  if (!ok) return Error{"the signature does not match the verdict and its pages"};
  return Ok{};
}

}  // namespace scangate
