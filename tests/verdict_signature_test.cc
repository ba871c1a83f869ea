// Verdict signatures: a signed verdict verifies with the server's public key,
// and any change to the verdict or a page's hash, or another key, fails.
#include <gtest/gtest.h>

#include <filesystem>

#include "wire/verdict_signature.h"

namespace scangate {
namespace {

::testing::AssertionResult Verified(const v1::BatchVerdict& verdict, const std::string& key) {
  const Outcome verified = VerifyVerdict(verdict, key);
  if (verified.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << verified.error().message;
}

namespace fs = std::filesystem;

class Signatures : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("scangate-keys-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    Expected<std::unique_ptr<VerdictSigner>> loaded =
        VerdictSigner::LoadOrCreate((dir_ / "key.pem").string());
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    signer_ = std::move(loaded.value());
    verdict_.set_batch_id("b-1");
    verdict_.set_transaction_id("SI2026112700042");
    verdict_.set_decision(v1::ACCEPT);
    verdict_.set_final(true);
    for (int i = 0; i < 3; ++i) {
      auto* p = verdict_.add_pages();
      p->set_page_index(std::uint32_t(i));
      p->set_sha256(std::string(64, char('a' + i)));
      p->set_decision(v1::ACCEPT);
    }
    signer_->Sign(verdict_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::unique_ptr<VerdictSigner> signer_;
  v1::BatchVerdict verdict_;
};

TEST_F(Signatures, ASignedVerdictVerifiesWithThePublicKeyWrittenBesideTheKey) {
  EXPECT_EQ(verdict_.signature().size(), 64u);
  EXPECT_EQ(verdict_.signing_key_id(), signer_->key_id());
  ASSERT_TRUE(fs::exists(dir_ / "key.pem.pub"));
  EXPECT_TRUE(Verified(verdict_, signer_->public_key_pem()));
  EXPECT_EQ(fs::status(dir_ / "key.pem").permissions() & fs::perms::others_read, fs::perms::none);
}

TEST_F(Signatures, TheSameKeyIsLoadedOnRestart) {
  auto again = VerdictSigner::LoadOrCreate((dir_ / "key.pem").string());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again.value()->key_id(), signer_->key_id());
}

TEST_F(Signatures, AnAlteredPageHashFails) {
  verdict_.mutable_pages(1)->set_sha256(std::string(64, 'f'));
  const Outcome verified = VerifyVerdict(verdict_, signer_->public_key_pem());
  ASSERT_FALSE(verified.ok());
  EXPECT_NE(verified.error().message.find("does not match"), std::string::npos);
}

TEST_F(Signatures, AnAlteredDecisionFails) {
  verdict_.set_decision(v1::REJECT);
  EXPECT_FALSE(VerifyVerdict(verdict_, signer_->public_key_pem()).ok());
}

TEST_F(Signatures, AnAlteredCategoryOrWaiverFails) {
  v1::BatchVerdict filed = verdict_;
  filed.mutable_pages(2)->set_category("identity");
  v1::Reason* waived = filed.mutable_pages(2)->add_reasons();
  waived->set_code(v1::BLURRED);
  waived->set_waived_by("clerk-7");
  waived->set_waiver_note("the original is a fax");
  signer_->Sign(filed);
  ASSERT_TRUE(Verified(filed, signer_->public_key_pem()));

  v1::BatchVerdict refiled = filed;
  refiled.mutable_pages(2)->set_category("certificates");
  EXPECT_FALSE(VerifyVerdict(refiled, signer_->public_key_pem()).ok());
  v1::BatchVerdict other_clerk = filed;
  other_clerk.mutable_pages(2)->mutable_reasons(0)->set_waived_by("clerk-8");
  EXPECT_FALSE(VerifyVerdict(other_clerk, signer_->public_key_pem()).ok());
}

TEST_F(Signatures, AManifestSignedBeforeCategoriesWereCoveredStillVerifies) {
  v1::BatchVerdict older = verdict_;
  signer_->Sign(older, /*version=*/1);
  EXPECT_TRUE(Verified(older, signer_->public_key_pem()));
  EXPECT_NE(older.signature(), verdict_.signature());  // the current text differs
  older.mutable_pages(0)->set_sha256(std::string(64, 'f'));
  EXPECT_FALSE(VerifyVerdict(older, signer_->public_key_pem()).ok());
}

TEST_F(Signatures, AnotherServersKeyFails) {
  auto other = VerdictSigner::LoadOrCreate((dir_ / "other.pem").string());
  ASSERT_TRUE(other.ok()) << other.error().message;
  const Outcome verified = VerifyVerdict(verdict_, other.value()->public_key_pem());
  ASSERT_FALSE(verified.ok());
  EXPECT_NE(verified.error().message.find("not by this key"), std::string::npos)
      << verified.error().message;
}

TEST_F(Signatures, ThePayloadCannotBeForgedWithNewlinesInFields) {
  v1::BatchVerdict forged = verdict_;
  forged.set_batch_id("b-1\npage 9 " + std::string(64, 'z') + " ACCEPT");
  EXPECT_EQ(SignedPayload(forged).find("\npage 9"), std::string::npos);
}

}  // namespace
}  // namespace scangate
