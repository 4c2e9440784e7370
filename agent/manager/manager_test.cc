#include "agent/manager/manager.h"

#include <sys/stat.h>

#include <filesystem>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <openssl/x509v3.h>

#include "agent/manager/bootstrap.h"
#include "agent/manager/join_token_attestor.h"
#include "agent/nodeclient/testing/fake_node_server.h"

namespace sigil::agent {
namespace {

using testing::FakeNodeServer;
using testing::FakeNodeServerOptions;
using ::testing::HasSubstr;

const TrustDomain& Td() {
  static const TrustDomain td = *TrustDomain::FromString("example.org");
  return td;
}

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "agent-manager-XXXXXX").string();
  return mkdtemp(tmpl.data());
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

WorkloadView LookupUid(IdentityCache& cache, const std::string& uid) {
  return cache.Lookup({{"unix", "uid:" + uid}});
}

class ManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    FakeNodeServerOptions options{Td()};
    options.x509_svid_ttl = absl::Hours(1);
    auto server = FakeNodeServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    NewAgent();
  }
  void TearDown() override {
    manager_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A fresh agent process on the same data directory.
  void NewAgent() {
    manager_.reset();
    store_ = std::make_unique<AgentStore>(*AgentStore::Open(dir_ + "/data"));
    trust_ = std::make_shared<ServerTrust>(Td());
    client_ = std::make_unique<NodeClient>(NodeClientOptions{server_->address(), trust_});
    cache_ = std::make_unique<IdentityCache>(IdentityCacheOptions{Td()});
    attestor_ = std::make_unique<JoinTokenAttestorClient>(SecretBytes("test-token"));
  }

  absl::StatusOr<X509Svid> Boot(bool with_bundle = true, bool insecure = false) {
    BootstrapOptions o{store_.get(), client_.get(), trust_.get(), attestor_.get()};
    if (with_bundle) {
      o.bootstrap_bundle = server_->bundle();
    }
    o.insecure_bootstrap = insecure;
    return Bootstrap(o);
  }

  void MakeManager(std::function<void(const absl::Status&)> on_fatal = nullptr) {
    auto svid = Boot();
    ASSERT_TRUE(svid.ok()) << svid.status();
    ManagerOptions o{cache_.get(), client_.get(), trust_.get(), store_.get(), attestor_.get()};
    o.rotation_interval = absl::Milliseconds(50);
    o.initial_backoff = absl::Milliseconds(50);
    o.max_backoff = absl::Milliseconds(200);
    o.on_fatal = std::move(on_fatal);
    manager_ = std::make_unique<Manager>(o, *std::move(svid));
  }

  // Opens a sync stream by hand and applies the snapshot.
  void SyncOnce() {
    auto stream = client_->OpenSync(manager_->last_revision());
    ASSERT_TRUE(stream.ok());
    nodeapi::SyncUpdate update;
    ASSERT_TRUE((*stream)->Read(&update));
    ASSERT_TRUE(manager_->ApplyUpdate(update).ok());
    (*stream)->Cancel();
  }

  // Polls `done` every 20 ms for at most 10 s.
  static bool Eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 500; ++i) {
      if (done()) {
        return true;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  std::string dir_;
  std::unique_ptr<FakeNodeServer> server_;
  std::unique_ptr<AgentStore> store_;
  std::shared_ptr<ServerTrust> trust_;
  std::unique_ptr<NodeClient> client_;
  std::unique_ptr<IdentityCache> cache_;
  std::unique_ptr<JoinTokenAttestorClient> attestor_;
  std::unique_ptr<Manager> manager_;
};

TEST_F(ManagerTest, BootstrapAttestsAndStoresStateWithTightPermissions) {
  auto svid = Boot();
  ASSERT_TRUE(svid.ok()) << svid.status();
  EXPECT_EQ(server_->attest_calls(), 1);
  EXPECT_EQ(ModeOf(dir_ + "/data"), 0700u);
  EXPECT_EQ(ModeOf(dir_ + "/data/agent_svid.key"), 0600u);
  EXPECT_EQ(ModeOf(dir_ + "/data/bundle.json"), 0600u);
}

TEST_F(ManagerTest, RestartReusesStoredSvidWithoutAttesting) {
  auto first = Boot();
  ASSERT_TRUE(first.ok());
  NewAgent();
  auto second = Boot(/*with_bundle=*/false);  // the stored bundle is enough
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(server_->attest_calls(), 1);
  EXPECT_EQ(second->leaf().SerialHex(), first->leaf().SerialHex());
}

TEST_F(ManagerTest, BootstrapWithoutBundleNeedsInsecureFlag) {
  auto svid = Boot(/*with_bundle=*/false);
  EXPECT_EQ(svid.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(svid.status().message()), HasSubstr("--trust-bundle"));
  EXPECT_EQ(server_->attest_calls(), 0);
}

TEST_F(ManagerTest, InsecureBootstrapAttestsAndKeepsServerBundle) {
  auto svid = Boot(/*with_bundle=*/false, /*insecure=*/true);
  ASSERT_TRUE(svid.ok()) << svid.status();
  ASSERT_NE(trust_->bundle(), nullptr);
  EXPECT_EQ(*trust_->bundle(), server_->bundle());
}

TEST_F(ManagerTest, UsedJoinTokenExplainsSingleUse) {
  ASSERT_TRUE(Boot().ok());
  std::filesystem::remove_all(dir_ + "/data");
  NewAgent();
  auto svid = Boot();
  EXPECT_EQ(svid.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(svid.status().message()), HasSubstr("works once"));
}

TEST_F(ManagerTest, NoAttestorAndNoStoredSvidAsksForJoinToken) {
  attestor_.reset();
  auto svid = Boot();
  EXPECT_EQ(svid.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(svid.status().message()), HasSubstr("--join-token"));
}

TEST_F(ManagerTest, RotationIssuesSvidForSyncedEntry) {
  server_->PutEntry("e0", *SpiffeId::Parse("spiffe://example.org/root"), "unix", "uid:0");
  MakeManager();
  SyncOnce();
  EXPECT_EQ(manager_->RotateOnce(absl::Now()), 1u);
  WorkloadView view = LookupUid(*cache_, "0");
  ASSERT_EQ(view.identities.size(), 1u);
  ASSERT_NE(view.identities[0].svid, nullptr);
  EXPECT_EQ(view.identities[0].svid->svid.spiffe_id().str(), "spiffe://example.org/root");
  // The key was made here: the server only ever saw the public half.
  EXPECT_EQ(server_->signed_svids(), 1);
  EXPECT_TRUE(LookupUid(*cache_, "1").identities.empty());
}

TEST_F(ManagerTest, RotatesWorkloadSvidPastHalfLife) {
  server_->PutEntry("e0", *SpiffeId::Parse("spiffe://example.org/root"), "unix", "uid:0");
  MakeManager();
  SyncOnce();
  ASSERT_EQ(manager_->RotateOnce(absl::Now()), 1u);
  const std::string first = LookupUid(*cache_, "0").identities[0].svid->svid.leaf().SerialHex();
  EXPECT_EQ(manager_->RotateOnce(absl::Now() + absl::Minutes(10)), 0u);
  EXPECT_EQ(manager_->RotateOnce(absl::Now() + absl::Minutes(31)), 1u);
  EXPECT_NE(LookupUid(*cache_, "0").identities[0].svid->svid.leaf().SerialHex(), first);
}

TEST_F(ManagerTest, RenewsAgentSvidAtHalfLifeAndStoresIt) {
  MakeManager();
  const std::string first = manager_->agent_svid().leaf().SerialHex();
  manager_->RotateOnce(absl::Now() + absl::Minutes(10));
  EXPECT_EQ(server_->renew_calls(), 0);
  manager_->RotateOnce(absl::Now() + absl::Minutes(31));
  EXPECT_EQ(server_->renew_calls(), 1);
  const std::string renewed = manager_->agent_svid().leaf().SerialHex();
  EXPECT_NE(renewed, first);
  auto stored = store_->LoadSvid();
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->leaf().SerialHex(), renewed);
}

TEST_F(ManagerTest, TaintedAuthorityForcesRekey) {
  server_->PutEntry("e0", *SpiffeId::Parse("spiffe://example.org/root"), "unix", "uid:0");
  MakeManager();
  SyncOnce();
  ASSERT_EQ(manager_->RotateOnce(absl::Now()), 1u);
  const Certificate& ca = server_->bundle().x509_authorities()[0];
  // The CA's subject key id, as the server names tainted authorities.
  std::string skid;
  {
    const ASN1_OCTET_STRING* id = X509_get0_subject_key_id(ca.get());
    skid = HexEncode(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(id)),
                                      ASN1_STRING_length(id)));
  }
  nodeapi::SyncUpdate taint;
  taint.add_tainted_authorities(skid);
  taint.set_revision(manager_->last_revision() + 1);
  ASSERT_TRUE(manager_->ApplyUpdate(taint).ok());
  EXPECT_EQ(manager_->RotateOnce(absl::Now()), 1u);
  EXPECT_EQ(manager_->RotateOnce(absl::Now()), 0u);
}

TEST_F(ManagerTest, ServerDownKeepsCachedSvids) {
  server_->PutEntry("e0", *SpiffeId::Parse("spiffe://example.org/root"), "unix", "uid:0");
  MakeManager();
  SyncOnce();
  ASSERT_EQ(manager_->RotateOnce(absl::Now()), 1u);
  server_->Shutdown();
  EXPECT_EQ(manager_->RotateOnce(absl::Now() + absl::Minutes(40)), 0u);
  WorkloadView view = LookupUid(*cache_, "0");
  ASSERT_EQ(view.identities.size(), 1u);
  EXPECT_NE(view.identities[0].svid, nullptr);
}

TEST_F(ManagerTest, InvalidEntryIsSkippedOthersApplied) {
  MakeManager();
  nodeapi::SyncUpdate update;
  update.set_full(true);
  nodeapi::Entry* bad = update.add_entries();
  bad->set_id("bad");
  bad->set_spiffe_id("spiffe://example.org/UP PER");
  nodeapi::Entry* good = update.add_entries();
  good->set_id("good");
  good->set_spiffe_id("spiffe://example.org/ok");
  nodeapi::Selector* s = good->add_selectors();
  s->set_type("unix");
  s->set_value("uid:5");
  absl::Status applied = manager_->ApplyUpdate(update);
  EXPECT_THAT(std::string(applied.message()), HasSubstr("entry bad: spiffe_id"));
  EXPECT_EQ(LookupUid(*cache_, "5").identities.size(), 1u);
}

TEST_F(ManagerTest, RunningManagerServesNewEntriesAndResumesAfterServerRestart) {
  MakeManager();
  manager_->Start();
  server_->PutEntry("e0", *SpiffeId::Parse("spiffe://example.org/root"), "unix", "uid:0");
  ASSERT_TRUE(Eventually([&] {
    auto view = LookupUid(*cache_, "0");
    return !view.identities.empty() && view.identities[0].svid != nullptr;
  }));
  const int64_t revision = manager_->last_revision();
  EXPECT_GT(revision, 0);

  server_->Shutdown();
  auto restarted = FakeNodeServer::Restart(*server_);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  server_ = *std::move(restarted);
  ASSERT_TRUE(Eventually([&] { return server_->sync_streams() > 0; }));
  EXPECT_EQ(server_->last_sync_request_revision(), revision);
  server_->PutEntry("e1", *SpiffeId::Parse("spiffe://example.org/nobody"), "unix", "uid:65534");
  EXPECT_TRUE(Eventually([&] {
    auto view = LookupUid(*cache_, "65534");
    return !view.identities.empty() && view.identities[0].svid != nullptr;
  }));
  manager_->Stop();
}

TEST_F(ManagerTest, EvictedJoinTokenAgentStopsAndForgetsSvid) {
  absl::Notification fatal;
  std::string message;
  MakeManager([&](const absl::Status& s) {
    message = std::string(s.message());
    fatal.Notify();
  });
  server_->Evict();
  manager_->Start();
  ASSERT_TRUE(fatal.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_THAT(message, HasSubstr("sigil-server token generate"));
  auto stored = store_->LoadSvid();
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(stored->has_value());
  EXPECT_FALSE(manager_->Health(absl::Now()).ready);
  manager_->Stop();
}

TEST_F(ManagerTest, HealthIsReadyWithValidSvidAndBundle) {
  MakeManager();
  ManagerHealth health = manager_->Health(absl::Now());
  EXPECT_TRUE(health.ready) << health.reason;
  EXPECT_FALSE(manager_->Health(absl::Now() + absl::Hours(2)).ready);
}

TEST_F(ManagerTest, JwtSignerReturnsServerToken) {
  server_->PutEntry("e0", *SpiffeId::Parse("spiffe://example.org/root"), "unix", "uid:0");
  MakeManager();
  NodeJwtSvidSigner signer(*client_);
  AgentEntry entry{.entry_id = "e0", .spiffe_id = *SpiffeId::Parse("spiffe://example.org/root")};
  std::vector<std::string> audiences = {"db"};
  auto token = signer.Sign(entry, audiences, absl::Now());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_FALSE(token->empty());
}

TEST(BackoffTest, DoublesWithJitterUpToTheCap) {
  Backoff backoff(absl::Seconds(1), absl::Seconds(30), 7);
  absl::Duration last = absl::ZeroDuration();
  for (int i = 0; i < 10; ++i) {
    last = backoff.Next();
  }
  EXPECT_LE(last, absl::Seconds(30));
  EXPECT_GE(last, absl::Seconds(15));
  backoff.Reset();
  absl::Duration first = backoff.Next();
  EXPECT_GE(first, absl::Milliseconds(500));
  EXPECT_LE(first, absl::Seconds(1));
}

TEST(AgentStoreTest, DetectsKeyNotMatchingSvid) {
  const std::string dir = TempDir();
  auto store = AgentStore::Open(dir);
  ASSERT_TRUE(store.ok());
  auto server = FakeNodeServer::Start(FakeNodeServerOptions{Td()});
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  auto cert = (*server)->issuer().SignSvid({*SpiffeId::Parse("spiffe://example.org/a")},
                                           key.public_key(), absl::Now());
  auto svid = X509Svid::FromParts({*cert->ToCertificate()}, key);
  ASSERT_TRUE(store->SaveSvid(*svid).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/agent_svid.key",
                                  PrivateKey::Generate(KeyType::kEcP256)->ToPkcs8Pem().view(), 0600)
                  .ok());
  EXPECT_EQ(store->LoadSvid().status().code(), absl::StatusCode::kDataLoss);
  std::filesystem::remove_all(dir);
}

TEST(AgentStoreTest, NothingStoredIsNotAnError) {
  const std::string dir = TempDir();
  auto store = AgentStore::Open(dir);
  auto svid = store->LoadSvid();
  ASSERT_TRUE(svid.ok());
  EXPECT_FALSE(svid->has_value());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sigil::agent
