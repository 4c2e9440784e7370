// sigil-server's configuration: every key with its default, read from an optional TOML file
// and overridden by command-line flags. docs/server.md lists the keys.
#ifndef SIGIL_SERVER_CONFIG_SERVER_CONFIG_H_
#define SIGIL_SERVER_CONFIG_SERVER_CONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "common/config/toml_reader.h"
#include "sigil/keys.h"
#include "sigil/log.h"
#include "sigil/spiffe_id.h"
#include "sigil/x509_issuer.h"

namespace sigil::server {

struct DatastoreConfig {
  // "sqlite" (the embedded default) or "postgres".
  std::string type = "sqlite";
  // SQLite file; default <data_dir>/datastore.sqlite3.
  std::string path;
  // PostgreSQL connection string (libpq syntax), for type "postgres".
  std::string connection_string;
};

struct KeyManagerConfig {
  // "disk" (PKCS#8 files, mode 0600, in <data_dir>/keys) or "memory" (keys die with the
  // process; every restart rotates the CA).
  std::string type = "disk";
  std::string directory;
};

struct UpstreamAuthorityConfig {
  // Only "disk" for now: an operator's CA certificate and key on disk.
  std::string type = "disk";
  std::string cert_file;
  std::string key_file;
  // Roots of the upstream chain when `cert_file` is an intermediate; optional.
  std::string bundle_file;
};

// The node API's attestors and limits (docs/server.md, "Node API").
struct NodeApiConfig {
  // node_attestor.x509pop.ca_bundle_path: PEM file of the CA certificates x509pop agents must
  // chain to. Empty leaves x509pop off. (join_token is always on.)
  std::string x509pop_ca_bundle_path;
  // node_api.attest_rate_limit / attest_burst: attestation attempts per second from one source
  // address, and how many may come at once. 0 turns the limit off.
  int64_t attest_rate_limit = 10;
  int64_t attest_burst = 20;
  // node_api.sign_rate_limit / sign_burst: SVIDs (X.509 and JWT) signed per second for one
  // agent, and how many at once (an agent starting with many entries asks for them together).
  // 0 turns the limit off.
  int64_t sign_rate_limit = 1000;
  int64_t sign_burst = 10000;
};

struct ServerConfig {
  // Required: flag --trust-domain or server.trust_domain.
  std::optional<TrustDomain> trust_domain;
  std::string data_dir = ".sigil/server";
  std::string bind_address = "0.0.0.0:8081";
  // Default <data_dir>/admin.sock.
  std::string admin_socket_path;
  LogLevel log_level = LogLevel::kInfo;
  bool log_json = false;

  absl::Duration ca_ttl = kDefaultX509CaTtl;
  absl::Duration default_x509_svid_ttl = kDefaultX509SvidTtl;
  absl::Duration default_jwt_svid_ttl = absl::Minutes(5);
  absl::Duration agent_svid_ttl = absl::Hours(1);
  KeyType ca_key_type = KeyType::kEcP256;
  KeyType jwt_key_type = KeyType::kEcP256;
  std::vector<X509NameEntry> ca_subject;
  // How often federated peers are told to refresh the bundle (spiffe_refresh_hint).
  absl::Duration bundle_refresh_hint = absl::Minutes(5);
  absl::Duration join_token_ttl = absl::Minutes(10);

  DatastoreConfig datastore;
  KeyManagerConfig key_manager;
  NodeApiConfig node_api;
  std::optional<UpstreamAuthorityConfig> upstream_authority;
};

// Reads every key of `reader` into a config with defaults, then checks that no unknown key is
// left. Fails with kInvalidArgument naming the key.
absl::StatusOr<ServerConfig> ReadServerConfig(config::TomlReader& reader);

// Fills defaults that depend on other keys (paths under data_dir) and checks the whole:
// trust domain present, TTLs positive, X.509-SVID TTL below the CA TTL, datastore type known.
absl::Status FinishServerConfig(ServerConfig& config);

}  // namespace sigil::server

#endif  // SIGIL_SERVER_CONFIG_SERVER_CONFIG_H_
