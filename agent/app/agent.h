// A running sigil-agent: state in the data directory, the node API client, the manager (sync,
// rotation), the identity and JWT-SVID caches, the Workload API socket and the owner-only
// admin socket.
#ifndef SIGIL_AGENT_APP_AGENT_H_
#define SIGIL_AGENT_APP_AGENT_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"

#include "agent/config/agent_config.h"
#include "sigil/bundle.h"

namespace sigil::agent {

class Agent {
 public:
  // Loads the bootstrap bundle, opens the data directory, gets the agent SVID (stored or by
  // attesting), starts sync and rotation, then the Workload API and admin sockets. Fails naming
  // the step and cause; nothing is left running on failure. `on_fatal` is called (from an
  // agent thread) if the server later refuses the agent for good; the caller should then
  // Shutdown and exit non-zero.
  static absl::StatusOr<std::unique_ptr<Agent>> Start(
      AgentConfig config, std::function<void(const absl::Status&)> on_fatal = nullptr);

  ~Agent();
  // Stops the sockets (open Workload API streams end with UNAVAILABLE), then sync and
  // rotation. Idempotent.
  void Shutdown();

 private:
  struct Parts;
  explicit Agent(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// Reads the bootstrap bundle file of `config` (PEM CA certificates or a SPIFFE bundle).
// kInvalidArgument / kNotFound naming the file.
absl::StatusOr<TrustBundle> LoadBootstrapBundle(const AgentConfig& config);

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_APP_AGENT_H_
