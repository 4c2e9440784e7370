// JWS signature primitives for the nine JWT-SVID algorithms (RFC 7518 section 3): what each
// algorithm needs from a key, and signing and verifying a JWS signing input. ECDSA signatures
// are exchanged in JOSE's fixed-width R||S form; the DER form OpenSSL speaks stays inside.
// Internal to sigil_jwt.
#ifndef SIGIL_JWT_JWS_H_
#define SIGIL_JWT_JWS_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "sigil/jwt_svid.h"
#include "sigil/ossl.h"

namespace sigil::jwt_internal {

enum class JwsFamily { kEcdsa, kRsaPkcs1, kRsaPss };

struct JwsAlgorithmInfo {
  JwtAlgorithm alg;
  std::string_view name;
  JwsFamily family;
  // OpenSSL digest name.
  const char* digest;
  // Bytes of R and of S in an ECDSA signature (zero for RSA).
  size_t ec_coordinate_size;
};

const JwsAlgorithmInfo& AlgorithmInfo(JwtAlgorithm alg);

// Signs `signing_input` (the ASCII "header.payload") with `key`, which the caller has already
// matched to `alg` (CheckJwtAlgorithmKey). Returns the raw signature bytes; kInternal when
// OpenSSL fails.
absl::StatusOr<std::string> SignJws(JwtAlgorithm alg, EVP_PKEY* key,
                                    std::string_view signing_input);

// True when `signature` is a valid `alg` signature of `signing_input` under `key`, which the
// caller has matched to `alg`. A signature of the wrong length, a DER-encoded ECDSA signature
// and every OpenSSL failure give false; the error queue is left empty.
bool VerifyJws(JwtAlgorithm alg, EVP_PKEY* key, std::string_view signing_input,
               std::string_view signature);

}  // namespace sigil::jwt_internal

#endif  // SIGIL_JWT_JWS_H_
