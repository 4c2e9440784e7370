// CaManager with a disk upstream authority: SVIDs chain through our intermediate to the
// operator's root, which is what the bundle holds.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "server/ca/ca_manager.h"
#include "server/ca/ca_manager_internal.h"
#include "server/ca/ca_test_util.h"
#include "server/ca/upstream_test_util.h"
#include "sigil/x509_verify.h"

namespace sigil::server {
namespace {

using ::sigil::server::testing::BundleSetOf;
using ::sigil::server::testing::CaEnvironment;
using ::sigil::server::testing::IdInState;
using ::sigil::server::testing::SignTestLeaf;
using ::sigil::server::testing::TempDir;
using ::sigil::server::testing::UpstreamPki;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr AuthorityKind kX509 = AuthorityKind::kX509;
constexpr AuthorityState kActive = AuthorityState::kActive;

class CaUpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(StartWith(pki_.WriteRootFiles(files_dir_)).ok()); }

  absl::Status StartWith(const DiskUpstreamAuthorityFiles& files) {
    absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
        DiskUpstreamAuthority::Open(files, env_.clock().Now());
    if (!upstream.ok()) {
      return upstream.status();
    }
    return env_.Start({.upstream = *std::move(upstream)}).status();
  }

  CaManager& ca() { return env_.ca(); }

  CaEnvironment env_;
  TempDir files_dir_;
  UpstreamPki pki_ = UpstreamPki::Make();
};

TEST_F(CaUpstreamTest, BundleHoldsUpstreamRootOnly) {
  EXPECT_THAT(ca().Bundle()->x509_authorities(), ElementsAre(pki_.root.cert));
  EXPECT_THAT(ca().Bundle()->jwt_authorities(), SizeIs(1));
}

TEST_F(CaUpstreamTest, LeafChainIsLeafPlusOurIntermediate) {
  const Certificate ours = *ca().ActiveX509Ca();
  absl::StatusOr<std::vector<Certificate>> chain = SignTestLeaf(ca());
  ASSERT_TRUE(chain.ok()) << chain.status();
  ASSERT_THAT(*chain, SizeIs(2));
  EXPECT_EQ((*chain)[1], ours);

  absl::StatusOr<VerifiedX509Svid> verified =
      VerifyX509Svid(*chain, BundleSetOf(ca()), env_.clock().Now());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->path.back(), pki_.root.cert);
}

TEST_F(CaUpstreamTest, LeafWithoutIntermediateDoesNotVerify) {
  absl::StatusOr<std::vector<Certificate>> chain = SignTestLeaf(ca());
  ASSERT_TRUE(chain.ok());
  EXPECT_FALSE(VerifyX509Svid({chain->front()}, BundleSetOf(ca()), env_.clock().Now()).ok());
}

TEST_F(CaUpstreamTest, JournalRecordsUpstreamAuthorityIdAndChain) {
  const AuthorityRecord active = ca().List(kX509).front();
  EXPECT_FALSE(active.upstream_authority_id.empty());
  absl::StatusOr<std::vector<Certificate>> chain = ParseDerCertificates(active.certificate_der);
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->front(), *ca().ActiveX509Ca());
}

TEST_F(CaUpstreamTest, IntermediateUpstreamChainTravelsWithLeaf) {
  TempDir dir;
  ASSERT_TRUE(StartWith(pki_.WriteIntermediateFiles(dir)).ok());
  // A restart on the same datastore: the old self-chained CA of SetUp is replaced only when
  // it expires, so rotate to get a CA minted by the intermediate.
  ASSERT_TRUE(ca().Prepare(kX509).ok());
  ASSERT_TRUE(ca().Activate(kX509).ok());

  absl::StatusOr<std::vector<Certificate>> chain = SignTestLeaf(ca());
  ASSERT_TRUE(chain.ok()) << chain.status();
  ASSERT_THAT(*chain, SizeIs(3));
  EXPECT_EQ((*chain)[2], pki_.intermediate.cert);
  EXPECT_TRUE(VerifyX509Svid(*chain, BundleSetOf(ca()), env_.clock().Now()).ok());
}

TEST_F(CaUpstreamTest, RotationKeepsBundleOnUpstreamRoot) {
  const uint64_t sequence = ca().Bundle()->sequence_number().value_or(0);
  env_.clock().Set(ca_internal::PrepareTime(ca().List(kX509).front()));
  ASSERT_TRUE(ca().Tick().ok());
  ASSERT_EQ(ca().List(kX509).size(), 2u);
  EXPECT_THAT(ca().Bundle()->x509_authorities(), ElementsAre(pki_.root.cert));
  // The JWT key rotates on the same schedule, so the sequence may rise; the X.509 part of the
  // bundle does not change.
  EXPECT_GE(ca().Bundle()->sequence_number().value_or(0), sequence);
}

TEST_F(CaUpstreamTest, RevokeOfUpstreamMintedCaIsRefusedWithExplanation) {
  const std::string old = IdInState(ca(), kX509, kActive);
  ASSERT_TRUE(ca().Prepare(kX509).ok());
  ASSERT_TRUE(ca().Activate(kX509).ok());
  ASSERT_TRUE(ca().Taint(kX509, old).ok());

  absl::StatusOr<AuthorityRecord> revoked = ca().Revoke(kX509, old);
  EXPECT_EQ(revoked.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(revoked.status().message()), HasSubstr("upstream root"));
}

TEST_F(CaUpstreamTest, RestartKeepsUpstreamRootsFromStoredBundle) {
  const TrustBundle before = *ca().Bundle();
  // Without an upstream authority configured the roots come from the stored bundle alone.
  ASSERT_TRUE(env_.Start().ok());
  EXPECT_EQ(*ca().Bundle(), before);
  absl::StatusOr<std::vector<Certificate>> chain = SignTestLeaf(ca());
  ASSERT_TRUE(chain.ok());
  EXPECT_TRUE(VerifyX509Svid(*chain, BundleSetOf(ca()), env_.clock().Now()).ok());
}

TEST_F(CaUpstreamTest, UpstreamRootLeavesBundleAfterItExpiresPlusGrace) {
  // Run the rotation until the root is gone; the CA minted under it cannot outlive it.
  const absl::Time root_end = pki_.root.cert.not_after();
  env_.clock().Set(root_end + kDefaultOldAuthorityGrace);
  ASSERT_FALSE(ca().Tick().ok());  // nothing can be minted under an expired upstream
  const std::vector<Certificate>& roots = ca().Bundle()->x509_authorities();
  EXPECT_EQ(std::find(roots.begin(), roots.end(), pki_.root.cert), roots.end());
}

}  // namespace
}  // namespace sigil::server
