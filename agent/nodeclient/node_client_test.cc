#include "agent/nodeclient/node_client.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "agent/nodeclient/testing/fake_node_server.h"
#include "sigil/jwt_svid.h"
#include "sigil/x509_issuer.h"
#include "sigil/x509_verify.h"

namespace sigil::agent {
namespace {

using testing::FakeNodeServer;
using testing::FakeNodeServerOptions;
using ::testing::HasSubstr;

const TrustDomain& Td() {
  static const TrustDomain td = *TrustDomain::FromString("example.org");
  return td;
}

class TokenAttestor : public NodeAttestorClient {
 public:
  explicit TokenAttestor(std::string token) : token_(std::move(token)) {}
  std::string_view type() const override { return "join_token"; }
  absl::StatusOr<std::string> Payload() override { return token_; }
  absl::StatusOr<std::string> AnswerChallenge(std::string_view challenge) override {
    ++challenges;
    return "answer:" + std::string(challenge);
  }
  bool CanReattest() const override { return false; }
  int challenges = 0;

 private:
  std::string token_;
};

class NodeClientTest : public ::testing::Test {
 protected:
  void StartServer(FakeNodeServerOptions options) {
    auto server = FakeNodeServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    trust_ = std::make_shared<ServerTrust>(Td());
    ASSERT_TRUE(trust_->SetBundle(server_->bundle()).ok());
    client_ = std::make_unique<NodeClient>(NodeClientOptions{server_->address(), trust_});
  }
  void StartServer() { StartServer(FakeNodeServerOptions{Td()}); }

  absl::StatusOr<AttestOutcome> Attest(std::string token = "test-token", bool insecure = false) {
    TokenAttestor attestor(std::move(token));
    return client_->Attest(attestor, *PrivateKey::Generate(KeyType::kEcP256), insecure);
  }

  std::unique_ptr<FakeNodeServer> server_;
  std::shared_ptr<ServerTrust> trust_;
  std::unique_ptr<NodeClient> client_;
};

TEST_F(NodeClientTest, AttestReturnsAgentSvidForOwnKeyAndBundle) {
  StartServer();
  TokenAttestor attestor("test-token");
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  auto outcome = client_->Attest(attestor, key, /*insecure=*/false);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->agent_svid.spiffe_id().str(),
            "spiffe://example.org/sigil/agent/join_token/test-token");
  EXPECT_TRUE(outcome->agent_svid.private_key().Matches(*outcome->agent_svid.leaf().public_key()));
  EXPECT_TRUE(key.Matches(*outcome->agent_svid.leaf().public_key()));
  ASSERT_TRUE(outcome->bundle.has_value());
  EXPECT_EQ(outcome->bundle->x509_authorities().size(), 1u);
  EXPECT_THAT(outcome->node_selectors, ::testing::ElementsAre("join_token:fake"));
}

TEST_F(NodeClientTest, AttestAnswersServerChallenge) {
  FakeNodeServerOptions options{Td()};
  options.challenge = "nonce-1";
  StartServer(options);
  TokenAttestor attestor("test-token");
  auto outcome = client_->Attest(attestor, *PrivateKey::Generate(KeyType::kEcP256), false);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(attestor.challenges, 1);
}

TEST_F(NodeClientTest, AttestWithUsedTokenIsPermissionDenied) {
  StartServer();
  ASSERT_TRUE(Attest().ok());
  auto again = Attest();
  EXPECT_EQ(again.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(NodeClientTest, RefusesServerPresentingAnotherSpiffeId) {
  FakeNodeServerOptions options{Td()};
  options.server_id = *SpiffeId::Parse("spiffe://example.org/web");
  StartServer(options);
  auto outcome = Attest();
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(server_->attest_calls(), 0);
}

TEST_F(NodeClientTest, RefusesServerOfAnotherCa) {
  StartServer();
  // The agent trusts a different CA of the same trust domain.
  PrivateKey other_key = *PrivateKey::Generate(KeyType::kEcP256);
  TrustBundle other(Td());
  other.AddX509Authority(*SelfSignX509Ca({Td(), {}, absl::Hours(1)}, other_key, absl::Now()));
  ASSERT_TRUE(trust_->SetBundle(other).ok());
  EXPECT_FALSE(Attest().ok());
  EXPECT_EQ(server_->attest_calls(), 0);
}

TEST_F(NodeClientTest, InsecureBootstrapAcceptsUnknownServer) {
  StartServer();
  ASSERT_TRUE(trust_->SetBundle(TrustBundle(Td())).ok());
  auto outcome = Attest("test-token", /*insecure=*/true);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
}

TEST_F(NodeClientTest, AuthenticatedCallsBeforeIdentityFailPrecondition) {
  StartServer();
  EXPECT_EQ(client_->OpenSync(0).status().code(), absl::StatusCode::kFailedPrecondition);
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  EXPECT_EQ(client_->RenewAgent(key).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(NodeClientTest, CallsPresentAgentSvidAsClientCertificate) {
  StartServer();
  auto outcome = Attest();
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_TRUE(client_->SetIdentity(outcome->agent_svid).ok());
  auto renewed = client_->RenewAgent(*PrivateKey::Generate(KeyType::kEcP256));
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(server_->last_caller(), outcome->agent_svid.spiffe_id().str());
  EXPECT_EQ(renewed->spiffe_id(), outcome->agent_svid.spiffe_id());
  EXPECT_NE(renewed->leaf().SerialHex(), outcome->agent_svid.leaf().SerialHex());
}

TEST_F(NodeClientTest, SignX509SvidsReturnsChainsAndPerItemErrors) {
  StartServer();
  auto outcome = Attest();
  ASSERT_TRUE(outcome.ok());
  ASSERT_TRUE(client_->SetIdentity(outcome->agent_svid).ok());
  server_->PutEntry("e1", *SpiffeId::Parse("spiffe://example.org/web"), "unix", "uid:0");
  PrivateKey k1 = *PrivateKey::Generate(KeyType::kEcP256);
  PrivateKey k2 = *PrivateKey::Generate(KeyType::kEcP256);
  std::vector<X509SvidSigningRequest> requests = {{"e1", k1.public_key()},
                                                  {"missing", k2.public_key()}};
  auto results = client_->SignX509Svids(requests);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 2u);
  ASSERT_TRUE((*results)[0].chain.ok()) << (*results)[0].chain.status();
  auto svid = X509Svid::FromParts(*(*results)[0].chain, k1);
  ASSERT_TRUE(svid.ok()) << svid.status();
  EXPECT_EQ(svid->spiffe_id().str(), "spiffe://example.org/web");
  EXPECT_EQ((*results)[1].chain.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(NodeClientTest, SignJwtSvidReturnsValidToken) {
  StartServer();
  auto outcome = Attest();
  ASSERT_TRUE(outcome.ok());
  ASSERT_TRUE(client_->SetIdentity(outcome->agent_svid).ok());
  server_->PutEntry("e1", *SpiffeId::Parse("spiffe://example.org/web"), "unix", "uid:0");
  std::vector<std::string> audiences = {"db"};
  auto token = client_->SignJwtSvid("e1", audiences);
  ASSERT_TRUE(token.ok()) << token.status();
  BundleSet bundles;
  bundles.Put(server_->bundle());
  auto jwt = ValidateJwtSvid(token->view(), bundles, audiences, absl::Now());
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(jwt->spiffe_id.str(), "spiffe://example.org/web");
}

TEST_F(NodeClientTest, EvictedAgentGetsPermissionDenied) {
  StartServer();
  auto outcome = Attest();
  ASSERT_TRUE(outcome.ok());
  ASSERT_TRUE(client_->SetIdentity(outcome->agent_svid).ok());
  server_->Evict();
  auto renewed = client_->RenewAgent(*PrivateKey::Generate(KeyType::kEcP256));
  EXPECT_EQ(renewed.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(NodeClientTest, SyncDeliversSnapshotThenPushes) {
  StartServer();
  server_->PutEntry("e1", *SpiffeId::Parse("spiffe://example.org/web"), "unix", "uid:0");
  auto outcome = Attest();
  ASSERT_TRUE(outcome.ok());
  ASSERT_TRUE(client_->SetIdentity(outcome->agent_svid).ok());
  auto stream = client_->OpenSync(0);
  ASSERT_TRUE(stream.ok()) << stream.status();
  nodeapi::SyncUpdate update;
  ASSERT_TRUE((*stream)->Read(&update));
  EXPECT_TRUE(update.full());
  EXPECT_EQ(update.entries_size(), 1);
  server_->PutEntry("e2", *SpiffeId::Parse("spiffe://example.org/db"), "unix", "uid:1");
  ASSERT_TRUE((*stream)->Read(&update));
  EXPECT_FALSE(update.full());
  ASSERT_EQ(update.entries_size(), 1);
  EXPECT_EQ(update.entries(0).id(), "e2");
  (*stream)->Cancel();
  EXPECT_FALSE((*stream)->Read(&update));
  EXPECT_EQ((*stream)->Finish().code(), absl::StatusCode::kCancelled);
}

TEST(VerifyServerChainTest, AcceptsServerSvidOfBundle) {
  auto server = FakeNodeServer::Start(FakeNodeServerOptions{Td()});
  ASSERT_TRUE(server.ok());
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  auto cert = (*server)->issuer().SignSvid({ServerSpiffeId(Td())}, key.public_key(), absl::Now());
  ASSERT_TRUE(cert.ok());
  EXPECT_TRUE(
      VerifyServerChain(cert->ToCertificate()->ToPem(), (*server)->bundle(), absl::Now()).ok());
}

TEST(VerifyServerChainTest, RejectsWorkloadSvidNamingBothIds) {
  auto server = FakeNodeServer::Start(FakeNodeServerOptions{Td()});
  ASSERT_TRUE(server.ok());
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  auto cert = (*server)->issuer().SignSvid({*SpiffeId::Parse("spiffe://example.org/web")},
                                           key.public_key(), absl::Now());
  absl::Status s =
      VerifyServerChain(cert->ToCertificate()->ToPem(), (*server)->bundle(), absl::Now());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(s.message()), HasSubstr("presented spiffe://example.org/web, expected "
                                                  "spiffe://example.org/sigil/server"));
}

TEST(VerifyServerChainTest, RejectsExpiredServerCertificate) {
  auto server = FakeNodeServer::Start(FakeNodeServerOptions{Td()});
  ASSERT_TRUE(server.ok());
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  X509SvidParams params{ServerSpiffeId(Td())};
  params.ttl = absl::Minutes(1);
  auto cert = (*server)->issuer().SignSvid(params, key.public_key(), absl::Now());
  absl::Status s = VerifyServerChain(cert->ToCertificate()->ToPem(), (*server)->bundle(),
                                     absl::Now() + absl::Hours(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
}

TEST(VerifyServerChainTest, RejectsGarbage) {
  TrustBundle bundle(Td());
  EXPECT_EQ(VerifyServerChain("not pem", bundle, absl::Now()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ServerTrustTest, RefusesBundleOfAnotherTrustDomain) {
  ServerTrust trust(Td());
  EXPECT_EQ(trust.SetBundle(TrustBundle(*TrustDomain::FromString("other.org"))).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(trust.bundle(), nullptr);
}

}  // namespace
}  // namespace sigil::agent
