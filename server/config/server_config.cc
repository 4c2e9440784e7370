#include "server/config/server_config.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "sigil/status.h"

namespace sigil::server {
namespace {

absl::Status AssignKeyType(config::TomlReader& r, std::string_view key, KeyType& out) {
  SIGIL_ASSIGN_OR_RETURN(std::optional<std::string> name, r.GetString(key));
  if (!name.has_value()) {
    return absl::OkStatus();
  }
  absl::StatusOr<KeyType> type = ParseKeyType(*name);
  if (!type.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(key), ": ", type.status().message()));
  }
  out = *type;
  return absl::OkStatus();
}

// "C=US,O=Example,CN=CA" → attributes in order.
absl::StatusOr<std::vector<X509NameEntry>> ParseSubject(std::string_view key,
                                                        const std::string& text) {
  std::vector<X509NameEntry> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::vector<std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || kv[0].empty() || kv[1].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          AsAbsl(key), ": expected ATTRIBUTE=VALUE pairs separated by commas, got \"", part, "\""));
    }
    out.push_back({std::string(absl::StripAsciiWhitespace(kv[0])),
                   std::string(absl::StripAsciiWhitespace(kv[1]))});
  }
  return out;
}

}  // namespace

absl::StatusOr<ServerConfig> ReadServerConfig(config::TomlReader& r) {
  ServerConfig c;
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetTrustDomain("server.trust_domain"), c.trust_domain));
  SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetString("server.data_dir"), c.data_dir));
  SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetString("server.bind_address"), c.bind_address));
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetString("server.admin_socket_path"), c.admin_socket_path));
  SIGIL_ASSIGN_OR_RETURN(std::optional<std::string> level, r.GetString("server.log_level"));
  if (level.has_value() && !ParseLogLevel(*level, &c.log_level)) {
    return absl::InvalidArgumentError("server.log_level: expected debug, info, warn, error or off");
  }
  std::string format = "text";
  SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetString("server.log_format"), format));
  if (format != "text" && format != "json") {
    return absl::InvalidArgumentError("server.log_format: expected text or json");
  }
  c.log_json = format == "json";
  SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetDuration("server.ca_ttl"), c.ca_ttl));
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetDuration("server.default_x509_svid_ttl"), c.default_x509_svid_ttl));
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetDuration("server.default_jwt_svid_ttl"), c.default_jwt_svid_ttl));
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetDuration("server.agent_svid_ttl"), c.agent_svid_ttl));
  SIGIL_RETURN_IF_ERROR(AssignKeyType(r, "server.ca_key_type", c.ca_key_type));
  SIGIL_RETURN_IF_ERROR(AssignKeyType(r, "server.jwt_key_type", c.jwt_key_type));
  SIGIL_ASSIGN_OR_RETURN(std::optional<std::string> subject, r.GetString("server.ca_subject"));
  if (subject.has_value()) {
    SIGIL_ASSIGN_OR_RETURN(c.ca_subject, ParseSubject("server.ca_subject", *subject));
  }
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetDuration("server.bundle_refresh_hint"), c.bundle_refresh_hint));
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetDuration("server.join_token_ttl"), c.join_token_ttl));

  SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetString("datastore.type"), c.datastore.type));
  SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetString("datastore.path"), c.datastore.path));
  SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetString("datastore.connection_string"),
                                            c.datastore.connection_string));

  SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetString("key_manager.type"), c.key_manager.type));
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetString("key_manager.directory"), c.key_manager.directory));

  // [node_attestor.join_token] may be written out but has no keys: join tokens are always
  // accepted. Asking for the table marks it known; a key inside it is still reported.
  (void)r.HasTable("node_attestor.join_token");
  SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetString("node_attestor.x509pop.ca_bundle_path"),
                                            c.node_api.x509pop_ca_bundle_path));
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetInt("node_api.attest_rate_limit"), c.node_api.attest_rate_limit));
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetInt("node_api.attest_burst"), c.node_api.attest_burst));
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetInt("node_api.sign_rate_limit"), c.node_api.sign_rate_limit));
  SIGIL_RETURN_IF_ERROR(
      config::AssignIfSet(r.GetInt("node_api.sign_burst"), c.node_api.sign_burst));

  if (r.HasTable("upstream_authority")) {
    UpstreamAuthorityConfig up;
    SIGIL_RETURN_IF_ERROR(config::AssignIfSet(r.GetString("upstream_authority.type"), up.type));
    SIGIL_RETURN_IF_ERROR(
        config::AssignIfSet(r.GetString("upstream_authority.cert_file"), up.cert_file));
    SIGIL_RETURN_IF_ERROR(
        config::AssignIfSet(r.GetString("upstream_authority.key_file"), up.key_file));
    SIGIL_RETURN_IF_ERROR(
        config::AssignIfSet(r.GetString("upstream_authority.bundle_file"), up.bundle_file));
    c.upstream_authority = up;
  }
  SIGIL_RETURN_IF_ERROR(r.CheckAllKeysUsed());
  return c;
}

absl::Status FinishServerConfig(ServerConfig& c) {
  if (!c.trust_domain.has_value()) {
    return absl::InvalidArgumentError(
        "trust domain is required: pass --trust-domain or set server.trust_domain");
  }
  if (c.data_dir.empty()) {
    return absl::InvalidArgumentError("server.data_dir must not be empty");
  }
  if (c.admin_socket_path.empty()) {
    c.admin_socket_path = c.data_dir + "/admin.sock";
  }
  if (c.datastore.path.empty()) {
    c.datastore.path = c.data_dir + "/datastore.sqlite3";
  }
  if (c.key_manager.directory.empty()) {
    c.key_manager.directory = c.data_dir + "/keys";
  }
  for (const auto& [name, value] : {std::pair{"server.ca_ttl", c.ca_ttl},
                                    {"server.default_x509_svid_ttl", c.default_x509_svid_ttl},
                                    {"server.default_jwt_svid_ttl", c.default_jwt_svid_ttl},
                                    {"server.agent_svid_ttl", c.agent_svid_ttl},
                                    {"server.bundle_refresh_hint", c.bundle_refresh_hint},
                                    {"server.join_token_ttl", c.join_token_ttl}}) {
    if (value <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": must be positive"));
    }
  }
  if (c.default_x509_svid_ttl >= c.ca_ttl) {
    return absl::InvalidArgumentError(absl::StrCat(
        "server.default_x509_svid_ttl (", absl::FormatDuration(c.default_x509_svid_ttl),
        ") must be shorter than server.ca_ttl (", absl::FormatDuration(c.ca_ttl),
        "): SVIDs are capped at their CA's expiry"));
  }
  if (c.datastore.type != "sqlite" && c.datastore.type != "postgres") {
    return absl::InvalidArgumentError(absl::StrCat(
        "datastore.type: expected sqlite or postgres, got \"", c.datastore.type, "\""));
  }
  if (c.datastore.type == "postgres" && c.datastore.connection_string.empty()) {
    return absl::InvalidArgumentError(
        "datastore.connection_string is required when datastore.type is postgres");
  }
  if (c.key_manager.type != "disk" && c.key_manager.type != "memory") {
    return absl::InvalidArgumentError(absl::StrCat(
        "key_manager.type: expected disk or memory, got \"", c.key_manager.type, "\""));
  }
  for (const auto& [name, value] :
       {std::pair{"node_api.attest_rate_limit", c.node_api.attest_rate_limit},
        {"node_api.attest_burst", c.node_api.attest_burst},
        {"node_api.sign_rate_limit", c.node_api.sign_rate_limit},
        {"node_api.sign_burst", c.node_api.sign_burst}}) {
    if (value < 0) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": must not be negative"));
    }
  }
  if (c.upstream_authority.has_value()) {
    const UpstreamAuthorityConfig& up = *c.upstream_authority;
    if (up.type != "disk") {
      return absl::InvalidArgumentError(
          absl::StrCat("upstream_authority.type: expected disk, got \"", up.type, "\""));
    }
    if (up.cert_file.empty() || up.key_file.empty()) {
      return absl::InvalidArgumentError(
          "upstream_authority: cert_file and key_file are both required");
    }
  }
  return absl::OkStatus();
}

}  // namespace sigil::server
