// The generated SPIFFE Workload API types under Sigil names. workload.proto has no package (the
// wire requires it, CONFORMANCE.md NOTE-04), so protoc puts its classes in the global namespace;
// Sigil code names them only through these aliases so that a global name never spreads.
#ifndef SIGIL_AGENT_PROTO_WORKLOAD_API_PROTO_H_
#define SIGIL_AGENT_PROTO_WORKLOAD_API_PROTO_H_

#include "workload.grpc.pb.h"
#include "workload.pb.h"

namespace sigil::agent::wapi {

using Service = ::SpiffeWorkloadAPI;
using X509SvidRequest = ::X509SVIDRequest;
using X509SvidResponse = ::X509SVIDResponse;
using X509SvidMessage = ::X509SVID;
using X509BundlesRequest = ::X509BundlesRequest;
using X509BundlesResponse = ::X509BundlesResponse;
using JwtSvidRequest = ::JWTSVIDRequest;
using JwtSvidResponse = ::JWTSVIDResponse;
using JwtSvidMessage = ::JWTSVID;
using JwtBundlesRequest = ::JWTBundlesRequest;
using JwtBundlesResponse = ::JWTBundlesResponse;
using ValidateJwtSvidRequest = ::ValidateJWTSVIDRequest;
using ValidateJwtSvidResponse = ::ValidateJWTSVIDResponse;
using WitSvidRequest = ::WITSVIDRequest;
using WitSvidResponse = ::WITSVIDResponse;
using WitBundlesRequest = ::WITBundlesRequest;
using WitBundlesResponse = ::WITBundlesResponse;

// The metadata key and value every SpiffeWorkloadAPI call must carry (WAPI-07, WAPI-08).
inline constexpr char kSecurityHeaderKey[] = "workload.spiffe.io";
inline constexpr char kSecurityHeaderValue[] = "true";

}  // namespace sigil::agent::wapi

#endif  // SIGIL_AGENT_PROTO_WORKLOAD_API_PROTO_H_
