// Where the Workload API is: the --socket flag, else SPIFFE_ENDPOINT_SOCKET, else the
// agent's default socket (WAPI-04), turned into a gRPC dial target.
#ifndef SIGIL_AGENT_CLI_ENDPOINT_H_
#define SIGIL_AGENT_CLI_ENDPOINT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sigil::agent::cli {

inline constexpr char kEndpointEnvVar[] = "SPIFFE_ENDPOINT_SOCKET";

// Parses a Workload API endpoint address into a gRPC target:
//   unix:///abs/path or unix:/abs/path  → "unix:/abs/path" (no authority, an absolute path,
//                                          nothing else: WAPI-05)
//   tcp://IP:PORT                       → "IP:PORT", IPv6 as "[addr]:PORT" (an IP literal, a
//                                          port, no path, query, fragment or userinfo: WAPI-06)
// Anything else fails with kInvalidArgument naming the rule broken.
absl::StatusOr<std::string> ParseEndpointAddress(std::string_view address);

// The dial target for a client command: `flag` if non-empty (a socket path, or an address as
// above), else `env` (the value of SPIFFE_ENDPOINT_SOCKET, if set) parsed as an address, else
// the default socket. kInvalidArgument names the source ("SPIFFE_ENDPOINT_SOCKET: ...").
absl::StatusOr<std::string> ResolveEndpoint(std::string_view flag, const char* env);

}  // namespace sigil::agent::cli

#endif  // SIGIL_AGENT_CLI_ENDPOINT_H_
