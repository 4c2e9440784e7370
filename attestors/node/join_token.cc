#include "attestors/node/join_token.h"

#include "absl/strings/str_cat.h"

#include "sigil/keys.h"
#include "sigil/status.h"

namespace sigil::attestors {
namespace {

// 16 bytes of SHA-256 (128 bits) keep token ids unique among any number of tokens an operator
// could make, and are a path segment short enough to read.
constexpr size_t kTokenIdDigestBytes = 16;

absl::Status CheckTokenBytes(std::string_view token) {
  if (token.empty()) {
    return absl::InvalidArgumentError("join token is empty");
  }
  if (token.size() > kMaxJoinTokenBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("join token is ", token.size(), " bytes, more than ", kMaxJoinTokenBytes));
  }
  for (size_t i = 0; i < token.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(token[i]);
    if (c <= 0x20 || c >= 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat("join token has a space, control or non-ASCII byte at offset ", i));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string JoinTokenId(const SecretBytes& token) {
  return HexEncode(Sha256(token.view()).substr(0, kTokenIdDigestBytes));
}

SpiffeId JoinTokenAgentId(const TrustDomain& td, const SecretBytes& token) {
  // A hex digest and a constant type are always valid path segments.
  return *MakeAgentId(td, kJoinTokenType, JoinTokenId(token));
}

absl::StatusOr<SecretBytes> MakeJoinTokenPayload(std::string_view token) {
  SIGIL_RETURN_IF_ERROR(CheckTokenBytes(token));
  return SecretBytes(token);
}

absl::StatusOr<AttestationStep> JoinTokenAttestor::Begin(
    std::string_view payload, absl::Time /*now*/,
    std::unique_ptr<NodeAttestation>* /*out_attestation*/) const {
  SIGIL_RETURN_IF_ERROR(CheckTokenBytes(payload));
  const SecretBytes token(payload);

  // The store judges expiry by its own clock, in the same transaction that consumes the
  // token, so two agents racing with one token cannot both succeed.
  if (absl::Status consumed = consume_(token); !consumed.ok()) {
    switch (consumed.code()) {
      case absl::StatusCode::kNotFound:
        return absl::PermissionDeniedError("join token is unknown or was already used");
      case absl::StatusCode::kFailedPrecondition:
        return absl::PermissionDeniedError("join token has expired");
      default:
        return absl::Status(consumed.code(),
                            absl::StrCat("consuming join token: ", consumed.message()));
    }
  }

  const std::string id = JoinTokenId(token);
  NodeAttestationResult result{
      .agent_id = JoinTokenAgentId(trust_domain_, token),
      .selectors = {Selector{std::string(kJoinTokenType), id}},
      .can_reattest = false,
  };
  return result;
}

}  // namespace sigil::attestors
