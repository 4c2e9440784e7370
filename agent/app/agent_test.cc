#include "agent/app/agent.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <grpcpp/grpcpp.h>

#include "agent/nodeclient/testing/fake_node_server.h"
#include "agent/proto/workload_api_proto.h"
#include "agent_admin.grpc.pb.h"
#include "sigil/x509_svid.h"
#include "sigil/x509_verify.h"

namespace sigil::agent {
namespace {

using testing::FakeNodeServer;
using testing::FakeNodeServerOptions;

const TrustDomain& Td() {
  static const TrustDomain td = *TrustDomain::FromString("example.org");
  return td;
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "agent-app-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    auto server = FakeNodeServer::Start(FakeNodeServerOptions{Td()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    std::ofstream(dir_ + "/bundle.pem") << server_->bundle().x509_authorities()[0].ToPem();
  }
  void TearDown() override {
    agent_.reset();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  AgentConfig Config() {
    AgentConfig c;
    c.server_address = server_->address();
    c.trust_domain = Td();
    c.data_dir = dir_ + "/data";
    c.socket_path = dir_ + "/public/api.sock";
    c.trust_bundle_path = dir_ + "/bundle.pem";
    c.node_attestor.join_token = SecretBytes("test-token");
    EXPECT_TRUE(FinishAgentConfig(c).ok());
    return c;
  }

  // Fetches this process's X.509-SVIDs, retrying (bounded) while none is issued yet.
  absl::StatusOr<wapi::X509SvidResponse> FetchX509() {
    auto stub = wapi::Service::NewStub(grpc::CreateChannel("unix:" + dir_ + "/public/api.sock",
                                                           grpc::InsecureChannelCredentials()));
    grpc::Status last;
    for (int attempt = 0; attempt < 100; ++attempt) {
      grpc::ClientContext context;
      context.AddMetadata(wapi::kSecurityHeaderKey, wapi::kSecurityHeaderValue);
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      auto reader = stub->FetchX509SVID(&context, wapi::X509SvidRequest());
      wapi::X509SvidResponse response;
      if (reader->Read(&response)) {
        context.TryCancel();
        return response;
      }
      last = reader->Finish();
      absl::SleepFor(absl::Milliseconds(100));
    }
    return absl::Status(static_cast<absl::StatusCode>(last.error_code()), last.error_message());
  }

  std::string dir_;
  std::unique_ptr<FakeNodeServer> server_;
  std::unique_ptr<Agent> agent_;
};

TEST_F(AgentTest, ServesIssuedSvidOnWorkloadApiSocket) {
  server_->PutEntry("e0", *SpiffeId::Parse("spiffe://example.org/me"), "unix",
                    "uid:" + std::to_string(getuid()));
  auto agent = Agent::Start(Config());
  ASSERT_TRUE(agent.ok()) << agent.status();
  agent_ = *std::move(agent);
  auto response = FetchX509();
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->svids_size(), 1);
  auto svid =
      X509Svid::FromWorkloadApi(response->svids(0).x509_svid(), response->svids(0).x509_svid_key());
  ASSERT_TRUE(svid.ok()) << svid.status();
  EXPECT_EQ(svid->spiffe_id().str(), "spiffe://example.org/me");
  EXPECT_TRUE(VerifyX509Svid(svid->chain(), server_->bundle(), absl::Now()).ok());
}

TEST_F(AgentTest, AdminHealthIsReadyAfterStart) {
  auto agent = Agent::Start(Config());
  ASSERT_TRUE(agent.ok()) << agent.status();
  agent_ = *std::move(agent);
  auto stub = sigil::agent::admin::v1::AgentAdmin::NewStub(
      grpc::CreateChannel("unix:" + dir_ + "/data/admin.sock", grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  sigil::agent::admin::v1::HealthResponse health;
  ASSERT_TRUE(stub->Health(&context, {}, &health).ok());
  EXPECT_TRUE(health.ready()) << health.reason();
  EXPECT_EQ(health.agent_id(), "spiffe://example.org/sigil/agent/join_token/test-token");
}

TEST_F(AgentTest, RestartDoesNotAttestAgain) {
  auto first = Agent::Start(Config());
  ASSERT_TRUE(first.ok()) << first.status();
  (*first)->Shutdown();
  first->reset();
  auto second = Agent::Start(Config());
  ASSERT_TRUE(second.ok()) << second.status();
  agent_ = *std::move(second);
  EXPECT_EQ(server_->attest_calls(), 1);
}

TEST_F(AgentTest, MissingBundleFileIsNamed) {
  AgentConfig c = Config();
  c.trust_bundle_path = dir_ + "/nope.pem";
  auto agent = Agent::Start(c);
  ASSERT_FALSE(agent.ok());
  EXPECT_THAT(std::string(agent.status().message()), ::testing::HasSubstr("nope.pem"));
}

}  // namespace
}  // namespace sigil::agent
