#include "agent/testing/test_authority.h"

#include "absl/strings/str_cat.h"

#include "sigil/jwt_svid.h"
#include "sigil/status.h"

namespace sigil::agent::testing {

absl::StatusOr<TestAuthority> TestAuthority::Create(const TrustDomain& td, absl::Time now,
                                                    absl::Duration ca_ttl) {
  SIGIL_ASSIGN_OR_RETURN(PrivateKey ca_key, PrivateKey::Generate(KeyType::kEcP256));
  SIGIL_ASSIGN_OR_RETURN(Certificate ca_cert, SelfSignX509Ca({.trust_domain = td, .ttl = ca_ttl},
                                                             ca_key, now - absl::Seconds(10)));
  SIGIL_ASSIGN_OR_RETURN(X509Issuer issuer, X509Issuer::Create(ca_cert, ca_key));
  SIGIL_ASSIGN_OR_RETURN(PrivateKey jwt_key, PrivateKey::Generate(KeyType::kEcP256));
  std::string kid = absl::StrCat(td.name(), "-jwt-1");

  TrustBundle bundle(td);
  bundle.AddX509Authority(ca_cert);
  SIGIL_RETURN_IF_ERROR(bundle.AddJwtAuthority({kid, jwt_key.public_key(), std::nullopt}));
  return TestAuthority(std::move(issuer), std::move(jwt_key), std::move(kid), std::move(bundle));
}

absl::StatusOr<X509Svid> TestAuthority::IssueX509Svid(const SpiffeId& id, absl::Time now,
                                                      absl::Duration ttl) const {
  SIGIL_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate(KeyType::kEcP256));
  SIGIL_ASSIGN_OR_RETURN(SignedCertificate leaf,
                         issuer_.SignSvid({.spiffe_id = id, .ttl = ttl}, key.public_key(), now));
  SIGIL_ASSIGN_OR_RETURN(Certificate cert, leaf.ToCertificate());
  return X509Svid::FromParts({std::move(cert)}, std::move(key));
}

absl::StatusOr<SecretBytes> TestAuthority::IssueJwtSvid(const SpiffeId& id,
                                                        const std::vector<std::string>& audiences,
                                                        absl::Time now, absl::Duration ttl) const {
  return SignJwtSvid({.subject = id, .audiences = audiences, .expires_at = now + ttl}, jwt_key_,
                     jwt_kid_, now);
}

absl::StatusOr<SecretBytes> LocalJwtSvidSigner::Sign(const AgentEntry& entry,
                                                     absl::Span<const std::string> audiences,
                                                     absl::Time now) {
  ++calls_;
  const absl::Duration ttl =
      entry.jwt_svid_ttl > absl::ZeroDuration() ? entry.jwt_svid_ttl : default_ttl_;
  return authority_.IssueJwtSvid(
      entry.spiffe_id, std::vector<std::string>(audiences.begin(), audiences.end()), now, ttl);
}

}  // namespace sigil::agent::testing
