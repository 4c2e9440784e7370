// Verifying an X509-SVID chain that a peer presented (CONFORMANCE.md X509-13..X509-22): RFC 5280
// path validation to a root in the bundle of the LEAF's trust domain, plus the SPIFFE leaf rules.
// Authorization (which IDs to accept) is a separate step: see x509_authorizer.h (X509-23).
//
// Error codes, chosen so a caller can tell "bad input" from "not trusted":
//   kInvalidArgument  the chain is empty, longer than kMaxChainLength, or its leaf breaks the
//                     SPIFFE leaf rules (see X509SvidLeafId): no such certificate can ever be
//                     a valid X509-SVID, whatever the bundles hold.
//   kUnauthenticated  the chain is well-formed but not trusted: no bundle (or an empty bundle)
//                     for the leaf's trust domain, no path to one of its roots, a bad
//                     signature, a certificate outside its validity window at `now`, an
//                     intermediate that is not a CA, an unknown critical extension, ...
//                     The message names the reason, e.g. "no bundle for trust domain other.org"
//                     or "certificate has expired (depth 0)".
//   kInternal         OpenSSL failed for a reason unrelated to the input.
#ifndef SIGIL_X509_VERIFY_H_
#define SIGIL_X509_VERIFY_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

#include "sigil/bundle.h"
#include "sigil/certificate.h"
#include "sigil/spiffe_id.h"

namespace sigil {

struct VerifiedX509Svid {
  SpiffeId spiffe_id;
  // The validated path, leaf first, ending with the bundle authority it chains to.
  std::vector<Certificate> path;
};

// Checks that `chain` (leaf first, then any intermediates in any order) is a valid X509-SVID
// under `bundles` at `now`. Only the bundle of the leaf's trust domain is consulted (X509-19);
// its X.509 authorities are the trust anchors, the chain's other certificates are untrusted
// intermediates. No extended key usage is required (X509-21). Errors as described above.
// Borrows everything; nothing needs to outlive the call. Thread-safe.
absl::StatusOr<VerifiedX509Svid> VerifyX509Svid(absl::Span<const Certificate> chain,
                                                const BundleSet& bundles, absl::Time now);

// Same against one bundle, which must belong to the leaf's trust domain (otherwise
// kUnauthenticated "leaf trust domain a.org does not match bundle trust domain b.org").
absl::StatusOr<VerifiedX509Svid> VerifyX509Svid(absl::Span<const Certificate> chain,
                                                const TrustBundle& bundle, absl::Time now);

}  // namespace sigil

#endif  // SIGIL_X509_VERIFY_H_
