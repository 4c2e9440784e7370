// Internal to sigil_x509: certificate extensions built from OpenSSL's structures (never from
// X509V3_EXT_conf strings, which go through the configuration parser) for the CA path and for
// the constant parts of the leaf template.
#ifndef SIGIL_X509_EXTENSIONS_H_
#define SIGIL_X509_EXTENSIONS_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include <openssl/x509.h>

#include "sigil/ossl.h"

namespace sigil::x509_internal {

// keyUsage bit numbers (RFC 5280 section 4.2.1.3).
inline constexpr int kDigitalSignatureBit = 0;
inline constexpr int kKeyEnciphermentBit = 2;
inline constexpr int kKeyAgreementBit = 4;
inline constexpr int kKeyCertSignBit = 5;
inline constexpr int kCrlSignBit = 6;

// basicConstraints, always critical (X509-04).
absl::StatusOr<X509ExtensionPtr> BasicConstraints(bool ca, std::optional<int> path_len);
// keyUsage with the given bit numbers, always critical (X509-05).
absl::StatusOr<X509ExtensionPtr> KeyUsage(std::initializer_list<int> bits);
// extKeyUsage serverAuth + clientAuth, not critical (X509-08).
absl::StatusOr<X509ExtensionPtr> ServerAndClientAuth();
absl::StatusOr<X509ExtensionPtr> SubjectKeyId(std::string_view key_id);
// authorityKeyIdentifier carrying the keyIdentifier only.
absl::StatusOr<X509ExtensionPtr> AuthorityKeyId(std::string_view key_id);
// One URI SAN followed by DNS SANs.
absl::StatusOr<X509ExtensionPtr> SubjectAltName(std::string_view uri,
                                                const std::vector<std::string>& dns_names,
                                                bool critical);
// Appends a copy of `ext` to `cert`; `ext` stays untouched and may be shared.
absl::Status AddExtension(X509* cert, const X509_EXTENSION* ext);

}  // namespace sigil::x509_internal

#endif  // SIGIL_X509_EXTENSIONS_H_
