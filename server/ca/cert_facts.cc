#include "server/ca/cert_facts.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include <openssl/x509v3.h>

#include "sigil/keys.h"
#include "sigil/ossl.h"

namespace sigil::server {
namespace {

// Certificate exposes none of this, so a few read-only OpenSSL calls (present in OpenSSL 3 and
// BoringSSL alike) are made directly; all borrow from the certificate.
std::string OctetsHex(const ASN1_OCTET_STRING* octets) {
  if (octets == nullptr) {
    return "";
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(octets)),
                                    static_cast<size_t>(ASN1_STRING_length(octets))));
}

}  // namespace

absl::StatusOr<std::string> SubjectKeyIdHex(const Certificate& cert) {
  std::string hex = OctetsHex(X509_get0_subject_key_id(cert.get()));
  if (hex.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CA certificate with serial ", cert.SerialHex(),
                     " has no subjectKeyIdentifier, which names the authority"));
  }
  return hex;
}

std::string AuthorityKeyIdHex(const Certificate& cert) {
  return OctetsHex(X509_get0_authority_key_id(cert.get()));
}

bool IsSelfSigned(const Certificate& cert) {
  if (X509_check_issued(cert.get(), cert.get()) != X509_V_OK) {
    return false;
  }
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  const bool verified = key != nullptr && X509_verify(cert.get(), key) == 1;
  ClearCryptoErrors();
  return verified;
}

}  // namespace sigil::server
