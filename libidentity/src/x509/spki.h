// Internal to sigil_x509: a subject public key split into the pieces X509_PUBKEY_set0_param
// takes, so a certificate gets its SubjectPublicKeyInfo without OpenSSL 3.0's encoder lookup
// (X509_set_pubkey costs ~175-315 us; this path costs a few).
#ifndef SIGIL_X509_SPKI_H_
#define SIGIL_X509_SPKI_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include <openssl/x509.h>

#include "sigil/keys.h"

namespace sigil::x509_internal {

struct SpkiParts {
  // NID_X9_62_id_ecPublicKey or NID_rsaEncryption.
  int algorithm_nid = NID_undef;
  // The named curve for EC keys, NID_undef for RSA.
  int curve_nid = NID_undef;
  // The subjectPublicKey BIT STRING's contents (no unused-bits octet): an EC point or an
  // RSAPublicKey structure.
  std::string key_bits;
};

// EC keys are read through the encoded-public-key parameter; RSA keys through their SPKI DER.
absl::StatusOr<SpkiParts> SpkiFromPublicKey(const PublicKey& key);

// Splits SubjectPublicKeyInfo DER without decoding the key itself. Accepts id-ecPublicKey on
// P-256/P-384/P-521 with an uncompressed point of the curve's length, and rsaEncryption keys
// that PublicKey::FromSpkiDer accepts; anything else is kInvalidArgument.
absl::StatusOr<SpkiParts> SpkiFromDer(std::string_view der);

// Installs `parts` as `cert`'s SubjectPublicKeyInfo. The certificate then encodes correctly but
// has no cached EVP_PKEY, so it must be re-read from DER before anything verifies with it.
absl::Status SetSpki(X509* cert, const SpkiParts& parts);

// RFC 5280 section 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
absl::StatusOr<std::string> KeyIdentifier(std::string_view key_bits);

}  // namespace sigil::x509_internal

#endif  // SIGIL_X509_SPKI_H_
