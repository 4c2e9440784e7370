// The agent half of join_token attestation as the node client drives it.
#ifndef SIGIL_AGENT_MANAGER_JOIN_TOKEN_ATTESTOR_H_
#define SIGIL_AGENT_MANAGER_JOIN_TOKEN_ATTESTOR_H_

#include "agent/nodeclient/node_attestor_client.h"
#include "sigil/secret_bytes.h"

namespace sigil::agent {

// Sends the token as the payload; answers no challenge; cannot attest twice.
class JoinTokenAttestorClient final : public NodeAttestorClient {
 public:
  explicit JoinTokenAttestorClient(SecretBytes token) : token_(std::move(token)) {}

  std::string_view type() const override { return "join_token"; }
  absl::StatusOr<std::string> Payload() override { return std::string(token_.view()); }
  absl::StatusOr<std::string> AnswerChallenge(std::string_view) override {
    return absl::FailedPreconditionError("join_token attestation has no challenge");
  }
  bool CanReattest() const override { return false; }

 private:
  const SecretBytes token_;
};

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_MANAGER_JOIN_TOKEN_ATTESTOR_H_
