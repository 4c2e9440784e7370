// The key identifiers an X.509 CA certificate carries, as the CA journal names authorities:
// lowercase hex of the subjectKeyIdentifier (the authority id) and of the
// authorityKeyIdentifier's keyIdentifier (the upstream authority id). Internal to sigil_ca.
#ifndef SIGIL_SERVER_CA_KEY_IDS_H_
#define SIGIL_SERVER_CA_KEY_IDS_H_

#include <string>

#include "absl/status/statusor.h"

#include "sigil/certificate.h"

namespace sigil::server {

// kInvalidArgument when `cert` has no subjectKeyIdentifier (every CA this server makes or has
// an upstream make has one).
absl::StatusOr<std::string> SubjectKeyIdHex(const Certificate& cert);

// Empty when `cert` has no authorityKeyIdentifier keyIdentifier (a self-signed root may omit it).
std::string AuthorityKeyIdHex(const Certificate& cert);

}  // namespace sigil::server

#endif  // SIGIL_SERVER_CA_KEY_IDS_H_
