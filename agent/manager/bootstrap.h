// Getting the agent its SVID at start: reuse the one in the data directory while it is valid,
// otherwise attest. Trust in the server comes from, in order: the bundle stored by an earlier
// run, the bootstrap bundle file, or nothing at all under --insecure-bootstrap (first
// attestation only, loudly logged).
#ifndef SIGIL_AGENT_MANAGER_BOOTSTRAP_H_
#define SIGIL_AGENT_MANAGER_BOOTSTRAP_H_

#include <optional>

#include "absl/status/statusor.h"

#include "agent/manager/agent_store.h"
#include "agent/nodeclient/node_client.h"

namespace sigil::agent {

struct BootstrapOptions {
  // All borrowed.
  const AgentStore* store = nullptr;
  NodeClient* client = nullptr;
  ServerTrust* trust = nullptr;
  // Null when the configuration gives no way to attest (no join token): then only a stored
  // SVID will do.
  NodeAttestorClient* attestor = nullptr;
  // The bundle from --trust-bundle, if given.
  std::optional<TrustBundle> bootstrap_bundle;
  bool insecure_bootstrap = false;
  Clock clock = [] { return absl::Now(); };
};

// Sets options.trust's bundle, gets a valid agent SVID (stored or by attesting), stores it and
// the server's bundle, and gives it to the client. Fails with:
//   kFailedPrecondition  no stored SVID and nothing to attest with ("pass --join-token"), or
//                        no bundle to trust the server with ("pass --trust-bundle or
//                        --insecure-bootstrap"), or the data directory is unusable;
//   the server's status  when attestation is refused (kPermissionDenied: a used or unknown
//                        token, with a hint) or the server is unreachable (kUnavailable).
absl::StatusOr<X509Svid> Bootstrap(const BootstrapOptions& options);

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_MANAGER_BOOTSTRAP_H_
