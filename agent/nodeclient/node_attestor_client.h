// The agent half of a node attestor, as the node client drives it over the Attest stream:
// first the payload, then one answer per server challenge.
#ifndef SIGIL_AGENT_NODECLIENT_NODE_ATTESTOR_CLIENT_H_
#define SIGIL_AGENT_NODECLIENT_NODE_ATTESTOR_CLIENT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sigil::agent {

class NodeAttestorClient {
 public:
  virtual ~NodeAttestorClient() = default;

  // The attestor name on the wire: "join_token", "x509pop".
  virtual std::string_view type() const = 0;
  // The attestation payload (a secret for join_token: callers never log it).
  virtual absl::StatusOr<std::string> Payload() = 0;
  // The response to one server challenge. kFailedPrecondition when the attestor has no
  // challenges (join_token), kInvalidArgument for a malformed challenge.
  virtual absl::StatusOr<std::string> AnswerChallenge(std::string_view challenge) = 0;
  // True when attesting again is possible (x509pop); false when the proof is single use
  // (join_token), so an evicted agent needs an operator.
  virtual bool CanReattest() const = 0;
};

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_NODECLIENT_NODE_ATTESTOR_CLIENT_H_
