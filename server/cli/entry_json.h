// Registration entries as JSON: what `--output json` prints and what `entry create --file`
// reads. The shape is SPIRE's entry file with snake_case keys:
//
//   {"entries": [{"spiffe_id": "spiffe://example.org/web",
//                 "parent_id": "spiffe://example.org/sigil/server",
//                 "selectors": [{"type": "unix", "value": "uid:1000"}, "unix:gid:50"],
//                 "x509_svid_ttl": 3600, "jwt_svid_ttl": "5m",
//                 "dns_names": ["web.example.org"], "federates_with": ["partner.org"],
//                 "admin": false, "downstream": false, "hint": "", "expires_at": 0,
//                 "owner": "", "description": "", "id": ""}]}
//
// Only spiffe_id, parent_id and selectors are required. A selector is an object or a
// "TYPE:VALUE" string; TTLs are seconds or duration strings; expires_at is Unix seconds or an
// RFC 3339 string. "entry_id" is accepted for "id". "revision", "created_at" and "updated_at"
// (which `entry show --output json` prints) are accepted and ignored, so that output can be
// fed back in. Any other key is refused.
#ifndef SIGIL_SERVER_CLI_ENTRY_JSON_H_
#define SIGIL_SERVER_CLI_ENTRY_JSON_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include <nlohmann/json.hpp>

#include "admin.pb.h"

namespace sigil::server::cli {

// Largest entry file read: room for a full batch of 50,000 verbose entries.
inline constexpr size_t kMaxEntryFileBytes = 64 << 20;

nlohmann::json EntryToJson(const sigil::admin::v1::Entry& entry);

// Parses an entry file. Strict JSON (duplicate keys refused), at most kMaxEntryFileBytes.
// kInvalidArgument naming the place and the rule: "entries[3].selectors[0]: selector \"x\" has
// no type: ...", "entries[0]: unknown key \"spiffeid\"", "entries: at least one entry".
absl::StatusOr<std::vector<sigil::admin::v1::Entry>> ParseEntryFile(std::string_view text);

}  // namespace sigil::server::cli

#endif  // SIGIL_SERVER_CLI_ENTRY_JSON_H_
