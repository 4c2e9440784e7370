// The DataStore conformance suite (see datastore_suite.h). Every case runs against each
// backend that instantiates DataStoreTest.
#include "server/datastore/datastore_suite.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "server/datastore/datastore.h"
#include "server/datastore/types.h"

namespace sigil::server {

// Readable gmock output for selectors and trust domains.
void PrintTo(const Selector& s, std::ostream* os) { *os << s.ToString(); }
void PrintTo(const TrustDomain& td, std::ostream* os) { *os << td.name(); }

namespace testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

// What the store keeps of a time: whole microseconds.
absl::Time Micros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

std::string Message(const absl::Status& s) { return std::string(s.message()); }

// "xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx" in lowercase hex.
bool IsUuidV4(std::string_view id) {
  if (id.size() != 36 || id[14] != '4' || std::string_view("89ab").find(id[19]) == id.npos) {
    return false;
  }
  for (size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = id[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> SpiffeIds(const std::vector<RegistrationEntry>& entries) {
  std::vector<std::string> ids;
  for (const RegistrationEntry& e : entries) {
    ids.push_back(e.spiffe_id.str());
  }
  return ids;
}

AttestedNode MakeNode(std::string_view path, std::initializer_list<std::string_view> selectors) {
  return AttestedNode{
      .spiffe_id = Id(std::string("spiffe://example.org/agent/") + std::string(path)),
      .attestation_type = "join_token",
      .serial = "0a1b",
      .expires_at = absl::FromUnixSeconds(1'800'000'000),
      .selectors = Sels(selectors),
      .attested_at = absl::FromUnixSeconds(1'700'000'000),
      .last_seen_at = absl::FromUnixSeconds(1'700'000'100),
      .last_address = "10.0.0.1:5000",
  };
}

JoinToken MakeToken(std::string_view value, absl::Time expires_at) {
  return JoinToken{.token = SecretBytes(value), .expires_at = expires_at};
}

AuthorityRecord MakeAuthority(AuthorityKind kind, std::string id) {
  return AuthorityRecord{
      .kind = kind,
      .authority_id = std::move(id),
      .state = AuthorityState::kPrepared,
      .public_key_der = std::string("\x30\x59\x00\x01", 4),
      .certificate_der = kind == AuthorityKind::kX509 ? std::string("\x30\x82\x00\x00", 4) : "",
      .not_before = absl::FromUnixSeconds(1'700'000'000),
      .not_after = absl::FromUnixSeconds(1'700'086'400),
  };
}

IssuanceRecord MakeIssuance(std::string_view path, absl::Time issued_at) {
  return IssuanceRecord{
      .issued_at = issued_at,
      .kind = SvidKind::kX509,
      .spiffe_id = Id(std::string("spiffe://example.org/") + std::string(path)),
      .entry_id = "e1",
      .agent_id = Id("spiffe://example.org/agent/a"),
      .serial = "01ff",
      .key_fingerprint = std::string(64, 'a'),
      .expires_at = issued_at + absl::Hours(1),
  };
}

std::vector<EventKind> Kinds(const std::vector<Event>& events) {
  std::vector<EventKind> kinds;
  for (const Event& e : events) {
    kinds.push_back(e.kind);
  }
  return kinds;
}

// --- Registration entries ------------------------------------------------------------------

TEST_P(DataStoreTest, CreateEntryAssignsUuidV4WhenIdIsEmpty) {
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e,
                          store().CreateEntry(MakeEntry("web", {"unix:uid:1"})));
  EXPECT_TRUE(IsUuidV4(e.entry_id)) << e.entry_id;
}

TEST_P(DataStoreTest, CreateEntryKeepsCallerChosenId) {
  RegistrationEntry in = MakeEntry("web", {"unix:uid:1"});
  in.entry_id = "my-entry.1";
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e, store().CreateEntry(in));
  EXPECT_EQ(e.entry_id, "my-entry.1");
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry fetched, store().FetchEntry("my-entry.1"));
  EXPECT_EQ(fetched.spiffe_id, in.spiffe_id);
}

TEST_P(DataStoreTest, CreateEntryStampsRevisionOneAndTimes) {
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e,
                          store().CreateEntry(MakeEntry("web", {"unix:uid:1"})));
  EXPECT_EQ(e.revision, 1);
  EXPECT_EQ(e.created_at, Micros(clock_.Now()));
  EXPECT_EQ(e.updated_at, Micros(clock_.Now()));
}

TEST_P(DataStoreTest, FetchEntryReturnsEveryFieldAsStored) {
  RegistrationEntry in = MakeEntry("web", {"unix:uid:1000", "k8s:ns:prod", "docker:label:a:b"});
  in.x509_svid_ttl_seconds = 3600;
  in.jwt_svid_ttl_seconds = 300;
  in.dns_names = {"web.example.org", "*.web.example.org", "alpha.example.org"};
  in.federates_with = {Td("partner.org"), Td("another.net")};
  in.admin = true;
  in.downstream = true;
  in.hint = "frontend";
  in.expires_at = absl::FromUnixMicros(1'900'000'000'654'321);
  in.owner = "team-web";
  in.description = "the public web tier";
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry created, store().CreateEntry(in));
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e, store().FetchEntry(created.entry_id));

  EXPECT_EQ(e.spiffe_id, in.spiffe_id);
  EXPECT_EQ(e.parent_id, in.parent_id);
  EXPECT_THAT(e.selectors, ElementsAre(Selector{"docker", "label:a:b"}, Selector{"k8s", "ns:prod"},
                                       Selector{"unix", "uid:1000"}));
  EXPECT_EQ(e.x509_svid_ttl_seconds, 3600);
  EXPECT_EQ(e.jwt_svid_ttl_seconds, 300);
  EXPECT_THAT(e.dns_names,
              ElementsAre("web.example.org", "*.web.example.org", "alpha.example.org"));
  EXPECT_THAT(e.federates_with, ElementsAre(Td("partner.org"), Td("another.net")));
  EXPECT_TRUE(e.admin);
  EXPECT_TRUE(e.downstream);
  EXPECT_EQ(e.hint, "frontend");
  EXPECT_EQ(e.expires_at, in.expires_at);
  EXPECT_EQ(e.revision, 1);
  EXPECT_EQ(e.owner, "team-web");
  EXPECT_EQ(e.description, "the public web tier");
  EXPECT_EQ(e.created_at, created.created_at);
  EXPECT_EQ(e.updated_at, created.updated_at);
}

TEST_P(DataStoreTest, InfiniteExpiryRoundTrips) {
  RegistrationEntry in = MakeEntry("web", {"unix:uid:1"});
  in.expires_at = absl::InfiniteFuture();
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry created, store().CreateEntry(in));
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e, store().FetchEntry(created.entry_id));
  EXPECT_EQ(e.expires_at, absl::InfiniteFuture());
}

TEST_P(DataStoreTest, EntryWithoutExpiryHasNone) {
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry created,
                          store().CreateEntry(MakeEntry("web", {"unix:uid:1"})));
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e, store().FetchEntry(created.entry_id));
  EXPECT_FALSE(e.expires_at.has_value());
}

TEST_P(DataStoreTest, CreateEntryRefusesSameSpiffeIdParentAndSelectors) {
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry first,
                          store().CreateEntry(MakeEntry("web", {"unix:uid:1", "unix:gid:2"})));
  absl::StatusOr<RegistrationEntry> second =
      store().CreateEntry(MakeEntry("web", {"unix:uid:1", "unix:gid:2"}));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Message(second.status()), HasSubstr(first.entry_id));
}

TEST_P(DataStoreTest, CreateEntryTreatsSelectorOrderAsTheSameSet) {
  DS_ASSERT_OK(store().CreateEntry(MakeEntry("web", {"unix:uid:1", "unix:gid:2"})).status());
  EXPECT_EQ(store().CreateEntry(MakeEntry("web", {"unix:gid:2", "unix:uid:1"})).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_P(DataStoreTest, CreateEntryAllowsSameIdsWithDifferentSelectors) {
  DS_ASSERT_OK(store().CreateEntry(MakeEntry("web", {"unix:uid:1"})).status());
  DS_ASSERT_OK(store().CreateEntry(MakeEntry("web", {"unix:uid:1", "unix:gid:2"})).status());
  DS_ASSERT_OK(store().CreateEntry(MakeEntry("web", {"unix:uid:2"})).status());
  EXPECT_EQ(*store().CountEntries({}), 3);
}

TEST_P(DataStoreTest, CreateEntryAllowsSameSelectorsUnderAnotherParent) {
  DS_ASSERT_OK(store().CreateEntry(MakeEntry("web", {"unix:uid:1"})).status());
  DS_ASSERT_OK(store()
                   .CreateEntry(MakeEntry("web", {"unix:uid:1"}, "spiffe://example.org/agent/b"))
                   .status());
}

TEST_P(DataStoreTest, CreateEntryRefusesTakenEntryId) {
  RegistrationEntry a = MakeEntry("a", {"unix:uid:1"});
  a.entry_id = "fixed";
  RegistrationEntry b = MakeEntry("b", {"unix:uid:2"});
  b.entry_id = "fixed";
  DS_ASSERT_OK(store().CreateEntry(a).status());
  absl::StatusOr<RegistrationEntry> again = store().CreateEntry(b);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Message(again.status()), HasSubstr("entry_id fixed is already taken"));
}

TEST_P(DataStoreTest, CreateEntryRefusesEntryWithoutSelectors) {
  absl::StatusOr<RegistrationEntry> e = store().CreateEntry(MakeEntry("web", {}));
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(e.status()), HasSubstr("selectors"));
}

TEST_P(DataStoreTest, CreateEntryRefusesNegativeTtl) {
  RegistrationEntry in = MakeEntry("web", {"unix:uid:1"});
  in.x509_svid_ttl_seconds = -1;
  absl::StatusOr<RegistrationEntry> e = store().CreateEntry(in);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(e.status()), HasSubstr("x509_svid_ttl"));
}

TEST_P(DataStoreTest, CreateEntriesReturnsEntriesInInputOrder) {
  DS_ASSERT_OK_AND_ASSIGN(
      std::vector<RegistrationEntry> created,
      store().CreateEntries({MakeEntry("c", {"unix:uid:1"}), MakeEntry("a", {"unix:uid:2"}),
                             MakeEntry("b", {"unix:uid:3"})}));
  EXPECT_THAT(SpiffeIds(created), ElementsAre("spiffe://example.org/c", "spiffe://example.org/a",
                                              "spiffe://example.org/b"));
  for (const RegistrationEntry& e : created) {
    EXPECT_FALSE(e.entry_id.empty());
    EXPECT_EQ(e.revision, 1);
  }
}

TEST_P(DataStoreTest, CreateEntriesWritesNothingWhenOneConflicts) {
  DS_ASSERT_OK(store().CreateEntry(MakeEntry("taken", {"unix:uid:9"})).status());
  const int64_t revision_before = *store().CurrentRevision();
  absl::StatusOr<std::vector<RegistrationEntry>> batch =
      store().CreateEntries({MakeEntry("a", {"unix:uid:1"}), MakeEntry("b", {"unix:uid:2"}),
                             MakeEntry("taken", {"unix:uid:9"}), MakeEntry("c", {"unix:uid:3"})});
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Message(batch.status()), HasSubstr("entries[2]"));
  EXPECT_EQ(*store().CountEntries({}), 1);
  EXPECT_EQ(*store().CurrentRevision(), revision_before);
}

TEST_P(DataStoreTest, CreateEntriesRefusesDuplicatesWithinTheBatch) {
  absl::StatusOr<std::vector<RegistrationEntry>> batch =
      store().CreateEntries({MakeEntry("a", {"unix:uid:1"}), MakeEntry("a", {"unix:uid:1"})});
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Message(batch.status()), HasSubstr("entries[1]"));
  EXPECT_EQ(*store().CountEntries({}), 0);
}

TEST_P(DataStoreTest, CreateEntriesRefusesInvalidEntryNamingItsIndex) {
  absl::StatusOr<std::vector<RegistrationEntry>> batch =
      store().CreateEntries({MakeEntry("a", {"unix:uid:1"}), MakeEntry("b", {})});
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(batch.status()), HasSubstr("entries[1]: selectors"));
  EXPECT_EQ(*store().CountEntries({}), 0);
}

TEST_P(DataStoreTest, UpdateEntryBumpsRevisionAndKeepsCreatedAt) {
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e,
                          store().CreateEntry(MakeEntry("web", {"unix:uid:1"})));
  const absl::Time created = e.created_at;
  clock_.Advance(absl::Minutes(5));
  e.hint = "changed";
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry updated, store().UpdateEntry(e, std::nullopt));
  EXPECT_EQ(updated.revision, 2);
  EXPECT_EQ(updated.created_at, created);
  EXPECT_EQ(updated.updated_at, Micros(clock_.Now()));
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry fetched, store().FetchEntry(e.entry_id));
  EXPECT_EQ(fetched.hint, "changed");
  EXPECT_EQ(fetched.revision, 2);
}

TEST_P(DataStoreTest, UpdateEntryReplacesSelectorsDnsNamesAndFederation) {
  RegistrationEntry in = MakeEntry("web", {"unix:uid:1", "unix:gid:1"});
  in.dns_names = {"a.example.org"};
  in.federates_with = {Td("partner.org")};
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e, store().CreateEntry(in));
  e.selectors = Sels({"k8s:ns:prod"});
  e.dns_names = {"b.example.org", "c.example.org"};
  e.federates_with = {};
  DS_ASSERT_OK(store().UpdateEntry(e, std::nullopt).status());
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry fetched, store().FetchEntry(e.entry_id));
  EXPECT_THAT(fetched.selectors, ElementsAre(Selector{"k8s", "ns:prod"}));
  EXPECT_THAT(fetched.dns_names, ElementsAre("b.example.org", "c.example.org"));
  EXPECT_THAT(fetched.federates_with, IsEmpty());
  // The old selectors no longer find it.
  EXPECT_EQ(*store().CountEntries({.selectors = Sels({"unix:uid:1"})}), 0);
}

TEST_P(DataStoreTest, UpdateEntryWithStaleRevisionIsAborted) {
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e,
                          store().CreateEntry(MakeEntry("web", {"unix:uid:1"})));
  DS_ASSERT_OK(store().UpdateEntry(e, e.revision).status());
  e.hint = "late";
  absl::StatusOr<RegistrationEntry> stale = store().UpdateEntry(e, e.revision);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry fetched, store().FetchEntry(e.entry_id));
  EXPECT_EQ(fetched.hint, "");
  EXPECT_EQ(fetched.revision, 2);
}

TEST_P(DataStoreTest, UpdateEntryOfUnknownIdIsNotFound) {
  RegistrationEntry e = MakeEntry("web", {"unix:uid:1"});
  e.entry_id = "missing";
  EXPECT_EQ(store().UpdateEntry(e, std::nullopt).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(DataStoreTest, UpdateEntryIntoAnotherEntrysIdentityIsAlreadyExists) {
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry a, store().CreateEntry(MakeEntry("a", {"unix:uid:1"})));
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry b, store().CreateEntry(MakeEntry("b", {"unix:uid:1"})));
  b.spiffe_id = a.spiffe_id;
  absl::StatusOr<RegistrationEntry> clash = store().UpdateEntry(b, std::nullopt);
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Message(clash.status()), HasSubstr(a.entry_id));
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry fetched, store().FetchEntry(b.entry_id));
  EXPECT_EQ(fetched.spiffe_id.str(), "spiffe://example.org/b");
}

TEST_P(DataStoreTest, UpdateEntryKeepingItsOwnIdentityIsAllowed) {
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e,
                          store().CreateEntry(MakeEntry("web", {"unix:uid:1"})));
  e.owner = "someone";
  DS_ASSERT_OK(store().UpdateEntry(e, std::nullopt).status());
}

TEST_P(DataStoreTest, DeleteEntryReturnsItAndRemovesIt) {
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e,
                          store().CreateEntry(MakeEntry("web", {"unix:uid:1", "unix:gid:7"})));
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry deleted, store().DeleteEntry(e.entry_id));
  EXPECT_EQ(deleted.entry_id, e.entry_id);
  EXPECT_THAT(deleted.selectors, SizeIs(2));
  EXPECT_EQ(store().FetchEntry(e.entry_id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*store().CountEntries({.selectors = Sels({"unix:gid:7"})}), 0);
}

TEST_P(DataStoreTest, DeletedEntryCanBeCreatedAgain) {
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e,
                          store().CreateEntry(MakeEntry("web", {"unix:uid:1"})));
  DS_ASSERT_OK(store().DeleteEntry(e.entry_id).status());
  DS_ASSERT_OK(store().CreateEntry(MakeEntry("web", {"unix:uid:1"})).status());
}

TEST_P(DataStoreTest, DeleteEntryOfUnknownIdIsNotFound) {
  EXPECT_EQ(store().DeleteEntry("missing").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(DataStoreTest, FetchEntryOfUnknownIdIsNotFound) {
  absl::StatusOr<RegistrationEntry> e = store().FetchEntry("missing");
  EXPECT_EQ(e.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(e.status()), HasSubstr("missing"));
}

// Fixture data for the filter cases: four entries under two parents.
class EntryFilterData {
 public:
  explicit EntryFilterData(DataStore& store) {
    Add(store, MakeEntry("a", {"unix:uid:1"}), "ops");
    Add(store, MakeEntry("b", {"unix:uid:1", "unix:gid:1"}), "ops");
    Add(store, MakeEntry("c", {"unix:uid:1", "unix:gid:1", "k8s:ns:x"}), "web");
    Add(store, MakeEntry("d", {"unix:gid:1"}, "spiffe://example.org/agent/b"), "web");
  }

 private:
  static void Add(DataStore& store, RegistrationEntry e, std::string owner) {
    e.owner = std::move(owner);
    ASSERT_TRUE(store.CreateEntry(std::move(e)).ok());
  }
};

std::vector<std::string> ListIds(DataStore& store, const EntryFilter& filter) {
  absl::StatusOr<Page<RegistrationEntry>> page = store.ListEntries(filter, {});
  EXPECT_TRUE(page.ok()) << page.status();
  return page.ok() ? SpiffeIds(page->items) : std::vector<std::string>{};
}

TEST_P(DataStoreTest, ListEntriesFiltersBySpiffeId) {
  EntryFilterData data(store());
  EXPECT_THAT(ListIds(store(), {.spiffe_id = Id("spiffe://example.org/b")}),
              ElementsAre("spiffe://example.org/b"));
}

TEST_P(DataStoreTest, ListEntriesFiltersByParentId) {
  EntryFilterData data(store());
  EXPECT_THAT(ListIds(store(), {.parent_id = Id("spiffe://example.org/agent/b")}),
              ElementsAre("spiffe://example.org/d"));
}

TEST_P(DataStoreTest, ListEntriesFiltersByOwner) {
  EntryFilterData data(store());
  EXPECT_THAT(ListIds(store(), {.owner = "web"}),
              ElementsAre("spiffe://example.org/c", "spiffe://example.org/d"));
}

TEST_P(DataStoreTest, ListEntriesSupersetMatchFindsEntriesHavingAllSelectors) {
  EntryFilterData data(store());
  EXPECT_THAT(ListIds(store(), {.selectors = Sels({"unix:uid:1", "unix:gid:1"}),
                                .selector_match = SelectorMatch::kSuperset}),
              ElementsAre("spiffe://example.org/b", "spiffe://example.org/c"));
}

TEST_P(DataStoreTest, ListEntriesExactMatchFindsEntriesWithExactlyThoseSelectors) {
  EntryFilterData data(store());
  EXPECT_THAT(ListIds(store(), {.selectors = Sels({"unix:gid:1", "unix:uid:1"}),
                                .selector_match = SelectorMatch::kExact}),
              ElementsAre("spiffe://example.org/b"));
}

TEST_P(DataStoreTest, ListEntriesSubsetMatchFindsEntriesCoveredByTheSelectors) {
  EntryFilterData data(store());
  // The workload-attestation question: which entries does a workload with these selectors get?
  EXPECT_THAT(
      ListIds(store(), {.selectors = Sels({"unix:uid:1", "unix:gid:1", "unix:pid:5"}),
                        .selector_match = SelectorMatch::kSubset}),
      ElementsAre("spiffe://example.org/a", "spiffe://example.org/b", "spiffe://example.org/d"));
}

TEST_P(DataStoreTest, ListEntriesAnyMatchFindsEntriesSharingOneSelector) {
  EntryFilterData data(store());
  EXPECT_THAT(
      ListIds(store(), {.selectors = Sels({"k8s:ns:x", "unix:gid:1"}),
                        .selector_match = SelectorMatch::kAny}),
      ElementsAre("spiffe://example.org/b", "spiffe://example.org/c", "spiffe://example.org/d"));
}

TEST_P(DataStoreTest, ListEntriesCombinesFiltersWithAnd) {
  EntryFilterData data(store());
  EXPECT_THAT(ListIds(store(), {.parent_id = Id("spiffe://example.org/agent/a"),
                                .selectors = Sels({"unix:gid:1"}),
                                .owner = "ops"}),
              ElementsAre("spiffe://example.org/b"));
}

TEST_P(DataStoreTest, ListEntriesRefusesInvalidFilterSelector) {
  EXPECT_EQ(store().ListEntries({.selectors = {Selector{"", "x"}}}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(DataStoreTest, ListEntriesPagesThroughEverythingInCreationOrder) {
  std::vector<RegistrationEntry> batch;
  for (int i = 0; i < 25; ++i) {
    batch.push_back(MakeEntry("w" + std::to_string(i), {"unix:uid:1"}));
  }
  DS_ASSERT_OK(store().CreateEntries(batch).status());

  std::vector<std::string> seen;
  std::vector<size_t> sizes;
  PageRequest request{.page_size = 10};
  while (true) {
    DS_ASSERT_OK_AND_ASSIGN(Page<RegistrationEntry> page, store().ListEntries({}, request));
    sizes.push_back(page.items.size());
    for (const RegistrationEntry& e : page.items) {
      seen.push_back(e.spiffe_id.str());
      EXPECT_THAT(e.selectors, SizeIs(1));
    }
    if (page.next_page_token.empty()) {
      break;
    }
    request.page_token = page.next_page_token;
  }
  EXPECT_THAT(sizes, ElementsAre(10, 10, 5));
  ASSERT_THAT(seen, SizeIs(25));
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(seen[i], "spiffe://example.org/w" + std::to_string(i));
  }
}

TEST_P(DataStoreTest, ListEntriesPagesAFilteredListingWithItsChildren) {
  std::vector<RegistrationEntry> batch;
  for (int i = 0; i < 12; ++i) {
    RegistrationEntry e = MakeEntry("w" + std::to_string(i), {"unix:uid:1"});
    if (i % 3 == 0) {
      e.selectors.push_back(Selector{"k8s", "ns:" + std::to_string(i)});
      e.dns_names = {"w" + std::to_string(i) + ".example.org"};
    }
    batch.push_back(std::move(e));
  }
  DS_ASSERT_OK(store().CreateEntries(batch).status());

  const EntryFilter filter{.selectors = Sels({"unix:uid:1"})};
  DS_ASSERT_OK_AND_ASSIGN(Page<RegistrationEntry> first,
                          store().ListEntries(filter, {.page_size = 5}));
  DS_ASSERT_OK_AND_ASSIGN(
      Page<RegistrationEntry> second,
      store().ListEntries(filter, {.page_size = 5, .page_token = first.next_page_token}));
  ASSERT_THAT(second.items, SizeIs(5));
  // w6 is second page's second item, and has its own children, not a neighbour's.
  const RegistrationEntry& w6 = second.items[1];
  EXPECT_EQ(w6.spiffe_id.str(), "spiffe://example.org/w6");
  EXPECT_THAT(w6.selectors, ElementsAre(Selector{"k8s", "ns:6"}, Selector{"unix", "uid:1"}));
  EXPECT_THAT(w6.dns_names, ElementsAre("w6.example.org"));
  EXPECT_THAT(second.items[2].dns_names, IsEmpty());
}

TEST_P(DataStoreTest, ListEntriesLastFullPageHasNoNextToken) {
  DS_ASSERT_OK(store()
                   .CreateEntries({MakeEntry("a", {"unix:uid:1"}), MakeEntry("b", {"unix:uid:1"})})
                   .status());
  DS_ASSERT_OK_AND_ASSIGN(Page<RegistrationEntry> page, store().ListEntries({}, {.page_size = 2}));
  EXPECT_THAT(page.items, SizeIs(2));
  EXPECT_TRUE(page.next_page_token.empty());
}

TEST_P(DataStoreTest, ListEntriesRefusesMalformedPageToken) {
  absl::StatusOr<Page<RegistrationEntry>> page =
      store().ListEntries({}, {.page_token = "not-a-token"});
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(page.status()), HasSubstr("page_token"));
}

TEST_P(DataStoreTest, ListEntriesRefusesOversizedPage) {
  EXPECT_EQ(store().ListEntries({}, {.page_size = kMaxPageSize + 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(DataStoreTest, CountEntriesCountsWhatListWouldReturn) {
  EntryFilterData data(store());
  EXPECT_EQ(*store().CountEntries({}), 4);
  EXPECT_EQ(*store().CountEntries({.selectors = Sels({"unix:gid:1"})}), 3);
  EXPECT_EQ(*store().CountEntries({.owner = "nobody"}), 0);
}

TEST_P(DataStoreTest, ReopenKeepsEntries) {
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e,
                          store().CreateEntry(MakeEntry("web", {"unix:uid:1"})));
  Reopen();
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry fetched, store().FetchEntry(e.entry_id));
  EXPECT_EQ(fetched.spiffe_id, e.spiffe_id);
  EXPECT_EQ(fetched.created_at, e.created_at);
}

// --- Attested nodes ------------------------------------------------------------------------

TEST_P(DataStoreTest, CreateNodeRoundTripsEveryField) {
  AttestedNode in = MakeNode("n1", {"join_token:abc", "aws:region:eu"});
  in.new_serial = "0c0d";
  in.new_expires_at = absl::FromUnixSeconds(1'800'003'600);
  in.can_reattest = true;
  DS_ASSERT_OK(store().CreateNode(in).status());
  DS_ASSERT_OK_AND_ASSIGN(AttestedNode n, store().FetchNode(in.spiffe_id));
  EXPECT_EQ(n.spiffe_id, in.spiffe_id);
  EXPECT_EQ(n.attestation_type, "join_token");
  EXPECT_EQ(n.serial, "0a1b");
  EXPECT_EQ(n.expires_at, in.expires_at);
  EXPECT_EQ(n.new_serial, "0c0d");
  EXPECT_EQ(n.new_expires_at, in.new_expires_at);
  EXPECT_FALSE(n.banned);
  EXPECT_TRUE(n.can_reattest);
  EXPECT_THAT(n.selectors,
              ElementsAre(Selector{"aws", "region:eu"}, Selector{"join_token", "abc"}));
  EXPECT_EQ(n.attested_at, in.attested_at);
  EXPECT_EQ(n.last_seen_at, in.last_seen_at);
  EXPECT_EQ(n.last_address, "10.0.0.1:5000");
}

TEST_P(DataStoreTest, CreateNodeTwiceIsAlreadyExists) {
  DS_ASSERT_OK(store().CreateNode(MakeNode("n1", {"a:b"})).status());
  EXPECT_EQ(store().CreateNode(MakeNode("n1", {"a:b"})).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_P(DataStoreTest, UpdateNodeReplacesSerialsAndSelectors) {
  DS_ASSERT_OK(store().CreateNode(MakeNode("n1", {"a:b", "a:c"})).status());
  AttestedNode changed = MakeNode("n1", {"a:d"});
  changed.serial = "ffff";
  DS_ASSERT_OK(store().UpdateNode(changed).status());
  DS_ASSERT_OK_AND_ASSIGN(AttestedNode n, store().FetchNode(changed.spiffe_id));
  EXPECT_EQ(n.serial, "ffff");
  EXPECT_THAT(n.selectors, ElementsAre(Selector{"a", "d"}));
}

TEST_P(DataStoreTest, UpdateNodeCannotLiftABan) {
  const AttestedNode node = MakeNode("n1", {"a:b"});
  DS_ASSERT_OK(store().CreateNode(node).status());
  DS_ASSERT_OK(store().BanNode(node.spiffe_id).status());
  AttestedNode renewal = node;
  renewal.banned = false;
  renewal.serial = "beef";
  DS_ASSERT_OK_AND_ASSIGN(AttestedNode n, store().UpdateNode(renewal));
  EXPECT_TRUE(n.banned);
}

TEST_P(DataStoreTest, UpdateNodeOfUnknownNodeIsNotFound) {
  EXPECT_EQ(store().UpdateNode(MakeNode("ghost", {"a:b"})).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(DataStoreTest, RecordNodeSeenUpdatesLastSeenWithoutAnEvent) {
  const AttestedNode node = MakeNode("n1", {"a:b"});
  DS_ASSERT_OK(store().CreateNode(node).status());
  const int64_t revision = *store().CurrentRevision();
  const absl::Time seen = absl::FromUnixSeconds(1'700'000'500);
  DS_ASSERT_OK(store().RecordNodeSeen(node.spiffe_id, seen, "10.0.0.2:6000"));
  DS_ASSERT_OK_AND_ASSIGN(AttestedNode n, store().FetchNode(node.spiffe_id));
  EXPECT_EQ(n.last_seen_at, seen);
  EXPECT_EQ(n.last_address, "10.0.0.2:6000");
  EXPECT_EQ(*store().CurrentRevision(), revision);
}

TEST_P(DataStoreTest, RecordNodeSeenOfUnknownNodeIsNotFound) {
  EXPECT_EQ(
      store().RecordNodeSeen(Id("spiffe://example.org/agent/x"), absl::UnixEpoch(), "").code(),
      absl::StatusCode::kNotFound);
}

TEST_P(DataStoreTest, BanNodeMarksItBanned) {
  const AttestedNode node = MakeNode("n1", {"a:b"});
  DS_ASSERT_OK(store().CreateNode(node).status());
  DS_ASSERT_OK_AND_ASSIGN(AttestedNode banned, store().BanNode(node.spiffe_id));
  EXPECT_TRUE(banned.banned);
  EXPECT_TRUE(store().FetchNode(node.spiffe_id)->banned);
}

TEST_P(DataStoreTest, BanNodeOfUnknownNodeIsNotFound) {
  EXPECT_EQ(store().BanNode(Id("spiffe://example.org/agent/x")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(DataStoreTest, EvictNodeDeletesItAndItsSelectors) {
  const AttestedNode node = MakeNode("n1", {"a:b"});
  DS_ASSERT_OK(store().CreateNode(node).status());
  DS_ASSERT_OK_AND_ASSIGN(AttestedNode evicted, store().EvictNode(node.spiffe_id));
  EXPECT_EQ(evicted.spiffe_id, node.spiffe_id);
  EXPECT_EQ(store().FetchNode(node.spiffe_id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*store().CountNodes({.selectors = Sels({"a:b"})}), 0);
  // An evicted node may attest again.
  DS_ASSERT_OK(store().CreateNode(node).status());
}

TEST_P(DataStoreTest, ListNodesFiltersByBanAttestationTypeExpiryAndSelectors) {
  AttestedNode a = MakeNode("a", {"region:eu", "tier:web"});
  AttestedNode b = MakeNode("b", {"region:us"});
  b.attestation_type = "x509pop";
  b.expires_at = absl::FromUnixSeconds(1'750'000'000);
  AttestedNode c = MakeNode("c", {"region:eu"});
  for (const AttestedNode& n : {a, b, c}) {
    DS_ASSERT_OK(store().CreateNode(n).status());
  }
  DS_ASSERT_OK(store().BanNode(c.spiffe_id).status());

  auto ids = [&](const NodeFilter& filter) {
    std::vector<std::string> out;
    absl::StatusOr<Page<AttestedNode>> page = store().ListNodes(filter, {});
    EXPECT_TRUE(page.ok()) << page.status();
    for (const AttestedNode& n : page.ok() ? page->items : std::vector<AttestedNode>{}) {
      out.push_back(n.spiffe_id.str());
    }
    return out;
  };
  EXPECT_THAT(ids({.banned = true}), ElementsAre("spiffe://example.org/agent/c"));
  EXPECT_THAT(ids({.attestation_type = "x509pop"}), ElementsAre("spiffe://example.org/agent/b"));
  EXPECT_THAT(ids({.expires_before = absl::FromUnixSeconds(1'760'000'000)}),
              ElementsAre("spiffe://example.org/agent/b"));
  EXPECT_THAT(ids({.selectors = Sels({"region:eu"})}),
              ElementsAre("spiffe://example.org/agent/a", "spiffe://example.org/agent/c"));
  EXPECT_THAT(ids({.selectors = Sels({"region:eu"}), .selector_match = SelectorMatch::kExact}),
              ElementsAre("spiffe://example.org/agent/c"));
}

TEST_P(DataStoreTest, ListNodesPagesWithSelectors) {
  for (int i = 0; i < 7; ++i) {
    DS_ASSERT_OK(
        store()
            .CreateNode(MakeNode("n" + std::to_string(i), {"k:v", "i:" + std::to_string(i)}))
            .status());
  }
  DS_ASSERT_OK_AND_ASSIGN(Page<AttestedNode> first, store().ListNodes({}, {.page_size = 4}));
  ASSERT_THAT(first.items, SizeIs(4));
  ASSERT_FALSE(first.next_page_token.empty());
  DS_ASSERT_OK_AND_ASSIGN(
      Page<AttestedNode> second,
      store().ListNodes({}, {.page_size = 4, .page_token = first.next_page_token}));
  ASSERT_THAT(second.items, SizeIs(3));
  EXPECT_TRUE(second.next_page_token.empty());
  EXPECT_EQ(second.items[0].spiffe_id.str(), "spiffe://example.org/agent/n4");
  EXPECT_THAT(second.items[0].selectors, ElementsAre(Selector{"i", "4"}, Selector{"k", "v"}));
}

TEST_P(DataStoreTest, CountNodesCountsMatches) {
  DS_ASSERT_OK(store().CreateNode(MakeNode("a", {"k:v"})).status());
  DS_ASSERT_OK(store().CreateNode(MakeNode("b", {"k:w"})).status());
  EXPECT_EQ(*store().CountNodes({}), 2);
  EXPECT_EQ(*store().CountNodes({.selectors = Sels({"k:w"})}), 1);
  EXPECT_EQ(*store().CountNodes({.banned = true}), 0);
}

// --- Join tokens ---------------------------------------------------------------------------

TEST_P(DataStoreTest, ConsumeJoinTokenWorksExactlyOnce) {
  const absl::Time expiry = clock_.Now() + absl::Minutes(10);
  DS_ASSERT_OK(store().CreateJoinToken(MakeToken("tok-123", expiry)));
  DS_ASSERT_OK_AND_ASSIGN(JoinToken used, store().ConsumeJoinToken(SecretBytes("tok-123")));
  EXPECT_TRUE(used.token == SecretBytes("tok-123"));
  EXPECT_EQ(used.expires_at, Micros(expiry));
  EXPECT_EQ(store().ConsumeJoinToken(SecretBytes("tok-123")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(DataStoreTest, ConsumeJoinTokenReturnsItsAlias) {
  JoinToken token = MakeToken("tok-alias", clock_.Now() + absl::Minutes(10));
  token.alias_id = Id("spiffe://example.org/nodes/rack-1");
  DS_ASSERT_OK(store().CreateJoinToken(token));
  DS_ASSERT_OK_AND_ASSIGN(JoinToken used, store().ConsumeJoinToken(SecretBytes("tok-alias")));
  ASSERT_TRUE(used.alias_id.has_value());
  EXPECT_EQ(used.alias_id->str(), "spiffe://example.org/nodes/rack-1");
}

TEST_P(DataStoreTest, ConsumeJoinTokenRefusesAnExpiredTokenAndDeletesIt) {
  DS_ASSERT_OK(store().CreateJoinToken(MakeToken("tok-old", clock_.Now() + absl::Minutes(1))));
  clock_.Advance(absl::Minutes(2));
  EXPECT_EQ(store().ConsumeJoinToken(SecretBytes("tok-old")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store().ConsumeJoinToken(SecretBytes("tok-old")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(DataStoreTest, ConsumeUnknownJoinTokenIsNotFound) {
  EXPECT_EQ(store().ConsumeJoinToken(SecretBytes("never-made")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(DataStoreTest, CreateJoinTokenTwiceIsAlreadyExistsWithoutEchoingIt) {
  DS_ASSERT_OK(store().CreateJoinToken(MakeToken("tok-dup-secret", clock_.Now() + absl::Hours(1))));
  const absl::Status again =
      store().CreateJoinToken(MakeToken("tok-dup-secret", clock_.Now() + absl::Hours(1)));
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Message(again).find("tok-dup-secret"), std::string::npos);
}

TEST_P(DataStoreTest, CreateJoinTokenRefusesEmptyToken) {
  EXPECT_EQ(store().CreateJoinToken(MakeToken("", clock_.Now())).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(DataStoreTest, PruneJoinTokensDeletesOnlyExpiredOnes) {
  DS_ASSERT_OK(store().CreateJoinToken(MakeToken("old", clock_.Now() - absl::Minutes(1))));
  DS_ASSERT_OK(store().CreateJoinToken(MakeToken("new", clock_.Now() + absl::Minutes(1))));
  DS_ASSERT_OK_AND_ASSIGN(int64_t pruned, store().PruneJoinTokens(clock_.Now()));
  EXPECT_EQ(pruned, 1);
  EXPECT_EQ(store().ConsumeJoinToken(SecretBytes("old")).status().code(),
            absl::StatusCode::kNotFound);
  DS_ASSERT_OK(store().ConsumeJoinToken(SecretBytes("new")).status());
}

// --- Bundles -------------------------------------------------------------------------------

TEST_P(DataStoreTest, SetBundleThenFetchReturnsIt) {
  DS_ASSERT_OK(store()
                   .SetBundle({.trust_domain = Td("example.org"),
                               .document = R"({"keys":[]})",
                               .sequence_number = 3})
                   .status());
  DS_ASSERT_OK_AND_ASSIGN(BundleRecord b, store().FetchBundle(Td("example.org")));
  EXPECT_EQ(b.document, R"({"keys":[]})");
  EXPECT_EQ(b.sequence_number, 3);
  EXPECT_EQ(b.updated_at, Micros(clock_.Now()));
}

TEST_P(DataStoreTest, SetBundleReplacesDocumentAndSequence) {
  DS_ASSERT_OK(store()
                   .SetBundle({.trust_domain = Td("a.org"), .document = "v1", .sequence_number = 1})
                   .status());
  clock_.Advance(absl::Seconds(1));
  DS_ASSERT_OK_AND_ASSIGN(
      BundleRecord b,
      store().SetBundle({.trust_domain = Td("a.org"), .document = "v2", .sequence_number = 2}));
  EXPECT_EQ(b.document, "v2");
  EXPECT_EQ(b.sequence_number, 2);
  EXPECT_EQ(b.updated_at, Micros(clock_.Now()));
  EXPECT_THAT(*store().ListBundles(), SizeIs(1));
}

TEST_P(DataStoreTest, ListBundlesIsOrderedByTrustDomain) {
  for (std::string_view td : {"zeta.org", "alpha.org", "mid.org"}) {
    DS_ASSERT_OK(store().SetBundle({.trust_domain = Td(td), .document = "d"}).status());
  }
  DS_ASSERT_OK_AND_ASSIGN(std::vector<BundleRecord> bundles, store().ListBundles());
  ASSERT_THAT(bundles, SizeIs(3));
  EXPECT_EQ(bundles[0].trust_domain.name(), "alpha.org");
  EXPECT_EQ(bundles[2].trust_domain.name(), "zeta.org");
}

TEST_P(DataStoreTest, DeleteBundleRemovesItAndUnknownIsNotFound) {
  DS_ASSERT_OK(store().SetBundle({.trust_domain = Td("a.org"), .document = "d"}).status());
  DS_ASSERT_OK(store().DeleteBundle(Td("a.org")));
  EXPECT_EQ(store().FetchBundle(Td("a.org")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store().DeleteBundle(Td("a.org")).code(), absl::StatusCode::kNotFound);
}

TEST_P(DataStoreTest, SetBundleRefusesEmptyDocument) {
  EXPECT_EQ(store().SetBundle({.trust_domain = Td("a.org")}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// --- CA journal ----------------------------------------------------------------------------

TEST_P(DataStoreTest, UpsertAuthorityRoundTripsEveryField) {
  AuthorityRecord in = MakeAuthority(AuthorityKind::kX509, "ab12cd");
  in.state = AuthorityState::kActive;
  in.tainted = true;
  in.upstream_authority_id = "ffee";
  DS_ASSERT_OK(store().UpsertAuthority(in).status());
  DS_ASSERT_OK_AND_ASSIGN(AuthorityRecord a,
                          store().FetchAuthority(AuthorityKind::kX509, "ab12cd"));
  EXPECT_EQ(a.state, AuthorityState::kActive);
  EXPECT_TRUE(a.tainted);
  EXPECT_FALSE(a.revoked);
  EXPECT_EQ(a.public_key_der, in.public_key_der);
  EXPECT_EQ(a.certificate_der, in.certificate_der);
  EXPECT_EQ(a.upstream_authority_id, "ffee");
  EXPECT_EQ(a.not_before, in.not_before);
  EXPECT_EQ(a.not_after, in.not_after);
  EXPECT_EQ(a.created_at, Micros(clock_.Now()));
}

TEST_P(DataStoreTest, UpsertAuthorityChangesStateAndKeepsCreatedAt) {
  AuthorityRecord in = MakeAuthority(AuthorityKind::kJwt, "kid-1");
  DS_ASSERT_OK_AND_ASSIGN(AuthorityRecord first, store().UpsertAuthority(in));
  clock_.Advance(absl::Hours(1));
  in.state = AuthorityState::kOld;
  in.revoked = true;
  DS_ASSERT_OK_AND_ASSIGN(AuthorityRecord second, store().UpsertAuthority(in));
  EXPECT_EQ(second.state, AuthorityState::kOld);
  EXPECT_TRUE(second.revoked);
  EXPECT_EQ(second.created_at, first.created_at);
}

TEST_P(DataStoreTest, ListAuthoritiesFiltersByKindOldestFirst) {
  DS_ASSERT_OK(store().UpsertAuthority(MakeAuthority(AuthorityKind::kX509, "x1")).status());
  clock_.Advance(absl::Seconds(1));
  DS_ASSERT_OK(store().UpsertAuthority(MakeAuthority(AuthorityKind::kJwt, "j1")).status());
  clock_.Advance(absl::Seconds(1));
  DS_ASSERT_OK(store().UpsertAuthority(MakeAuthority(AuthorityKind::kX509, "x0")).status());
  DS_ASSERT_OK_AND_ASSIGN(std::vector<AuthorityRecord> x509,
                          store().ListAuthorities(AuthorityKind::kX509));
  ASSERT_THAT(x509, SizeIs(2));
  EXPECT_EQ(x509[0].authority_id, "x1");
  EXPECT_EQ(x509[1].authority_id, "x0");
  EXPECT_THAT(*store().ListAuthorities(std::nullopt), SizeIs(3));
}

TEST_P(DataStoreTest, DeleteAuthorityRemovesItAndUnknownIsNotFound) {
  DS_ASSERT_OK(store().UpsertAuthority(MakeAuthority(AuthorityKind::kJwt, "k")).status());
  DS_ASSERT_OK(store().DeleteAuthority(AuthorityKind::kJwt, "k"));
  EXPECT_EQ(store().FetchAuthority(AuthorityKind::kJwt, "k").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store().DeleteAuthority(AuthorityKind::kJwt, "k").code(), absl::StatusCode::kNotFound);
}

TEST_P(DataStoreTest, AuthorityKindsHaveSeparateIdSpaces) {
  DS_ASSERT_OK(store().UpsertAuthority(MakeAuthority(AuthorityKind::kJwt, "same")).status());
  DS_ASSERT_OK(store().UpsertAuthority(MakeAuthority(AuthorityKind::kX509, "same")).status());
  EXPECT_THAT(*store().ListAuthorities(std::nullopt), SizeIs(2));
}

TEST_P(DataStoreTest, UpsertAuthorityRefusesJwtAuthorityWithCertificate) {
  AuthorityRecord in = MakeAuthority(AuthorityKind::kJwt, "k");
  in.certificate_der = "x";
  EXPECT_EQ(store().UpsertAuthority(in).status().code(), absl::StatusCode::kInvalidArgument);
}

// --- Federation relationships --------------------------------------------------------------

FederationRelationship MakeRelationship(std::string_view td) {
  return FederationRelationship{
      .trust_domain = Td(td),
      .bundle_endpoint_url = "https://" + std::string(td) + "/bundle",
      .profile = FederationProfile::kHttpsSpiffe,
      .endpoint_spiffe_id = Id("spiffe://" + std::string(td) + "/bundle-server"),
  };
}

TEST_P(DataStoreTest, SetFederationRelationshipRoundTripsWithEmptyRefreshState) {
  FederationRelationship in = MakeRelationship("partner.org");
  in.refresh.last_sequence = 99;  // ignored for a new relationship
  DS_ASSERT_OK(store().SetFederationRelationship(in).status());
  DS_ASSERT_OK_AND_ASSIGN(FederationRelationship r,
                          store().FetchFederationRelationship(Td("partner.org")));
  EXPECT_EQ(r.bundle_endpoint_url, "https://partner.org/bundle");
  EXPECT_EQ(r.profile, FederationProfile::kHttpsSpiffe);
  EXPECT_EQ(r.endpoint_spiffe_id, in.endpoint_spiffe_id);
  EXPECT_FALSE(r.refresh.last_refresh.has_value());
  EXPECT_EQ(r.refresh.last_sequence, 0);
}

TEST_P(DataStoreTest, RefreshStateSurvivesAConfigurationChange) {
  DS_ASSERT_OK(store().SetFederationRelationship(MakeRelationship("partner.org")).status());
  const absl::Time refreshed = absl::FromUnixSeconds(1'700'000'000);
  DS_ASSERT_OK(store().RecordFederationRefresh(
      Td("partner.org"), {.last_refresh = refreshed, .last_error = "timeout", .last_sequence = 7}));
  FederationRelationship web = MakeRelationship("partner.org");
  web.profile = FederationProfile::kHttpsWeb;
  web.endpoint_spiffe_id.reset();
  DS_ASSERT_OK_AND_ASSIGN(FederationRelationship r, store().SetFederationRelationship(web));
  EXPECT_EQ(r.profile, FederationProfile::kHttpsWeb);
  EXPECT_FALSE(r.endpoint_spiffe_id.has_value());
  EXPECT_EQ(r.refresh.last_refresh, refreshed);
  EXPECT_EQ(r.refresh.last_error, "timeout");
  EXPECT_EQ(r.refresh.last_sequence, 7);
}

TEST_P(DataStoreTest, HttpsSpiffeRelationshipNeedsEndpointId) {
  FederationRelationship in = MakeRelationship("partner.org");
  in.endpoint_spiffe_id.reset();
  absl::StatusOr<FederationRelationship> r = store().SetFederationRelationship(in);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(r.status()), HasSubstr("endpoint_spiffe_id"));
}

TEST_P(DataStoreTest, ListAndDeleteFederationRelationships) {
  DS_ASSERT_OK(store().SetFederationRelationship(MakeRelationship("b.org")).status());
  DS_ASSERT_OK(store().SetFederationRelationship(MakeRelationship("a.org")).status());
  DS_ASSERT_OK_AND_ASSIGN(std::vector<FederationRelationship> all,
                          store().ListFederationRelationships());
  ASSERT_THAT(all, SizeIs(2));
  EXPECT_EQ(all[0].trust_domain.name(), "a.org");
  DS_ASSERT_OK(store().DeleteFederationRelationship(Td("a.org")));
  EXPECT_THAT(*store().ListFederationRelationships(), SizeIs(1));
  EXPECT_EQ(store().DeleteFederationRelationship(Td("a.org")).code(), absl::StatusCode::kNotFound);
}

TEST_P(DataStoreTest, RecordFederationRefreshOfUnknownRelationshipIsNotFound) {
  EXPECT_EQ(store().RecordFederationRefresh(Td("none.org"), {}).code(),
            absl::StatusCode::kNotFound);
}

// --- Issuance ledger -----------------------------------------------------------------------

TEST_P(DataStoreTest, ListIssuancesBySpiffeIdRoundTripsEveryField) {
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  IssuanceRecord jwt = MakeIssuance("api", t0);
  jwt.kind = SvidKind::kJwt;
  jwt.agent_id.reset();
  jwt.audiences = {"https://a.example", "b"};
  DS_ASSERT_OK(store().AppendIssuances({MakeIssuance("web", t0), jwt, MakeIssuance("web", t0)}));
  DS_ASSERT_OK_AND_ASSIGN(Page<IssuanceRecord> page,
                          store().ListIssuances({.spiffe_id = Id("spiffe://example.org/api")}, {}));
  ASSERT_THAT(page.items, SizeIs(1));
  const IssuanceRecord& r = page.items[0];
  EXPECT_EQ(r.kind, SvidKind::kJwt);
  EXPECT_EQ(r.issued_at, t0);
  EXPECT_EQ(r.entry_id, "e1");
  EXPECT_FALSE(r.agent_id.has_value());
  EXPECT_EQ(r.serial, "01ff");
  EXPECT_EQ(r.key_fingerprint, std::string(64, 'a'));
  EXPECT_EQ(r.expires_at, t0 + absl::Hours(1));
  EXPECT_THAT(r.audiences, ElementsAre("https://a.example", "b"));
}

TEST_P(DataStoreTest, ListIssuancesSinceReturnsOnlyLaterRecords) {
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  DS_ASSERT_OK(
      store().AppendIssuances({MakeIssuance("a", t0), MakeIssuance("b", t0 + absl::Hours(1)),
                               MakeIssuance("c", t0 + absl::Hours(2))}));
  DS_ASSERT_OK_AND_ASSIGN(Page<IssuanceRecord> page,
                          store().ListIssuances({.since = t0 + absl::Hours(1)}, {}));
  ASSERT_THAT(page.items, SizeIs(2));
  EXPECT_EQ(page.items[0].spiffe_id.str(), "spiffe://example.org/b");
}

TEST_P(DataStoreTest, ListIssuancesPages) {
  std::vector<IssuanceRecord> records;
  for (int i = 0; i < 5; ++i) {
    records.push_back(MakeIssuance("w" + std::to_string(i), absl::FromUnixSeconds(i)));
  }
  DS_ASSERT_OK(store().AppendIssuances(records));
  DS_ASSERT_OK_AND_ASSIGN(Page<IssuanceRecord> first, store().ListIssuances({}, {.page_size = 3}));
  DS_ASSERT_OK_AND_ASSIGN(
      Page<IssuanceRecord> second,
      store().ListIssuances({}, {.page_size = 3, .page_token = first.next_page_token}));
  EXPECT_THAT(first.items, SizeIs(3));
  ASSERT_THAT(second.items, SizeIs(2));
  EXPECT_EQ(second.items[0].spiffe_id.str(), "spiffe://example.org/w3");
  EXPECT_TRUE(second.next_page_token.empty());
}

TEST_P(DataStoreTest, PruneIssuancesDeletesOlderRecords) {
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  DS_ASSERT_OK(
      store().AppendIssuances({MakeIssuance("a", t0), MakeIssuance("b", t0 + absl::Hours(2))}));
  DS_ASSERT_OK_AND_ASSIGN(int64_t pruned, store().PruneIssuances(t0 + absl::Hours(1)));
  EXPECT_EQ(pruned, 1);
  DS_ASSERT_OK_AND_ASSIGN(Page<IssuanceRecord> page, store().ListIssuances({}, {}));
  ASSERT_THAT(page.items, SizeIs(1));
  EXPECT_EQ(page.items[0].spiffe_id.str(), "spiffe://example.org/b");
}

TEST_P(DataStoreTest, AppendIssuancesIsAllOrNothing) {
  IssuanceRecord bad = MakeIssuance("b", absl::UnixEpoch());
  bad.audiences.assign(kMaxAudiences + 1, "x");
  const absl::Status s = store().AppendIssuances({MakeIssuance("a", absl::UnixEpoch()), bad});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), HasSubstr("records[1]"));
  EXPECT_THAT(store().ListIssuances({}, {})->items, IsEmpty());
}

// --- Change log ----------------------------------------------------------------------------

TEST_P(DataStoreTest, EntryLifecycleAppendsEventsInOrder) {
  const int64_t start = *store().CurrentRevision();
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e,
                          store().CreateEntry(MakeEntry("web", {"unix:uid:1"})));
  DS_ASSERT_OK(store().UpdateEntry(e, std::nullopt).status());
  DS_ASSERT_OK(store().DeleteEntry(e.entry_id).status());
  DS_ASSERT_OK_AND_ASSIGN(std::vector<Event> events, store().ListEventsSince(start, 0));
  EXPECT_THAT(Kinds(events), ElementsAre(EventKind::kEntryCreated, EventKind::kEntryUpdated,
                                         EventKind::kEntryDeleted));
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].subject, e.entry_id);
    EXPECT_EQ(events[i].recorded_at, Micros(clock_.Now()));
    if (i > 0) {
      EXPECT_GT(events[i].revision, events[i - 1].revision);
    }
  }
  EXPECT_EQ(*store().CurrentRevision(), events.back().revision);
}

TEST_P(DataStoreTest, NodeBanAndEvictAppendEvents) {
  const AttestedNode node = MakeNode("n1", {"a:b"});
  DS_ASSERT_OK(store().CreateNode(node).status());
  const int64_t after_create = *store().CurrentRevision();
  DS_ASSERT_OK(store().BanNode(node.spiffe_id).status());
  DS_ASSERT_OK(store().EvictNode(node.spiffe_id).status());
  DS_ASSERT_OK_AND_ASSIGN(std::vector<Event> events, store().ListEventsSince(after_create, 0));
  EXPECT_THAT(Kinds(events), ElementsAre(EventKind::kNodeBanned, EventKind::kNodeEvicted));
  EXPECT_EQ(events[0].subject, node.spiffe_id.str());
}

TEST_P(DataStoreTest, BatchCreateAppendsOneEventPerEntry) {
  DS_ASSERT_OK_AND_ASSIGN(
      std::vector<RegistrationEntry> created,
      store().CreateEntries({MakeEntry("a", {"unix:uid:1"}), MakeEntry("b", {"unix:uid:1"})}));
  DS_ASSERT_OK_AND_ASSIGN(std::vector<Event> events, store().ListEventsSince(0, 0));
  ASSERT_THAT(events, SizeIs(2));
  EXPECT_EQ(events[0].subject, created[0].entry_id);
  EXPECT_EQ(events[1].subject, created[1].entry_id);
}

TEST_P(DataStoreTest, ListEventsSinceHonoursLimitAndResumes) {
  for (int i = 0; i < 5; ++i) {
    DS_ASSERT_OK(store().CreateEntry(MakeEntry("w" + std::to_string(i), {"a:b"})).status());
  }
  DS_ASSERT_OK_AND_ASSIGN(std::vector<Event> first, store().ListEventsSince(0, 2));
  ASSERT_THAT(first, SizeIs(2));
  DS_ASSERT_OK_AND_ASSIGN(std::vector<Event> rest,
                          store().ListEventsSince(first.back().revision, 0));
  EXPECT_THAT(rest, SizeIs(3));
  DS_ASSERT_OK_AND_ASSIGN(std::vector<Event> none,
                          store().ListEventsSince(*store().CurrentRevision(), 0));
  EXPECT_THAT(none, IsEmpty());
}

TEST_P(DataStoreTest, FailedWriteAppendsNoEvent) {
  DS_ASSERT_OK(store().CreateEntry(MakeEntry("web", {"a:b"})).status());
  const int64_t revision = *store().CurrentRevision();
  EXPECT_FALSE(store().CreateEntry(MakeEntry("web", {"a:b"})).ok());
  EXPECT_FALSE(store().DeleteEntry("missing").ok());
  EXPECT_EQ(*store().CurrentRevision(), revision);
}

TEST_P(DataStoreTest, ReadingPrunedEventsIsOutOfRange) {
  DS_ASSERT_OK(store().CreateEntry(MakeEntry("a", {"a:b"})).status());
  clock_.Advance(absl::Hours(1));
  DS_ASSERT_OK(store().CreateEntry(MakeEntry("b", {"a:b"})).status());
  DS_ASSERT_OK_AND_ASSIGN(int64_t pruned, store().PruneEvents(clock_.Now() - absl::Minutes(1)));
  EXPECT_EQ(pruned, 1);
  EXPECT_EQ(store().ListEventsSince(0, 0).status().code(), absl::StatusCode::kOutOfRange);
  DS_ASSERT_OK_AND_ASSIGN(std::vector<Event> tail, store().ListEventsSince(1, 0));
  EXPECT_THAT(tail, SizeIs(1));
}

TEST_P(DataStoreTest, CurrentRevisionSurvivesPruningEveryEvent) {
  DS_ASSERT_OK(store().CreateEntry(MakeEntry("a", {"a:b"})).status());
  DS_ASSERT_OK(store().CreateEntry(MakeEntry("b", {"a:b"})).status());
  const int64_t revision = *store().CurrentRevision();
  clock_.Advance(absl::Seconds(1));
  DS_ASSERT_OK(store().PruneEvents(clock_.Now()).status());
  EXPECT_EQ(*store().CurrentRevision(), revision);
  EXPECT_EQ(store().ListEventsSince(revision - 1, 0).status().code(),
            absl::StatusCode::kOutOfRange);
  DS_ASSERT_OK_AND_ASSIGN(std::vector<Event> none, store().ListEventsSince(revision, 0));
  EXPECT_THAT(none, IsEmpty());
  // New events continue above the pruned ones.
  DS_ASSERT_OK(store().CreateEntry(MakeEntry("c", {"a:b"})).status());
  EXPECT_EQ(*store().CurrentRevision(), revision + 1);
}

TEST_P(DataStoreTest, ListEventsSinceRefusesAnOversizedLimit) {
  EXPECT_EQ(store().ListEventsSince(0, kMaxPageSize + 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(DataStoreTest, RevisionAheadOfTheLogIsOutOfRange) {
  DS_ASSERT_OK(store().CreateEntry(MakeEntry("a", {"a:b"})).status());
  EXPECT_EQ(store().ListEventsSince(*store().CurrentRevision() + 5, 0).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST_P(DataStoreTest, BundleAuthorityAndFederationChangesAppendEvents) {
  DS_ASSERT_OK(store().SetBundle({.trust_domain = Td("a.org"), .document = "d"}).status());
  DS_ASSERT_OK(store().UpsertAuthority(MakeAuthority(AuthorityKind::kJwt, "k1")).status());
  DS_ASSERT_OK(store().SetFederationRelationship(MakeRelationship("b.org")).status());
  DS_ASSERT_OK_AND_ASSIGN(std::vector<Event> events, store().ListEventsSince(0, 0));
  EXPECT_THAT(Kinds(events), ElementsAre(EventKind::kBundleSet, EventKind::kAuthoritySet,
                                         EventKind::kFederationSet));
  EXPECT_EQ(events[1].subject, "jwt:k1");
}

TEST_P(DataStoreTest, EventsSurviveReopen) {
  DS_ASSERT_OK(store().CreateEntry(MakeEntry("a", {"a:b"})).status());
  const int64_t revision = *store().CurrentRevision();
  Reopen();
  EXPECT_EQ(*store().CurrentRevision(), revision);
  EXPECT_THAT(*store().ListEventsSince(0, 0), SizeIs(1));
}

}  // namespace
}  // namespace testing
}  // namespace sigil::server
