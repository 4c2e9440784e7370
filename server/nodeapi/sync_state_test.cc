#include "server/nodeapi/sync_state.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil::server {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

namespace nodev1 = ::sigil::node::v1;

std::shared_ptr<const RegistryEntry> Entry(std::string id, int64_t changed_at) {
  return std::make_shared<const RegistryEntry>(RegistryEntry{
      .entry = RegistrationEntry{.entry_id = std::move(id),
                                 .spiffe_id = *SpiffeId::Parse("spiffe://example.org/w"),
                                 .parent_id = *SpiffeId::Parse("spiffe://example.org/a"),
                                 .selectors = {{"unix", "uid:1"}}},
      .changed_at = changed_at});
}

std::shared_ptr<const RegistryBundle> Bundle(std::string td, int64_t changed_at) {
  return std::make_shared<const RegistryBundle>(
      RegistryBundle{.record = BundleRecord{.trust_domain = *TrustDomain::FromString(td),
                                            .document = "{}",
                                            .sequence_number = changed_at},
                     .changed_at = changed_at});
}

std::vector<std::string> Ids(const nodev1::SyncUpdate& update) {
  std::vector<std::string> ids;
  for (const nodev1::Entry& e : update.entries()) {
    ids.push_back(e.id());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(BuildSyncUpdateTest, FullUpdateListsEverything) {
  AgentView view{.revision = 7,
                 .entries = {Entry("a", 1), Entry("b", 2)},
                 .bundles = {Bundle("example.org", 1)},
                 .tainted_authorities = {"kid"}};
  SentState sent;
  nodev1::SyncUpdate update;
  ASSERT_TRUE(BuildSyncUpdate(view, SyncUpdateKind::kFull, sent, &update));
  EXPECT_TRUE(update.full());
  EXPECT_EQ(update.revision(), 7);
  EXPECT_THAT(Ids(update), ElementsAre("a", "b"));
  EXPECT_EQ(update.bundles_size(), 1);
  EXPECT_THAT(update.tainted_authorities(), ElementsAre("kid"));
  EXPECT_EQ(sent.revision, 7);
  EXPECT_EQ(sent.entries.size(), 2u);
}

TEST(BuildSyncUpdateTest, DeltaCarriesOnlyChangesAndRemovals) {
  SentState sent;
  nodev1::SyncUpdate update;
  AgentView first{.revision = 1,
                  .entries = {Entry("a", 1), Entry("b", 1), Entry("c", 1)},
                  .bundles = {Bundle("example.org", 1), Bundle("partner.org", 1)}};
  ASSERT_TRUE(BuildSyncUpdate(first, SyncUpdateKind::kFull, sent, &update));

  AgentView second{.revision = 5,
                   .entries = {Entry("a", 1), Entry("b", 5), Entry("d", 4)},
                   .bundles = {Bundle("example.org", 5)}};
  ASSERT_TRUE(BuildSyncUpdate(second, SyncUpdateKind::kDeltaIfChanged, sent, &update));
  EXPECT_FALSE(update.full());
  EXPECT_EQ(update.revision(), 5);
  EXPECT_THAT(Ids(update), ElementsAre("b", "d"));
  EXPECT_THAT(update.removed_entry_ids(), ElementsAre("c"));
  ASSERT_EQ(update.bundles_size(), 1);
  EXPECT_EQ(update.bundles(0).trust_domain(), "example.org");
  EXPECT_THAT(update.removed_bundles(), ElementsAre("partner.org"));
}

TEST(BuildSyncUpdateTest, NothingIsSentWhenNothingChanged) {
  SentState sent;
  nodev1::SyncUpdate update;
  AgentView view{.revision = 1, .entries = {Entry("a", 1)}};
  ASSERT_TRUE(BuildSyncUpdate(view, SyncUpdateKind::kFull, sent, &update));
  view.revision = 9;  // other agents' changes move the revision, not this agent's set
  EXPECT_FALSE(BuildSyncUpdate(view, SyncUpdateKind::kDeltaIfChanged, sent, &update));
  EXPECT_EQ(sent.revision, 1);
}

TEST(BuildSyncUpdateTest, ResumedStreamGetsAnEmptyDeltaFirst) {
  SentState sent;
  nodev1::SyncUpdate update;
  AgentView view{.revision = 3, .entries = {Entry("a", 1)}};
  ASSERT_TRUE(BuildSyncUpdate(view, SyncUpdateKind::kFull, sent, &update));
  ASSERT_TRUE(BuildSyncUpdate(view, SyncUpdateKind::kDelta, sent, &update));
  EXPECT_FALSE(update.full());
  EXPECT_THAT(update.entries(), IsEmpty());
  EXPECT_EQ(update.revision(), 3);
}

TEST(BuildSyncUpdateTest, TaintChangeAloneIsADeltaWithTheWholeList) {
  SentState sent;
  nodev1::SyncUpdate update;
  AgentView view{.revision = 1, .entries = {Entry("a", 1)}};
  ASSERT_TRUE(BuildSyncUpdate(view, SyncUpdateKind::kFull, sent, &update));
  view.revision = 2;
  view.tainted_authorities = {"k1", "k2"};
  ASSERT_TRUE(BuildSyncUpdate(view, SyncUpdateKind::kDeltaIfChanged, sent, &update));
  EXPECT_THAT(update.entries(), IsEmpty());
  EXPECT_THAT(update.tainted_authorities(), ElementsAre("k1", "k2"));
}

TEST(EntryToProtoTest, CarriesEveryField) {
  RegistrationEntry e{.entry_id = "id1",
                      .spiffe_id = *SpiffeId::Parse("spiffe://example.org/w"),
                      .parent_id = *SpiffeId::Parse("spiffe://example.org/a"),
                      .selectors = {{"unix", "uid:1"}},
                      .x509_svid_ttl_seconds = 60,
                      .jwt_svid_ttl_seconds = 30,
                      .dns_names = {"w.example.org"},
                      .federates_with = {*TrustDomain::FromString("partner.org")},
                      .admin = true,
                      .downstream = true,
                      .hint = "h",
                      .expires_at = absl::FromUnixSeconds(2000000000),
                      .revision = 3,
                      .created_at = absl::FromUnixSeconds(1900000000)};
  nodev1::Entry out;
  EntryToProto(e, &out);
  EXPECT_EQ(out.id(), "id1");
  EXPECT_EQ(out.spiffe_id(), "spiffe://example.org/w");
  EXPECT_EQ(out.parent_id(), "spiffe://example.org/a");
  ASSERT_EQ(out.selectors_size(), 1);
  EXPECT_EQ(out.selectors(0).value(), "uid:1");
  EXPECT_EQ(out.x509_svid_ttl(), 60);
  EXPECT_EQ(out.jwt_svid_ttl(), 30);
  EXPECT_THAT(out.dns_names(), ElementsAre("w.example.org"));
  EXPECT_THAT(out.federates_with(), ElementsAre("partner.org"));
  EXPECT_TRUE(out.admin());
  EXPECT_TRUE(out.downstream());
  EXPECT_EQ(out.hint(), "h");
  EXPECT_EQ(out.expires_at(), 2000000000);
  EXPECT_EQ(out.revision(), 3);
  EXPECT_EQ(out.created_at(), 1900000000);
}

TEST(SyncResumeCacheTest, ResumesOnlyFromTheExactRevisionAndOnce) {
  SyncResumeCache cache;
  SentState state;
  state.revision = 12;
  state.entries["a"] = 1;
  cache.Park("agent", state);
  EXPECT_FALSE(cache.Take("agent", 11).has_value());
  cache.Park("agent", state);
  std::optional<SentState> taken = cache.Take("agent", 12);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->entries.size(), 1u);
  EXPECT_FALSE(cache.Take("agent", 12).has_value());
}

TEST(SyncResumeCacheTest, KeepsAtMostMaxAgents) {
  SyncResumeCache cache(2);
  for (const char* agent : {"a", "b", "c"}) {
    SentState state;
    state.revision = 1;
    cache.Park(agent, state);
  }
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.Take("a", 1).has_value());
  EXPECT_TRUE(cache.Take("c", 1).has_value());
}

}  // namespace
}  // namespace sigil::server
