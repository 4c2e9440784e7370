#include "agent/config/agent_config.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "sigil/status.h"

namespace sigil::agent {
namespace {

// Largest cache an operator may ask for: far above any node's workload count, low enough that
// a typo cannot make the bound meaningless.
constexpr int64_t kMaxX509SvidCacheSize = 1'000'000;

// HOST:PORT with a non-empty host (a name, an IPv4 literal or a bracketed IPv6 literal) and a
// port in 1..65535.
absl::Status CheckHostPort(std::string_view what, const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(what), ": expected HOST:PORT, got \"", address, "\""));
  }
  std::string_view host = std::string_view(address).substr(0, colon);
  if (host.front() == '[' ? host.back() != ']' || host.size() < 3
                          : host.find(':') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        AsAbsl(what), ": an IPv6 host must be in brackets ([::1]:8081), got \"", address, "\""));
  }
  int port = 0;
  if (!absl::SimpleAtoi(AsAbsl(std::string_view(address).substr(colon + 1)), &port) || port < 1 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        AsAbsl(what), ": port must be a number from 1 to 65535, got \"", address, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BundleFormat> ParseBundleFormat(std::string_view name) {
  if (name == "pem") {
    return BundleFormat::kPem;
  }
  if (name == "spiffe") {
    return BundleFormat::kSpiffe;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("expected pem or spiffe, got \"", AsAbsl(name), "\""));
}

absl::StatusOr<AgentConfig> ReadAgentConfig(config::TomlReader& r) {
  AgentConfig c;
  SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetString("agent.server_address"), c.server_address));
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetTrustDomain("agent.trust_domain"), c.trust_domain));
  SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetString("agent.data_dir"), c.data_dir));
  SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetString("agent.socket_path"), c.socket_path));
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetString("agent.admin_socket_path"), c.admin_socket_path));
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetString("agent.trust_bundle_path"), c.trust_bundle_path));
  SIGIL_ASSIGN_OR_RETURN(std::optional<std::string> format,
                         r.GetString("agent.trust_bundle_format"));
  if (format.has_value()) {
    absl::StatusOr<BundleFormat> parsed = ParseBundleFormat(*format);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("agent.trust_bundle_format: ", parsed.status().message()));
    }
    c.trust_bundle_format = *parsed;
  }
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetBool("agent.insecure_bootstrap"), c.insecure_bootstrap));
  SIGIL_ASSIGN_OR_RETURN(std::optional<std::string> level, r.GetString("agent.log_level"));
  if (level.has_value() && !ParseLogLevel(*level, &c.log_level)) {
    return absl::InvalidArgumentError("agent.log_level: expected debug, info, warn, error or off");
  }
  std::string log_format = "text";
  SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetString("agent.log_format"), log_format));
  if (log_format != "text" && log_format != "json") {
    return absl::InvalidArgumentError("agent.log_format: expected text or json");
  }
  c.log_json = log_format == "json";
  SIGIL_ASSIGN_OR_RETURN(std::optional<int64_t> cache_size,
                         r.GetInt("agent.x509_svid_cache_max_size"));
  if (cache_size.has_value()) {
    if (*cache_size < 1 || *cache_size > kMaxX509SvidCacheSize) {
      return absl::InvalidArgumentError(absl::StrCat(
          "agent.x509_svid_cache_max_size: must be from 1 to ", kMaxX509SvidCacheSize));
    }
    c.x509_svid_cache_max_size = static_cast<size_t>(*cache_size);
  }
  // The token may sit in the agent table (as SPIRE has it) for the common case.
  SIGIL_ASSIGN_OR_RETURN(std::optional<std::string> token, r.GetString("agent.join_token"));
  if (token.has_value()) {
    c.node_attestor.join_token = SecretBytes::Adopt(std::move(*token));
  }

  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetString("node_attestor.type"), c.node_attestor.type));
  SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetString("node_attestor.certificate_path"),
                                            c.node_attestor.certificate_path));
  SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetString("node_attestor.private_key_path"),
                                            c.node_attestor.private_key_path));
  SIGIL_RETURN_IF_ERROR(r.CheckAllKeysUsed());
  return c;
}

absl::Status FinishAgentConfig(AgentConfig& c) {
  if (c.server_address.empty()) {
    return absl::InvalidArgumentError(
        "server address is required: pass --server-address or set agent.server_address");
  }
  SIGIL_RETURN_IF_ERROR(CheckHostPort("agent.server_address", c.server_address));
  if (!c.trust_domain.has_value()) {
    return absl::InvalidArgumentError(
        "trust domain is required: pass --trust-domain or set agent.trust_domain");
  }
  if (c.data_dir.empty()) {
    return absl::InvalidArgumentError("agent.data_dir must not be empty");
  }
  if (c.socket_path.empty() || c.socket_path.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("agent.socket_path: must be an absolute path, got \"", c.socket_path, "\""));
  }
  if (c.admin_socket_path.empty()) {
    c.admin_socket_path = c.data_dir + "/admin.sock";
  }
  if (c.admin_socket_path == c.socket_path) {
    return absl::InvalidArgumentError(
        "agent.admin_socket_path must differ from agent.socket_path: the admin socket is "
        "owner-only, the Workload API socket is open to every local user");
  }
  NodeAttestorConfig& a = c.node_attestor;
  if (a.type == "x509pop") {
    if (a.certificate_path.empty() || a.private_key_path.empty()) {
      return absl::InvalidArgumentError(
          "node_attestor: x509pop needs certificate_path and private_key_path");
    }
  } else if (a.type != "join_token") {
    return absl::InvalidArgumentError(
        absl::StrCat("node_attestor.type: expected join_token or x509pop, got \"", a.type, "\""));
  }
  return absl::OkStatus();
}

}  // namespace sigil::agent
