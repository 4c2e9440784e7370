#include "server/config/server_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil::server {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<ServerConfig> Load(std::string_view toml) {
  auto reader = config::TomlReader::Parse(toml, "server.toml");
  if (!reader.ok()) {
    return reader.status();
  }
  auto config = ReadServerConfig(*reader);
  if (!config.ok()) {
    return config.status();
  }
  if (absl::Status s = FinishServerConfig(*config); !s.ok()) {
    return s;
  }
  return config;
}

TEST(ServerConfigTest, EmptyFileNeedsOnlyATrustDomain) {
  auto c = Load("[server]\ntrust_domain = \"example.org\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->trust_domain->name(), "example.org");
  EXPECT_EQ(c->ca_ttl, absl::Hours(24));
  EXPECT_EQ(c->default_x509_svid_ttl, absl::Hours(1));
  EXPECT_EQ(c->default_jwt_svid_ttl, absl::Minutes(5));
  EXPECT_EQ(c->ca_key_type, KeyType::kEcP256);
  EXPECT_EQ(c->bind_address, "0.0.0.0:8081");
  EXPECT_EQ(c->admin_socket_path, ".sigil/server/admin.sock");
  EXPECT_EQ(c->datastore.path, ".sigil/server/datastore.sqlite3");
  EXPECT_EQ(c->key_manager.type, "disk");
}

TEST(ServerConfigTest, MissingTrustDomainIsAnError) {
  auto c = Load("");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("trust domain is required"));
}

TEST(ServerConfigTest, ReadsEveryKey) {
  auto c = Load(R"(
[server]
trust_domain = "prod.example"
data_dir = "/var/lib/sigil"
bind_address = "127.0.0.1:9081"
admin_socket_path = "/run/sigil/admin.sock"
log_level = "debug"
log_format = "json"
ca_ttl = "48h"
default_x509_svid_ttl = "30m"
default_jwt_svid_ttl = "2m"
agent_svid_ttl = "2h"
ca_key_type = "ec-p384"
jwt_key_type = "rsa-2048"
ca_subject = "C=DE, O=Example"
bundle_refresh_hint = "1m"
join_token_ttl = "1h"
[datastore]
type = "sqlite"
path = "/tmp/x.db"
[key_manager]
type = "memory"
[upstream_authority]
type = "disk"
cert_file = "/etc/ca.pem"
key_file = "/etc/ca.key"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->ca_ttl, absl::Hours(48));
  EXPECT_EQ(c->ca_key_type, KeyType::kEcP384);
  EXPECT_EQ(c->jwt_key_type, KeyType::kRsa2048);
  EXPECT_EQ(c->log_level, LogLevel::kDebug);
  EXPECT_TRUE(c->log_json);
  ASSERT_EQ(c->ca_subject.size(), 2u);
  EXPECT_EQ(c->ca_subject[1].attribute, "O");
  EXPECT_EQ(c->ca_subject[1].value, "Example");
  ASSERT_TRUE(c->upstream_authority.has_value());
  EXPECT_EQ(c->upstream_authority->key_file, "/etc/ca.key");
  EXPECT_EQ(c->key_manager.directory, "/var/lib/sigil/keys");
}

TEST(ServerConfigTest, RejectsUnknownKey) {
  auto c = Load("[server]\ntrust_domain = \"a.org\"\nca_tll = \"1h\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("unknown key server.ca_tll"));
}

TEST(ServerConfigTest, RejectsBadTrustDomain) {
  auto c = Load("[server]\ntrust_domain = \"Example.org\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()),
              HasSubstr("server.trust_domain: trust domain has an uppercase letter at byte 0"));
}

TEST(ServerConfigTest, RejectsSvidTtlNotBelowCaTtl) {
  auto c = Load("[server]\ntrust_domain = \"a.org\"\nca_ttl = \"1h\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("must be shorter than server.ca_ttl"));
}

TEST(ServerConfigTest, RejectsZeroTtl) {
  auto c = Load("[server]\ntrust_domain = \"a.org\"\ndefault_jwt_svid_ttl = \"0s\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()),
              HasSubstr("default_jwt_svid_ttl: must be positive"));
}

TEST(ServerConfigTest, RejectsUnknownKeyType) {
  auto c = Load("[server]\ntrust_domain = \"a.org\"\nca_key_type = \"ed25519\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("server.ca_key_type: unknown key type"));
}

TEST(ServerConfigTest, PostgresNeedsAConnectionString) {
  auto c = Load("[server]\ntrust_domain = \"a.org\"\n[datastore]\ntype = \"postgres\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("connection_string is required"));
}

TEST(ServerConfigTest, UpstreamNeedsCertAndKey) {
  auto c = Load(
      "[server]\ntrust_domain = \"a.org\"\n[upstream_authority]\ntype = \"disk\"\n"
      "cert_file = \"/x\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("cert_file and key_file"));
}

TEST(ServerConfigTest, NodeApiDefaults) {
  auto c = Load("[server]\ntrust_domain = \"a.org\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node_api.x509pop_ca_bundle_path, "");
  EXPECT_EQ(c->node_api.attest_rate_limit, 10);
  EXPECT_EQ(c->node_api.attest_burst, 20);
  EXPECT_EQ(c->node_api.sign_rate_limit, 1000);
  EXPECT_EQ(c->node_api.sign_burst, 10000);
}

TEST(ServerConfigTest, ReadsNodeAttestorAndNodeApiKeys) {
  auto c = Load(R"(
[server]
trust_domain = "a.org"
[node_attestor.join_token]
[node_attestor.x509pop]
ca_bundle_path = "/etc/sigil/node-ca.pem"
[node_api]
attest_rate_limit = 5
attest_burst = 7
sign_rate_limit = 0
sign_burst = 100
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node_api.x509pop_ca_bundle_path, "/etc/sigil/node-ca.pem");
  EXPECT_EQ(c->node_api.attest_rate_limit, 5);
  EXPECT_EQ(c->node_api.attest_burst, 7);
  EXPECT_EQ(c->node_api.sign_rate_limit, 0);
  EXPECT_EQ(c->node_api.sign_burst, 100);
}

TEST(ServerConfigTest, RejectsNegativeNodeApiLimit) {
  auto c = Load("[server]\ntrust_domain = \"a.org\"\n[node_api]\nsign_burst = -1\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("node_api.sign_burst: must not be"));
}

TEST(ServerConfigTest, RejectsUnknownNodeAttestorKey) {
  auto c = Load("[server]\ntrust_domain = \"a.org\"\n[node_attestor.x509pop]\nca_path = \"x\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()),
              HasSubstr("unknown key node_attestor.x509pop.ca_path"));
}

TEST(ServerConfigTest, JoinTokenTableTakesNoKeys) {
  auto c =
      Load("[server]\ntrust_domain = \"a.org\"\n[node_attestor.join_token]\nenabled = false\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()),
              HasSubstr("unknown key node_attestor.join_token.enabled"));
}

}  // namespace
}  // namespace sigil::server
