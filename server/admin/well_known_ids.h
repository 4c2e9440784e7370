// SPIFFE IDs the server gives meaning to. The node API and the join-token attestor follow the
// same names (docs/server.md, "Identities the server reserves").
//
// - spiffe://<td>/sigil/server: the parent of node alias entries. An entry parented here
//   applies to every agent whose node selectors include all of the entry's selectors, and
//   other entries can then be parented on the alias's own SPIFFE ID.
// - spiffe://<td>/sigil/agent/join_token/<token id>: the agent that attested with a join token.
//   The token id is the first 16 bytes of the token's SHA-256, in hex: the agent's ID is
//   public (it is in its SVID and in logs) and must not reveal the token, which stays a secret
//   until used. The join-token attestor gives that agent the node selector
//   "join_token:<token id>", which is how a node alias made by `token generate --spiffe-id`
//   finds it.
#ifndef SIGIL_SERVER_ADMIN_WELL_KNOWN_IDS_H_
#define SIGIL_SERVER_ADMIN_WELL_KNOWN_IDS_H_

#include <string>
#include <string_view>

#include "server/datastore/types.h"
#include "sigil/secret_bytes.h"
#include "sigil/spiffe_id.h"

namespace sigil::server {

inline constexpr std::string_view kServerIdPath = "/sigil/server";
inline constexpr std::string_view kJoinTokenAgentPathPrefix = "/sigil/agent/join_token/";
inline constexpr std::string_view kJoinTokenSelectorType = "join_token";

// spiffe://<td>/sigil/server.
SpiffeId ServerSpiffeId(const TrustDomain& td);

// The public id of a join token: lowercase hex of the first 16 bytes of SHA-256(token).
std::string JoinTokenId(const SecretBytes& token);

// spiffe://<td>/sigil/agent/join_token/<token_id>.
SpiffeId JoinTokenAgentId(const TrustDomain& td, std::string_view token_id);

// join_token:<token_id>, the node selector of the agent that joined with that token.
Selector JoinTokenSelector(std::string_view token_id);

}  // namespace sigil::server

#endif  // SIGIL_SERVER_ADMIN_WELL_KNOWN_IDS_H_
