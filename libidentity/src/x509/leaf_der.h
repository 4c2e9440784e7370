// Internal to sigil_x509: the leaf X509-SVID fast path. A leaf is encoded directly as DER from
// pieces, with everything that is the same for every leaf of one CA (issuer name, signature
// algorithm, basicConstraints, keyUsage, extKeyUsage, authorityKeyIdentifier) encoded once.
// OpenSSL objects are used only to produce those constant pieces and to sign.
#ifndef SIGIL_X509_LEAF_DER_H_
#define SIGIL_X509_LEAF_DER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include <openssl/x509.h>

#include "sigil/keys.h"
#include "spki.h"

namespace sigil::x509_internal {

// Immutable once made; shared by concurrent signers.
struct LeafTemplate {
  std::string issuer_name_der;
  // AlgorithmIdentifier for the CA key's signature (ecdsa-with-SHA256, ...).
  std::string signature_algorithm_der;
  // Extension elements shared by every leaf, concatenated.
  std::string fixed_extensions_der;
};

// `ca_cert` and `fixed_extensions` are borrowed for the call.
absl::StatusOr<LeafTemplate> MakeLeafTemplate(X509* ca_cert, KeyType ca_key_type,
                                              absl::Span<const X509_EXTENSION* const> fixed);

struct LeafFields {
  std::string_view serial;  // big-endian, positive, minimal
  absl::Time not_before;
  absl::Time not_after;
  std::string_view subject_der;
  const SpkiParts* spki;
  std::string_view key_id;  // subjectKeyIdentifier
  std::string_view uri;
  const std::vector<std::string>* dns_names;
  bool san_critical;
};

// The complete signed certificate DER. `md` is the digest matching the template's algorithm.
absl::StatusOr<std::string> EncodeAndSignLeaf(const LeafTemplate& tmpl, const LeafFields& fields,
                                              const PrivateKey& ca_key, const EVP_MD* md);

// SubjectPublicKeyInfo DER of `parts`.
std::string EncodeSpki(const SpkiParts& parts);

}  // namespace sigil::x509_internal

#endif  // SIGIL_X509_LEAF_DER_H_
