// Test support for the agent: a trust domain with a real self-signed CA and JWT signing key
// made with libidentity, issuing real X.509-SVIDs and JWT-SVIDs, and a JwtSvidSigner that signs
// locally. Used by the cache and Workload API tests, the Workload API conformance fixture and
// the benchmark; never by the agent itself.
#ifndef SIGIL_AGENT_TESTING_TEST_AUTHORITY_H_
#define SIGIL_AGENT_TESTING_TEST_AUTHORITY_H_

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "agent/cache/jwt_svid_cache.h"
#include "sigil/bundle.h"
#include "sigil/certificate.h"
#include "sigil/keys.h"
#include "sigil/spiffe_id.h"
#include "sigil/x509_issuer.h"
#include "sigil/x509_svid.h"

namespace sigil::agent::testing {

// A trust domain's signing authorities. Immutable after Create; thread-safe.
class TestAuthority {
 public:
  // A P-256 root CA valid from `now` - 10 s for `ca_ttl`, and a P-256 JWT key with kid
  // "<td>-jwt-1".
  static absl::StatusOr<TestAuthority> Create(const TrustDomain& td, absl::Time now,
                                              absl::Duration ca_ttl = absl::Hours(24));

  // A fresh key and an X.509-SVID for `id` (which must be in this trust domain), valid from
  // `now` - 10 s for `ttl`.
  absl::StatusOr<X509Svid> IssueX509Svid(const SpiffeId& id, absl::Time now,
                                         absl::Duration ttl = absl::Hours(1)) const;
  // A JWT-SVID for `id` and `audiences`, valid from `now` for `ttl`.
  absl::StatusOr<SecretBytes> IssueJwtSvid(const SpiffeId& id,
                                           const std::vector<std::string>& audiences,
                                           absl::Time now,
                                           absl::Duration ttl = absl::Minutes(5)) const;

  // This trust domain's bundle: the CA certificate and the JWT key.
  const TrustBundle& bundle() const { return bundle_; }
  const TrustDomain& trust_domain() const { return bundle_.trust_domain(); }
  const Certificate& ca_certificate() const { return issuer_.certificate(); }

 private:
  TestAuthority(X509Issuer issuer, PrivateKey jwt_key, std::string jwt_kid, TrustBundle bundle)
      : issuer_(std::move(issuer)),
        jwt_key_(std::move(jwt_key)),
        jwt_kid_(std::move(jwt_kid)),
        bundle_(std::move(bundle)) {}

  X509Issuer issuer_;
  PrivateKey jwt_key_;
  std::string jwt_kid_;
  TrustBundle bundle_;
};

// Signs JWT-SVIDs with a TestAuthority's key, as the server would. The TTL is the entry's
// jwt_svid_ttl, or `default_ttl` when that is zero. Counts its calls; thread-safe.
class LocalJwtSvidSigner : public JwtSvidSigner {
 public:
  explicit LocalJwtSvidSigner(const TestAuthority& authority,
                              absl::Duration default_ttl = absl::Minutes(5))
      : authority_(authority), default_ttl_(default_ttl) {}

  absl::StatusOr<SecretBytes> Sign(const AgentEntry& entry, absl::Span<const std::string> audiences,
                                   absl::Time now) override;

  int calls() const { return calls_.load(); }

 private:
  const TestAuthority& authority_;
  const absl::Duration default_ttl_;
  std::atomic<int> calls_{0};
};

}  // namespace sigil::agent::testing

#endif  // SIGIL_AGENT_TESTING_TEST_AUTHORITY_H_
