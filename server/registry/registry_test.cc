#include "server/registry/registry.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "server/datastore/sqlite_datastore.h"
#include "server/datastore/test_temp_dir.h"
#include "server/registry/notifying_datastore.h"

namespace sigil::server {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr std::string_view kTd = "example.org";
const char kAgentA[] = "spiffe://example.org/sigil/agent/x509pop/aaaa";
const char kAgentB[] = "spiffe://example.org/sigil/agent/x509pop/bbbb";
const char kServer[] = "spiffe://example.org/sigil/server";

SpiffeId Id(std::string_view s) { return *SpiffeId::Parse(s); }

Selector Sel(std::string_view text) { return *Selector::Parse(text); }

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<DataStore>> ds =
        OpenSqliteDataStore(dir_.File("ds.sqlite3"), {});
    ASSERT_TRUE(ds.ok()) << ds.status();
    datastore_ = *std::move(ds);
    absl::StatusOr<std::unique_ptr<Registry>> registry =
        Registry::Load({.trust_domain = *TrustDomain::FromString(kTd),
                        .datastore = datastore_.get(),
                        .poll_interval = absl::ZeroDuration()});
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
  }

  std::string AddEntry(std::string_view spiffe_id, std::string_view parent_id,
                       std::vector<std::string> selectors = {"unix:uid:1000"},
                       std::vector<std::string> federates_with = {}) {
    RegistrationEntry entry{.spiffe_id = Id(spiffe_id), .parent_id = Id(parent_id)};
    for (const std::string& s : selectors) {
      entry.selectors.push_back(Sel(s));
    }
    for (const std::string& td : federates_with) {
      entry.federates_with.push_back(*TrustDomain::FromString(td));
    }
    absl::StatusOr<RegistrationEntry> created = datastore_->CreateEntry(std::move(entry));
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->entry_id : "";
  }

  void AddNode(std::string_view id, std::vector<std::string> selectors) {
    AttestedNode node{.spiffe_id = Id(id),
                      .attestation_type = "x509pop",
                      .serial = "01",
                      .expires_at = absl::Now() + absl::Hours(1)};
    for (const std::string& s : selectors) {
      node.selectors.push_back(Sel(s));
    }
    ASSERT_TRUE(datastore_->CreateNode(node).ok());
  }

  void Refresh() { ASSERT_TRUE(registry_->Refresh().ok()); }

  std::set<std::string> SpiffeIdsFor(std::string_view agent) {
    std::set<std::string> ids;
    for (const auto& stored : registry_->ViewFor(Id(agent)).entries) {
      ids.insert(stored->entry.spiffe_id.str());
    }
    return ids;
  }

  bool Authorized(std::string_view agent, const std::string& entry_id) {
    return registry_->AuthorizedEntry(Id(agent), entry_id).ok();
  }

  server::testing::TempDir dir_;
  std::unique_ptr<DataStore> datastore_;
  std::unique_ptr<Registry> registry_;
};

TEST_F(RegistryTest, EntryParentedOnAgentIsAuthorizedForThatAgentOnly) {
  const std::string id = AddEntry("spiffe://example.org/web", kAgentA);
  Refresh();
  EXPECT_THAT(SpiffeIdsFor(kAgentA), ElementsAre("spiffe://example.org/web"));
  EXPECT_THAT(SpiffeIdsFor(kAgentB), IsEmpty());
  EXPECT_TRUE(Authorized(kAgentA, id));
  EXPECT_EQ(registry_->AuthorizedEntry(Id(kAgentB), id).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(RegistryTest, NodeAliasWithMatchingSelectorsAuthorizesItsChildren) {
  AddNode(kAgentA, {"x509pop:san:dns:a.example.org", "x509pop:subject:cn:web"});
  AddEntry("spiffe://example.org/web-nodes", kServer, {"x509pop:subject:cn:web"});
  const std::string id = AddEntry("spiffe://example.org/web", "spiffe://example.org/web-nodes");
  Refresh();
  EXPECT_THAT(SpiffeIdsFor(kAgentA), ElementsAre("spiffe://example.org/web"));
  EXPECT_TRUE(Authorized(kAgentA, id));
}

TEST_F(RegistryTest, NodeAliasNeedsAllItsSelectors) {
  AddNode(kAgentA, {"x509pop:subject:cn:web"});
  AddEntry("spiffe://example.org/web-nodes", kServer,
           {"x509pop:subject:cn:web", "x509pop:san:dns:db.example.org"});
  const std::string id = AddEntry("spiffe://example.org/web", "spiffe://example.org/web-nodes");
  Refresh();
  EXPECT_THAT(SpiffeIdsFor(kAgentA), IsEmpty());
  EXPECT_FALSE(Authorized(kAgentA, id));
}

TEST_F(RegistryTest, NodeAliasEntryItselfIsNeitherListedNorSignable) {
  AddNode(kAgentA, {"x509pop:subject:cn:web"});
  const std::string alias =
      AddEntry("spiffe://example.org/web-nodes", kServer, {"x509pop:subject:cn:web"});
  Refresh();
  EXPECT_THAT(SpiffeIdsFor(kAgentA), IsEmpty());
  EXPECT_EQ(registry_->AuthorizedEntry(Id(kAgentA), alias).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(RegistryTest, DescendantsAreAuthorizedRecursively) {
  AddEntry("spiffe://example.org/ns", kAgentA);
  AddEntry("spiffe://example.org/ns/app", "spiffe://example.org/ns");
  const std::string deep =
      AddEntry("spiffe://example.org/ns/app/worker", "spiffe://example.org/ns/app");
  AddEntry("spiffe://example.org/other", "spiffe://example.org/elsewhere");
  Refresh();
  EXPECT_THAT(SpiffeIdsFor(kAgentA),
              UnorderedElementsAre("spiffe://example.org/ns", "spiffe://example.org/ns/app",
                                   "spiffe://example.org/ns/app/worker"));
  EXPECT_TRUE(Authorized(kAgentA, deep));
  EXPECT_FALSE(Authorized(kAgentB, deep));
}

TEST_F(RegistryTest, DescendantsOfAliasChildrenAreAuthorized) {
  AddNode(kAgentA, {"join_token:abc"});
  AddEntry("spiffe://example.org/alias", kServer, {"join_token:abc"});
  AddEntry("spiffe://example.org/mid", "spiffe://example.org/alias");
  const std::string leaf = AddEntry("spiffe://example.org/leaf", "spiffe://example.org/mid");
  Refresh();
  EXPECT_THAT(SpiffeIdsFor(kAgentA),
              UnorderedElementsAre("spiffe://example.org/mid", "spiffe://example.org/leaf"));
  EXPECT_TRUE(Authorized(kAgentA, leaf));
}

TEST_F(RegistryTest, ParentCycleTerminates) {
  AddEntry("spiffe://example.org/x", "spiffe://example.org/y");
  const std::string y = AddEntry("spiffe://example.org/y", "spiffe://example.org/x");
  Refresh();
  EXPECT_FALSE(Authorized(kAgentA, y));
  EXPECT_THAT(SpiffeIdsFor(kAgentA), IsEmpty());
}

TEST_F(RegistryTest, UnknownEntryIsNotFound) {
  EXPECT_EQ(registry_->AuthorizedEntry(Id(kAgentA), "nope").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, RefreshNotifiesOnlyTheAgentConcerned) {
  std::atomic<int> a_calls = 0;
  std::atomic<int> b_calls = 0;
  auto sub_a = registry_->Subscribe(Id(kAgentA), [&] { ++a_calls; });
  auto sub_b = registry_->Subscribe(Id(kAgentB), [&] { ++b_calls; });
  AddEntry("spiffe://example.org/web", kAgentA);
  Refresh();
  EXPECT_EQ(a_calls, 1);
  EXPECT_EQ(b_calls, 0);
}

TEST_F(RegistryTest, MovingAnEntryNotifiesOldAndNewAgents) {
  const std::string id = AddEntry("spiffe://example.org/web", kAgentA);
  Refresh();
  std::atomic<int> a_calls = 0;
  std::atomic<int> b_calls = 0;
  auto sub_a = registry_->Subscribe(Id(kAgentA), [&] { ++a_calls; });
  auto sub_b = registry_->Subscribe(Id(kAgentB), [&] { ++b_calls; });
  RegistrationEntry entry = *datastore_->FetchEntry(id);
  entry.parent_id = Id(kAgentB);
  ASSERT_TRUE(datastore_->UpdateEntry(entry, std::nullopt).ok());
  Refresh();
  EXPECT_EQ(a_calls, 1);
  EXPECT_EQ(b_calls, 1);
  EXPECT_THAT(SpiffeIdsFor(kAgentA), IsEmpty());
  EXPECT_THAT(SpiffeIdsFor(kAgentB), ElementsAre("spiffe://example.org/web"));
}

TEST_F(RegistryTest, ChangingAnAliasNotifiesNodesThatMatchedIt) {
  AddNode(kAgentA, {"x509pop:subject:cn:web"});
  AddNode(kAgentB, {"x509pop:subject:cn:db"});
  const std::string alias =
      AddEntry("spiffe://example.org/web-nodes", kServer, {"x509pop:subject:cn:web"});
  AddEntry("spiffe://example.org/web", "spiffe://example.org/web-nodes");
  Refresh();
  std::atomic<int> a_calls = 0;
  std::atomic<int> b_calls = 0;
  auto sub_a = registry_->Subscribe(Id(kAgentA), [&] { ++a_calls; });
  auto sub_b = registry_->Subscribe(Id(kAgentB), [&] { ++b_calls; });
  RegistrationEntry entry = *datastore_->FetchEntry(alias);
  entry.selectors = {Sel("x509pop:subject:cn:db")};
  ASSERT_TRUE(datastore_->UpdateEntry(entry, std::nullopt).ok());
  Refresh();
  EXPECT_EQ(a_calls, 1);
  EXPECT_EQ(b_calls, 1);
  EXPECT_THAT(SpiffeIdsFor(kAgentA), IsEmpty());
  EXPECT_THAT(SpiffeIdsFor(kAgentB), ElementsAre("spiffe://example.org/web"));
}

TEST_F(RegistryTest, DeletingAMiddleEntryNotifiesAndRemovesDescendants) {
  const std::string mid = AddEntry("spiffe://example.org/mid", kAgentA);
  AddEntry("spiffe://example.org/leaf", "spiffe://example.org/mid");
  Refresh();
  std::atomic<int> calls = 0;
  auto sub = registry_->Subscribe(Id(kAgentA), [&] { ++calls; });
  ASSERT_TRUE(datastore_->DeleteEntry(mid).ok());
  Refresh();
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(SpiffeIdsFor(kAgentA), IsEmpty());
}

TEST_F(RegistryTest, NodeTableFollowsBanAndEviction) {
  AddNode(kAgentA, {});
  Refresh();
  ASSERT_NE(registry_->FindNode(Id(kAgentA)), nullptr);
  EXPECT_FALSE(registry_->FindNode(Id(kAgentA))->banned);
  std::atomic<int> calls = 0;
  auto sub = registry_->Subscribe(Id(kAgentA), [&] { ++calls; });

  ASSERT_TRUE(datastore_->BanNode(Id(kAgentA)).ok());
  Refresh();
  EXPECT_TRUE(registry_->FindNode(Id(kAgentA))->banned);
  EXPECT_EQ(calls, 1);

  ASSERT_TRUE(datastore_->EvictNode(Id(kAgentA)).ok());
  Refresh();
  EXPECT_EQ(registry_->FindNode(Id(kAgentA)), nullptr);
  EXPECT_EQ(calls, 2);
}

TEST_F(RegistryTest, ViewCarriesOwnBundleAndOnlyFederatedOnesEntriesNeed) {
  ASSERT_TRUE(datastore_
                  ->SetBundle({.trust_domain = *TrustDomain::FromString("example.org"),
                               .document = "{\"keys\":[]}",
                               .sequence_number = 1})
                  .ok());
  for (const char* td : {"partner.org", "unrelated.org"}) {
    ASSERT_TRUE(datastore_
                    ->SetBundle({.trust_domain = *TrustDomain::FromString(td),
                                 .document = "{\"keys\":[]}",
                                 .sequence_number = 1})
                    .ok());
  }
  AddEntry("spiffe://example.org/web", kAgentA, {"unix:uid:1"}, {"partner.org"});
  Refresh();
  AgentView view = registry_->ViewFor(Id(kAgentA));
  std::vector<std::string> tds;
  for (const auto& bundle : view.bundles) {
    tds.push_back(bundle->record.trust_domain.name());
  }
  EXPECT_THAT(tds, ElementsAre("example.org", "partner.org"));
  EXPECT_EQ(view.revision, registry_->revision());
}

TEST_F(RegistryTest, BundleChangeNotifiesEveryone) {
  std::atomic<int> calls = 0;
  auto sub = registry_->Subscribe(Id(kAgentB), [&] { ++calls; });
  ASSERT_TRUE(datastore_
                  ->SetBundle({.trust_domain = *TrustDomain::FromString("example.org"),
                               .document = "{\"keys\":[]}",
                               .sequence_number = 2})
                  .ok());
  Refresh();
  EXPECT_EQ(calls, 1);
}

TEST_F(RegistryTest, TaintedAuthoritiesComeFromTheJournal) {
  AuthorityRecord authority{
      .kind = AuthorityKind::kJwt,
      .authority_id = "kid-1",
      .state = AuthorityState::kOld,
      .tainted = true,
      .public_key_der = "k",
      .not_before = absl::Now(),
      .not_after = absl::Now() + absl::Hours(1),
  };
  ASSERT_TRUE(datastore_->UpsertAuthority(authority).ok());
  Refresh();
  EXPECT_THAT(registry_->ViewFor(Id(kAgentA)).tainted_authorities, ElementsAre("kid-1"));
}

TEST_F(RegistryTest, PrunedChangeLogTriggersReload) {
  AddEntry("spiffe://example.org/one", kAgentA);
  ASSERT_TRUE(datastore_->PruneEvents(absl::InfiniteFuture()).ok());
  AddEntry("spiffe://example.org/two", kAgentA);
  std::atomic<int> calls = 0;
  auto sub = registry_->Subscribe(Id(kAgentB), [&] { ++calls; });
  Refresh();
  EXPECT_THAT(SpiffeIdsFor(kAgentA),
              UnorderedElementsAre("spiffe://example.org/one", "spiffe://example.org/two"));
  EXPECT_EQ(calls, 1);  // a reload tells every subscriber
}

TEST_F(RegistryTest, LargeBacklogIsReloadedAndKeepsUnchangedRevisions) {
  absl::StatusOr<std::unique_ptr<Registry>> registry =
      Registry::Load({.trust_domain = *TrustDomain::FromString(kTd),
                      .datastore = datastore_.get(),
                      .poll_interval = absl::ZeroDuration(),
                      .reload_threshold = 100});
  ASSERT_TRUE(registry.ok());
  const std::string first = AddEntry("spiffe://example.org/first", kAgentA);
  ASSERT_TRUE((*registry)->Refresh().ok());
  const int64_t first_changed_at = (*(*registry)->AuthorizedEntry(Id(kAgentA), first))->changed_at;

  std::vector<RegistrationEntry> batch;
  for (int i = 0; i < 1500; ++i) {
    batch.push_back({.spiffe_id = Id("spiffe://example.org/bulk/" + std::to_string(i)),
                     .parent_id = Id(kAgentB),
                     .selectors = {Sel("unix:uid:1")}});
  }
  ASSERT_TRUE(datastore_->CreateEntries(std::move(batch)).ok());
  std::atomic<int> calls = 0;
  auto sub = (*registry)->Subscribe(Id(kAgentA), [&] { ++calls; });
  ASSERT_TRUE((*registry)->Refresh().ok());

  EXPECT_EQ(calls, 1);  // a reload tells every subscriber, even one no entry concerns
  EXPECT_EQ((*registry)->ViewFor(Id(kAgentB)).entries.size(), 1500u);
  EXPECT_EQ((*(*registry)->AuthorizedEntry(Id(kAgentA), first))->changed_at, first_changed_at);
}

TEST_F(RegistryTest, BacklogBelowThresholdIsAppliedEventByEvent) {
  std::vector<RegistrationEntry> batch;
  for (int i = 0; i < 1500; ++i) {
    batch.push_back({.spiffe_id = Id("spiffe://example.org/bulk/" + std::to_string(i)),
                     .parent_id = Id(kAgentB),
                     .selectors = {Sel("unix:uid:1")}});
  }
  ASSERT_TRUE(datastore_->CreateEntries(std::move(batch)).ok());
  std::atomic<int> a_calls = 0;
  auto sub = registry_->Subscribe(Id(kAgentA), [&] { ++a_calls; });
  Refresh();
  EXPECT_EQ(a_calls, 0);
  EXPECT_EQ(registry_->ViewFor(Id(kAgentB)).entries.size(), 1500u);
  EXPECT_EQ(registry_->revision(), *datastore_->CurrentRevision());
}

TEST_F(RegistryTest, UpdatedEntryGetsTheRevisionOfItsChange) {
  const std::string id = AddEntry("spiffe://example.org/web", kAgentA);
  Refresh();
  const int64_t before = (*registry_->AuthorizedEntry(Id(kAgentA), id))->changed_at;
  RegistrationEntry entry = *datastore_->FetchEntry(id);
  entry.hint = "changed";
  ASSERT_TRUE(datastore_->UpdateEntry(entry, std::nullopt).ok());
  Refresh();
  auto after = registry_->AuthorizedEntry(Id(kAgentA), id);
  ASSERT_TRUE(after.ok());
  EXPECT_GT((*after)->changed_at, before);
  EXPECT_EQ((*after)->entry.hint, "changed");
  EXPECT_EQ((*after)->changed_at, registry_->revision());
}

TEST_F(RegistryTest, UnsubscribedCallbackIsNotCalled) {
  std::atomic<int> calls = 0;
  auto sub = registry_->Subscribe(Id(kAgentA), [&] { ++calls; });
  sub.reset();
  AddEntry("spiffe://example.org/web", kAgentA);
  Refresh();
  EXPECT_EQ(calls, 0);
}

TEST(NotifyingDataStoreTest, HookRunsAfterLoggedWritesOnly) {
  server::testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<DataStore>> inner = OpenSqliteDataStore(dir.File("d.db"), {});
  ASSERT_TRUE(inner.ok());
  NotifyingDataStore ds(*std::move(inner));
  int calls = 0;
  ds.set_write_hook([&] { ++calls; });

  RegistrationEntry entry{.spiffe_id = Id("spiffe://example.org/web"),
                          .parent_id = Id(kAgentA),
                          .selectors = {Sel("unix:uid:1")}};
  ASSERT_TRUE(ds.CreateEntry(entry).ok());
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(ds.CreateEntry(entry).ok());  // duplicate: nothing written, no hook
  EXPECT_EQ(calls, 1);
  // Found or not, this write appends no event.
  (void)ds.RecordNodeSeen(Id(kAgentA), absl::Now(), "1.2.3.4");
  EXPECT_EQ(calls, 1);
}

TEST(NotifyingDataStoreTest, RegistryFollowsWritesThroughTheHook) {
  server::testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<DataStore>> inner = OpenSqliteDataStore(dir.File("d.db"), {});
  ASSERT_TRUE(inner.ok());
  NotifyingDataStore ds(*std::move(inner));
  absl::StatusOr<std::unique_ptr<Registry>> registry =
      Registry::Load({.trust_domain = *TrustDomain::FromString(kTd),
                      .datastore = &ds.inner(),
                      .poll_interval = absl::ZeroDuration()});
  ASSERT_TRUE(registry.ok());
  ds.set_write_hook([r = registry->get()] { (void)r->Refresh(); });

  RegistrationEntry entry{.spiffe_id = Id("spiffe://example.org/web"),
                          .parent_id = Id(kAgentA),
                          .selectors = {Sel("unix:uid:1")}};
  ASSERT_TRUE(ds.CreateEntry(entry).ok());
  EXPECT_EQ((*registry)->ViewFor(Id(kAgentA)).entries.size(), 1u);
}

}  // namespace
}  // namespace sigil::server
