// The operator's controls: prepare, activate, taint and revoke, their rules and their errors.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "server/ca/ca_manager.h"
#include "server/ca/ca_manager_internal.h"
#include "server/ca/ca_test_util.h"
#include "server/ca/key_manager.h"
#include "sigil/jwt_svid.h"
#include "sigil/x509_verify.h"

namespace sigil::server {
namespace {

using ::sigil::server::testing::BundleSetOf;
using ::sigil::server::testing::CaEnvironment;
using ::sigil::server::testing::CountInState;
using ::sigil::server::testing::IdInState;
using ::sigil::server::testing::SignTestLeaf;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr AuthorityKind kX509 = AuthorityKind::kX509;
constexpr AuthorityKind kJwt = AuthorityKind::kJwt;
constexpr AuthorityState kActive = AuthorityState::kActive;
constexpr AuthorityState kPrepared = AuthorityState::kPrepared;
constexpr AuthorityState kOld = AuthorityState::kOld;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

class CaControlTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_.Start().ok()); }

  CaManager& ca() { return env_.ca(); }

  // Prepare and activate by hand: the previous active authority becomes old.
  std::string Rotate(AuthorityKind kind) {
    const std::string previous = IdInState(ca(), kind, kActive);
    EXPECT_TRUE(ca().Prepare(kind).ok());
    EXPECT_TRUE(ca().Activate(kind).ok());
    return previous;
  }

  uint64_t Sequence() { return ca().Bundle()->sequence_number().value_or(0); }

  CaEnvironment env_;
};

TEST_F(CaControlTest, PrepareAddsPreparedAuthorityToBundle) {
  absl::StatusOr<AuthorityRecord> prepared = ca().Prepare(kX509);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_EQ(prepared->state, kPrepared);
  EXPECT_THAT(ca().Bundle()->x509_authorities(), SizeIs(2));
  EXPECT_EQ(Sequence(), 2u);
}

TEST_F(CaControlTest, PrepareIsRefusedWhileOneIsPrepared) {
  absl::StatusOr<AuthorityRecord> first = ca().Prepare(kJwt);
  ASSERT_TRUE(first.ok());
  absl::StatusOr<AuthorityRecord> second = ca().Prepare(kJwt);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(second.status()), HasSubstr(first->authority_id));
  EXPECT_THAT(Message(second.status()), HasSubstr("already prepared"));
}

TEST_F(CaControlTest, ActivateMakesPreparedActiveAndActiveOld) {
  const std::string first = IdInState(ca(), kX509, kActive);
  absl::StatusOr<AuthorityRecord> prepared = ca().Prepare(kX509);
  ASSERT_TRUE(prepared.ok());

  absl::StatusOr<AuthorityRecord> activated = ca().Activate(kX509, prepared->authority_id);
  ASSERT_TRUE(activated.ok()) << activated.status();
  EXPECT_EQ(activated->state, kActive);
  EXPECT_EQ(IdInState(ca(), kX509, kActive), prepared->authority_id);
  EXPECT_EQ(IdInState(ca(), kX509, kOld), first);
}

TEST_F(CaControlTest, ActivateWithoutPreparedAuthorityIsRefused) {
  absl::StatusOr<AuthorityRecord> activated = ca().Activate(kX509);
  EXPECT_EQ(activated.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(activated.status()), HasSubstr("no x509 authority is prepared"));
}

TEST_F(CaControlTest, ActivateOfNonPreparedIdIsRefused) {
  ASSERT_TRUE(ca().Prepare(kX509).ok());
  const std::string active = IdInState(ca(), kX509, kActive);
  absl::StatusOr<AuthorityRecord> activated = ca().Activate(kX509, active);
  EXPECT_EQ(activated.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(activated.status()), HasSubstr("only the prepared authority"));
}

TEST_F(CaControlTest, ActivateOfUnknownIdIsNotFound) {
  ASSERT_TRUE(ca().Prepare(kX509).ok());
  EXPECT_EQ(ca().Activate(kX509, "0123").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CaControlTest, TaintOfActiveAuthorityIsRefusedWithRotateAdvice) {
  absl::StatusOr<AuthorityRecord> tainted = ca().Taint(kX509, IdInState(ca(), kX509, kActive));
  EXPECT_EQ(tainted.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(tainted.status()), HasSubstr("is active"));
  EXPECT_THAT(Message(tainted.status()), HasSubstr("rotate first"));
}

TEST_F(CaControlTest, TaintOfPreparedAuthorityIsRefused) {
  absl::StatusOr<AuthorityRecord> prepared = ca().Prepare(kX509);
  ASSERT_TRUE(prepared.ok());
  absl::StatusOr<AuthorityRecord> tainted = ca().Taint(kX509, prepared->authority_id);
  EXPECT_EQ(tainted.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(tainted.status()), HasSubstr("revoke it instead"));
}

TEST_F(CaControlTest, TaintWithoutIdNeedsAnOldAuthority) {
  absl::StatusOr<AuthorityRecord> tainted = ca().Taint(kX509);
  EXPECT_EQ(tainted.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(tainted.status()), HasSubstr("no old x509 authority"));
}

TEST_F(CaControlTest, TaintWithoutIdPicksTheOnlyOldAuthority) {
  const std::string old = Rotate(kX509);
  absl::StatusOr<AuthorityRecord> tainted = ca().Taint(kX509);
  ASSERT_TRUE(tainted.ok()) << tainted.status();
  EXPECT_EQ(tainted->authority_id, old);
  EXPECT_TRUE(tainted->tainted);
}

TEST_F(CaControlTest, TaintWithoutIdAmongSeveralOldAuthoritiesNamesThem) {
  const std::string first = Rotate(kJwt);
  const std::string second = Rotate(kJwt);
  absl::StatusOr<AuthorityRecord> tainted = ca().Taint(kJwt);
  EXPECT_EQ(tainted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(tainted.status()), HasSubstr(first));
  EXPECT_THAT(Message(tainted.status()), HasSubstr(second));
}

TEST_F(CaControlTest, TaintTwiceIsRefused) {
  Rotate(kX509);
  ASSERT_TRUE(ca().Taint(kX509).ok());
  absl::StatusOr<AuthorityRecord> again = ca().Taint(kX509);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(again.status()), HasSubstr("already tainted"));
}

TEST_F(CaControlTest, TaintOfUnknownIdIsNotFound) {
  EXPECT_EQ(ca().Taint(kX509, "ffff").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CaControlTest, TaintedAuthorityIsListedAndReported) {
  const std::string old = Rotate(kX509);
  ASSERT_TRUE(ca().Taint(kX509).ok());

  std::vector<AuthorityRecord> tainted = ca().TaintedAuthorities();
  ASSERT_THAT(tainted, SizeIs(1));
  EXPECT_EQ(tainted[0].authority_id, old);
  for (const AuthorityRecord& record : ca().List(kX509)) {
    EXPECT_EQ(record.tainted, record.authority_id == old);
  }
}

// A taint changes nothing in the SPIFFE bundle (it has no field for it), but subscribers are
// told so that the sync layer can push it.
TEST_F(CaControlTest, TaintNotifiesSubscribersWithoutNewSequence) {
  Rotate(kX509);
  const uint64_t before = Sequence();
  int calls = 0;
  ca().Subscribe([&](const std::shared_ptr<const TrustBundle>&) { ++calls; });
  ASSERT_TRUE(ca().Taint(kX509).ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Sequence(), before);
}

TEST_F(CaControlTest, TaintSurvivesRestart) {
  const std::string old = Rotate(kX509);
  ASSERT_TRUE(ca().Taint(kX509).ok());
  ASSERT_TRUE(env_.Start().ok());
  ASSERT_THAT(ca().TaintedAuthorities(), SizeIs(1));
  EXPECT_EQ(ca().TaintedAuthorities()[0].authority_id, old);
}

TEST_F(CaControlTest, RevokeOfActiveAuthorityIsRefused) {
  absl::StatusOr<AuthorityRecord> revoked = ca().Revoke(kJwt, IdInState(ca(), kJwt, kActive));
  EXPECT_EQ(revoked.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(revoked.status()), HasSubstr("is active and cannot be revoked"));
}

TEST_F(CaControlTest, RevokeOfUntaintedOldX509AuthorityIsRefused) {
  Rotate(kX509);
  absl::StatusOr<AuthorityRecord> revoked = ca().Revoke(kX509);
  EXPECT_EQ(revoked.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(revoked.status()), HasSubstr("not tainted; taint it first"));
  EXPECT_THAT(Message(revoked.status()), HasSubstr("SPIRE"));
}

TEST_F(CaControlTest, RevokeRemovesTaintedX509AuthorityFromBundleAndJournal) {
  absl::StatusOr<std::vector<Certificate>> leaf = SignTestLeaf(ca());
  ASSERT_TRUE(leaf.ok());
  const Certificate old_cert = *ca().ActiveX509Ca();
  const std::string old = Rotate(kX509);
  ASSERT_TRUE(ca().Taint(kX509).ok());
  const uint64_t before = Sequence();

  absl::StatusOr<AuthorityRecord> revoked = ca().Revoke(kX509);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->authority_id, old);
  const std::vector<Certificate>& roots = ca().Bundle()->x509_authorities();
  EXPECT_EQ(std::find(roots.begin(), roots.end(), old_cert), roots.end());
  EXPECT_EQ(Sequence(), before + 1);
  EXPECT_EQ(CountInState(ca(), kX509, kOld), 0);
  EXPECT_TRUE(absl::IsNotFound(env_.datastore().FetchAuthority(kX509, old).status()));
  EXPECT_TRUE(ca().TaintedAuthorities().empty());
  // What the revoked CA signed is no longer trusted.
  EXPECT_EQ(VerifyX509Svid(*leaf, BundleSetOf(ca()), env_.clock().Now()).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(CaControlTest, RevokedAuthorityStaysGoneAfterRestart) {
  const std::string old = Rotate(kX509);
  ASSERT_TRUE(ca().Taint(kX509).ok());
  ASSERT_TRUE(ca().Revoke(kX509).ok());
  const uint64_t sequence = Sequence();
  ASSERT_TRUE(env_.Start().ok());
  for (const AuthorityRecord& record : ca().List(kX509)) {
    EXPECT_NE(record.authority_id, old);
  }
  EXPECT_EQ(Sequence(), sequence);
}

TEST_F(CaControlTest, RevokeOfPreparedX509AuthorityNeedsNoTaint) {
  absl::StatusOr<AuthorityRecord> prepared = ca().Prepare(kX509);
  ASSERT_TRUE(prepared.ok());
  absl::StatusOr<AuthorityRecord> revoked = ca().Revoke(kX509, prepared->authority_id);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(CountInState(ca(), kX509, kPrepared), 0);
  EXPECT_THAT(ca().Bundle()->x509_authorities(), SizeIs(1));
  // The next Tick past half life prepares a new one.
  env_.clock().Set(ca_internal::PrepareTime(ca().List(kX509)[0]));
  ASSERT_TRUE(ca().Tick().ok());
  EXPECT_EQ(CountInState(ca(), kX509, kPrepared), 1);
}

TEST_F(CaControlTest, RevokeOfOldJwtKeyNeedsNoTaintAndInvalidatesItsTokens) {
  absl::StatusOr<SpiffeId> sub = SpiffeId::Parse("spiffe://example.org/web");
  absl::StatusOr<SecretBytes> token = ca().SignJwtSvid(
      {.subject = *sub, .audiences = {"db"}, .expires_at = env_.clock().Now() + absl::Minutes(5)});
  ASSERT_TRUE(token.ok());
  const std::string old = Rotate(kJwt);
  ASSERT_TRUE(ValidateJwtSvid(token->view(), BundleSetOf(ca()), std::vector<std::string>{"db"},
                              env_.clock().Now())
                  .ok());

  absl::StatusOr<AuthorityRecord> revoked = ca().Revoke(kJwt);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->authority_id, old);
  EXPECT_EQ(ca().Bundle()->FindJwtAuthority(old), nullptr);
  EXPECT_EQ(ValidateJwtSvid(token->view(), BundleSetOf(ca()), std::vector<std::string>{"db"},
                            env_.clock().Now())
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(CaControlTest, RevokeOfUnknownIdIsNotFound) {
  EXPECT_EQ(ca().Revoke(kJwt, "nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CaControlTest, RevokeRemovesPreparedKeyFromKeyManager) {
  absl::StatusOr<AuthorityRecord> prepared = ca().Prepare(kJwt);
  ASSERT_TRUE(prepared.ok());
  const PublicKey key = *PublicKey::FromSpkiDer(prepared->public_key_der);
  ASSERT_TRUE(ca().Revoke(kJwt, prepared->authority_id).ok());

  absl::StatusOr<std::unique_ptr<DiskKeyManager>> keys = DiskKeyManager::Open(env_.key_dir());
  ASSERT_TRUE(keys.ok());
  for (std::string_view slot : ca_internal::KeySlots(kJwt)) {
    absl::StatusOr<PrivateKey> stored = (*keys)->GetKey(slot);
    EXPECT_FALSE(stored.ok() && stored->Matches(key)) << slot;
  }
}

// A crash after the journal marked an authority revoked, before it was removed, is finished by
// the next start.
TEST_F(CaControlTest, InterruptedRevocationIsFinishedAtStart) {
  const std::string old = Rotate(kX509);
  absl::StatusOr<AuthorityRecord> record = env_.datastore().FetchAuthority(kX509, old);
  ASSERT_TRUE(record.ok());
  env_.Stop();
  record->tainted = true;
  record->revoked = true;
  ASSERT_TRUE(env_.datastore().UpsertAuthority(*record).ok());

  ASSERT_TRUE(env_.Start().ok());
  EXPECT_EQ(CountInState(ca(), kX509, kOld), 0);
  EXPECT_THAT(ca().Bundle()->x509_authorities(), SizeIs(1));
  EXPECT_TRUE(absl::IsNotFound(env_.datastore().FetchAuthority(kX509, old).status()));
}

}  // namespace
}  // namespace sigil::server
