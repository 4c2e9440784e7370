// Splitting and decoding a JWS in Compact Serialization (RFC 7515 section 7.1), shared by the
// validator and the unverified decoder. Checks shape only: size, exactly three segments,
// strict base64url, header and claims strict JSON objects. Internal to sigil_jwt.
#ifndef SIGIL_JWT_COMPACT_H_
#define SIGIL_JWT_COMPACT_H_

#include <string_view>

#include "absl/status/statusor.h"
#include <nlohmann/json.hpp>

#include "sigil/secret_bytes.h"

namespace sigil::jwt_internal {

struct CompactJws {
  // "header.payload" exactly as received: the bytes the signature covers. Points into the
  // token passed to DecodeCompactJws.
  std::string_view signing_input;
  nlohmann::json header;
  nlohmann::json claims;
  // Held as a secret because with the other two segments it rebuilds the token.
  SecretBytes signature;
};

// Fails with kInvalidArgument naming the broken rule ("token has 2 segments, expected 3",
// "JWT header: base64url: byte 4 is not in the alphabet"); never quotes the token.
absl::StatusOr<CompactJws> DecodeCompactJws(std::string_view token);

}  // namespace sigil::jwt_internal

#endif  // SIGIL_JWT_COMPACT_H_
