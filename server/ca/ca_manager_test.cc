// CaManager start, rotation, pruning, restart and signing, on a fake clock with a real SQLite
// datastore and disk key manager.
#include "server/ca/ca_manager.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "server/ca/ca_manager_internal.h"
#include "server/ca/ca_test_util.h"
#include "sigil/bundle.h"
#include "sigil/jwt_svid.h"
#include "sigil/x509_verify.h"

namespace sigil::server {
namespace {

using ::sigil::server::testing::BundleSetOf;
using ::sigil::server::testing::CaEnvironment;
using ::sigil::server::testing::CountInState;
using ::sigil::server::testing::IdInState;
using ::sigil::server::testing::NewTestKey;
using ::sigil::server::testing::SignTestLeaf;
using ::sigil::server::testing::StartOptions;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr AuthorityKind kX509 = AuthorityKind::kX509;
constexpr AuthorityKind kJwt = AuthorityKind::kJwt;
constexpr AuthorityState kActive = AuthorityState::kActive;
constexpr AuthorityState kPrepared = AuthorityState::kPrepared;
constexpr AuthorityState kOld = AuthorityState::kOld;

AuthorityRecord Only(const CaManager& ca, AuthorityKind kind, AuthorityState state) {
  for (const AuthorityRecord& record : ca.List(kind)) {
    if (record.state == state) {
      return record;
    }
  }
  ADD_FAILURE() << "no " << AuthorityKindName(kind) << " authority in state "
                << AuthorityStateName(state);
  return {};
}

uint64_t Sequence(const CaManager& ca) { return ca.Bundle()->sequence_number().value_or(0); }

// The CA certificate a leaf issued now chains to, as the verifier sees it.
absl::StatusOr<Certificate> IssuingCaOfNewLeaf(CaEnvironment& env) {
  absl::StatusOr<std::vector<Certificate>> chain = SignTestLeaf(env.ca());
  if (!chain.ok()) {
    return chain.status();
  }
  absl::StatusOr<VerifiedX509Svid> verified =
      VerifyX509Svid(*chain, *env.ca().Bundle(), env.clock().Now());
  if (!verified.ok()) {
    return verified.status();
  }
  return verified->path.back();
}

class CaManagerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_.Start().ok()); }

  // Moves the clock to `t` and ticks.
  void TickAt(absl::Time t) {
    env_.clock().Set(t);
    ASSERT_TRUE(env_.ca().Tick().ok());
  }

  CaManager& ca() { return env_.ca(); }

  CaEnvironment env_;
};

TEST_F(CaManagerTest, FirstStartCreatesActiveX509AndJwtAuthorities) {
  ASSERT_THAT(ca().List(kX509), SizeIs(1));
  ASSERT_THAT(ca().List(kJwt), SizeIs(1));
  EXPECT_EQ(ca().List(kX509)[0].state, kActive);
  EXPECT_EQ(ca().List(kJwt)[0].state, kActive);
}

// BUNDLE-03: the first bundle a trust domain publishes carries sequence number 1.
TEST_F(CaManagerTest, FirstStartStoresBundleWithSequenceOne) {
  std::shared_ptr<const TrustBundle> bundle = ca().Bundle();
  EXPECT_EQ(bundle->sequence_number(), 1u);
  EXPECT_THAT(bundle->x509_authorities(), SizeIs(1));
  EXPECT_THAT(bundle->jwt_authorities(), SizeIs(1));

  absl::StatusOr<BundleRecord> stored = env_.datastore().FetchBundle(testing::TestTrustDomain());
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->sequence_number, 1);
  absl::StatusOr<TrustBundle> parsed =
      ParseSpiffeBundle(testing::TestTrustDomain(), stored->document);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->x509_authorities(), bundle->x509_authorities());
  EXPECT_EQ(parsed->sequence_number(), 1u);
}

// BUNDLE-04: the stored bundle carries the configured refresh hint (default 5 minutes).
TEST_F(CaManagerTest, BundleCarriesDefaultRefreshHint) {
  EXPECT_EQ(ca().Bundle()->refresh_hint(), absl::Minutes(5));
}

TEST_F(CaManagerTest, ActiveX509CaIsSelfSignedRootInBundle) {
  absl::StatusOr<Certificate> active = ca().ActiveX509Ca();
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_TRUE(active->IsCa());
  EXPECT_EQ(active->UriSans(), std::vector<std::string>{"spiffe://example.org"});
  EXPECT_EQ(ca().Bundle()->x509_authorities().front(), *active);
  EXPECT_EQ(active->not_after() - active->not_before(), absl::Hours(24) + absl::Seconds(10));
}

TEST_F(CaManagerTest, TickBeforeHalfLifeChangesNothing) {
  const AuthorityRecord x509 = Only(ca(), kX509, kActive);
  const AuthorityRecord jwt = Only(ca(), kJwt, kActive);
  TickAt(std::min(ca_internal::PrepareTime(x509), ca_internal::PrepareTime(jwt)) -
         absl::Seconds(1));

  EXPECT_THAT(ca().List(kX509), SizeIs(1));
  EXPECT_THAT(ca().List(kJwt), SizeIs(1));
  EXPECT_EQ(Sequence(ca()), 1u);
}

// BUNDLE-15: the next CA is added to the bundle ahead of use, with a new sequence number.
TEST_F(CaManagerTest, TickAtHalfLifePreparesNextX509CaAndPublishesIt) {
  const AuthorityRecord active = Only(ca(), kX509, kActive);
  TickAt(ca_internal::PrepareTime(active));

  ASSERT_EQ(CountInState(ca(), kX509, kPrepared), 1);
  EXPECT_EQ(IdInState(ca(), kX509, kActive), active.authority_id);
  EXPECT_THAT(ca().Bundle()->x509_authorities(), SizeIs(2));
  EXPECT_EQ(Sequence(ca()), 2u);
  absl::StatusOr<BundleRecord> stored = env_.datastore().FetchBundle(testing::TestTrustDomain());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->sequence_number, 2);
}

TEST_F(CaManagerTest, TickAtHalfLifePreparesNextJwtKeyAndPublishesIt) {
  const AuthorityRecord active = Only(ca(), kJwt, kActive);
  TickAt(ca_internal::PrepareTime(active));

  const std::string prepared = IdInState(ca(), kJwt, kPrepared);
  ASSERT_FALSE(prepared.empty());
  EXPECT_NE(ca().Bundle()->FindJwtAuthority(prepared), nullptr);
  EXPECT_NE(ca().Bundle()->FindJwtAuthority(active.authority_id), nullptr);
}

TEST_F(CaManagerTest, PreparedAuthorityDoesNotSignBeforeActivation) {
  const Certificate first = *ca().ActiveX509Ca();
  TickAt(ca_internal::PrepareTime(Only(ca(), kX509, kActive)));

  absl::StatusOr<Certificate> issuer = IssuingCaOfNewLeaf(env_);
  ASSERT_TRUE(issuer.ok()) << issuer.status();
  EXPECT_EQ(*issuer, first);
}

TEST_F(CaManagerTest, TickAtFiveSixthsActivatesPreparedX509Ca) {
  const AuthorityRecord first = Only(ca(), kX509, kActive);
  TickAt(ca_internal::PrepareTime(first));
  const std::string next = IdInState(ca(), kX509, kPrepared);
  TickAt(ca_internal::ActivateTime(first) - absl::Seconds(1));
  EXPECT_EQ(IdInState(ca(), kX509, kActive), first.authority_id);

  TickAt(ca_internal::ActivateTime(first));
  EXPECT_EQ(IdInState(ca(), kX509, kActive), next);
  EXPECT_EQ(IdInState(ca(), kX509, kOld), first.authority_id);
  absl::StatusOr<Certificate> issuer = IssuingCaOfNewLeaf(env_);
  ASSERT_TRUE(issuer.ok()) << issuer.status();
  EXPECT_EQ(*issuer, *ca().ActiveX509Ca());
  EXPECT_NE(issuer->der(), first.certificate_der);
}

TEST_F(CaManagerTest, TickAtFiveSixthsActivatesPreparedJwtKey) {
  const AuthorityRecord first = Only(ca(), kJwt, kActive);
  TickAt(ca_internal::PrepareTime(first));
  const std::string next = IdInState(ca(), kJwt, kPrepared);
  TickAt(ca_internal::ActivateTime(first));

  EXPECT_EQ(IdInState(ca(), kJwt, kActive), next);
  absl::StatusOr<SpiffeId> sub = SpiffeId::Parse("spiffe://example.org/workload");
  absl::StatusOr<SecretBytes> token = ca().SignJwtSvid(
      {.subject = *sub, .audiences = {"aud"}, .expires_at = env_.clock().Now() + absl::Minutes(5)});
  ASSERT_TRUE(token.ok()) << token.status();
  absl::StatusOr<JwtSvid> svid = ValidateJwtSvid(
      token->view(), BundleSetOf(ca()), std::vector<std::string>{"aud"}, env_.clock().Now());
  ASSERT_TRUE(svid.ok()) << svid.status();
  EXPECT_EQ(svid->key_id, next);
}

// The old CA stays in the bundle until notAfter + grace (BUNDLE-15), then leaves the bundle,
// the journal and the key manager.
TEST_F(CaManagerTest, OldX509CaIsPrunedAfterNotAfterPlusGrace) {
  const AuthorityRecord first = Only(ca(), kX509, kActive);
  TickAt(ca_internal::PrepareTime(first));
  TickAt(ca_internal::ActivateTime(first));
  const Certificate first_cert = *ParseDerCertificates(first.certificate_der)->begin();

  TickAt(first.not_after + kDefaultOldAuthorityGrace - absl::Seconds(1));
  EXPECT_EQ(IdInState(ca(), kX509, kOld), first.authority_id);
  const std::vector<Certificate>& before = ca().Bundle()->x509_authorities();
  EXPECT_NE(std::find(before.begin(), before.end(), first_cert), before.end());
  const uint64_t sequence_before = Sequence(ca());

  TickAt(first.not_after + kDefaultOldAuthorityGrace);
  for (const AuthorityRecord& record : ca().List(kX509)) {
    EXPECT_NE(record.authority_id, first.authority_id);
  }
  const std::vector<Certificate>& after = ca().Bundle()->x509_authorities();
  EXPECT_EQ(std::find(after.begin(), after.end(), first_cert), after.end());
  EXPECT_GT(Sequence(ca()), sequence_before);
  EXPECT_TRUE(
      absl::IsNotFound(env_.datastore().FetchAuthority(kX509, first.authority_id).status()));
}

TEST_F(CaManagerTest, PrunedAuthorityKeyIsGoneFromKeyManager) {
  const AuthorityRecord first = Only(ca(), kJwt, kActive);
  absl::StatusOr<std::unique_ptr<DiskKeyManager>> keys = DiskKeyManager::Open(env_.key_dir());
  ASSERT_TRUE(keys.ok());
  const PublicKey first_key = *PublicKey::FromSpkiDer(first.public_key_der);
  // Activation at 5/6 of the first key's life, then pruning once it is past notAfter + grace;
  // the clock jumps straight there, so its slot is not reused by a third key in between.
  TickAt(ca_internal::PrepareTime(first));
  TickAt(ca_internal::ActivateTime(first));
  TickAt(first.not_after + kDefaultOldAuthorityGrace);

  for (std::string_view slot : ca_internal::KeySlots(kJwt)) {
    absl::StatusOr<PrivateKey> key = (*keys)->GetKey(slot);
    if (key.ok()) {
      EXPECT_FALSE(key->Matches(first_key)) << "slot " << slot << " still holds the pruned key";
    }
  }
}

// BUNDLE-03: over three days of rotations every stored bundle has the next sequence number,
// and at every moment one authority of each kind is active and a new leaf verifies.
TEST_F(CaManagerTest, SequenceNumbersRiseByOneOnEveryChangeOverDaysOfRotation) {
  std::vector<uint64_t> published;
  ca().Subscribe([&](const std::shared_ptr<const TrustBundle>& bundle) {
    published.push_back(bundle->sequence_number().value_or(0));
  });
  const absl::Time start = env_.clock().Now();
  for (absl::Time t = start; t < start + absl::Hours(72); t += absl::Minutes(10)) {
    TickAt(t);
    ASSERT_EQ(CountInState(ca(), kX509, kActive), 1) << t;
    ASSERT_EQ(CountInState(ca(), kJwt, kActive), 1) << t;
    ASSERT_LE(CountInState(ca(), kX509, kPrepared), 1) << t;
    ASSERT_TRUE(IssuingCaOfNewLeaf(env_).ok()) << t;
  }

  ASSERT_GE(published.size(), 10u);
  for (size_t i = 0; i < published.size(); ++i) {
    EXPECT_EQ(published[i], i + 2) << "bundle change " << i;
  }
  absl::StatusOr<BundleRecord> stored = env_.datastore().FetchBundle(testing::TestTrustDomain());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(static_cast<uint64_t>(stored->sequence_number), published.back());
}

TEST_F(CaManagerTest, BundleNeverHoldsMoreThanActivePreparedAndUnexpiredOld) {
  const absl::Time start = env_.clock().Now();
  for (absl::Time t = start; t < start + absl::Hours(96); t += absl::Minutes(30)) {
    TickAt(t);
    // At most: one active, one prepared, and the previous active still inside notAfter+grace.
    EXPECT_LE(ca().Bundle()->x509_authorities().size(), 3u) << t;
    EXPECT_LE(ca().Bundle()->jwt_authorities().size(), 3u) << t;
  }
}

// Signing reads a snapshot while Tick replaces it: under a rotation running concurrently, every
// signature succeeds and every leaf verifies against the bundle published after it was signed,
// at the moment it was signed. The clock moves in steps shorter than the grace, and the main
// thread waits for each worker to finish an iteration per step, so no CA can be pruned between
// a worker's signature and its check.
TEST_F(CaManagerTest, SigningDuringRotationAlwaysGivesLeavesTheBundleTrusts) {
  constexpr int kWorkers = 2;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::array<std::atomic<int>, kWorkers> done{};
  auto worker = [&](int index) {
    while (!stop.load()) {
      absl::StatusOr<std::vector<Certificate>> chain = SignTestLeaf(ca());
      if (!chain.ok()) {
        failures.fetch_add(1);
      } else {
        const absl::Time signed_at = chain->front().not_before() + kX509Backdate;
        if (!VerifyX509Svid(*chain, *ca().Bundle(), signed_at).ok()) {
          failures.fetch_add(1);
        }
      }
      done[index].fetch_add(1);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kWorkers; ++i) {
    threads.emplace_back(worker, i);
  }

  const std::string first_ca = IdInState(ca(), kX509, kActive);
  const absl::Time start = env_.clock().Now();
  for (absl::Time t = start; t < start + absl::Hours(48); t += absl::Minutes(30)) {
    std::array<int, kWorkers> seen;
    for (int i = 0; i < kWorkers; ++i) {
      seen[i] = done[i].load();
    }
    env_.clock().Set(t);
    const absl::Status ticked = ca().Tick();
    EXPECT_TRUE(ticked.ok()) << ticked;
    for (int i = 0; i < kWorkers; ++i) {
      while (done[i].load() < seen[i] + 2) {
        std::this_thread::yield();
      }
    }
  }
  stop.store(true);
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);
  // Rotations did happen while the workers signed: the CA of the start is long gone.
  EXPECT_EQ(CountInState(ca(), kX509, kActive), 1);
  for (const AuthorityRecord& record : ca().List(kX509)) {
    EXPECT_NE(record.authority_id, first_ca);
  }
}

TEST_F(CaManagerTest, SubscribersSeeEveryBundleChange) {
  std::vector<std::shared_ptr<const TrustBundle>> seen;
  ca().Subscribe([&](const std::shared_ptr<const TrustBundle>& b) { seen.push_back(b); });
  TickAt(ca_internal::PrepareTime(Only(ca(), kX509, kActive)));

  ASSERT_THAT(seen, SizeIs(1));
  EXPECT_EQ(seen[0]->sequence_number(), 2u);
  EXPECT_EQ(seen[0], ca().Bundle());
}

TEST_F(CaManagerTest, RestartRestoresAuthoritiesBundleAndKeys) {
  TickAt(ca_internal::PrepareTime(Only(ca(), kX509, kActive)));
  const std::vector<AuthorityRecord> x509_before = ca().List(kX509);
  const std::vector<AuthorityRecord> jwt_before = ca().List(kJwt);
  const TrustBundle bundle_before = *ca().Bundle();
  const Certificate active_before = *ca().ActiveX509Ca();

  ASSERT_TRUE(env_.Start().ok());

  ASSERT_THAT(ca().List(kX509), SizeIs(x509_before.size()));
  for (size_t i = 0; i < x509_before.size(); ++i) {
    EXPECT_EQ(ca().List(kX509)[i].authority_id, x509_before[i].authority_id);
    EXPECT_EQ(ca().List(kX509)[i].state, x509_before[i].state);
  }
  ASSERT_THAT(ca().List(kJwt), SizeIs(jwt_before.size()));
  EXPECT_EQ(ca().List(kJwt)[0].authority_id, jwt_before[0].authority_id);
  EXPECT_EQ(*ca().Bundle(), bundle_before);
  EXPECT_EQ(*ca().ActiveX509Ca(), active_before);
  absl::StatusOr<Certificate> issuer = IssuingCaOfNewLeaf(env_);
  ASSERT_TRUE(issuer.ok()) << issuer.status();
  EXPECT_EQ(*issuer, active_before);
}

TEST_F(CaManagerTest, RestartKeepsPreparedAuthorityAndActivatesItOnSchedule) {
  const AuthorityRecord first = Only(ca(), kX509, kActive);
  TickAt(ca_internal::PrepareTime(first));
  const std::string prepared = IdInState(ca(), kX509, kPrepared);

  ASSERT_TRUE(env_.Start().ok());
  TickAt(ca_internal::ActivateTime(first));

  EXPECT_EQ(IdInState(ca(), kX509, kActive), prepared);
  absl::StatusOr<Certificate> issuer = IssuingCaOfNewLeaf(env_);
  ASSERT_TRUE(issuer.ok()) << issuer.status();
}

TEST_F(CaManagerTest, RestartWithoutChangesKeepsSequenceNumber) {
  ASSERT_TRUE(env_.Start().ok());
  ASSERT_TRUE(env_.Start().ok());
  EXPECT_EQ(Sequence(ca()), 1u);
}

TEST_F(CaManagerTest, RestartWithLostKeysRetiresAuthoritiesAndMakesNewOnes) {
  const std::string first = IdInState(ca(), kX509, kActive);
  const std::string first_jwt = IdInState(ca(), kJwt, kActive);
  ASSERT_TRUE(env_.Start({.memory_keys = true}).ok());

  EXPECT_EQ(IdInState(ca(), kX509, kOld), first);
  EXPECT_EQ(IdInState(ca(), kJwt, kOld), first_jwt);
  EXPECT_NE(IdInState(ca(), kX509, kActive), "");
  EXPECT_NE(IdInState(ca(), kX509, kActive), first);
  // The lost CA may still have SVIDs out there: it stays trusted until it expires.
  EXPECT_THAT(ca().Bundle()->x509_authorities(), SizeIs(2));
  EXPECT_EQ(Sequence(ca()), 2u);
}

TEST_F(CaManagerTest, RestartAfterExpiryReplacesActiveAuthorityAtOnce) {
  const AuthorityRecord first = Only(ca(), kX509, kActive);
  env_.Stop();
  env_.clock().Set(first.not_after + absl::Hours(1));
  ASSERT_TRUE(env_.Start().ok());

  const AuthorityRecord active = Only(ca(), kX509, kActive);
  EXPECT_NE(active.authority_id, first.authority_id);
  EXPECT_GT(active.not_after, env_.clock().Now());
  EXPECT_TRUE(IssuingCaOfNewLeaf(env_).ok());
}

// A crash between the two journal writes of an activation leaves two active authorities; the
// newer one keeps signing after a restart.
TEST_F(CaManagerTest, RestartAfterInterruptedActivationKeepsNewestActive) {
  TickAt(ca_internal::PrepareTime(Only(ca(), kX509, kActive)));
  AuthorityRecord prepared = Only(ca(), kX509, kPrepared);
  const std::string first = IdInState(ca(), kX509, kActive);
  env_.Stop();
  prepared.state = kActive;
  ASSERT_TRUE(env_.datastore().UpsertAuthority(prepared).ok());

  ASSERT_TRUE(env_.Start().ok());
  EXPECT_EQ(IdInState(ca(), kX509, kActive), prepared.authority_id);
  EXPECT_EQ(IdInState(ca(), kX509, kOld), first);
}

TEST_F(CaManagerTest, RestartRefusesUnparsableJournalRecord) {
  AuthorityRecord active = Only(ca(), kX509, kActive);
  env_.Stop();
  active.certificate_der = "not a certificate";
  ASSERT_TRUE(env_.datastore().UpsertAuthority(active).ok());

  absl::StatusOr<CaManager*> restarted = env_.Start();
  ASSERT_FALSE(restarted.ok());
  EXPECT_EQ(restarted.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(restarted.status().message()), HasSubstr(active.authority_id));
}

// X509-12 / ARCHITECTURE 5: notAfter is capped at the signing CA's notAfter.
TEST_F(CaManagerTest, LeafTtlIsCappedAtCaNotAfter) {
  const Certificate ca_cert = *ca().ActiveX509Ca();
  absl::StatusOr<std::vector<Certificate>> chain = SignTestLeaf(ca(), absl::Hours(48));
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->front().not_after(), ca_cert.not_after());
}

TEST_F(CaManagerTest, LeafTtlBelowCaLifeIsKept) {
  absl::StatusOr<std::vector<Certificate>> chain = SignTestLeaf(ca(), absl::Hours(1));
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->front().not_after(), env_.clock().Now() + absl::Hours(1));
}

TEST_F(CaManagerTest, X509SvidFromSpkiVerifiesAgainstBundle) {
  const PrivateKey key = NewTestKey();
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse("spiffe://example.org/db");
  absl::StatusOr<IssuedX509Svid> svid =
      ca().SignX509Svid({.spiffe_id = *id}, key.public_key().ToSpkiDer());
  ASSERT_TRUE(svid.ok()) << svid.status();
  EXPECT_TRUE(svid->intermediates.empty());
  EXPECT_EQ(svid->authority_id, IdInState(ca(), kX509, kActive));

  absl::StatusOr<VerifiedX509Svid> verified =
      VerifyX509Svid({*svid->leaf.ToCertificate()}, BundleSetOf(ca()), env_.clock().Now());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->spiffe_id, *id);
}

TEST_F(CaManagerTest, X509SvidForAnotherTrustDomainIsRefused) {
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse("spiffe://other.org/db");
  absl::StatusOr<IssuedX509Svid> svid =
      ca().SignX509SvidForKey({.spiffe_id = *id}, NewTestKey().public_key());
  EXPECT_EQ(svid.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CaManagerTest, JwtSvidValidatesAgainstBundleWithActiveKid) {
  absl::StatusOr<SpiffeId> sub = SpiffeId::Parse("spiffe://example.org/web");
  absl::StatusOr<SecretBytes> token = ca().SignJwtSvid(
      {.subject = *sub, .audiences = {"db"}, .expires_at = env_.clock().Now() + absl::Minutes(5)});
  ASSERT_TRUE(token.ok()) << token.status();

  absl::StatusOr<JwtSvid> svid = ValidateJwtSvid(
      token->view(), BundleSetOf(ca()), std::vector<std::string>{"db"}, env_.clock().Now());
  ASSERT_TRUE(svid.ok()) << svid.status();
  EXPECT_EQ(svid->spiffe_id, *sub);
  EXPECT_EQ(svid->key_id, IdInState(ca(), kJwt, kActive));
}

TEST_F(CaManagerTest, JwtSvidExpiryIsCappedAtKeyNotAfter) {
  const AuthorityRecord key = Only(ca(), kJwt, kActive);
  absl::StatusOr<SpiffeId> sub = SpiffeId::Parse("spiffe://example.org/web");
  absl::StatusOr<SecretBytes> token = ca().SignJwtSvid(
      {.subject = *sub, .audiences = {"db"}, .expires_at = env_.clock().Now() + absl::Hours(48)});
  ASSERT_TRUE(token.ok()) << token.status();

  absl::StatusOr<UnverifiedJwt> decoded = ParseJwtSvidInsecure(token->view());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->claims["exp"].get<int64_t>(), absl::ToUnixSeconds(key.not_after));
}

TEST_F(CaManagerTest, JwtKidIsRandomHex) {
  const std::string kid = IdInState(ca(), kJwt, kActive);
  EXPECT_EQ(kid.size(), 32u);
  EXPECT_EQ(kid.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST_F(CaManagerTest, X509AuthorityIdIsSubjectKeyIdOfCa) {
  const AuthorityRecord active = Only(ca(), kX509, kActive);
  // SHA-1 key identifiers: 20 bytes, 40 hex digits.
  EXPECT_EQ(active.authority_id.size(), 40u);
  EXPECT_TRUE(active.upstream_authority_id.empty());
}

TEST(CaManagerConfigTest, RefusesMissingDatastore) {
  testing::FakeClock clock;
  absl::StatusOr<std::unique_ptr<CaManager>> ca = CaManager::Create(CaManagerConfig{
      .trust_domain = testing::TestTrustDomain(),
      .key_manager = std::make_unique<MemoryKeyManager>(),
      .clock = clock.AsFunction(),
  });
  EXPECT_EQ(ca.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ca.status().message()), HasSubstr("datastore"));
}

TEST(CaManagerConfigTest, RefusesNonPositiveCaTtl) {
  CaEnvironment env;
  absl::StatusOr<CaManager*> ca = env.Start({.ca_ttl = absl::ZeroDuration()});
  EXPECT_EQ(ca.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ca.status().message()), HasSubstr("ca_ttl"));
}

TEST(CaManagerConfigTest, ShortCaTtlRotatesOnItsOwnSchedule) {
  CaEnvironment env;
  ASSERT_TRUE(env.Start({.ca_ttl = absl::Hours(6)}).ok());
  const AuthorityRecord first = Only(env.ca(), kJwt, kActive);
  EXPECT_EQ(first.not_after - first.not_before, absl::Hours(6));
  env.clock().Set(first.not_before + absl::Hours(3));
  ASSERT_TRUE(env.ca().Tick().ok());
  EXPECT_EQ(CountInState(env.ca(), kJwt, kPrepared), 1);
}

}  // namespace
}  // namespace sigil::server
