// How the agent decides it is talking to its own sigil-server: the server presents an
// X509-SVID for spiffe://<td>/sigil/server that chains to the agent's current bundle of <td>.
// The bundle starts as the bootstrap bundle file and is replaced by every bundle the server
// sends (attestation result, sync), so CA rotation never breaks the connection.
#ifndef SIGIL_AGENT_NODECLIENT_SERVER_TRUST_H_
#define SIGIL_AGENT_NODECLIENT_SERVER_TRUST_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include <grpcpp/security/tls_certificate_verifier.h>

#include "sigil/bundle.h"
#include "sigil/spiffe_id.h"

namespace sigil::agent {

using Clock = std::function<absl::Time()>;

// The SPIFFE ID every sigil-server of `td` presents on the node API.
SpiffeId ServerSpiffeId(const TrustDomain& td);

// The trust domain's current bundle, shared by the node client's verifier and the sync loop.
// Thread-safe.
class ServerTrust {
 public:
  explicit ServerTrust(TrustDomain td) : trust_domain_(std::move(td)) {}

  const TrustDomain& trust_domain() const { return trust_domain_; }
  // Null until a bundle has been set.
  std::shared_ptr<const TrustBundle> bundle() const;
  // Replaces the bundle; it must be of trust_domain() (else kInvalidArgument, nothing changes).
  absl::Status SetBundle(TrustBundle bundle);

 private:
  const TrustDomain trust_domain_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const TrustBundle> bundle_ ABSL_GUARDED_BY(mu_);
};

// Checks a server's certificate chain (PEM, leaf first, as TLS presented it): it must verify
// as an X509-SVID under `bundle` at `now` and name exactly ServerSpiffeId(bundle's trust
// domain). Returns kUnauthenticated naming the reason ("server presented
// spiffe://example.org/web, expected spiffe://example.org/sigil/server", "certificate has
// expired (depth 0)") or kInvalidArgument for an unparsable chain.
absl::Status VerifyServerChain(std::string_view pem_chain, const TrustBundle& bundle,
                               absl::Time now);

// A gRPC TLS verifier that runs VerifyServerChain against `trust`'s bundle at every handshake.
// With `insecure` set it accepts any server, logging a warning each time: for the very first
// attestation under --insecure-bootstrap only.
std::shared_ptr<grpc::experimental::CertificateVerifier> MakeServerVerifier(
    std::shared_ptr<const ServerTrust> trust, Clock clock, bool insecure);

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_NODECLIENT_SERVER_TRUST_H_
