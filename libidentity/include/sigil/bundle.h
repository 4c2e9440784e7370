// Trust bundles: the X.509 and JWT authorities of one trust domain, with the sequence number
// and refresh hint of the SPIFFE bundle format, and a set of bundles keyed by trust domain.
// A bundle is never self-describing: it always travels with its trust domain (BUNDLE-12).
//
// TrustBundle and BundleSet are plain values: const methods may be called from many threads at
// once, mutation needs external synchronisation (share an immutable snapshot instead). The
// codecs below are pure functions, safe to call concurrently; every parser is strict (SEC-03)
// and its kInvalidArgument messages name the document, the key index and the rule, e.g.
// "SPIFFE bundle: keys[2]: x5c[0] is not valid base64 (...)", never quoting key material.
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
  // Insertion order is kept and is the order the encoders write (BUNDLE-16).
  bool AddX509Authority(Certificate cert);
  bool RemoveX509Authority(const Certificate& cert);
  // Fails with kAlreadyExists when another key already has this key id, and with
  // kInvalidArgument when the key id is empty (a jwt-svid key always has a kid, BUNDLE-10).
  absl::Status AddJwtAuthority(JwtAuthority authority);
  bool RemoveJwtAuthority(std::string_view key_id);
  const JwtAuthority* FindJwtAuthority(std::string_view key_id) const;

  void set_sequence_number(std::optional<uint64_t> n) { sequence_number_ = n; }
  void set_refresh_hint(std::optional<absl::Duration> hint) { refresh_hint_ = hint; }

  // True when the bundle holds no authority at all: every SVID of its trust domain is then
  // invalid (BUNDLE-02).
  bool empty() const { return x509_authorities_.empty() && jwt_authorities_.empty(); }

  // Same trust domain, sequence number, refresh hint and the same sets of authorities (order
  // does not matter; JWT authorities compare kid, key and expires_at).
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
// Entries of one "keys" array, skipped ones included.
inline constexpr size_t kMaxBundleKeys = 1024;
// JWT authorities one trust bundle may hold (kMaxBundleCertificates bounds the X.509 ones).
inline constexpr size_t kMaxBundleJwtAuthorities = 512;

// Parses the SPIFFE bundle of `td`. An empty "keys" array, or one whose keys are all skipped,
// gives an empty bundle: the trust domain revoked everything (BUNDLE-02).
//
// A key is skipped (the rest of the bundle still counts) when: "use" is missing, not a string,
// or not "x509-svid"/"jwt-svid" ("wit-svid" included: WIT-SVIDs are not supported) (BUNDLE-07);
// "kty" is missing or not EC/RSA, "crv" is not P-256/P-384/P-521, or an RSA modulus is not
// 2048/3072/4096 bits (BUNDLE-06); an x509-svid key has no or an empty "x5c" (BUNDLE-09); an
// x509-svid key repeats a certificate already read.
//
// The whole document fails with kInvalidArgument when: it is not strict JSON (duplicate member
// names, BUNDLE-14) or over kMaxBundleJsonSize; it is not an object; "keys" is absent or not an
// array (BUNDLE-01) or longer than kMaxBundleKeys; "spiffe_sequence" is not an integer in
// [0, 2^64); "spiffe_refresh_hint" is not an integer in [0, 2^63) seconds; a key is not an
// object; a key holds private or symmetric members ("d", "p", "q", "dp", "dq", "qi", "oth",
// "k"), since a bundle that publishes key material is broken at its source; an x509-svid key
// has "x5c" that is not an array, an "x5c[0]" that is not standard padded base64 of one DER
// certificate, or key members that differ from that certificate's key (only x5c[0] is read;
// later entries are ignored, BUNDLE-09); a jwt-svid key has no "kid", an empty or non-string
// one, or one used by an earlier key (BUNDLE-10: we reject the document, as go-spiffe and SPIRE
// do, so that a publisher's mistake is seen rather than silently shrinking the bundle); key
// members are missing, not strict base64url, of the wrong length, or not a valid key (EC point
// not on the curve, even RSA modulus or exponent); more than kMaxBundleCertificates X.509 or
// kMaxBundleJwtAuthorities JWT authorities.
//
// X.509 authorities are not required to be CA certificates here (the spec only says SHOULD be
// self-signed, and SPIRE accepts any); SVID path validation is what refuses a non-CA issuer.
absl::StatusOr<TrustBundle> ParseSpiffeBundle(const TrustDomain& td, std::string_view json);
// Same, and appends one line per skipped key ("keys[3]: use is missing") to `out_skipped`
// (may be null), so that a federation client can log what it ignored (FED-18).
absl::StatusOr<TrustBundle> ParseSpiffeBundle(const TrustDomain& td, std::string_view json,
                                              std::vector<std::string>* out_skipped);

struct SpiffeBundleEncoding {
  // Emit spiffe_sequence / spiffe_refresh_hint when the bundle has them.
  bool include_sequence = true;
  bool include_refresh_hint = true;
  // Pretty-print with two-space indentation.
  bool indent = false;
};
// Writes {"keys": [...], "spiffe_refresh_hint": <seconds>, "spiffe_sequence": <n>}: x509-svid
// keys first, then jwt-svid keys, each in the bundle's order (BUNDLE-16). An x509-svid key
// carries use, kty, the CA's public key members and "x5c" with exactly that one certificate,
// and no kid (BUNDLE-08); a jwt-svid key carries use, kty, kid and its public key members.
// Private members are never written (BUNDLE-11). The refresh hint is written in whole seconds,
// truncated; JwtAuthority::expires_at is not part of the format and is not written. Fails with
// kInvalidArgument when an authority's key cannot be a JWK (a certificate with an Ed25519 key, say)
// or a kid is not valid UTF-8.
absl::StatusOr<std::string> EncodeSpiffeBundle(const TrustBundle& bundle,
                                               const SpiffeBundleEncoding& encoding = {});

// The JWT authorities alone as a plain JWK Set, as the Workload API's FetchJWTBundles sends
// them (WAPI-33): {"keys": [{"kty", "kid", key members}]}, no "use", no spiffe_* members.
// "use" is left out as SPIRE does, because generic JOSE libraries (node's jose, for one) skip
// keys whose "use" is set to anything but "sig", and WAPI-33 forbids clients to require it.
// Fails like EncodeSpiffeBundle.
absl::StatusOr<std::string> EncodeJwks(const TrustBundle& bundle);

// Reads a Workload API JWKS (WAPI-33) as the JWT authorities of `td`: keys without "use" or
// with "use": "jwt-svid" are JWT authorities, keys with any other use are skipped, spiffe_*
// members are ignored. Otherwise the rules, limits and errors of ParseSpiffeBundle apply
// ("JWKS: keys[1]: kid is missing").
absl::StatusOr<TrustBundle> ParseJwks(const TrustDomain& td, std::string_view json);

// PEM: X.509 authorities only. Parsing accepts one or more "CERTIFICATE" blocks (other block
// types, more than kMaxBundleCertificates certificates or 4 MiB of text fail with
// kInvalidArgument), drops repeated certificates, and refuses any certificate that is not a
// CA: a PEM bundle is typed in by an operator, and a leaf or a whole chain pasted by mistake
// would otherwise be accepted yet never verify anything. (SPIFFE JSON bundles do not get this
// check; see ParseSpiffeBundle.)
absl::StatusOr<TrustBundle> ParsePemBundle(const TrustDomain& td, std::string_view pem);
// Concatenated PEM blocks in the bundle's order; empty for a bundle without X.509 authorities.
std::string EncodePemBundle(const TrustBundle& bundle);

// Bundle map documents: {"trust_domains": {"<name>": <bundle>, ...}} (BUNDLE-13).
inline constexpr size_t kMaxBundleMapJsonSize = 16 * 1024 * 1024;
// "trust_domains" must be present and an object (it may be empty). Each member name must be a
// bare trust domain name ("example.org", not "spiffe://example.org"); a repeated name fails,
// as does any duplicate member (BUNDLE-14). Each value is parsed like ParseSpiffeBundle, except
// that a "spiffe_refresh_hint" inside an entry is ignored (BUNDLE-13): the resulting bundles
// have no refresh hint. Fails with kInvalidArgument naming the entry ("bundle map:
// trust_domains["example.org"]: keys[0]: ...").
absl::StatusOr<BundleSet> ParseBundleMap(std::string_view json);
// Writes every bundle of `set` in name order, each with its sequence number but no refresh
// hint. Fails like EncodeSpiffeBundle.
absl::StatusOr<std::string> EncodeBundleMap(const BundleSet& set);

}  // namespace sigil

#endif  // SIGIL_BUNDLE_H_
