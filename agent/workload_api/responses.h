// Workload API messages built from a cache view. Pure functions: no I/O, no locks, so the
// rules of CONFORMANCE.md section 5 that concern message content are tested here directly.
#ifndef SIGIL_AGENT_WORKLOAD_API_RESPONSES_H_
#define SIGIL_AGENT_WORKLOAD_API_RESPONSES_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include <nlohmann/json.hpp>

#include "agent/cache/identity_cache.h"
#include "agent/proto/workload_api_proto.h"
#include "sigil/bundle.h"

namespace sigil::agent {

// The status every RPC ends with when the caller has no identity (WAPI-12, -28, -29, -34).
inline constexpr char kNoIdentityMessage[] = "no identity issued";

// FetchX509SVID's message for `view`: one X509SVID per identity that has an SVID and whose
// trust domain's bundle is known, in the view's order (svids[0] is the default, WAPI-27); an
// identity whose non-empty hint was already used is left out (WAPI-26, as SPIRE does);
// federated_bundles holds the DER authorities of every other trust domain of the view that
// has a bundle. Returns kPermissionDenied kNoIdentityMessage when the view has no identity, and
// nullopt when it has identities but none can be sent yet (SVIDs not issued, bundle missing).
//
// Limitation: the private key bytes copied into the message (and into gRPC's send buffers) are
// not wiped when those are freed, unlike the cache's SecretBytes copy.
absl::StatusOr<std::optional<wapi::X509SvidResponse>> BuildX509SvidResponse(
    const WorkloadView& view);

// FetchX509Bundles' message: every trust domain of the view that has a bundle, keyed
// "spiffe://<td>", valued with its DER authorities. kPermissionDenied without identities;
// nullopt while the agent's own bundle is unknown (it must always be included, WAPI-29).
absl::StatusOr<std::optional<wapi::X509BundlesResponse>> BuildX509BundlesResponse(
    const WorkloadView& view);

// FetchJWTBundles' message: as above with each bundle's JWT authorities as a plain JWK Set
// (WAPI-33).
absl::StatusOr<std::optional<wapi::JwtBundlesResponse>> BuildJwtBundlesResponse(
    const WorkloadView& view);

// The bundles of the view's trust domains, for validating a JWT-SVID on the caller's behalf
// (WAPI-36).
BundleSet BundlesForValidation(const WorkloadView& view);

// A JSON object as a google.protobuf.Struct: numbers become doubles, and "aud" is always a
// list, even when the token had a single string (WAPI-37, as SPIRE returns it). Fails with
// kInvalidArgument when `claims` is not an object.
absl::StatusOr<google::protobuf::Struct> ClaimsToStruct(const nlohmann::json& claims);

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_WORKLOAD_API_RESPONSES_H_
