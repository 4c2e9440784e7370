#include "agent/config/agent_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil::agent {
namespace {

using ::testing::HasSubstr;

constexpr char kMinimal[] = R"(
[agent]
server_address = "127.0.0.1:8081"
trust_domain = "example.org"
)";

absl::StatusOr<AgentConfig> Load(std::string_view toml) {
  auto reader = config::TomlReader::Parse(toml, "agent.toml");
  if (!reader.ok()) {
    return reader.status();
  }
  auto config = ReadAgentConfig(*reader);
  if (!config.ok()) {
    return config.status();
  }
  if (absl::Status s = FinishAgentConfig(*config); !s.ok()) {
    return s;
  }
  return config;
}

std::string ErrorOf(std::string_view toml) {
  auto c = Load(toml);
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(AgentConfigTest, MinimalFileTakesEveryDefault) {
  auto c = Load(kMinimal);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server_address, "127.0.0.1:8081");
  EXPECT_EQ(c->trust_domain->name(), "example.org");
  EXPECT_EQ(c->data_dir, ".sigil/agent");
  EXPECT_EQ(c->socket_path, "/tmp/sigil-agent/public/api.sock");
  EXPECT_EQ(c->admin_socket_path, ".sigil/agent/admin.sock");
  EXPECT_EQ(c->trust_bundle_format, BundleFormat::kPem);
  EXPECT_FALSE(c->insecure_bootstrap);
  EXPECT_EQ(c->log_level, LogLevel::kInfo);
  EXPECT_FALSE(c->log_json);
  EXPECT_EQ(c->x509_svid_cache_max_size, 1000u);
  EXPECT_EQ(c->node_attestor.type, "join_token");
  EXPECT_TRUE(c->node_attestor.join_token.empty());
}

TEST(AgentConfigTest, ReadsEveryKey) {
  auto c = Load(R"(
[agent]
server_address = "sigil.internal:9081"
trust_domain = "prod.example"
data_dir = "/var/lib/sigil-agent"
socket_path = "/run/spire/api.sock"
admin_socket_path = "/run/sigil-agent/admin.sock"
trust_bundle_path = "/etc/sigil/bundle.json"
trust_bundle_format = "spiffe"
join_token = "abc"
insecure_bootstrap = true
log_level = "debug"
log_format = "json"
x509_svid_cache_max_size = 50

[node_attestor]
type = "x509pop"
certificate_path = "/etc/sigil/node.pem"
private_key_path = "/etc/sigil/node.key"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server_address, "sigil.internal:9081");
  EXPECT_EQ(c->trust_domain->name(), "prod.example");
  EXPECT_EQ(c->data_dir, "/var/lib/sigil-agent");
  EXPECT_EQ(c->socket_path, "/run/spire/api.sock");
  EXPECT_EQ(c->admin_socket_path, "/run/sigil-agent/admin.sock");
  EXPECT_EQ(c->trust_bundle_path, "/etc/sigil/bundle.json");
  EXPECT_EQ(c->trust_bundle_format, BundleFormat::kSpiffe);
  EXPECT_EQ(c->node_attestor.join_token.view(), "abc");
  EXPECT_TRUE(c->insecure_bootstrap);
  EXPECT_EQ(c->log_level, LogLevel::kDebug);
  EXPECT_TRUE(c->log_json);
  EXPECT_EQ(c->x509_svid_cache_max_size, 50u);
  EXPECT_EQ(c->node_attestor.type, "x509pop");
  EXPECT_EQ(c->node_attestor.certificate_path, "/etc/sigil/node.pem");
  EXPECT_EQ(c->node_attestor.private_key_path, "/etc/sigil/node.key");
}

TEST(AgentConfigTest, AdminSocketDefaultFollowsDataDir) {
  auto c = Load(std::string(kMinimal) + "data_dir = \"/srv/a\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->admin_socket_path, "/srv/a/admin.sock");
}

TEST(AgentConfigTest, MissingServerAddressNamesFlagAndKey) {
  EXPECT_THAT(ErrorOf("[agent]\ntrust_domain = \"example.org\"\n"),
              HasSubstr("--server-address or set agent.server_address"));
}

TEST(AgentConfigTest, MissingTrustDomainNamesFlagAndKey) {
  EXPECT_THAT(ErrorOf("[agent]\nserver_address = \"h:1\"\n"),
              HasSubstr("--trust-domain or set agent.trust_domain"));
}

TEST(AgentConfigTest, RejectsServerAddressWithoutPort) {
  EXPECT_THAT(ErrorOf("[agent]\nserver_address = \"host\"\ntrust_domain = \"e.org\"\n"),
              HasSubstr("expected HOST:PORT"));
}

TEST(AgentConfigTest, RejectsPortOutOfRange) {
  EXPECT_THAT(ErrorOf("[agent]\nserver_address = \"host:70000\"\ntrust_domain = \"e.org\"\n"),
              HasSubstr("port must be a number from 1 to 65535"));
}

TEST(AgentConfigTest, RejectsUnbracketedIpv6Host) {
  EXPECT_THAT(ErrorOf("[agent]\nserver_address = \"::1:8081\"\ntrust_domain = \"e.org\"\n"),
              HasSubstr("must be in brackets"));
}

TEST(AgentConfigTest, AcceptsBracketedIpv6Host) {
  auto c = Load("[agent]\nserver_address = \"[::1]:8081\"\ntrust_domain = \"e.org\"\n");
  EXPECT_TRUE(c.ok()) << c.status();
}

TEST(AgentConfigTest, RejectsInvalidTrustDomain) {
  EXPECT_THAT(ErrorOf("[agent]\nserver_address = \"h:1\"\ntrust_domain = \"Bad!\"\n"),
              HasSubstr("agent.trust_domain"));
}

TEST(AgentConfigTest, RejectsUnknownBundleFormat) {
  EXPECT_THAT(ErrorOf(std::string(kMinimal) + "trust_bundle_format = \"der\"\n"),
              HasSubstr("agent.trust_bundle_format: expected pem or spiffe"));
}

TEST(AgentConfigTest, RejectsRelativeSocketPath) {
  EXPECT_THAT(ErrorOf(std::string(kMinimal) + "socket_path = \"api.sock\"\n"),
              HasSubstr("agent.socket_path: must be an absolute path"));
}

TEST(AgentConfigTest, RejectsAdminSocketEqualToWorkloadSocket) {
  EXPECT_THAT(ErrorOf(std::string(kMinimal) +
                      "socket_path = \"/tmp/a.sock\"\nadmin_socket_path = \"/tmp/a.sock\"\n"),
              HasSubstr("must differ"));
}

TEST(AgentConfigTest, RejectsCacheSizeZero) {
  EXPECT_THAT(ErrorOf(std::string(kMinimal) + "x509_svid_cache_max_size = 0\n"),
              HasSubstr("agent.x509_svid_cache_max_size"));
}

TEST(AgentConfigTest, RejectsUnknownLogLevel) {
  EXPECT_THAT(ErrorOf(std::string(kMinimal) + "log_level = \"loud\"\n"),
              HasSubstr("agent.log_level"));
}

TEST(AgentConfigTest, RejectsUnknownAttestor) {
  EXPECT_THAT(ErrorOf(std::string(kMinimal) + "[node_attestor]\ntype = \"aws_iid\"\n"),
              HasSubstr("node_attestor.type: expected join_token or x509pop"));
}

TEST(AgentConfigTest, X509popNeedsBothPaths) {
  EXPECT_THAT(ErrorOf(std::string(kMinimal) +
                      "[node_attestor]\ntype = \"x509pop\"\ncertificate_path = \"/c.pem\"\n"),
              HasSubstr("certificate_path and private_key_path"));
}

TEST(AgentConfigTest, RejectsUnknownKey) {
  EXPECT_THAT(ErrorOf(std::string(kMinimal) + "sever_address = \"typo:1\"\n"),
              HasSubstr("sever_address"));
}

TEST(AgentConfigTest, ErrorNeverEchoesJoinToken) {
  // A wrongly typed token value must not be quoted back.
  auto c = Load(std::string(kMinimal) + "join_token = 12345678\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), ::testing::Not(HasSubstr("12345678")));
}

}  // namespace
}  // namespace sigil::agent
