// Public keys as RFC 7517/7518 JSON Web Keys: the key members of one JWK ("kty", "crv", "x",
// "y" for EC; "kty", "n", "e" for RSA), in both directions. Internal to the bundle codecs.
#ifndef SIGIL_BUNDLE_JWK_H_
#define SIGIL_BUNDLE_JWK_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include <nlohmann/json.hpp>

#include "sigil/keys.h"

namespace sigil::bundle_internal {

// Member names that carry private or symmetric key material in RFC 7518. A JWK holding any of
// them is never a public key, whatever its "kty".
bool HasPrivateKeyMember(const nlohmann::json& jwk);

// The result of reading one JWK. Exactly one of `key` and `skip_reason` is set: a key we can
// use, or a well-formed key of a kind we do not support (unknown kty or crv, RSA size other
// than 2048/3072/4096), which the caller may ignore as BUNDLE-06 asks for unknown kty.
struct JwkKey {
  std::optional<PublicKey> key;
  std::string skip_reason;
};

// Reads the public key members of `jwk` (a JSON object). Fails with kInvalidArgument when a
// member the kty needs is missing, not a string, not strict base64url, of the wrong length
// (EC coordinates must be exactly the curve size), or does not make a valid key (EC point not
// on the curve, RSA modulus even, exponent even or 1). Messages name the member, never its
// value, and carry no prefix; the caller adds "keys[i]: ".
absl::StatusOr<JwkKey> PublicKeyFromJwk(const nlohmann::json& jwk);

// The key members of `key` in that order: kty, crv, x, y (coordinates left-padded to the curve
// size) or kty, n, e (minimal big-endian). Fails with kInternal only if OpenSSL cannot export
// the key's parameters.
absl::StatusOr<nlohmann::ordered_json> PublicKeyToJwk(const PublicKey& key);

}  // namespace sigil::bundle_internal

#endif  // SIGIL_BUNDLE_JWK_H_
