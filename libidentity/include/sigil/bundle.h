// Trust bundles: the X.509 and JWT authorities of one trust domain, with the sequence number
// and refresh hint of the SPIFFE bundle format, and a set of bundles keyed by trust domain.
// A bundle is never self-describing: it always travels with its trust domain (BUNDLE-12).
#ifndef SIGIL_BUNDLE_H_
#define SIGIL_BUNDLE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "sigil/certificate.h"
#include "sigil/keys.h"
#include "sigil/spiffe_id.h"

namespace sigil {

struct JwtAuthority {
  std::string key_id;
  PublicKey public_key;
  // When the key stops being trusted, if known. Not part of the SPIFFE bundle format.
  std::optional<absl::Time> expires_at;
};

class TrustBundle {
 public:
  explicit TrustBundle(TrustDomain trust_domain) : trust_domain_(std::move(trust_domain)) {}

  const TrustDomain& trust_domain() const { return trust_domain_; }
  const std::vector<Certificate>& x509_authorities() const { return x509_authorities_; }
  const std::vector<JwtAuthority>& jwt_authorities() const { return jwt_authorities_; }
  std::optional<uint64_t> sequence_number() const { return sequence_number_; }
  std::optional<absl::Duration> refresh_hint() const { return refresh_hint_; }

  // Adds a CA certificate; returns false (and changes nothing) if the same DER is present.
  bool AddX509Authority(Certificate cert);
  bool RemoveX509Authority(const Certificate& cert);
  // Fails with kAlreadyExists when another key already has this key id.
  absl::Status AddJwtAuthority(JwtAuthority authority);
  bool RemoveJwtAuthority(std::string_view key_id);
  const JwtAuthority* FindJwtAuthority(std::string_view key_id) const;

  void set_sequence_number(std::optional<uint64_t> n) { sequence_number_ = n; }
  void set_refresh_hint(std::optional<absl::Duration> hint) { refresh_hint_ = hint; }

  // True when the bundle holds no authority at all: every SVID of its trust domain is then
  // invalid (BUNDLE-02).
  bool empty() const { return x509_authorities_.empty() && jwt_authorities_.empty(); }

  // Same authorities, sequence number and refresh hint.
  friend bool operator==(const TrustBundle& a, const TrustBundle& b);

 private:
  TrustDomain trust_domain_;
  std::vector<Certificate> x509_authorities_;
  std::vector<JwtAuthority> jwt_authorities_;
  std::optional<uint64_t> sequence_number_;
  std::optional<absl::Duration> refresh_hint_;
};

// Bundles keyed by exact trust domain name (SEC-05). Iteration is in name order.
class BundleSet {
 public:
  // Inserts or replaces the bundle of `bundle.trust_domain()`.
  void Put(TrustBundle bundle);
  bool Remove(const TrustDomain& td);
  // Null when no bundle for `td` is known.
  const TrustBundle* Find(const TrustDomain& td) const;
  size_t size() const { return bundles_.size(); }
  auto begin() const { return bundles_.begin(); }
  auto end() const { return bundles_.end(); }

 private:
  std::map<TrustDomain, TrustBundle> bundles_;
};

// SPIFFE bundle JSON (a JWK Set with spiffe_sequence and spiffe_refresh_hint), per
// CONFORMANCE.md section 4. Strict: duplicate members, bad base64 and oversized documents
// (over kMaxBundleJsonSize) are refused; unknown kty or use only drops that key.
inline constexpr size_t kMaxBundleJsonSize = 4 * 1024 * 1024;
absl::StatusOr<TrustBundle> ParseSpiffeBundle(const TrustDomain& td, std::string_view json);

struct SpiffeBundleEncoding {
  // Emit spiffe_sequence / spiffe_refresh_hint when the bundle has them.
  bool include_sequence = true;
  bool include_refresh_hint = true;
  // Pretty-print with two-space indentation.
  bool indent = false;
};
absl::StatusOr<std::string> EncodeSpiffeBundle(const TrustBundle& bundle,
                                               const SpiffeBundleEncoding& encoding = {});

// The JWT authorities alone as a plain JWK Set, as the Workload API's FetchJWTBundles sends
// them (WAPI-33).
absl::StatusOr<std::string> EncodeJwks(const TrustBundle& bundle);

// PEM: X.509 authorities only.
absl::StatusOr<TrustBundle> ParsePemBundle(const TrustDomain& td, std::string_view pem);
std::string EncodePemBundle(const TrustBundle& bundle);

// Bundle map documents: {"trust_domains": {"<name>": <bundle>, ...}} (BUNDLE-13).
absl::StatusOr<BundleSet> ParseBundleMap(std::string_view json);
absl::StatusOr<std::string> EncodeBundleMap(const BundleSet& set);

}  // namespace sigil

#endif  // SIGIL_BUNDLE_H_
