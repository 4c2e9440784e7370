// Facts about CA certificates that sigil::Certificate does not expose: the key identifiers the
// CA journal names authorities by (lowercase hex of the subjectKeyIdentifier, the authority id,
// and of the authorityKeyIdentifier's keyIdentifier, the upstream authority id), and whether a
// certificate is a self-signed root. Internal to sigil_ca.
#ifndef SIGIL_SERVER_CA_CERT_FACTS_H_
#define SIGIL_SERVER_CA_CERT_FACTS_H_

#include <string>

#include "absl/status/statusor.h"

#include "sigil/certificate.h"

namespace sigil::server {

// kInvalidArgument when `cert` has no subjectKeyIdentifier (every CA this server makes or has
// an upstream make has one).
absl::StatusOr<std::string> SubjectKeyIdHex(const Certificate& cert);

// Empty when `cert` has no authorityKeyIdentifier keyIdentifier (a self-signed root may omit it).
std::string AuthorityKeyIdHex(const Certificate& cert);

// True when `cert` names itself as issuer (names and key identifiers agree) and its signature
// verifies with its own key: a root that relying parties can use as a trust anchor.
bool IsSelfSigned(const Certificate& cert);

}  // namespace sigil::server

#endif  // SIGIL_SERVER_CA_CERT_FACTS_H_
