// sigil-agent's configuration: every key with its default, read from an optional TOML file and
// overridden by command-line flags. docs/agent.md lists every key.
#ifndef SIGIL_AGENT_CONFIG_AGENT_CONFIG_H_
#define SIGIL_AGENT_CONFIG_AGENT_CONFIG_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "common/config/toml_reader.h"
#include "sigil/log.h"
#include "sigil/secret_bytes.h"
#include "sigil/spiffe_id.h"

namespace sigil::agent {

inline constexpr char kDefaultAgentDataDir[] = ".sigil/agent";
inline constexpr char kDefaultWorkloadSocketPath[] = "/tmp/sigil-agent/public/api.sock";
inline constexpr size_t kDefaultX509SvidCacheMaxSize = 1000;

enum class BundleFormat { kPem, kSpiffe };

// How the agent proves which node it runs on (node_attestor table).
struct NodeAttestorConfig {
  // "join_token" (single use: a restart reuses the stored agent SVID, and an evicted agent
  // needs a new token) or "x509pop" (proof of possession of a node certificate's key; may
  // attest again at any time).
  std::string type = "join_token";
  // join_token: the token. A secret: never logged.
  SecretBytes join_token;
  // x509pop: the node certificate chain (PEM, leaf first) and its PKCS#8 PEM private key.
  std::string certificate_path;
  std::string private_key_path;
};

struct AgentConfig {
  // Required: the node API of sigil-server, HOST:PORT.
  std::string server_address;
  // Required.
  std::optional<TrustDomain> trust_domain;
  std::string data_dir = kDefaultAgentDataDir;
  std::string socket_path = kDefaultWorkloadSocketPath;
  // Default <data_dir>/admin.sock.
  std::string admin_socket_path;
  // The bootstrap bundle: the server's trust domain CA certificates, needed until the agent
  // has attested once (afterwards the bundle is kept in the data directory).
  std::string trust_bundle_path;
  BundleFormat trust_bundle_format = BundleFormat::kPem;
  // Skip verifying the server on the very first attestation (no trust bundle needed). Loudly
  // logged; for trying Sigil out, never for production.
  bool insecure_bootstrap = false;
  LogLevel log_level = LogLevel::kInfo;
  bool log_json = false;
  // Workload X.509-SVIDs kept at most (least recently used beyond it are dropped, except
  // those with a live Workload API stream).
  size_t x509_svid_cache_max_size = kDefaultX509SvidCacheMaxSize;
  NodeAttestorConfig node_attestor;
};

// Reads every key of `reader` into a config with defaults, then checks that no unknown key is
// left. Fails with kInvalidArgument naming the key.
absl::StatusOr<AgentConfig> ReadAgentConfig(config::TomlReader& reader);

// Fills defaults that depend on other keys and checks the whole: server address HOST:PORT,
// trust domain present, attestor type known and x509pop paths set. Whether a trust bundle or
// join token is needed depends on what the data directory already holds, so the agent checks
// that at start. Fails with kInvalidArgument naming the key (and the flag that sets it).
absl::Status FinishAgentConfig(AgentConfig& config);

// "pem" or "spiffe"; anything else is kInvalidArgument.
absl::StatusOr<BundleFormat> ParseBundleFormat(std::string_view name);

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_CONFIG_AGENT_CONFIG_H_
