// Who is calling the node API: every call but Attest must come over TLS with an agent SVID as
// the client certificate. TLS is set to request a client certificate without verifying it
// (the handshake still proves the caller holds its key), and this class does the rest on each
// call: the chain must verify against the server's current bundle, the ID must be an agent
// ID of the server's trust domain, and the certificate's serial must be the attested node's
// current one (or the one just issued by a renewal), with the node not banned. Because the
// node table is the in-memory registry, an eviction or a ban refuses the very next call.
//
// Verification is costly (PEM parsing and path validation take a few hundred microseconds),
// so verified certificates are remembered by their PEM text in a bounded LRU cache, together
// with the bundle sequence number they were verified under: a steady-state call costs a hash
// lookup and the node check, no cryptography.
#ifndef SIGIL_SERVER_NODEAPI_PEER_AUTH_H_
#define SIGIL_SERVER_NODEAPI_PEER_AUTH_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

#include "server/datastore/datastore.h"
#include "server/registry/registry.h"
#include "sigil/bundle.h"
#include "sigil/spiffe_id.h"

namespace sigil::server {

inline constexpr size_t kDefaultVerifiedCertCacheSize = 10000;

struct AuthenticatedAgent {
  SpiffeId id;
  // Serial of the SVID the agent presented (lowercase hex).
  std::string serial;
  absl::Time svid_expires_at;
  // The node record the call was checked against.
  std::shared_ptr<const AttestedNode> node;
};

class PeerAuthenticator {
 public:
  using BundleSource = std::function<std::shared_ptr<const TrustBundle>()>;

  // Borrows `registry` and `datastore` (the node record is rewritten once when an agent first
  // uses a renewed SVID); they must outlive this object.
  PeerAuthenticator(TrustDomain trust_domain, BundleSource bundle, Registry& registry,
                    DataStore& datastore, size_t cache_size = kDefaultVerifiedCertCacheSize);

  // Authenticates the caller of `ctx` at `now`. kUnauthenticated when it presented no
  // certificate or one that does not verify against the bundle (another trust domain's, an
  // expired one); kPermissionDenied when the ID is not an agent ID, the agent is not attested
  // (never, or evicted), is banned, or presented an SVID whose serial is not its current one.
  // Thread-safe.
  absl::StatusOr<AuthenticatedAgent> Authenticate(const grpc::ServerContextBase& ctx,
                                                  absl::Time now);

  // The same from the PEM text the TLS layer reports: the leaf, and the whole presented chain
  // (leaf first; may be empty, then only the leaf is used).
  absl::StatusOr<AuthenticatedAgent> AuthenticatePem(std::string_view leaf_pem,
                                                     std::string_view chain_pem, absl::Time now);

  size_t cached_certificates() const;

 private:
  struct Verified {
    SpiffeId id;
    std::string serial;
    absl::Time not_after;
    uint64_t bundle_sequence = 0;
  };
  using Lru = std::list<std::pair<std::string, Verified>>;

  absl::StatusOr<Verified> VerifyCertificate(std::string_view leaf_pem, std::string_view chain_pem,
                                             const TrustBundle& bundle, absl::Time now) const;
  std::optional<Verified> Lookup(std::string_view leaf_pem, uint64_t bundle_sequence);
  void Remember(std::string_view leaf_pem, const Verified& verified);
  absl::StatusOr<std::shared_ptr<const AttestedNode>> CheckNode(const Verified& verified,
                                                                absl::Time now);

  const TrustDomain trust_domain_;
  const BundleSource bundle_;
  Registry& registry_;
  DataStore& datastore_;
  const size_t cache_size_;

  mutable absl::Mutex mu_;
  Lru lru_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<absl::string_view, Lru::iterator> by_pem_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_NODEAPI_PEER_AUTH_H_
