// Listing how certificates depart from the SPIFFE X509-SVID profile (CONFORMANCE.md X509-01..
// X509-18) without any trust bundle, for inspection tools such as `sigil x509 inspect`. The
// checks are those a verifier or issuer applies; nothing here decides trust.
#ifndef SIGIL_X509_PROFILE_H_
#define SIGIL_X509_PROFILE_H_

#include <string>
#include <vector>

#include "absl/types/span.h"

#include "sigil/certificate.h"

namespace sigil {

// Problems of `chain` read as an X509-SVID (leaf first, then its signing certificates), one
// human-readable sentence each, leaf problems first; empty when the chain fits the profile.
// Leaf: not exactly one URI SAN, URI not a SPIFFE ID or without a path, cA=true, keyCertSign or
// cRLSign, no digitalSignature, keyUsage or basicConstraints missing or not critical, SAN not
// critical with an empty subject, EKU present without serverAuth and clientAuth. Every later
// certificate: the CA problems of CheckX509CaProfile, plus a leaf trust domain that differs from
// the CA's SPIFFE ID, a notAfter past the next certificate's, or an issuer name that does not
// match the next certificate's subject. Also: validity windows that are empty. Never fails.
std::vector<std::string> CheckX509SvidProfile(absl::Span<const Certificate> chain);

// Problems of one signing certificate: not cA=true, basicConstraints or keyUsage missing or not
// critical, no keyCertSign, digitalSignature present (X509-07 SHOULD NOT), a URI SAN that is not
// a SPIFFE ID or has a path (X509-09), more than one URI SAN.
std::vector<std::string> CheckX509CaProfile(const Certificate& ca);

}  // namespace sigil

#endif  // SIGIL_X509_PROFILE_H_
