// JWT-SVIDs (CONFORMANCE.md section 3): signing, validation against a BundleSet, and an
// explicitly unverified decoder for diagnostics.
//
// Tokens are JWS Compact Serialization only. Signing writes the header {"alg","kid","typ":"JWT"}
// and the claims sub, aud, exp, iat (plus caller-supplied extras), with times as plain JSON
// integers. Validation checks, in this order: size and shape (three strict base64url
// segments), the header (alg allowlist first, then typ, crit), the claims (sub, aud, exp, nbf,
// iat), then the signature with a jwt-svid key of the sub's trust domain only.
//
// A token is a bearer credential: it is held in SecretBytes and never appears in an error
// message. Every function here is thread-safe and borrows its arguments only for the call.
#ifndef SIGIL_JWT_SVID_H_
#define SIGIL_JWT_SVID_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include <nlohmann/json.hpp>

#include "sigil/bundle.h"
#include "sigil/keys.h"
#include "sigil/secret_bytes.h"
#include "sigil/spiffe_id.h"

namespace sigil {

// The JWS algorithms a JWT-SVID may use (JWT-02). Nothing else is ever accepted.
enum class JwtAlgorithm {
  kRs256,
  kRs384,
  kRs512,
  kEs256,
  kEs384,
  kEs512,
  kPs256,
  kPs384,
  kPs512,
};

// Largest token accepted by validation and by ParseJwtSvidInsecure, in bytes.
inline constexpr size_t kMaxJwtSvidSize = 16 * 1024;
// Largest decoded JOSE header accepted, in bytes.
inline constexpr size_t kMaxJwtHeaderSize = 1024;
// Clock-skew allowance for exp, nbf and iat: the default and the most a caller may configure
// (SEC-04).
inline constexpr absl::Duration kDefaultJwtLeeway = absl::Seconds(60);
inline constexpr absl::Duration kMaxJwtLeeway = absl::Seconds(60);
// SPIRE's default JWT-SVID lifetime (JWT-16), for issuers that have no configured TTL.
inline constexpr absl::Duration kDefaultJwtSvidTtl = absl::Minutes(5);

// The JOSE name, e.g. "ES256".
std::string_view JwtAlgorithmName(JwtAlgorithm alg);
// Exact, case-sensitive match against the nine names above; anything else ("none", "HS256",
// "es256", "EdDSA") fails with kInvalidArgument "alg <name> is not allowed".
absl::StatusOr<JwtAlgorithm> ParseJwtAlgorithm(std::string_view name);
// The algorithm a key of `type` signs with by default: ES256/ES384/ES512 for P-256/P-384/P-521,
// RS256 for every RSA size.
JwtAlgorithm DefaultJwtAlgorithm(KeyType type);
// OK when a key of `type` may be used with `alg` (ESxxx needs its own curve, RS*/PS* any RSA
// key); kInvalidArgument naming both otherwise (JWT-03).
absl::Status CheckJwtAlgorithmKey(JwtAlgorithm alg, KeyType type);

// What an issuer puts in a JWT-SVID.
struct JwtSvidClaims {
  SpiffeId subject;
  // At least one; each non-empty. One audience is written as a JSON string (as SPIRE and
  // go-jose do, and as JWT-08 recommends), several as an array.
  std::vector<std::string> audiences;
  // Written as whole seconds since the Unix epoch, rounded down; must be after `now`.
  absl::Time expires_at;
  // Further claims, a JSON object (or null for none). It must not name sub, aud, exp or iat.
  // An nbf member must be an integer, or a float with an integral value (which is written as
  // an integer, JWT-19).
  nlohmann::json extra_claims;
};

// Signs a JWT-SVID with `key`, naming `key_id` (its kid in the trust bundle, non-empty) in the
// header, and iat = `now` rounded down to the second. Returns the compact token; ECDSA
// signatures are in JOSE's fixed-width R||S form. Fails with kInvalidArgument when the claims
// break the rules above, `key_id` is empty, or `alg` does not fit the key's type; kInternal
// when OpenSSL fails.
absl::StatusOr<SecretBytes> SignJwtSvid(const JwtSvidClaims& claims, const PrivateKey& key,
                                        std::string_view key_id, JwtAlgorithm alg, absl::Time now);
// As above with DefaultJwtAlgorithm(key.type()).
absl::StatusOr<SecretBytes> SignJwtSvid(const JwtSvidClaims& claims, const PrivateKey& key,
                                        std::string_view key_id, absl::Time now);

struct JwtValidationOptions {
  // Allowance for clock skew on exp, nbf and iat, in [0, kMaxJwtLeeway].
  absl::Duration leeway = kDefaultJwtLeeway;
};

// A validated JWT-SVID.
struct JwtSvid {
  SpiffeId spiffe_id;
  // The aud claim, in token order (a single-string aud becomes one element).
  std::vector<std::string> audiences;
  absl::Time expires_at;
  std::optional<absl::Time> issued_at;
  // The whole claims object as received (sub, aud, exp and any others).
  nlohmann::json claims;
  // The token exactly as validated.
  SecretBytes token;
  // The header's kid, or empty when the token had none.
  std::string key_id;
  JwtAlgorithm algorithm;
};

// Validates `token` at `now` against the jwt-svid authorities in `bundles` and returns its
// content. The token is accepted only if its aud contains at least one of
// `expected_audiences` (exact, case-sensitive match).
//
// Key selection (JWT-04, JWT-12): only the bundle of sub's trust domain is consulted. With a
// kid, exactly that authority is used; without one, every authority of that bundle whose key
// fits alg is tried and the token is accepted only if exactly one verifies. Authorities whose
// expires_at has passed are not used. Keys in jwk, jku, x5c or x5u headers are never used.
//
// Fails with:
// - kInvalidArgument when `expected_audiences` is empty (JWT-09) or options.leeway is out of
//   range, or the token is malformed: over kMaxJwtSvidSize, not three segments, bad base64url,
//   bad or duplicate-member JSON, alg missing or not allowed, typ other than JWT/JOSE, any crit,
//   sub missing or not a SPIFFE ID, aud missing or empty, exp/nbf/iat not a JSON integer (a
//   float or exponent form is refused too), signature of the wrong size for alg.
// - kPermissionDenied when a well-formed token is not trusted: no bundle for sub's trust
//   domain, unknown kid, key type not matching alg, bad signature, no key or several keys
//   verifying a kid-less token, expired (exp + leeway <= now), nbf or iat after now + leeway,
//   no expected audience in aud.
// Messages name the reason and never contain the token.
absl::StatusOr<JwtSvid> ValidateJwtSvid(std::string_view token, const BundleSet& bundles,
                                        absl::Span<const std::string> expected_audiences,
                                        absl::Time now, const JwtValidationOptions& options = {});

// The decoded parts of a token whose signature has NOT been checked.
struct UnverifiedJwt {
  nlohmann::json header;
  nlohmann::json claims;
  // Length of the decoded signature, in bytes.
  size_t signature_size = 0;
};

// Decodes header and claims WITHOUT verifying anything but the token's shape: at most
// kMaxJwtSvidSize bytes, three strict base64url segments, header and claims strict JSON objects.
// For display only (`sigil jwt inspect`): nothing returned here may be trusted. Fails with
// kInvalidArgument naming what is malformed.
absl::StatusOr<UnverifiedJwt> ParseJwtSvidInsecure(std::string_view token);

}  // namespace sigil

#endif  // SIGIL_JWT_SVID_H_
