// The server half of node attestation: given what an agent sent (and its answers to any
// challenges), decide which agent it is and what is true of its node as selectors. Each method
// (join_token, x509pop, ...) is one NodeAttestor; the node API picks it by the type the agent
// names and drives it step by step over the Attest stream.
//
// The interface is a small state machine rather than a blocking call with a challenge
// callback: the node API runs on gRPC's callback API, whose reactors must never block waiting
// for the network, so each challenge goes out as a message and the attestation resumes when
// the answer arrives.
//
// Errors of every attestor follow one rule, so the node API can map them without knowing the
// method: kInvalidArgument for a payload or answer that is malformed (too large, not DER, a
// challenge answered twice); kPermissionDenied when the proof is well-formed but refused
// (unknown, used or expired token; untrusted chain; bad signature); kUnavailable or kInternal
// when something on the server failed (the token store, OpenSSL). Messages never contain a
// token or key material.
#ifndef SIGIL_ATTESTORS_NODE_NODE_ATTESTOR_H_
#define SIGIL_ATTESTORS_NODE_NODE_ATTESTOR_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "attestors/workload/selector.h"
#include "sigil/spiffe_id.h"

namespace sigil::attestors {

// Largest attestation payload any attestor accepts (an x509pop chain of 16 certificates of
// 16 KiB fits four times over).
inline constexpr size_t kMaxNodeAttestationPayload = 256 * 1024;
// Largest challenge answer any attestor accepts (an RSA-4096 signature is 512 bytes).
inline constexpr size_t kMaxChallengeResponse = 4 * 1024;

// Agent SPIFFE IDs are spiffe://<td>/sigil/agent/<attestor type>/<id>.
inline constexpr std::string_view kAgentPathPrefix = "/sigil/agent/";

// What a successful attestation proved.
struct NodeAttestationResult {
  SpiffeId agent_id;
  // Sorted, without duplicates (NormalizeSelectors).
  std::vector<Selector> selectors;
  // True when the same node may attest again with the same proof and keep its agent ID
  // (x509pop: the certificate outlives one attestation); false for single-use proofs.
  bool can_reattest = false;
};

// A challenge to send to the agent; the attestation continues with Answer().
struct AttestationChallenge {
  std::string bytes;
};

using AttestationStep = std::variant<AttestationChallenge, NodeAttestationResult>;

// One attestation in progress. Not thread-safe: one stream drives it.
class NodeAttestation {
 public:
  virtual ~NodeAttestation() = default;

  // Checks the agent's answer to the last challenge at `now` and returns the next step.
  // kFailedPrecondition when no challenge is outstanding.
  virtual absl::StatusOr<AttestationStep> Answer(std::string_view response, absl::Time now) = 0;
};

// One attestation method. Implementations are immutable after construction and thread-safe.
class NodeAttestor {
 public:
  virtual ~NodeAttestor() = default;

  // The type agents name in AttestationData.type ("join_token", "x509pop").
  virtual std::string_view type() const = 0;

  // Starts attesting `payload` at `now`. Returns the first step; when it is a challenge,
  // `*out_attestation` (never null) receives the state that Answer() continues with.
  virtual absl::StatusOr<AttestationStep> Begin(
      std::string_view payload, absl::Time now,
      std::unique_ptr<NodeAttestation>* out_attestation) const = 0;
};

// The agent ID spiffe://<td>/sigil/agent/<type>/<id>. `type` and `id` must be valid path
// segments (attestors pass hex digests and their own constant names).
absl::StatusOr<SpiffeId> MakeAgentId(const TrustDomain& td, std::string_view type,
                                     std::string_view id);

}  // namespace sigil::attestors

#endif  // SIGIL_ATTESTORS_NODE_NODE_ATTESTOR_H_
