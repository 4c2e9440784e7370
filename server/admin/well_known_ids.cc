#include "server/admin/well_known_ids.h"

#include "absl/strings/str_cat.h"

#include "sigil/keys.h"
#include "sigil/status.h"

namespace sigil::server {

SpiffeId ServerSpiffeId(const TrustDomain& td) {
  // The path is a constant that follows the path rules, so this cannot fail.
  return *SpiffeId::FromPath(td, kServerIdPath);
}

std::string JoinTokenId(const SecretBytes& token) {
  return HexEncode(Sha256(token.view()).substr(0, 16));
}

SpiffeId JoinTokenAgentId(const TrustDomain& td, std::string_view token_id) {
  // Token ids are hex, always a valid path segment.
  return *SpiffeId::FromPath(td, absl::StrCat(AsAbsl(kJoinTokenAgentPathPrefix), AsAbsl(token_id)));
}

Selector JoinTokenSelector(std::string_view token_id) {
  return Selector{std::string(kJoinTokenSelectorType), std::string(token_id)};
}

}  // namespace sigil::server
