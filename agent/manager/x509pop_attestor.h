// The agent half of x509pop attestation (attestors/node/x509pop.h): the node's certificate
// chain as the payload, and a signature by its key over each challenge. The files are read
// again at every attestation, so a node certificate renewed on disk is picked up.
#ifndef SIGIL_AGENT_MANAGER_X509POP_ATTESTOR_H_
#define SIGIL_AGENT_MANAGER_X509POP_ATTESTOR_H_

#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"

#include "agent/nodeclient/node_attestor_client.h"
#include "sigil/keys.h"

namespace sigil::agent {

class X509PopAttestorClient final : public NodeAttestorClient {
 public:
  // `certificate_path`: PEM chain, leaf first; `private_key_path`: the leaf's PKCS#8 PEM key.
  X509PopAttestorClient(std::string certificate_path, std::string private_key_path)
      : certificate_path_(std::move(certificate_path)),
        private_key_path_(std::move(private_key_path)) {}

  std::string_view type() const override { return "x509pop"; }
  // Reads both files; kNotFound / kInvalidArgument naming the file, or when the key is not
  // the leaf's.
  absl::StatusOr<std::string> Payload() override;
  // Needs a preceding Payload() (which loaded the key): kFailedPrecondition otherwise.
  absl::StatusOr<std::string> AnswerChallenge(std::string_view challenge) override;
  bool CanReattest() const override { return true; }

 private:
  const std::string certificate_path_;
  const std::string private_key_path_;
  absl::Mutex mu_;
  std::optional<PrivateKey> key_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_MANAGER_X509POP_ATTESTOR_H_
