// Parsing of the values operators type on the sigil-server command line: durations, times,
// selectors. Each failure names the flag and the rule; nothing here talks to the server.
#ifndef SIGIL_SERVER_CLI_FLAGS_H_
#define SIGIL_SERVER_CLI_FLAGS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "admin.pb.h"

namespace sigil::server::cli {

// A duration such as "1h", "90m", "1h30m", "45s" (Go / abseil syntax) or a plain number of
// seconds ("3600"). Must be whole seconds, zero or more, and at most 100 years. kInvalidArgument
// "<flag>: ..." otherwise.
absl::StatusOr<int64_t> ParseDurationSeconds(std::string_view flag, std::string_view text);

// An RFC 3339 time ("2030-01-02T03:04:05Z", offsets and fractions allowed) or Unix seconds
// ("1893456000"), as Unix seconds (fractions dropped). kInvalidArgument "<flag>: ..." for
// anything else or a time before 1970.
absl::StatusOr<int64_t> ParseTimeSeconds(std::string_view flag, std::string_view text);

// "TYPE:VALUE", split at the first colon (the value may hold more colons, as in
// "unix:uid:1000"). Both halves must be non-empty; the server checks the rest.
absl::StatusOr<sigil::admin::v1::Selector> ParseSelector(std::string_view flag,
                                                         std::string_view text);

// "2030-01-02T03:04:05Z" for Unix seconds > 0, "never" for 0.
std::string TimeText(int64_t unix_seconds);

// "1h", "5m30s" for a positive number of seconds; "default" for 0.
std::string TtlText(int64_t seconds);

}  // namespace sigil::server::cli

#endif  // SIGIL_SERVER_CLI_FLAGS_H_
