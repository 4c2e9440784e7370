// AgentService through a real server: attested nodes and join tokens in a real SQLite file.
#include "server/admin/agent_service.h"

#include <fstream>
#include <iterator>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "admin.grpc.pb.h"
#include "server/admin/admin_test_server.h"
#include "server/admin/well_known_ids.h"

namespace sigil::server {
namespace {

namespace v1 = sigil::admin::v1;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class AgentServiceTest : public ::testing::Test {
 protected:
  AgentServiceTest()
      : agents_(v1::AgentService::NewStub(server_.channel())),
        entries_(v1::EntryService::NewStub(server_.channel())) {}

  SpiffeId AddNode(std::string_view name) {
    AttestedNode node{.spiffe_id = *SpiffeId::Parse(
                          std::string("spiffe://example.org/sigil/agent/") + std::string(name)),
                      .attestation_type = "join_token"};
    node.serial = "01";
    node.expires_at = absl::Now() + absl::Hours(1);
    node.attested_at = absl::Now();
    EXPECT_TRUE(server_.datastore().CreateNode(node).ok());
    return node.spiffe_id;
  }

  grpc::Status Token(const v1::CreateJoinTokenRequest& request, v1::JoinToken* token) {
    return agents_->CreateJoinToken(testing::TestServer::Context().get(), request, token);
  }

  int64_t EntryCount() {
    v1::CountResponse response;
    EXPECT_TRUE(entries_->CountEntries(testing::TestServer::Context().get(), {}, &response).ok());
    return response.count();
  }

  int64_t StoredTokens() {
    absl::StatusOr<int64_t> pruned = server_.datastore().PruneJoinTokens(absl::InfiniteFuture());
    EXPECT_TRUE(pruned.ok());
    return pruned.value_or(-1);
  }

  testing::TestServer server_;
  std::unique_ptr<v1::AgentService::Stub> agents_;
  std::unique_ptr<v1::EntryService::Stub> entries_;
};

TEST_F(AgentServiceTest, JoinTokenIsUrlSafeAndCarries160Bits) {
  v1::JoinToken token;
  ASSERT_TRUE(Token({}, &token).ok());
  // Checked without printing: a failure message must never show a token.
  const bool well_formed = token.token().size() == 40 &&
                           token.token().find_first_not_of("0123456789abcdef") == std::string::npos;
  EXPECT_TRUE(well_formed) << "token is not 40 lowercase hex characters";
}

TEST_F(AgentServiceTest, JoinTokensDiffer) {
  v1::JoinToken a;
  v1::JoinToken b;
  ASSERT_TRUE(Token({}, &a).ok());
  ASSERT_TRUE(Token({}, &b).ok());
  EXPECT_TRUE(a.token() != b.token()) << "two tokens are equal";
}

TEST_F(AgentServiceTest, JoinTokenExpiresAfterConfiguredDefault) {
  const int64_t before = absl::ToUnixSeconds(absl::Now());
  v1::JoinToken token;
  ASSERT_TRUE(Token({}, &token).ok());
  EXPECT_GE(token.expires_at(), before + 600);
  EXPECT_LE(token.expires_at(), before + 602);
}

TEST_F(AgentServiceTest, JoinTokenHonoursRequestedTtl) {
  const int64_t before = absl::ToUnixSeconds(absl::Now());
  v1::CreateJoinTokenRequest request;
  request.set_ttl(3600);
  v1::JoinToken token;
  ASSERT_TRUE(Token(request, &token).ok());
  EXPECT_GE(token.expires_at(), before + 3600);
  EXPECT_LE(token.expires_at(), before + 3602);
}

TEST_F(AgentServiceTest, RejectsNegativeTokenTtl) {
  v1::CreateJoinTokenRequest request;
  request.set_ttl(-5);
  v1::JoinToken token;
  grpc::Status status = Token(request, &token);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "ttl is negative");
  EXPECT_EQ(StoredTokens(), 0);
}

TEST_F(AgentServiceTest, JoinTokenIsStoredAndWorksOnce) {
  v1::JoinToken token;
  ASSERT_TRUE(Token({}, &token).ok());
  SecretBytes secret(token.token());
  EXPECT_TRUE(server_.datastore().ConsumeJoinToken(secret).ok());
  EXPECT_TRUE(absl::IsNotFound(server_.datastore().ConsumeJoinToken(secret).status()));
}

TEST_F(AgentServiceTest, DatabaseNeverHoldsTheTokenText) {
  v1::JoinToken token;
  ASSERT_TRUE(Token({}, &token).ok());
  const std::string db_path = server_.server().core().config.datastore.path;
  std::string bytes;
  for (const char* suffix : {"", "-wal"}) {
    std::ifstream in(db_path + suffix, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(token.token()), std::string::npos);
}

TEST_F(AgentServiceTest, AgentIdNamesTokenHashNotToken) {
  v1::JoinToken token;
  ASSERT_TRUE(Token({}, &token).ok());
  const std::string token_id = JoinTokenId(SecretBytes(token.token()));
  EXPECT_EQ(token.agent_id(), "spiffe://example.org/sigil/agent/join_token/" + token_id);
  EXPECT_EQ(token.agent_id().find(token.token()), std::string::npos);
}

TEST_F(AgentServiceTest, JoinTokenWithSpiffeIdCreatesNodeAlias) {
  v1::CreateJoinTokenRequest request;
  request.set_spiffe_id("spiffe://example.org/cluster/east");
  v1::JoinToken token;
  ASSERT_TRUE(Token(request, &token).ok());
  ASSERT_FALSE(token.alias_entry_id().empty());
  v1::GetEntryRequest get;
  get.set_id(token.alias_entry_id());
  v1::Entry alias;
  ASSERT_TRUE(entries_->GetEntry(testing::TestServer::Context().get(), get, &alias).ok());
  EXPECT_EQ(alias.spiffe_id(), "spiffe://example.org/cluster/east");
  EXPECT_EQ(alias.parent_id(), "spiffe://example.org/sigil/server");
  ASSERT_EQ(alias.selectors_size(), 1);
  EXPECT_EQ(alias.selectors(0).type(), "join_token");
  EXPECT_EQ(alias.selectors(0).value(), JoinTokenId(SecretBytes(token.token())));
}

TEST_F(AgentServiceTest, EntriesMayBeParentedOnTokenAliasBeforeTheAgentJoins) {
  v1::CreateJoinTokenRequest request;
  request.set_spiffe_id("spiffe://example.org/cluster/east");
  v1::JoinToken token;
  ASSERT_TRUE(Token(request, &token).ok());
  v1::CreateEntriesRequest create;
  v1::Entry* entry = create.add_entries();
  entry->set_spiffe_id("spiffe://example.org/web");
  entry->set_parent_id("spiffe://example.org/cluster/east");
  v1::Selector* selector = entry->add_selectors();
  selector->set_type("unix");
  selector->set_value("uid:1000");
  v1::CreateEntriesResponse created;
  grpc::Status status =
      entries_->CreateEntries(testing::TestServer::Context().get(), create, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(AgentServiceTest, BadAliasIdLeavesNeitherTokenNorEntry) {
  v1::CreateJoinTokenRequest request;
  request.set_spiffe_id("spiffe://other.org/east");
  v1::JoinToken token;
  grpc::Status status = Token(request, &token);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("spiffe_id spiffe://other.org/east is outside"));
  EXPECT_TRUE(token.token().empty());
  EXPECT_EQ(StoredTokens(), 0);
  EXPECT_EQ(EntryCount(), 0);
}

TEST_F(AgentServiceTest, MalformedAliasIdNamesField) {
  v1::CreateJoinTokenRequest request;
  request.set_spiffe_id("spiffe://example.org/a//b");
  v1::JoinToken token;
  grpc::Status status = Token(request, &token);
  EXPECT_THAT(status.error_message(), StartsWith("spiffe_id: "));
}

TEST_F(AgentServiceTest, ListsAndCountsAgents) {
  AddNode("one");
  AddNode("two");
  v1::ListAgentsResponse list;
  ASSERT_TRUE(agents_->ListAgents(testing::TestServer::Context().get(), {}, &list).ok());
  ASSERT_EQ(list.agents_size(), 2);
  EXPECT_EQ(list.agents(0).spiffe_id(), "spiffe://example.org/sigil/agent/one");
  EXPECT_EQ(list.agents(0).attestation_type(), "join_token");
  v1::CountResponse count;
  ASSERT_TRUE(agents_->CountAgents(testing::TestServer::Context().get(), {}, &count).ok());
  EXPECT_EQ(count.count(), 2);
}

TEST_F(AgentServiceTest, ShowsOneAgent) {
  SpiffeId id = AddNode("one");
  v1::AgentIdRequest request;
  request.set_spiffe_id(id.str());
  v1::Agent agent;
  ASSERT_TRUE(agents_->GetAgent(testing::TestServer::Context().get(), request, &agent).ok());
  EXPECT_EQ(agent.serial(), "01");
  EXPECT_GT(agent.expires_at(), 0);
}

TEST_F(AgentServiceTest, ShowOfUnknownAgentIsNotFound) {
  v1::AgentIdRequest request;
  request.set_spiffe_id("spiffe://example.org/sigil/agent/ghost");
  v1::Agent agent;
  grpc::Status status = agents_->GetAgent(testing::TestServer::Context().get(), request, &agent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(AgentServiceTest, MalformedAgentIdIsInvalid) {
  v1::AgentIdRequest request;
  request.set_spiffe_id("example.org/agent");
  v1::Agent agent;
  grpc::Status status = agents_->GetAgent(testing::TestServer::Context().get(), request, &agent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("spiffe_id: "));
}

TEST_F(AgentServiceTest, BanMarksAgentBanned) {
  SpiffeId id = AddNode("one");
  v1::AgentIdRequest request;
  request.set_spiffe_id(id.str());
  v1::Empty empty;
  ASSERT_TRUE(agents_->BanAgent(testing::TestServer::Context().get(), request, &empty).ok());
  EXPECT_TRUE(server_.datastore().FetchNode(id)->banned);
  v1::ListAgentsRequest banned;
  banned.set_banned_only(true);
  v1::ListAgentsResponse list;
  ASSERT_TRUE(agents_->ListAgents(testing::TestServer::Context().get(), banned, &list).ok());
  EXPECT_EQ(list.agents_size(), 1);
}

TEST_F(AgentServiceTest, EvictRemovesAgent) {
  SpiffeId id = AddNode("one");
  v1::AgentIdRequest request;
  request.set_spiffe_id(id.str());
  v1::Empty empty;
  ASSERT_TRUE(agents_->EvictAgent(testing::TestServer::Context().get(), request, &empty).ok());
  EXPECT_TRUE(absl::IsNotFound(server_.datastore().FetchNode(id).status()));
  grpc::Status again = agents_->EvictAgent(testing::TestServer::Context().get(), request, &empty);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace sigil::server
