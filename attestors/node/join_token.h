// join_token node attestation: an operator makes a single-use token (`sigil-server token
// generate`), hands it to the agent out of band, and the agent presents it once.
//
// Payload: the token's bytes, nothing else. No challenge. The agent's ID is
// spiffe://<td>/sigil/agent/join_token/<token id>, where the token id is the lowercase hex of
// the first 16 bytes of SHA-256(token): the ID is public (it is in the agent's SVID, in logs,
// in parent_ids) and must not reveal the token. The agent gets one node selector,
// join_token:<token id>, which is what a node alias made by `token generate --spiffe-id`
// selects on (the admin API's well_known_ids.h uses the same rule). A used token cannot be
// used again, so such an agent cannot attest again (can_reattest false): once evicted it
// needs a new token.
#ifndef SIGIL_ATTESTORS_NODE_JOIN_TOKEN_H_
#define SIGIL_ATTESTORS_NODE_JOIN_TOKEN_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "attestors/node/node_attestor.h"
#include "sigil/secret_bytes.h"
#include "sigil/spiffe_id.h"

namespace sigil::attestors {

inline constexpr std::string_view kJoinTokenType = "join_token";
// Tokens are typed and pasted by people: at most this many bytes, all printable ASCII.
inline constexpr size_t kMaxJoinTokenBytes = 512;

// The public id of `token`: lowercase hex of the first 16 bytes of its SHA-256.
std::string JoinTokenId(const SecretBytes& token);

// spiffe://<td>/sigil/agent/join_token/<JoinTokenId(token)>.
SpiffeId JoinTokenAgentId(const TrustDomain& td, const SecretBytes& token);

// --- Agent half ---------------------------------------------------------------------------

// The attestation payload for `token` (the token itself), after checking that it is 1 to
// kMaxJoinTokenBytes printable ASCII bytes without spaces, as the server will. Fails with
// kInvalidArgument naming the rule (never the token).
absl::StatusOr<SecretBytes> MakeJoinTokenPayload(std::string_view token);

// --- Server half --------------------------------------------------------------------------

// Consumes `token` so it cannot be used again. Returns OK when it was valid, kNotFound when it
// is unknown or was used already, kFailedPrecondition when it had expired (it is consumed all
// the same), other codes when the store failed. The server wires this to
// DataStore::ConsumeJoinToken.
using JoinTokenConsumer = std::function<absl::Status(const SecretBytes& token)>;

class JoinTokenAttestor final : public NodeAttestor {
 public:
  JoinTokenAttestor(TrustDomain trust_domain, JoinTokenConsumer consume)
      : trust_domain_(std::move(trust_domain)), consume_(std::move(consume)) {}

  std::string_view type() const override { return kJoinTokenType; }

  // Always a result, never a challenge. kInvalidArgument for an empty, oversized or
  // non-printable token; kPermissionDenied for an unknown, used or expired one; the store's
  // error otherwise.
  absl::StatusOr<AttestationStep> Begin(
      std::string_view payload, absl::Time now,
      std::unique_ptr<NodeAttestation>* out_attestation) const override;

 private:
  const TrustDomain trust_domain_;
  const JoinTokenConsumer consume_;
};

}  // namespace sigil::attestors

#endif  // SIGIL_ATTESTORS_NODE_JOIN_TOKEN_H_
