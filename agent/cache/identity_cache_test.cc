#include "agent/cache/identity_cache.h"

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "agent/testing/test_authority.h"

namespace sigil::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

template <typename T>
T Must(absl::StatusOr<T> v) {
  EXPECT_TRUE(v.ok()) << v.status();
  return *std::move(v);
}

TrustDomain Td(std::string_view name) { return Must(TrustDomain::FromString(name)); }
SpiffeId Id(std::string_view id) { return Must(SpiffeId::Parse(id)); }

Selector Sel(std::string value) { return Selector{"unix", std::move(value)}; }

AgentEntry Entry(std::string id, std::string spiffe_id, std::vector<Selector> selectors,
                 absl::Time created_at = kNow) {
  return AgentEntry{.entry_id = std::move(id),
                    .spiffe_id = Id(spiffe_id),
                    .selectors = std::move(selectors),
                    .revision = 1,
                    .created_at = created_at};
}

std::vector<std::string> SpiffeIdsOf(const WorkloadView& view) {
  std::vector<std::string> ids;
  for (const WorkloadIdentity& identity : view.identities) {
    ids.push_back(identity.entry->spiffe_id.str());
  }
  return ids;
}

class IdentityCacheTest : public ::testing::Test {
 protected:
  IdentityCacheTest()
      : td_(Td("example.org")),
        authority_(Must(testing::TestAuthority::Create(td_, kNow))),
        cache_(std::make_unique<IdentityCache>(IdentityCacheOptions{.trust_domain = td_})) {}

  void Recreate(IdentityCacheOptions options) {
    options.trust_domain = td_;
    cache_ = std::make_unique<IdentityCache>(std::move(options));
  }

  void SetSvid(const std::string& entry_id, const std::string& spiffe_id,
               absl::Duration ttl = absl::Hours(1), int64_t revision = 1) {
    ASSERT_TRUE(cache_
                    ->SetX509Svid(entry_id, revision,
                                  Must(authority_.IssueX509Svid(Id(spiffe_id), kNow, ttl)))
                    .ok());
  }

  TrustDomain td_;
  testing::TestAuthority authority_;
  std::unique_ptr<IdentityCache> cache_;
};

TEST_F(IdentityCacheTest, MatchesEntriesWhoseSelectorsAreASubsetOfTheWorkloads) {
  ASSERT_TRUE(
      cache_
          ->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1000")}),
                            Entry("b", "spiffe://example.org/b", {Sel("uid:1000"), Sel("gid:5")}),
                            Entry("c", "spiffe://example.org/c", {Sel("uid:2000")})})
          .ok());
  EXPECT_THAT(SpiffeIdsOf(cache_->Lookup({Sel("uid:1000"), Sel("gid:1000")})),
              ElementsAre("spiffe://example.org/a"));
  EXPECT_THAT(SpiffeIdsOf(cache_->Lookup({Sel("gid:5"), Sel("uid:1000"), Sel("gid:5")})),
              ElementsAre("spiffe://example.org/a", "spiffe://example.org/b"));
  EXPECT_THAT(SpiffeIdsOf(cache_->Lookup({Sel("uid:3000")})), IsEmpty());
}

// WAPI-27: a stable order, oldest entry first, ties broken by entry id.
TEST_F(IdentityCacheTest, PresentsIdentitiesOldestEntryFirst) {
  ASSERT_TRUE(cache_
                  ->ReplaceEntries({Entry("z", "spiffe://example.org/new", {Sel("uid:1")}, kNow),
                                    Entry("y", "spiffe://example.org/old", {Sel("uid:1")},
                                          kNow - absl::Hours(1)),
                                    Entry("x", "spiffe://example.org/tie", {Sel("uid:1")}, kNow)})
                  .ok());
  EXPECT_THAT(SpiffeIdsOf(cache_->Lookup({Sel("uid:1")})),
              ElementsAre("spiffe://example.org/old", "spiffe://example.org/tie",
                          "spiffe://example.org/new"));
}

TEST_F(IdentityCacheTest, ReplaceEntriesRemovesEntriesNotListed) {
  ASSERT_TRUE(cache_
                  ->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")}),
                                    Entry("b", "spiffe://example.org/b", {Sel("uid:1")})})
                  .ok());
  ASSERT_TRUE(cache_->ReplaceEntries({Entry("b", "spiffe://example.org/b", {Sel("uid:1")})}).ok());
  EXPECT_THAT(SpiffeIdsOf(cache_->Lookup({Sel("uid:1")})), ElementsAre("spiffe://example.org/b"));
  EXPECT_EQ(cache_->stats().entries, 1u);
}

TEST_F(IdentityCacheTest, RefusesABatchWithAnInvalidEntryAndChangesNothing) {
  ASSERT_TRUE(cache_->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")})}).ok());
  const absl::Status s =
      cache_->UpdateEntries({Entry("b", "spiffe://example.org/b", {Sel("uid:1")}),
                             Entry("c", "spiffe://example.org/c", {})},
                            {"a"});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()), "entry \"c\": must have 1 to 64 selectors");
  EXPECT_THAT(SpiffeIdsOf(cache_->Lookup({Sel("uid:1")})), ElementsAre("spiffe://example.org/a"));
}

TEST_F(IdentityCacheTest, RefusesOneEntryIdTwiceInABatch) {
  const absl::Status s =
      cache_->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")}),
                              Entry("a", "spiffe://example.org/b", {Sel("uid:1")})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cache_->stats().entries, 0u);
}

TEST_F(IdentityCacheTest, RefusesMoreEntriesThanItsBound) {
  Recreate({.trust_domain = td_, .max_entries = 2});
  const absl::Status s =
      cache_->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")}),
                              Entry("b", "spiffe://example.org/b", {Sel("uid:1")}),
                              Entry("c", "spiffe://example.org/c", {Sel("uid:1")})});
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(cache_->stats().entries, 0u);
}

TEST_F(IdentityCacheTest, RefusesAnSvidForAnUnknownEntry) {
  const absl::Status s = cache_->SetX509Svid(
      "nope", 1, Must(authority_.IssueX509Svid(Id("spiffe://example.org/a"), kNow)));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
}

TEST_F(IdentityCacheTest, RefusesAnSvidForAnotherSpiffeId) {
  ASSERT_TRUE(cache_->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")})}).ok());
  const absl::Status s = cache_->SetX509Svid(
      "a", 1, Must(authority_.IssueX509Svid(Id("spiffe://example.org/b"), kNow)));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(IdentityCacheTest, ServesTheSvidWithItsEncodings) {
  ASSERT_TRUE(cache_->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")})}).ok());
  X509Svid svid = Must(authority_.IssueX509Svid(Id("spiffe://example.org/a"), kNow));
  ASSERT_TRUE(cache_->SetX509Svid("a", 1, svid).ok());
  const WorkloadView view = cache_->Lookup({Sel("uid:1")});
  ASSERT_EQ(view.identities.size(), 1u);
  ASSERT_NE(view.identities[0].svid, nullptr);
  EXPECT_EQ(view.identities[0].svid->chain_der, svid.ChainDer());
  EXPECT_TRUE(view.identities[0].svid->key_der == svid.KeyPkcs8Der());
}

TEST_F(IdentityCacheTest, DropsTheSvidWhenTheEntrysSpiffeIdChanges) {
  ASSERT_TRUE(cache_->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")})}).ok());
  SetSvid("a", "spiffe://example.org/a");
  AgentEntry renamed = Entry("a", "spiffe://example.org/renamed", {Sel("uid:1")});
  renamed.revision = 2;
  ASSERT_TRUE(cache_->UpdateEntries({renamed}, {}).ok());
  const WorkloadView view = cache_->Lookup({Sel("uid:1")});
  ASSERT_EQ(view.identities.size(), 1u);
  EXPECT_EQ(view.identities[0].svid, nullptr);
  EXPECT_EQ(cache_->stats().x509_svids, 0u);
}

TEST_F(IdentityCacheTest, KeepsServingTheSvidOfAnEntryWithNewDnsNamesButAsksForAnother) {
  ASSERT_TRUE(cache_->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")})}).ok());
  SetSvid("a", "spiffe://example.org/a");
  AgentEntry changed = Entry("a", "spiffe://example.org/a", {Sel("uid:1")});
  changed.dns_names = {"a.example.org"};
  changed.revision = 2;
  ASSERT_TRUE(cache_->UpdateEntries({changed}, {}).ok());
  EXPECT_NE(cache_->Lookup({Sel("uid:1")}).identities[0].svid, nullptr);
  const std::vector<SvidRequest> needed = cache_->SvidsNeeded(kNow);
  ASSERT_EQ(needed.size(), 1u);
  EXPECT_EQ(needed[0].need, SvidNeed::kEntryChanged);
  EXPECT_EQ(needed[0].entry->revision, 2);
}

TEST_F(IdentityCacheTest, AsksForRotationAtHalfLifeWithoutJitter) {
  Recreate({.trust_domain = td_, .rotation_jitter = 0});
  ASSERT_TRUE(cache_->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")})}).ok());
  SetSvid("a", "spiffe://example.org/a", absl::Hours(1));
  // Lifetime runs from kNow - 10 s (backdating) to kNow + 1 h.
  const absl::Time half = kNow - absl::Seconds(10) + (absl::Hours(1) + absl::Seconds(10)) / 2;
  EXPECT_THAT(cache_->SvidsNeeded(half - absl::Seconds(1)), IsEmpty());
  const std::vector<SvidRequest> needed = cache_->SvidsNeeded(half);
  ASSERT_EQ(needed.size(), 1u);
  EXPECT_EQ(needed[0].need, SvidNeed::kRotation);
}

TEST_F(IdentityCacheTest, RotationJitterOnlyBringsRotationForward) {
  Recreate({.trust_domain = td_, .rotation_jitter = 0.5});
  ASSERT_TRUE(cache_->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")})}).ok());
  SetSvid("a", "spiffe://example.org/a", absl::Hours(1));
  const absl::Time half = kNow - absl::Seconds(10) + (absl::Hours(1) + absl::Seconds(10)) / 2;
  // At most half the lifetime earlier: never before notBefore, always by half life.
  EXPECT_THAT(cache_->SvidsNeeded(kNow - absl::Seconds(10)), IsEmpty());
  EXPECT_EQ(cache_->SvidsNeeded(half).size(), 1u);
}

TEST_F(IdentityCacheTest, ListsSubscribersMissingSvidsBeforeAnythingElse) {
  Recreate({.trust_domain = td_, .max_x509_svids = 1, .rotation_jitter = 0});
  ASSERT_TRUE(cache_
                  ->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")}),
                                    Entry("b", "spiffe://example.org/b", {Sel("uid:2")}),
                                    Entry("c", "spiffe://example.org/c", {Sel("uid:3")})})
                  .ok());
  SetSvid("a", "spiffe://example.org/a", absl::Minutes(2));
  auto sub = Must(cache_->Subscribe({Sel("uid:3")}, [](uint32_t) {}));
  const std::vector<SvidRequest> needed = cache_->SvidsNeeded(kNow + absl::Hours(1));
  // c has a subscriber; a is due for rotation; b is not fetched ahead because the cache (one
  // SVID) is full.
  ASSERT_EQ(needed.size(), 2u);
  EXPECT_EQ(needed[0].entry->entry_id, "c");
  EXPECT_EQ(needed[0].need, SvidNeed::kMissingForSubscriber);
  EXPECT_EQ(needed[1].entry->entry_id, "a");
  EXPECT_EQ(needed[1].need, SvidNeed::kRotation);
}

TEST_F(IdentityCacheTest, FetchesAheadWhileThereIsRoom) {
  ASSERT_TRUE(cache_
                  ->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")}),
                                    Entry("b", "spiffe://example.org/b", {Sel("uid:2")})})
                  .ok());
  const std::vector<SvidRequest> needed = cache_->SvidsNeeded(kNow);
  ASSERT_EQ(needed.size(), 2u);
  EXPECT_EQ(needed[0].need, SvidNeed::kMissing);
}

TEST_F(IdentityCacheTest, EvictsTheLeastRecentlyUsedSvid) {
  Recreate({.trust_domain = td_, .max_x509_svids = 2});
  ASSERT_TRUE(cache_
                  ->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")}),
                                    Entry("b", "spiffe://example.org/b", {Sel("uid:2")}),
                                    Entry("c", "spiffe://example.org/c", {Sel("uid:3")})})
                  .ok());
  SetSvid("a", "spiffe://example.org/a");
  SetSvid("b", "spiffe://example.org/b");
  cache_->Lookup({Sel("uid:1")});  // a becomes the most recently used
  SetSvid("c", "spiffe://example.org/c");
  EXPECT_NE(cache_->Lookup({Sel("uid:1")}).identities[0].svid, nullptr);
  EXPECT_EQ(cache_->Lookup({Sel("uid:2")}).identities[0].svid, nullptr);
  EXPECT_EQ(cache_->stats().x509_svids, 2u);
  EXPECT_EQ(cache_->stats().x509_svid_evictions, 1u);
}

TEST_F(IdentityCacheTest, NeverEvictsTheSvidOfASubscribedEntry) {
  Recreate({.trust_domain = td_, .max_x509_svids = 1});
  ASSERT_TRUE(cache_
                  ->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")}),
                                    Entry("b", "spiffe://example.org/b", {Sel("uid:2")})})
                  .ok());
  auto sub_a = Must(cache_->Subscribe({Sel("uid:1")}, [](uint32_t) {}));
  auto sub_b = Must(cache_->Subscribe({Sel("uid:2")}, [](uint32_t) {}));
  SetSvid("a", "spiffe://example.org/a");
  SetSvid("b", "spiffe://example.org/b");
  EXPECT_EQ(cache_->stats().x509_svids, 2u);
  EXPECT_NE(sub_a->View().identities[0].svid, nullptr);
  EXPECT_NE(sub_b->View().identities[0].svid, nullptr);

  // Once the stream ends, the cache returns to its bound.
  sub_a.reset();
  EXPECT_EQ(cache_->stats().x509_svids, 1u);
  EXPECT_NE(sub_b->View().identities[0].svid, nullptr);
}

TEST_F(IdentityCacheTest, ViewsCarryTheOwnAndFederatedTrustDomains) {
  AgentEntry entry = Entry("a", "spiffe://example.org/a", {Sel("uid:1")});
  entry.federates_with = {Td("zeta.test"), Td("alpha.test"), Td("example.org")};
  ASSERT_TRUE(cache_->ReplaceEntries({entry}).ok());
  const WorkloadView view = cache_->Lookup({Sel("uid:1")});
  EXPECT_THAT(view.trust_domains,
              ElementsAre(Td("example.org"), Td("alpha.test"), Td("zeta.test")));
}

TEST_F(IdentityCacheTest, EncodesBundlesOnce) {
  BundleSet set;
  set.Put(authority_.bundle());
  cache_->SetBundles(set);
  const BundleMaterial* material = cache_->bundles()->Find(td_);
  ASSERT_NE(material, nullptr);
  EXPECT_EQ(material->x509_der, authority_.ca_certificate().der());
  EXPECT_EQ(material->jwks, Must(EncodeJwks(authority_.bundle())));
}

class SubscriptionTest : public IdentityCacheTest {
 protected:
  std::unique_ptr<Subscription> SubscribeUid1() {
    return Must(cache_->Subscribe({Sel("uid:1"), Sel("gid:1")}, [this](uint32_t flags) {
      ++calls_;
      flags_ |= flags;
    }));
  }

  std::atomic<int> calls_{0};
  std::atomic<uint32_t> flags_{0};
  std::atomic<bool> sub_ready_{false};
};

TEST_F(SubscriptionTest, HearsOfANewMatchingEntry) {
  auto sub = SubscribeUid1();
  ASSERT_TRUE(
      cache_->UpdateEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")})}, {}).ok());
  EXPECT_EQ(calls_, 1);
  EXPECT_EQ(flags_, kIdentitiesChanged);
  EXPECT_THAT(SpiffeIdsOf(sub->View()), ElementsAre("spiffe://example.org/a"));
}

TEST_F(SubscriptionTest, IgnoresEntriesThatDoNotMatch) {
  auto sub = SubscribeUid1();
  ASSERT_TRUE(
      cache_->UpdateEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:2")})}, {}).ok());
  SetSvid("a", "spiffe://example.org/a");
  EXPECT_EQ(calls_, 0);
}

TEST_F(SubscriptionTest, HearsOfANewSvid) {
  ASSERT_TRUE(cache_->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")})}).ok());
  auto sub = SubscribeUid1();
  SetSvid("a", "spiffe://example.org/a");
  EXPECT_EQ(calls_, 1);
  EXPECT_EQ(flags_, kSvidsChanged);
}

TEST_F(SubscriptionTest, HearsThatItsLastEntryWasRemoved) {
  ASSERT_TRUE(cache_->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")})}).ok());
  auto sub = SubscribeUid1();
  ASSERT_TRUE(cache_->ReplaceEntries({}).ok());
  EXPECT_EQ(flags_, kIdentitiesChanged);
  EXPECT_THAT(sub->View().identities, IsEmpty());
}

TEST_F(SubscriptionTest, HearsOfItsOwnTrustDomainsBundleOnly) {
  AgentEntry entry = Entry("a", "spiffe://example.org/a", {Sel("uid:1")});
  entry.federates_with = {Td("partner.test")};
  ASSERT_TRUE(cache_->ReplaceEntries({entry}).ok());
  auto sub = SubscribeUid1();
  const auto partner = Must(testing::TestAuthority::Create(Td("partner.test"), kNow));
  const auto other = Must(testing::TestAuthority::Create(Td("other.test"), kNow));

  BundleSet set;
  set.Put(other.bundle());
  cache_->SetBundles(set);
  EXPECT_EQ(calls_, 0) << "a bundle the workload does not use changed";

  set.Put(partner.bundle());
  cache_->SetBundles(set);
  EXPECT_EQ(calls_, 1);
  EXPECT_EQ(flags_, kBundlesChanged);

  cache_->SetBundles(set);
  EXPECT_EQ(calls_, 1) << "nothing changed";
}

TEST_F(SubscriptionTest, StopsHearingOnceDestroyed) {
  auto sub = SubscribeUid1();
  sub.reset();
  ASSERT_TRUE(
      cache_->UpdateEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")})}, {}).ok());
  EXPECT_EQ(calls_, 0);
  EXPECT_EQ(cache_->stats().subscribers, 0u);
}

TEST_F(SubscriptionTest, RefusesSubscribersBeyondItsBound) {
  Recreate({.trust_domain = td_, .max_subscribers = 1});
  auto first = SubscribeUid1();
  auto second = cache_->Subscribe({Sel("uid:1")}, [](uint32_t) {});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(SubscriptionTest, SignalsDemandWhenASubscriberWaitsForAnSvid) {
  std::atomic<int> demands{0};
  Recreate({.trust_domain = td_, .on_svid_demand = [&demands] { ++demands; }});
  ASSERT_TRUE(cache_->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")})}).ok());
  const int after_entries = demands;
  auto sub = SubscribeUid1();
  EXPECT_EQ(demands, after_entries + 1);
}

TEST_F(SubscriptionTest, StaysConsistentUnderConcurrentUpdatesAndReads) {
  ASSERT_TRUE(cache_->ReplaceEntries({Entry("a", "spiffe://example.org/a", {Sel("uid:1")})}).ok());
  std::vector<X509Svid> svids;
  for (int i = 0; i < 4; ++i) {
    svids.push_back(Must(authority_.IssueX509Svid(Id("spiffe://example.org/a"), kNow)));
  }
  std::atomic<int> views{0};
  std::unique_ptr<Subscription> sub;
  sub = Must(cache_->Subscribe({Sel("uid:1")}, [&](uint32_t) {
    if (sub_ready_) {
      views += static_cast<int>(sub->View().identities.size());
    }
  }));
  sub_ready_ = true;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(cache_->SetX509Svid("a", 1, svids[(t + i) % svids.size()]).ok());
        cache_->Lookup({Sel("uid:1")});
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(views, 800);
}

}  // namespace
}  // namespace sigil::agent
