// Internal to sigil_x509: the few DER encoding steps the leaf fast path needs. Building a leaf's
// TBSCertificate as bytes skips OpenSSL 3.0's object copies (X509_NAME_set, X509_add_ext and
// a second encoding of the TBS after signing), which together cost more than half as much as
// the ECDSA signature itself.
#ifndef SIGIL_X509_DER_H_
#define SIGIL_X509_DER_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sigil::x509_internal {

inline constexpr unsigned char kDerBoolean = 0x01;
inline constexpr unsigned char kDerInteger = 0x02;
inline constexpr unsigned char kDerBitString = 0x03;
inline constexpr unsigned char kDerOctetString = 0x04;
inline constexpr unsigned char kDerNull = 0x05;
inline constexpr unsigned char kDerUtcTime = 0x17;
inline constexpr unsigned char kDerGeneralizedTime = 0x18;
inline constexpr unsigned char kDerSequence = 0x30;
// Context-specific tags of the certificate and GeneralName structures.
inline constexpr unsigned char kDerExplicit0 = 0xa0;  // TBSCertificate.version
inline constexpr unsigned char kDerExplicit3 = 0xa3;  // TBSCertificate.extensions
inline constexpr unsigned char kDerDnsName = 0x82;    // GeneralName.dNSName, IA5String
inline constexpr unsigned char kDerUri = 0x86;        // GeneralName.uniformResourceIdentifier

// Appends tag, definite length and `contents` to `out`.
void AppendDer(std::string& out, unsigned char tag, std::string_view contents);
std::string Der(unsigned char tag, std::string_view contents);

// The BIT STRING of whole bytes `bytes` (no unused bits).
std::string DerBitString(std::string_view bytes);

// RFC 5280 section 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, whole seconds.
// Fails for years before 1950 or after 9999.
absl::StatusOr<std::string> DerTime(absl::Time time);

// One Extension: SEQUENCE { extnID, critical (only when true), OCTET STRING { value } }.
std::string DerExtension(std::string_view oid_der, bool critical, std::string_view value_der);

// The DER OBJECT IDENTIFIER (tag included) of an OpenSSL NID; empty for an unknown NID.
std::string OidDer(int nid);

}  // namespace sigil::x509_internal

#endif  // SIGIL_X509_DER_H_
