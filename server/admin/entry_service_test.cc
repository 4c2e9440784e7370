// EntryService through a real server: SQLite datastore in a scratch directory, calls over the
// admin socket.
#include "server/admin/entry_service.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "admin.grpc.pb.h"
#include "server/admin/admin_test_server.h"

namespace sigil::server {
namespace {

namespace v1 = sigil::admin::v1;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kAlias[] = "spiffe://example.org/sigil/server";

v1::Entry MakeEntry(std::string spiffe_id, std::string parent_id = kAlias,
                    std::string selector_value = "uid:1000") {
  v1::Entry entry;
  entry.set_spiffe_id(std::move(spiffe_id));
  entry.set_parent_id(std::move(parent_id));
  v1::Selector* selector = entry.add_selectors();
  selector->set_type("unix");
  selector->set_value(std::move(selector_value));
  return entry;
}

class EntryServiceTest : public ::testing::Test {
 protected:
  EntryServiceTest() : stub_(v1::EntryService::NewStub(server_.channel())) {}

  grpc::Status Create(const std::vector<v1::Entry>& entries,
                      v1::CreateEntriesResponse* response = nullptr) {
    v1::CreateEntriesRequest request;
    for (const v1::Entry& entry : entries) {
      *request.add_entries() = entry;
    }
    v1::CreateEntriesResponse local;
    return stub_->CreateEntries(testing::TestServer::Context().get(), request,
                                response != nullptr ? response : &local);
  }

  v1::Entry CreateOne(const v1::Entry& entry) {
    v1::CreateEntriesResponse response;
    grpc::Status status = Create({entry}, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.entries_size() == 1 ? response.entries(0) : v1::Entry();
  }

  int64_t Count(const v1::EntryFilter& filter = {}) {
    v1::CountEntriesRequest request;
    *request.mutable_filter() = filter;
    v1::CountResponse response;
    EXPECT_TRUE(stub_->CountEntries(testing::TestServer::Context().get(), request, &response).ok());
    return response.count();
  }

  // The refusal of a single entry: its code and message.
  grpc::Status Refusal(const v1::Entry& entry) {
    grpc::Status status = Create({entry});
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(Count(), 0) << "a refused entry must not be stored";
    return status;
  }

  testing::TestServer server_;
  std::unique_ptr<v1::EntryService::Stub> stub_;
};

TEST_F(EntryServiceTest, CreatesNodeAliasChildWithServerOwnedFields) {
  v1::Entry created = CreateOne(MakeEntry("spiffe://example.org/web"));
  EXPECT_FALSE(created.id().empty());
  EXPECT_EQ(created.spiffe_id(), "spiffe://example.org/web");
  EXPECT_EQ(created.parent_id(), kAlias);
  EXPECT_EQ(created.revision(), 1);
  EXPECT_GT(created.created_at(), 0);
  ASSERT_EQ(created.selectors_size(), 1);
  EXPECT_EQ(created.selectors(0).value(), "uid:1000");
}

// ID-05: an uppercase trust domain is refused, never lowercased.
TEST_F(EntryServiceTest, RejectsMalformedSpiffeIdWithParserMessage) {
  grpc::Status status = Refusal(MakeEntry("spiffe://Example.org/web"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("spiffe_id: "));
  EXPECT_THAT(status.error_message(), HasSubstr("uppercase"));
}

TEST_F(EntryServiceTest, RejectsMissingSpiffeId) {
  grpc::Status status = Refusal(MakeEntry(""));
  EXPECT_EQ(status.error_message(), "spiffe_id is required");
}

// ID-23: the trust domain's own ID is never a workload identity.
TEST_F(EntryServiceTest, RejectsTrustDomainIdAsSpiffeId) {
  grpc::Status status = Refusal(MakeEntry("spiffe://example.org"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("spiffe_id"));
  EXPECT_THAT(status.error_message(), HasSubstr("needs a path"));
}

TEST_F(EntryServiceTest, RejectsSpiffeIdOutsideTrustDomain) {
  grpc::Status status = Refusal(MakeEntry("spiffe://other.org/web"));
  EXPECT_EQ(status.error_message(),
            "spiffe_id spiffe://other.org/web is outside the server's trust domain example.org");
}

TEST_F(EntryServiceTest, RejectsSelectorWithoutType) {
  v1::Entry entry = MakeEntry("spiffe://example.org/web");
  entry.mutable_selectors(0)->set_type("");
  grpc::Status status = Refusal(entry);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "selectors[0]: selector type is empty");
}

TEST_F(EntryServiceTest, RejectsEntryWithoutSelectors) {
  v1::Entry entry = MakeEntry("spiffe://example.org/web");
  entry.clear_selectors();
  EXPECT_THAT(Refusal(entry).error_message(), HasSubstr("at least one selector"));
}

TEST_F(EntryServiceTest, RejectsNegativeTtl) {
  v1::Entry entry = MakeEntry("spiffe://example.org/web");
  entry.set_jwt_svid_ttl(-1);
  EXPECT_EQ(Refusal(entry).error_message(), "jwt_svid_ttl is negative");
}

TEST_F(EntryServiceTest, RejectsTtlLongerThanCaTtl) {
  v1::Entry entry = MakeEntry("spiffe://example.org/web");
  entry.set_x509_svid_ttl(86401);
  EXPECT_EQ(Refusal(entry).error_message(),
            "x509_svid_ttl 86401s is longer than the CA TTL (86400s)");
}

TEST_F(EntryServiceTest, RejectsUnknownParent) {
  grpc::Status status =
      Refusal(MakeEntry("spiffe://example.org/web", "spiffe://example.org/nobody"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              StartsWith("parent_id spiffe://example.org/nobody is unknown"));
}

TEST_F(EntryServiceTest, RejectsParentOutsideTrustDomain) {
  grpc::Status status = Refusal(MakeEntry("spiffe://example.org/web", "spiffe://other.org/x"));
  EXPECT_THAT(status.error_message(), StartsWith("parent_id spiffe://other.org/x is outside"));
}

TEST_F(EntryServiceTest, AcceptsAnotherEntrysSpiffeIdAsParent) {
  CreateOne(MakeEntry("spiffe://example.org/node-group"));
  v1::Entry child =
      CreateOne(MakeEntry("spiffe://example.org/web", "spiffe://example.org/node-group", "uid:1"));
  EXPECT_EQ(child.parent_id(), "spiffe://example.org/node-group");
}

TEST_F(EntryServiceTest, AcceptsAttestedAgentAsParent) {
  AttestedNode node{
      .spiffe_id = *SpiffeId::Parse("spiffe://example.org/sigil/agent/join_token/abc"),
      .attestation_type = "join_token"};
  node.expires_at = absl::Now() + absl::Hours(1);
  ASSERT_TRUE(server_.datastore().CreateNode(node).ok());
  v1::Entry child = CreateOne(MakeEntry("spiffe://example.org/web", node.spiffe_id.str()));
  EXPECT_EQ(child.parent_id(), node.spiffe_id.str());
}

TEST_F(EntryServiceTest, RejectsDuplicateNamingExistingEntry) {
  v1::Entry first = CreateOne(MakeEntry("spiffe://example.org/web"));
  grpc::Status status = Create({MakeEntry("spiffe://example.org/web")});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr(first.id()));
  EXPECT_EQ(Count(), 1);
}

TEST_F(EntryServiceTest, RejectsBadDnsName) {
  v1::Entry entry = MakeEntry("spiffe://example.org/web");
  entry.add_dns_names("bad_name.example.org");
  EXPECT_THAT(Refusal(entry).error_message(), StartsWith("dns_names[0] has a character outside"));
}

TEST_F(EntryServiceTest, RejectsBadFederatesWith) {
  v1::Entry entry = MakeEntry("spiffe://example.org/web");
  entry.add_federates_with("Partner.org");
  EXPECT_THAT(Refusal(entry).error_message(), StartsWith("federates_with[0]: "));
}

TEST_F(EntryServiceTest, RejectsOwnTrustDomainInFederatesWith) {
  v1::Entry entry = MakeEntry("spiffe://example.org/web");
  entry.add_federates_with("example.org");
  EXPECT_THAT(Refusal(entry).error_message(), HasSubstr("own trust domain"));
}

TEST_F(EntryServiceTest, RejectsExpiresAtInThePast) {
  v1::Entry entry = MakeEntry("spiffe://example.org/web");
  entry.set_expires_at(absl::ToUnixSeconds(absl::Now() - absl::Minutes(1)));
  EXPECT_THAT(Refusal(entry).error_message(), HasSubstr("is in the past"));
}

TEST_F(EntryServiceTest, KeepsEveryOptionalField) {
  v1::Entry entry = MakeEntry("spiffe://example.org/web");
  entry.set_x509_svid_ttl(600);
  entry.set_jwt_svid_ttl(60);
  entry.add_dns_names("web.example.org");
  entry.add_federates_with("partner.org");
  entry.set_admin(true);
  entry.set_downstream(true);
  entry.set_hint("web");
  entry.set_expires_at(absl::ToUnixSeconds(absl::Now() + absl::Hours(24)));
  entry.set_owner("team-web");
  entry.set_description("front end");
  v1::Entry created = CreateOne(entry);
  EXPECT_EQ(created.x509_svid_ttl(), 600);
  EXPECT_EQ(created.jwt_svid_ttl(), 60);
  EXPECT_EQ(created.dns_names(0), "web.example.org");
  EXPECT_EQ(created.federates_with(0), "partner.org");
  EXPECT_TRUE(created.admin());
  EXPECT_TRUE(created.downstream());
  EXPECT_EQ(created.hint(), "web");
  EXPECT_EQ(created.expires_at(), entry.expires_at());
  EXPECT_EQ(created.owner(), "team-web");
  EXPECT_EQ(created.description(), "front end");
}

TEST_F(EntryServiceTest, BatchWithOneBadEntryWritesNothing) {
  grpc::Status status =
      Create({MakeEntry("spiffe://example.org/a"), MakeEntry("spiffe://example.org/b"),
              MakeEntry("spiffe://example.org/c", "spiffe://example.org/missing")});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("entries[2]: parent_id"));
  EXPECT_EQ(Count(), 0);
}

TEST_F(EntryServiceTest, BatchWithDuplicateInsideWritesNothing) {
  grpc::Status status =
      Create({MakeEntry("spiffe://example.org/a"), MakeEntry("spiffe://example.org/a")});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), StartsWith("entries[1]: "));
  EXPECT_EQ(Count(), 0);
}

TEST_F(EntryServiceTest, BatchMayListChildBeforeItsParent) {
  v1::CreateEntriesResponse response;
  grpc::Status status = Create({MakeEntry("spiffe://example.org/web", "spiffe://example.org/group"),
                                MakeEntry("spiffe://example.org/group")},
                               &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.entries_size(), 2);
  EXPECT_EQ(Count(), 2);
}

TEST_F(EntryServiceTest, RejectsEmptyBatch) {
  grpc::Status status = Create({});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("at least one entry"));
}

TEST_F(EntryServiceTest, UpdateReplacesFieldsAndKeepsIdentity) {
  v1::Entry created = CreateOne(MakeEntry("spiffe://example.org/web"));
  v1::Entry changed = MakeEntry("spiffe://example.org/web2", kAlias, "uid:2000");
  changed.set_id(created.id());
  changed.set_owner("ops");
  changed.set_revision(99);  // ignored: the server owns the revision
  v1::UpdateEntryRequest request;
  *request.mutable_entry() = changed;
  v1::Entry updated;
  ASSERT_TRUE(stub_->UpdateEntry(testing::TestServer::Context().get(), request, &updated).ok());
  EXPECT_EQ(updated.id(), created.id());
  EXPECT_EQ(updated.spiffe_id(), "spiffe://example.org/web2");
  EXPECT_EQ(updated.selectors(0).value(), "uid:2000");
  EXPECT_EQ(updated.owner(), "ops");
  EXPECT_EQ(updated.revision(), 2);
  EXPECT_EQ(updated.created_at(), created.created_at());
}

TEST_F(EntryServiceTest, UpdateWithStaleRevisionIsAborted) {
  v1::Entry created = CreateOne(MakeEntry("spiffe://example.org/web"));
  v1::UpdateEntryRequest request;
  *request.mutable_entry() = created;
  request.set_expected_revision(7);
  v1::Entry updated;
  grpc::Status status = stub_->UpdateEntry(testing::TestServer::Context().get(), request, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
}

TEST_F(EntryServiceTest, UpdateOfUnknownEntryIsNotFound) {
  v1::UpdateEntryRequest request;
  *request.mutable_entry() = MakeEntry("spiffe://example.org/web");
  request.mutable_entry()->set_id("no-such-entry");
  v1::Entry updated;
  grpc::Status status = stub_->UpdateEntry(testing::TestServer::Context().get(), request, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(EntryServiceTest, UpdateIsValidatedLikeCreate) {
  v1::Entry created = CreateOne(MakeEntry("spiffe://example.org/web"));
  v1::UpdateEntryRequest request;
  *request.mutable_entry() = created;
  request.mutable_entry()->set_parent_id("spiffe://example.org/missing");
  v1::Entry updated;
  grpc::Status status = stub_->UpdateEntry(testing::TestServer::Context().get(), request, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("parent_id"));
}

TEST_F(EntryServiceTest, DeleteReturnsTheEntryAndRemovesIt) {
  v1::Entry created = CreateOne(MakeEntry("spiffe://example.org/web"));
  v1::DeleteEntryRequest request;
  request.set_id(created.id());
  v1::DeleteEntryResponse response;
  ASSERT_TRUE(stub_->DeleteEntry(testing::TestServer::Context().get(), request, &response).ok());
  EXPECT_EQ(response.entry().spiffe_id(), "spiffe://example.org/web");
  EXPECT_EQ(Count(), 0);
  grpc::Status again = stub_->DeleteEntry(testing::TestServer::Context().get(), request, &response);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(EntryServiceTest, GetFindsById) {
  v1::Entry created = CreateOne(MakeEntry("spiffe://example.org/web"));
  v1::GetEntryRequest request;
  request.set_id(created.id());
  v1::Entry fetched;
  ASSERT_TRUE(stub_->GetEntry(testing::TestServer::Context().get(), request, &fetched).ok());
  EXPECT_EQ(fetched.SerializeAsString(), created.SerializeAsString());
}

TEST_F(EntryServiceTest, ListFiltersBySelectorSuperset) {
  v1::Entry two = MakeEntry("spiffe://example.org/a");
  v1::Selector* extra = two.add_selectors();
  extra->set_type("unix");
  extra->set_value("gid:50");
  CreateOne(two);
  CreateOne(MakeEntry("spiffe://example.org/b"));
  v1::EntryFilter filter;
  *filter.add_selectors() = two.selectors(1);
  v1::ListEntriesRequest request;
  *request.mutable_filter() = filter;
  v1::ListEntriesResponse response;
  ASSERT_TRUE(stub_->ListEntries(testing::TestServer::Context().get(), request, &response).ok());
  ASSERT_EQ(response.entries_size(), 1);
  EXPECT_EQ(response.entries(0).spiffe_id(), "spiffe://example.org/a");
  *filter.add_selectors() = two.selectors(0);
  EXPECT_EQ(Count(filter), 1);
}

TEST_F(EntryServiceTest, ListFiltersByOwnerParentAndSpiffeId) {
  v1::Entry owned = MakeEntry("spiffe://example.org/a");
  owned.set_owner("team-a");
  CreateOne(owned);
  CreateOne(MakeEntry("spiffe://example.org/b", "spiffe://example.org/a"));
  v1::EntryFilter by_owner;
  by_owner.set_owner("team-a");
  EXPECT_EQ(Count(by_owner), 1);
  v1::EntryFilter by_parent;
  by_parent.set_parent_id("spiffe://example.org/a");
  EXPECT_EQ(Count(by_parent), 1);
  v1::EntryFilter by_id;
  by_id.set_spiffe_id("spiffe://example.org/b");
  EXPECT_EQ(Count(by_id), 1);
}

TEST_F(EntryServiceTest, ListPagesThroughEveryEntry) {
  std::vector<v1::Entry> entries;
  for (int i = 0; i < 5; ++i) {
    entries.push_back(MakeEntry("spiffe://example.org/w" + std::to_string(i)));
  }
  ASSERT_TRUE(Create(entries).ok());
  v1::ListEntriesRequest request;
  request.set_page_size(2);
  int seen = 0;
  int pages = 0;
  do {
    v1::ListEntriesResponse response;
    ASSERT_TRUE(stub_->ListEntries(testing::TestServer::Context().get(), request, &response).ok());
    seen += response.entries_size();
    ++pages;
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty() && pages < 10);
  EXPECT_EQ(seen, 5);
  EXPECT_EQ(pages, 3);
}

TEST_F(EntryServiceTest, ListRejectsMalformedFilter) {
  v1::ListEntriesRequest request;
  request.mutable_filter()->set_parent_id("not-an-id");
  v1::ListEntriesResponse response;
  grpc::Status status =
      stub_->ListEntries(testing::TestServer::Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("filter.parent_id: "));
}

}  // namespace
}  // namespace sigil::server
