// Typed, strict reading of TOML configuration files. Every lookup names the full key in its
// error ("server.ca_ttl: expected a duration such as \"24h\""), and keys nobody asked for are
// reported, so a misspelt option is an error at start-up rather than a silently ignored line.
#ifndef SIGIL_COMMON_CONFIG_TOML_READER_H_
#define SIGIL_COMMON_CONFIG_TOML_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "sigil/spiffe_id.h"

namespace sigil::config {

inline constexpr size_t kMaxConfigFileSize = 1024 * 1024;

class TomlReader {
 public:
  // Parses `text`; `source` names it in errors (a file path). Fails with kInvalidArgument
  // naming the line and column of a syntax error.
  static absl::StatusOr<TomlReader> Parse(std::string_view text, std::string source);
  // Reads and parses a file of at most kMaxConfigFileSize bytes.
  static absl::StatusOr<TomlReader> ParseFile(const std::string& path);
  // An empty document: every lookup finds nothing.
  static TomlReader Empty();

  TomlReader(TomlReader&&) noexcept;
  TomlReader& operator=(TomlReader&&) noexcept;
  ~TomlReader();

  // Each getter returns nullopt when the key is absent, the value when it has the right type,
  // and kInvalidArgument naming the key otherwise. `key` is dotted: "server.ca_ttl".
  absl::StatusOr<std::optional<std::string>> GetString(std::string_view key);
  absl::StatusOr<std::optional<int64_t>> GetInt(std::string_view key);
  absl::StatusOr<std::optional<bool>> GetBool(std::string_view key);
  // A string such as "1h30m" (absl::ParseDuration syntax) or an integer number of seconds.
  // Negative durations are refused.
  absl::StatusOr<std::optional<absl::Duration>> GetDuration(std::string_view key);
  absl::StatusOr<std::optional<std::vector<std::string>>> GetStringArray(std::string_view key);
  // A trust domain name, validated; the error names the key and the broken rule.
  absl::StatusOr<std::optional<TrustDomain>> GetTrustDomain(std::string_view key);
  // True when `key` names a table (e.g. "upstream_authority.disk").
  bool HasTable(std::string_view key);

  // Fails naming the first key present in the file that no getter asked about.
  absl::Status CheckAllKeysUsed() const;

 private:
  struct Impl;
  explicit TomlReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Stores the value of a getter above in `out` when the key was present, leaving the default
// otherwise; returns the getter's error:
//   SIGIL_RETURN_IF_ERROR(AssignIfSet(reader.GetString("server.data_dir"), config.data_dir));
template <typename T>
absl::Status AssignIfSet(absl::StatusOr<std::optional<T>> value, T& out) {
  if (!value.ok()) {
    return value.status();
  }
  if (value->has_value()) {
    out = **std::move(value);
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status AssignIfSet(absl::StatusOr<std::optional<T>> value, std::optional<T>& out) {
  if (!value.ok()) {
    return value.status();
  }
  if (value->has_value()) {
    out = *std::move(value);
  }
  return absl::OkStatus();
}

}  // namespace sigil::config

#endif  // SIGIL_COMMON_CONFIG_TOML_READER_H_
