// End-to-end tests of the node API: a real server (TLS on 127.0.0.1, SQLite, CaManager with
// memory keys) and clients that behave like agents.
#include <sys/stat.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "attestors/node/join_token.h"
#include "attestors/node/x509pop.h"
#include "attestors/node/x509pop_test_certs.h"
#include "server/ca/key_manager.h"
#include "server/datastore/sqlite_datastore.h"
#include "server/nodeapi/node_api_harness.h"
#include "sigil/bundle.h"
#include "sigil/jwt_svid.h"
#include "sigil/x509_verify.h"

namespace sigil::server {
namespace {

namespace nodev1 = ::sigil::node::v1;
using testing::AgentFromResult;
using testing::AnonymousStub;
using testing::AttestWithJoinToken;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::NodeApiChannel;
using testing::NodeApiHarness;
using testing::RunAttest;
using testing::TestAgent;
using ::testing::UnorderedElementsAre;

constexpr char kServerAlias[] = "spiffe://example.org/sigil/server";

// Reads a Sync stream on its own thread so the test can wait for a message with a timeout.
class SyncReader {
 public:
  SyncReader(nodev1::NodeService::Stub& stub, int64_t last_revision) {
    nodev1::SyncRequest request;
    request.set_last_revision(last_revision);
    reader_ = stub.Sync(&ctx_, request);
    thread_ = std::thread([this] {
      nodev1::SyncUpdate update;
      while (reader_->Read(&update)) {
        absl::MutexLock lock(&mu_);
        updates_.push_back(update);
      }
      grpc::Status status = reader_->Finish();
      absl::MutexLock lock(&mu_);
      status_ = status;
    });
  }
  ~SyncReader() {
    ctx_.TryCancel();
    thread_.join();
  }

  // The next update, or nullopt when none arrives within `timeout` or the stream ended.
  std::optional<nodev1::SyncUpdate> Next(absl::Duration timeout = absl::Seconds(5)) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(
                             +[](SyncReader* r) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                               return !r->updates_.empty() || r->status_.has_value();
                             },
                             this),
                         timeout);
    if (updates_.empty()) {
      return std::nullopt;
    }
    nodev1::SyncUpdate update = std::move(updates_.front());
    updates_.pop_front();
    return update;
  }

  // The status the stream ended with, waiting up to `timeout`.
  std::optional<grpc::Status> Ended(absl::Duration timeout = absl::Seconds(5)) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(
        absl::Condition(
            +[](SyncReader* r) ABSL_NO_THREAD_SAFETY_ANALYSIS { return r->status_.has_value(); },
            this),
        timeout);
    return status_;
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<nodev1::SyncUpdate>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::deque<nodev1::SyncUpdate> updates_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> status_ ABSL_GUARDED_BY(mu_);
};

std::set<std::string> SpiffeIds(const nodev1::SyncUpdate& update) {
  std::set<std::string> out;
  for (const nodev1::Entry& e : update.entries()) {
    out.insert(e.spiffe_id());
  }
  return out;
}

class NodeApiTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }

  void StartServer(const std::function<void(NodeApiServerOptions&)>& tweak = {}) {
    harness_.reset();
    absl::StatusOr<std::unique_ptr<NodeApiHarness>> h = NodeApiHarness::Start(tweak);
    ASSERT_TRUE(h.ok()) << h.status();
    harness_ = *std::move(h);
  }

  NodeApiHarness& h() { return *harness_; }

  TestAgent JoinAgent(std::string_view token = "token-for-test-agent") {
    EXPECT_TRUE(h().AddJoinToken(token).ok());
    absl::StatusOr<TestAgent> agent = AttestWithJoinToken(h(), token);
    EXPECT_TRUE(agent.ok()) << agent.status();
    return *std::move(agent);
  }

  std::string AddEntry(std::string_view spiffe_id, std::string_view parent_id,
                       std::vector<std::string> selectors = {"unix:uid:1000"},
                       std::function<void(RegistrationEntry&)> tweak = {}) {
    absl::StatusOr<std::string> id =
        h().AddEntry(spiffe_id, parent_id, std::move(selectors), std::move(tweak));
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or("");
  }

  TrustBundle Bundle() { return *h().ca().Bundle(); }

  grpc::Status Sign(TestAgent& agent, const std::vector<std::string>& entry_ids,
                    nodev1::SignX509SvidsResponse* response,
                    std::vector<PrivateKey>* keys = nullptr) {
    nodev1::SignX509SvidsRequest request;
    for (const std::string& id : entry_ids) {
      PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
      nodev1::X509SvidRequest* item = request.add_requests();
      item->set_entry_id(id);
      item->set_public_key(key.public_key().ToSpkiDer());
      if (keys != nullptr) {
        keys->push_back(std::move(key));
      }
    }
    grpc::ClientContext ctx;
    return agent.stub->SignX509Svids(&ctx, request, response);
  }

  std::unique_ptr<NodeApiHarness> harness_;
};

// --- Attestation: join_token ------------------------------------------------------------

TEST_F(NodeApiTest, JoinTokenAttestationIssuesAgentSvidThatVerifies) {
  ASSERT_TRUE(h().AddJoinToken("secret-join-token").ok());
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  auto stub = AnonymousStub(h());
  absl::StatusOr<nodev1::AttestResult> result =
      RunAttest(*stub, "join_token", "secret-join-token", key.public_key().ToSpkiDer());
  ASSERT_TRUE(result.ok()) << result.status();

  const std::string token_id = attestors::JoinTokenId(SecretBytes("secret-join-token"));
  EXPECT_EQ(result->svid().spiffe_id(), "spiffe://example.org/sigil/agent/join_token/" + token_id);
  ASSERT_EQ(result->node_selectors_size(), 1);
  EXPECT_EQ(result->node_selectors(0).type(), "join_token");
  EXPECT_EQ(result->node_selectors(0).value(), token_id);

  // The SVID verifies against the bundle the server sent, and holds our key.
  absl::StatusOr<TrustBundle> bundle = ParseSpiffeBundle(h().trust_domain(), result->bundle());
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  std::vector<Certificate> chain;
  for (const std::string& der : result->svid().cert_chain()) {
    chain.push_back(*Certificate::FromDer(der));
  }
  absl::StatusOr<VerifiedX509Svid> verified = VerifyX509Svid(chain, *bundle, absl::Now());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(chain[0].public_key()->Equals(key.public_key()));
  EXPECT_NEAR(static_cast<double>(result->svid().expires_at()),
              absl::ToUnixSeconds(absl::Now() + absl::Hours(1)), 30);

  // The node is recorded with the SVID's serial.
  std::shared_ptr<const AttestedNode> node = h().registry().FindNode(verified->spiffe_id);
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->serial, chain[0].SerialHex());
  EXPECT_EQ(node->attestation_type, "join_token");
  EXPECT_FALSE(node->can_reattest);
}

TEST_F(NodeApiTest, JoinTokenWorksOnlyOnce) {
  ASSERT_TRUE(h().AddJoinToken("single-use").ok());
  ASSERT_TRUE(AttestWithJoinToken(h(), "single-use").ok());
  absl::StatusOr<TestAgent> again = AttestWithJoinToken(h(), "single-use");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("already used"));
}

TEST_F(NodeApiTest, ExpiredJoinTokenIsRefused) {
  ASSERT_TRUE(h().AddJoinToken("stale", absl::Now() - absl::Minutes(1)).ok());
  absl::StatusOr<TestAgent> agent = AttestWithJoinToken(h(), "stale");
  EXPECT_EQ(agent.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(agent.status().message()), HasSubstr("expired"));
}

TEST_F(NodeApiTest, BadPublicKeyIsRefusedBeforeTheTokenIsUsed) {
  ASSERT_TRUE(h().AddJoinToken("keep-me").ok());
  auto stub = AnonymousStub(h());
  absl::StatusOr<nodev1::AttestResult> bad = RunAttest(*stub, "join_token", "keep-me", "junk");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(AttestWithJoinToken(h(), "keep-me").ok());
}

TEST_F(NodeApiTest, UnknownAttestorIsInvalid) {
  auto stub = AnonymousStub(h());
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  absl::StatusOr<nodev1::AttestResult> result =
      RunAttest(*stub, "aws_iid", "x", key.public_key().ToSpkiDer());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("not enabled"));
}

TEST_F(NodeApiTest, X509PopIsOffUnlessConfigured) {
  auto stub = AnonymousStub(h());
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  EXPECT_EQ(RunAttest(*stub, "x509pop", "x", key.public_key().ToSpkiDer()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// --- Attestation: x509pop --------------------------------------------------------------

class X509PopNodeApiTest : public NodeApiTest {
 protected:
  void SetUp() override {
    absl::StatusOr<attestors::testing::TestCa> ca =
        attestors::testing::MakeTestRootCa("Node CA", absl::Now());
    ASSERT_TRUE(ca.ok());
    node_ca_ = std::make_unique<attestors::testing::TestCa>(*std::move(ca));
    ca_file_ = ::testing::TempDir() + "/nodeapi_x509pop_ca.pem";
    std::ofstream(ca_file_) << node_ca_->cert.ToPem();
    StartServer([this](NodeApiServerOptions& o) { o.x509pop_ca_bundle_path = ca_file_; });
  }

  absl::StatusOr<nodev1::AttestResult> AttestNode(const attestors::testing::TestNode& node,
                                                  const PrivateKey& agent_key,
                                                  const PrivateKey* answer_key = nullptr) {
    auto stub = AnonymousStub(h());
    const PrivateKey& signer = answer_key != nullptr ? *answer_key : node.key;
    return RunAttest(*stub, "x509pop", attestors::MakeX509PopPayload(node.chain),
                     agent_key.public_key().ToSpkiDer(), [&](std::string_view challenge) {
                       return attestors::AnswerX509PopChallenge(signer, challenge);
                     });
  }

  attestors::testing::TestNode Node() {
    attestors::testing::NodeCertOptions options;
    options.common_name = "worker-3";
    options.dns_names = {"worker-3.example.org"};
    absl::StatusOr<attestors::testing::TestNode> node =
        attestors::testing::MakeTestNode(*node_ca_, absl::Now(), options);
    EXPECT_TRUE(node.ok());
    return *std::move(node);
  }

  std::unique_ptr<attestors::testing::TestCa> node_ca_;
  std::string ca_file_;
};

TEST_F(X509PopNodeApiTest, GoodCertificateAttestsWithSelectors) {
  attestors::testing::TestNode node = Node();
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  absl::StatusOr<nodev1::AttestResult> result = AttestNode(node, key);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->svid().spiffe_id(),
            "spiffe://example.org/sigil/agent/x509pop/" + node.chain[0].Sha256Fingerprint());
  std::vector<std::string> selectors;
  for (const nodev1::Selector& s : result->node_selectors()) {
    selectors.push_back(s.type() + ":" + s.value());
  }
  EXPECT_THAT(selectors, Contains("x509pop:subject:cn:worker-3"));
  EXPECT_THAT(selectors, Contains("x509pop:san:dns:worker-3.example.org"));
  EXPECT_THAT(selectors, Contains("x509pop:ca:fingerprint:" + node_ca_->cert.Sha256Fingerprint()));
}

TEST_F(X509PopNodeApiTest, NodeMayAttestAgainAndKeepsItsId) {
  attestors::testing::TestNode node = Node();
  PrivateKey first_key = *PrivateKey::Generate(KeyType::kEcP256);
  PrivateKey second_key = *PrivateKey::Generate(KeyType::kEcP256);
  absl::StatusOr<nodev1::AttestResult> first = AttestNode(node, first_key);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<nodev1::AttestResult> second = AttestNode(node, second_key);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->svid().spiffe_id(), second->svid().spiffe_id());
  // The first SVID is superseded: only the latest serial is current.
  absl::StatusOr<TestAgent> old_agent = AgentFromResult(h(), first_key, *first);
  ASSERT_TRUE(old_agent.ok());
  nodev1::SignX509SvidsResponse response;
  EXPECT_EQ(Sign(*old_agent, {"x"}, &response).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(X509PopNodeApiTest, AnswerByAnotherKeyIsRefused) {
  attestors::testing::TestNode node = Node();
  PrivateKey agent_key = *PrivateKey::Generate(KeyType::kEcP256);
  PrivateKey wrong = *PrivateKey::Generate(KeyType::kEcP256);
  absl::StatusOr<nodev1::AttestResult> result = AttestNode(node, agent_key, &wrong);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(X509PopNodeApiTest, CertificateFromAnotherCaIsRefused) {
  absl::StatusOr<attestors::testing::TestCa> other =
      attestors::testing::MakeTestRootCa("Other CA", absl::Now());
  ASSERT_TRUE(other.ok());
  absl::StatusOr<attestors::testing::TestNode> node =
      attestors::testing::MakeTestNode(*other, absl::Now());
  ASSERT_TRUE(node.ok());
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  EXPECT_EQ(AttestNode(*node, key).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(X509PopNodeApiTest, BannedNodeCannotAttestAgain) {
  attestors::testing::TestNode node = Node();
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  absl::StatusOr<nodev1::AttestResult> first = AttestNode(node, key);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(h().datastore().BanNode(*SpiffeId::Parse(first->svid().spiffe_id())).ok());
  absl::StatusOr<nodev1::AttestResult> again = AttestNode(node, key);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("banned"));
}

// --- Who may call what -------------------------------------------------------------------

TEST_F(NodeApiTest, ClientWithoutCertificateCanOnlyAttest) {
  auto stub = AnonymousStub(h());
  {
    grpc::ClientContext ctx;
    nodev1::SignX509SvidsRequest request;
    request.add_requests()->set_entry_id("x");
    nodev1::SignX509SvidsResponse response;
    EXPECT_EQ(stub->SignX509Svids(&ctx, request, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    nodev1::SignJwtSvidResponse response;
    EXPECT_EQ(stub->SignJwtSvid(&ctx, {}, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    nodev1::RenewAgentResponse response;
    EXPECT_EQ(stub->RenewAgent(&ctx, {}, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  SyncReader sync(*stub, 0);
  std::optional<grpc::Status> ended = sync.Ended();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

// X509-19, SEC-05: a caller's chain is verified only against the bundle of its own trust domain;
// another trust domain's SVID finds none and is refused.
TEST_F(NodeApiTest, AgentSvidFromAnotherTrustDomainIsRefused) {
  // A second CA for other.org signs an agent-shaped SVID.
  const std::string other_dir = h().dir() + "/other";
  std::filesystem::create_directories(other_dir);
  absl::StatusOr<std::unique_ptr<DataStore>> other_ds =
      OpenSqliteDataStore(other_dir + "/ds.sqlite3", {});
  ASSERT_TRUE(other_ds.ok());
  CaManagerConfig config{.trust_domain = *TrustDomain::FromString("other.org"),
                         .key_manager = std::make_unique<MemoryKeyManager>(),
                         .datastore = other_ds->get(),
                         .clock = [] { return absl::Now(); }};
  absl::StatusOr<std::unique_ptr<CaManager>> other_ca = CaManager::Create(std::move(config));
  ASSERT_TRUE(other_ca.ok()) << other_ca.status();
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  absl::StatusOr<IssuedX509Svid> svid = (*other_ca)->SignX509SvidForKey(
      {.spiffe_id = *SpiffeId::Parse("spiffe://other.org/sigil/agent/join_token/abc")},
      key.public_key());
  ASSERT_TRUE(svid.ok());
  testing::ClientIdentity identity{std::string(key.ToPkcs8Pem().view()),
                                   svid->leaf.ToCertificate()->ToPem()};
  auto stub = nodev1::NodeService::NewStub(
      NodeApiChannel(h().port(), h().RootsPem(), kServerAlias, identity));
  grpc::ClientContext ctx;
  nodev1::RenewAgentRequest request;
  request.set_public_key(key.public_key().ToSpkiDer());
  nodev1::RenewAgentResponse response;
  grpc::Status status = stub->RenewAgent(&ctx, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("other.org"));
}

// X509-23: verifying the chain only proves the ID; the agent-ID rule is a separate check.
TEST_F(NodeApiTest, WorkloadSvidOfOurTrustDomainIsNotAnAgent) {
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  absl::StatusOr<IssuedX509Svid> svid = h().ca().SignX509SvidForKey(
      {.spiffe_id = *SpiffeId::Parse("spiffe://example.org/web")}, key.public_key());
  ASSERT_TRUE(svid.ok());
  testing::ClientIdentity identity{std::string(key.ToPkcs8Pem().view()),
                                   svid->leaf.ToCertificate()->ToPem()};
  auto stub = nodev1::NodeService::NewStub(
      NodeApiChannel(h().port(), h().RootsPem(), kServerAlias, identity));
  grpc::ClientContext ctx;
  nodev1::SignJwtSvidResponse response;
  grpc::Status status = stub->SignJwtSvid(&ctx, {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("not an agent ID"));
}

TEST_F(NodeApiTest, EvictedAgentIsRefusedOnItsNextCall) {
  TestAgent agent = JoinAgent();
  const std::string id = AddEntry("spiffe://example.org/web", agent.id.str());
  nodev1::SignX509SvidsResponse response;
  grpc::Status first = Sign(agent, {id}, &response);
  ASSERT_TRUE(first.ok()) << first.error_message();

  ASSERT_TRUE(h().datastore().EvictNode(agent.id).ok());
  response.Clear();
  grpc::Status status = Sign(agent, {id}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("not attested"));
}

TEST_F(NodeApiTest, BannedAgentIsRefusedOnItsNextCallAndItsStreamEnds) {
  TestAgent agent = JoinAgent();
  SyncReader sync(*agent.stub, 0);
  ASSERT_TRUE(sync.Next().has_value());

  ASSERT_TRUE(h().datastore().BanNode(agent.id).ok());
  std::optional<grpc::Status> ended = sync.Ended();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext ctx;
  nodev1::SignJwtSvidResponse response;
  EXPECT_EQ(agent.stub->SignJwtSvid(&ctx, {}, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// --- Sync -------------------------------------------------------------------------------

TEST_F(NodeApiTest, SyncSendsExactlyTheAuthorizedSet) {
  TestAgent agent = JoinAgent();
  const std::string token_id = agent.result.node_selectors(0).value();
  AddEntry("spiffe://example.org/direct", agent.id.str());
  AddEntry("spiffe://example.org/direct/child", "spiffe://example.org/direct");
  AddEntry("spiffe://example.org/alias", kServerAlias, {"join_token:" + token_id});
  AddEntry("spiffe://example.org/via-alias", "spiffe://example.org/alias");
  AddEntry("spiffe://example.org/other-alias", kServerAlias, {"join_token:someone-else"});
  AddEntry("spiffe://example.org/via-other-alias", "spiffe://example.org/other-alias");
  AddEntry("spiffe://example.org/elsewhere", "spiffe://example.org/sigil/agent/join_token/x");

  SyncReader sync(*agent.stub, 0);
  std::optional<nodev1::SyncUpdate> first = sync.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->full());
  EXPECT_THAT(SpiffeIds(*first), UnorderedElementsAre("spiffe://example.org/direct",
                                                      "spiffe://example.org/direct/child",
                                                      "spiffe://example.org/via-alias"));
  ASSERT_EQ(first->bundles_size(), 1);
  EXPECT_EQ(first->bundles(0).trust_domain(), "example.org");
  EXPECT_TRUE(ParseSpiffeBundle(h().trust_domain(), first->bundles(0).document()).ok());
  EXPECT_EQ(first->revision(), h().registry().revision());
}

TEST_F(NodeApiTest, SyncPushesANewEntryWithinOneSecond) {
  TestAgent agent = JoinAgent();
  SyncReader sync(*agent.stub, 0);
  ASSERT_TRUE(sync.Next().has_value());

  const absl::Time written = absl::Now();
  const std::string id = AddEntry("spiffe://example.org/new", agent.id.str());
  std::optional<nodev1::SyncUpdate> delta = sync.Next(absl::Seconds(1));
  const absl::Duration latency = absl::Now() - written;
  ASSERT_TRUE(delta.has_value()) << "no update within 1 s";
  EXPECT_LT(latency, absl::Seconds(1));
  EXPECT_FALSE(delta->full());
  ASSERT_EQ(delta->entries_size(), 1);
  EXPECT_EQ(delta->entries(0).id(), id);
}

TEST_F(NodeApiTest, SyncPushesRemovalWhenAnAliasStopsMatching) {
  TestAgent agent = JoinAgent();
  const std::string token_id = agent.result.node_selectors(0).value();
  const std::string alias =
      AddEntry("spiffe://example.org/alias", kServerAlias, {"join_token:" + token_id});
  const std::string child = AddEntry("spiffe://example.org/child", "spiffe://example.org/alias");
  SyncReader sync(*agent.stub, 0);
  ASSERT_EQ(sync.Next()->entries_size(), 1);

  RegistrationEntry changed = *h().datastore().FetchEntry(alias);
  changed.selectors = {*Selector::Parse("join_token:nobody")};
  ASSERT_TRUE(h().datastore().UpdateEntry(changed, std::nullopt).ok());
  std::optional<nodev1::SyncUpdate> delta = sync.Next();
  ASSERT_TRUE(delta.has_value());
  EXPECT_THAT(delta->removed_entry_ids(), ElementsAre(child));
}

TEST_F(NodeApiTest, SyncDoesNotPushOtherAgentsChanges) {
  TestAgent agent = JoinAgent("token-a");
  TestAgent other = JoinAgent("token-b");
  SyncReader sync(*agent.stub, 0);
  ASSERT_TRUE(sync.Next().has_value());
  AddEntry("spiffe://example.org/for-other", other.id.str());
  const std::string mine = AddEntry("spiffe://example.org/mine", agent.id.str());
  // The next update is about our entry; the other agent's change produced none.
  std::optional<nodev1::SyncUpdate> delta = sync.Next();
  ASSERT_TRUE(delta.has_value());
  ASSERT_EQ(delta->entries_size(), 1);
  EXPECT_EQ(delta->entries(0).id(), mine);
}

TEST_F(NodeApiTest, ReconnectWithLastRevisionGetsOnlyTheChanges) {
  TestAgent agent = JoinAgent();
  AddEntry("spiffe://example.org/one", agent.id.str());
  int64_t last_revision = 0;
  {
    SyncReader sync(*agent.stub, 0);
    std::optional<nodev1::SyncUpdate> first = sync.Next();
    ASSERT_TRUE(first.has_value());
    last_revision = first->revision();
  }
  // The server parks what it sent when it learns the stream ended.
  ASSERT_TRUE(h().server().service().AwaitOpenSyncStreams(0, absl::Seconds(5)));
  const std::string two = AddEntry("spiffe://example.org/two", agent.id.str());

  SyncReader resumed(*agent.stub, last_revision);
  std::optional<nodev1::SyncUpdate> delta = resumed.Next();
  ASSERT_TRUE(delta.has_value());
  EXPECT_FALSE(delta->full());
  ASSERT_EQ(delta->entries_size(), 1);
  EXPECT_EQ(delta->entries(0).id(), two);
}

TEST_F(NodeApiTest, ReconnectWithUnknownRevisionGetsAFullUpdate) {
  TestAgent agent = JoinAgent();
  AddEntry("spiffe://example.org/one", agent.id.str());
  SyncReader sync(*agent.stub, 123456);
  std::optional<nodev1::SyncUpdate> first = sync.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->full());
  EXPECT_EQ(first->entries_size(), 1);
}

TEST_F(NodeApiTest, SyncPushesBundleChanges) {
  TestAgent agent = JoinAgent();
  SyncReader sync(*agent.stub, 0);
  std::optional<nodev1::SyncUpdate> first = sync.Next();
  ASSERT_TRUE(first.has_value());
  const uint64_t sequence = first->bundles(0).sequence_number();

  ASSERT_TRUE(h().ca().Prepare(AuthorityKind::kX509).ok());
  std::optional<nodev1::SyncUpdate> delta = sync.Next();
  ASSERT_TRUE(delta.has_value());
  ASSERT_EQ(delta->bundles_size(), 1);
  EXPECT_GT(delta->bundles(0).sequence_number(), sequence);
  absl::StatusOr<TrustBundle> bundle =
      ParseSpiffeBundle(h().trust_domain(), delta->bundles(0).document());
  ASSERT_TRUE(bundle.ok());
  EXPECT_EQ(bundle->x509_authorities().size(), 2u);
}

TEST_F(NodeApiTest, ShutdownEndsOpenSyncStreams) {
  TestAgent agent = JoinAgent();
  SyncReader sync(*agent.stub, 0);
  ASSERT_TRUE(sync.Next().has_value());
  const absl::Time start = absl::Now();
  h().server().Shutdown(absl::Seconds(30));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  std::optional<grpc::Status> ended = sync.Ended();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->error_code(), grpc::StatusCode::UNAVAILABLE);
}

// --- Signing ----------------------------------------------------------------------------

// X509-01 (one URI SAN, the entry's ID) and X509-12 (DNS SANs, TTL) on SVIDs issued through the
// node API; X509-13 path validation of the result against the bundle.
TEST_F(NodeApiTest, SignX509SvidsReturnsChainsThatVerifyAndRefusesPerItem) {
  TestAgent agent = JoinAgent();
  const std::string web = AddEntry("spiffe://example.org/web", agent.id.str(), {"unix:uid:1"},
                                   [](RegistrationEntry& e) {
                                     e.dns_names = {"web.example.org"};
                                     e.x509_svid_ttl_seconds = 600;
                                   });
  const std::string db = AddEntry("spiffe://example.org/db", agent.id.str());
  const std::string foreign =
      AddEntry("spiffe://example.org/foreign", "spiffe://example.org/sigil/agent/join_token/x");

  nodev1::SignX509SvidsResponse response;
  std::vector<PrivateKey> keys;
  ASSERT_TRUE(Sign(agent, {web, foreign, db, "no-such-entry"}, &response, &keys).ok());
  ASSERT_EQ(response.results_size(), 4);

  const TrustBundle bundle = Bundle();
  for (int i : {0, 2}) {
    const nodev1::X509SvidResult& r = response.results(i);
    EXPECT_EQ(r.error_code(), 0) << r.error_message();
    std::vector<Certificate> chain;
    for (const std::string& der : r.cert_chain()) {
      chain.push_back(*Certificate::FromDer(der));
    }
    absl::StatusOr<VerifiedX509Svid> verified = VerifyX509Svid(chain, bundle, absl::Now());
    ASSERT_TRUE(verified.ok()) << verified.status();
    EXPECT_TRUE(chain[0].public_key()->Equals(keys[i].public_key()));
  }
  const nodev1::X509SvidResult& w = response.results(0);
  Certificate leaf = *Certificate::FromDer(w.cert_chain(0));
  EXPECT_THAT(leaf.UriSans(), ElementsAre("spiffe://example.org/web"));
  EXPECT_THAT(leaf.DnsSans(), ElementsAre("web.example.org"));
  EXPECT_NEAR(absl::ToDoubleSeconds(leaf.not_after() - absl::Now()), 600, 30);
  Certificate db_leaf = *Certificate::FromDer(response.results(2).cert_chain(0));
  EXPECT_NEAR(absl::ToDoubleSeconds(db_leaf.not_after() - absl::Now()), 3600, 30);

  for (int i : {1, 3}) {
    EXPECT_EQ(response.results(i).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(response.results(i).cert_chain_size(), 0);
  }
  // An unknown id and a foreign one are refused alike.
  EXPECT_THAT(response.results(3).error_message(), HasSubstr("does not exist or is not"));
}

TEST_F(NodeApiTest, SignX509SvidsRefusesABadKeyInItsItemOnly) {
  TestAgent agent = JoinAgent();
  const std::string web = AddEntry("spiffe://example.org/web", agent.id.str());
  nodev1::SignX509SvidsRequest request;
  nodev1::X509SvidRequest* bad = request.add_requests();
  bad->set_entry_id(web);
  std::string spki = PrivateKey::Generate(KeyType::kEcP256)->public_key().ToSpkiDer();
  spki.back() ^= 1;  // point off the curve
  bad->set_public_key(spki);
  nodev1::X509SvidRequest* good = request.add_requests();
  good->set_entry_id(web);
  good->set_public_key(PrivateKey::Generate(KeyType::kEcP256)->public_key().ToSpkiDer());
  grpc::ClientContext ctx;
  nodev1::SignX509SvidsResponse response;
  ASSERT_TRUE(agent.stub->SignX509Svids(&ctx, request, &response).ok());
  EXPECT_EQ(response.results(0).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(response.results(1).error_code(), 0);
  EXPECT_EQ(response.results(1).cert_chain_size(), 1);
}

TEST_F(NodeApiTest, SignX509SvidsBoundsTheBatch) {
  TestAgent agent = JoinAgent();
  nodev1::SignX509SvidsRequest request;
  for (size_t i = 0; i <= kMaxSignBatch; ++i) {
    request.add_requests()->set_entry_id("x");
  }
  grpc::ClientContext ctx;
  nodev1::SignX509SvidsResponse response;
  EXPECT_EQ(agent.stub->SignX509Svids(&ctx, request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(NodeApiTest, SigningIsRecordedInTheIssuanceLedger) {
  TestAgent agent = JoinAgent();
  const std::string web = AddEntry("spiffe://example.org/web", agent.id.str());
  nodev1::SignX509SvidsResponse response;
  ASSERT_TRUE(Sign(agent, {web, web}, &response).ok());
  h().server().service().FlushLedger();
  absl::StatusOr<Page<IssuanceRecord>> records = h().datastore().ListIssuances(
      {.spiffe_id = *SpiffeId::Parse("spiffe://example.org/web")}, {});
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->items.size(), 2u);
  EXPECT_EQ(records->items[0].entry_id, web);
  EXPECT_EQ(records->items[0].agent_id, agent.id);
  EXPECT_EQ(records->items[0].serial,
            Certificate::FromDer(response.results(0).cert_chain(0))->SerialHex());
}

// JWT-07 (sub is the entry's ID), JWT-08 (aud), JWT-04 (kid found in the bundle), JWT-16 (TTL).
TEST_F(NodeApiTest, SignJwtSvidForAuthorizedEntry) {
  TestAgent agent = JoinAgent();
  const std::string web = AddEntry("spiffe://example.org/web", agent.id.str(), {"unix:uid:1"},
                                   [](RegistrationEntry& e) { e.jwt_svid_ttl_seconds = 120; });
  grpc::ClientContext ctx;
  nodev1::SignJwtSvidRequest request;
  request.set_entry_id(web);
  request.add_audience("payments");
  nodev1::SignJwtSvidResponse response;
  ASSERT_TRUE(agent.stub->SignJwtSvid(&ctx, request, &response).ok());

  BundleSet bundles;
  bundles.Put(Bundle());
  absl::StatusOr<JwtSvid> jwt =
      ValidateJwtSvid(response.token(), bundles, {"payments"}, absl::Now());
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(jwt->spiffe_id.str(), "spiffe://example.org/web");
  EXPECT_EQ(response.expires_at(), absl::ToUnixSeconds(jwt->expires_at));
  EXPECT_NEAR(absl::ToDoubleSeconds(jwt->expires_at - absl::Now()), 120, 5);
}

// JWT-08: no JWT-SVID without an audience.
TEST_F(NodeApiTest, SignJwtSvidRefusesMissingAudienceAndForeignEntry) {
  TestAgent agent = JoinAgent();
  const std::string web = AddEntry("spiffe://example.org/web", agent.id.str());
  const std::string foreign =
      AddEntry("spiffe://example.org/foreign", "spiffe://example.org/sigil/agent/join_token/x");
  {
    grpc::ClientContext ctx;
    nodev1::SignJwtSvidRequest request;
    request.set_entry_id(web);
    nodev1::SignJwtSvidResponse response;
    EXPECT_EQ(agent.stub->SignJwtSvid(&ctx, request, &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext ctx;
    nodev1::SignJwtSvidRequest request;
    request.set_entry_id(foreign);
    request.add_audience("a");
    nodev1::SignJwtSvidResponse response;
    EXPECT_EQ(agent.stub->SignJwtSvid(&ctx, request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
}

// --- Renewal ----------------------------------------------------------------------------

TEST_F(NodeApiTest, RenewedSvidRetiresTheOldOneOnFirstUse) {
  TestAgent agent = JoinAgent();
  PrivateKey new_key = *PrivateKey::Generate(KeyType::kEcP256);
  grpc::ClientContext ctx;
  nodev1::RenewAgentRequest request;
  request.set_public_key(new_key.public_key().ToSpkiDer());
  nodev1::RenewAgentResponse response;
  ASSERT_TRUE(agent.stub->RenewAgent(&ctx, request, &response).ok());
  EXPECT_EQ(response.svid().spiffe_id(), agent.id.str());

  // Until the new SVID is used, the old one still works (the answer might have been lost).
  nodev1::SignX509SvidsResponse sign;
  const std::string web = AddEntry("spiffe://example.org/web", agent.id.str());
  ASSERT_TRUE(Sign(agent, {web}, &sign).ok());

  nodev1::AttestResult renewed_result = agent.result;
  *renewed_result.mutable_svid() = response.svid();
  absl::StatusOr<TestAgent> renewed = AgentFromResult(h(), new_key, renewed_result);
  ASSERT_TRUE(renewed.ok());
  ASSERT_TRUE(Sign(*renewed, {web}, &sign).ok());

  sign.Clear();
  EXPECT_EQ(Sign(agent, {web}, &sign).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(h().registry().FindNode(agent.id)->serial, renewed->chain[0].SerialHex());
}

// --- Limits -----------------------------------------------------------------------------

TEST_F(NodeApiTest, AttestationAttemptsAreRateLimitedPerAddress) {
  StartServer([](NodeApiServerOptions& o) {
    o.service.attest_rate_limit = 1;
    o.service.attest_burst = 2;
  });
  auto stub = AnonymousStub(h());
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  std::vector<absl::StatusCode> codes;
  for (int i = 0; i < 3; ++i) {
    codes.push_back(RunAttest(*stub, "join_token", "unknown-token", key.public_key().ToSpkiDer())
                        .status()
                        .code());
  }
  EXPECT_THAT(codes,
              ElementsAre(absl::StatusCode::kPermissionDenied, absl::StatusCode::kPermissionDenied,
                          absl::StatusCode::kResourceExhausted));
}

TEST_F(NodeApiTest, SigningIsRateLimitedPerAgent) {
  StartServer([](NodeApiServerOptions& o) {
    o.service.sign_rate_limit = 1;
    o.service.sign_burst = 3;
  });
  TestAgent agent = JoinAgent();
  const std::string web = AddEntry("spiffe://example.org/web", agent.id.str());
  nodev1::SignX509SvidsResponse response;
  ASSERT_TRUE(Sign(agent, {web, web, web}, &response).ok());
  response.Clear();
  grpc::Status status = Sign(agent, {web}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// --- Server identity --------------------------------------------------------------------

// X509-23 from the agent's side: the server is accepted by its exact SPIFFE ID.
TEST_F(NodeApiTest, ServerPresentsItsSvidAndAClientExpectingAnotherIdRefusesIt) {
  auto wrong = nodev1::NodeService::NewStub(NodeApiChannel(
      h().port(), h().RootsPem(), "spiffe://example.org/not-the-server", std::nullopt));
  auto right = AnonymousStub(h());
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  EXPECT_EQ(RunAttest(*wrong, "join_token", "t", key.public_key().ToSpkiDer()).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(RunAttest(*right, "join_token", "t", key.public_key().ToSpkiDer()).status().code(),
            absl::StatusCode::kPermissionDenied);
}

// SEC-01: the server's private key is in a 0600 file only.
TEST_F(NodeApiTest, ServerSvidFileIsPrivateAndRotationKeepsServing) {
  ServerSvidRotator& svid = h().server().server_svid();
  struct stat st;
  ASSERT_EQ(::stat(svid.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string before = svid.serial();
  ASSERT_TRUE(svid.Rotate().ok());
  EXPECT_NE(svid.serial(), before);
  // New connections keep working with the rotated identity.
  auto stub = AnonymousStub(h());
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  EXPECT_EQ(RunAttest(*stub, "join_token", "t", key.public_key().ToSpkiDer()).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace sigil::server
