// Authorizers decide whether an authenticated SPIFFE ID may proceed (CONFORMANCE.md X509-23):
// verifying a chain only proves who the peer is; what it may do is this separate, explicit
// step. Every matcher compares whole IDs or trust domains byte for byte (ID-17, SEC-05): no
// prefix, suffix or case-insensitive matching.
//
//   SIGIL_ASSIGN_OR_RETURN(VerifiedX509Svid peer, VerifyX509Svid(chain, bundles, now));
//   SIGIL_RETURN_IF_ERROR(AuthorizeMemberOf(td)(peer.spiffe_id));
#ifndef SIGIL_X509_AUTHORIZER_H_
#define SIGIL_X509_AUTHORIZER_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

#include "sigil/spiffe_id.h"

namespace sigil {

// Returns OK to accept an ID, or kPermissionDenied with a message naming the refused ID and
// the rule. Copies share the underlying function; calling is thread-safe when the wrapped
// function is (all factories below are).
class Authorizer {
 public:
  using Function = std::function<absl::Status(const SpiffeId&)>;

  explicit Authorizer(Function function) : function_(std::move(function)) {}

  absl::Status operator()(const SpiffeId& id) const { return function_(id); }

 private:
  Function function_;
};

// Accepts every ID. Use only where any authenticated peer is acceptable.
Authorizer AuthorizeAny();
// Accepts exactly `id`. Refusal: "spiffe://a/x is not authorized: expected spiffe://a/y".
Authorizer AuthorizeId(SpiffeId id);
// Accepts any of `ids`; an empty list accepts nothing.
Authorizer AuthorizeOneOf(std::vector<SpiffeId> ids);
// Accepts every ID in trust domain `td` (its own trust-domain ID included).
Authorizer AuthorizeMemberOf(TrustDomain td);
// Accepts the IDs for which `predicate` returns true. `description` completes the refusal
// message: "spiffe://a/x is not authorized: <description>". A null `predicate` accepts nothing.
Authorizer AuthorizeIf(std::function<bool(const SpiffeId&)> predicate,
                       std::string description = "rejected by predicate");

}  // namespace sigil

#endif  // SIGIL_X509_AUTHORIZER_H_
