// Building and signing X.509-SVIDs and signing certificates (CAs) to the SPIFFE X509-SVID
// profile as ARCHITECTURE.md section 5 and CONFORMANCE.md X509-01..12 describe it:
//
//   leaf: exactly one URI SAN (the SPIFFE ID, which must have a path) plus optional DNS SANs,
//         basicConstraints cA=false (critical), keyUsage digitalSignature|keyEncipherment|
//         keyAgreement (critical), extKeyUsage serverAuth+clientAuth, SKID and AKID, a random
//         positive 128-bit serial, notBefore = now - 10 s, notAfter = min(now + ttl, CA
//         notAfter). The SAN extension is critical when the subject is empty.
//   CA:   basicConstraints cA=true (critical) with an optional pathLenConstraint, keyUsage
//         keyCertSign|cRLSign (critical), URI SAN "spiffe://<td>", SKID (and AKID when signed
//         by a parent), no EKU.
//
// Signature algorithm follows the signer's key: ECDSA with SHA-256/384/512 for P-256/384/521,
// sha256WithRSAEncryption for RSA.
//
// Hot path: a leaf is encoded straight to DER from per-CA pieces prepared by X509Issuer::Create
// (issuer name, signature algorithm, constant extensions), and the subject key goes in as its
// raw SubjectPublicKeyInfo bits, so no OpenSSL certificate object and no encoder lookup is
// involved; signing dominates the cost (about 70% of the raw ECDSA P-256 sign rate from a
// PublicKey, about 85% from SPKI DER; bench/x509_bench.cc). Leaves come back as a
// SignedCertificate (DER plus the fields a CA records) rather than a Certificate, because
// making a Certificate means parsing the DER again with d2i_X509, which costs OpenSSL 3.0 about
// 120 us, more than signing. Call SignedCertificate::ToCertificate() when a parsed object is
// needed. CAs are rare and come back as Certificate.
//
// Usage on a CA server:
//   SIGIL_ASSIGN_OR_RETURN(X509Issuer issuer, X509Issuer::Create(ca_cert, ca_key));
//   SIGIL_ASSIGN_OR_RETURN(SignedCertificate leaf,
//                          issuer.SignSvid({.spiffe_id = id, .ttl = absl::Hours(1)}, pub, now));
#ifndef SIGIL_X509_ISSUER_H_
#define SIGIL_X509_ISSUER_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "sigil/certificate.h"
#include "sigil/keys.h"
#include "sigil/spiffe_id.h"

namespace sigil {

inline constexpr absl::Duration kDefaultX509SvidTtl = absl::Hours(1);
inline constexpr absl::Duration kDefaultX509CaTtl = absl::Hours(24);
// notBefore is set this far before `now` so that peers whose clocks lag a little accept a
// freshly issued certificate (SPIRE does the same).
inline constexpr absl::Duration kX509Backdate = absl::Seconds(10);
// Longest TTL accepted, so that every notAfter stays encodable.
inline constexpr absl::Duration kMaxX509Ttl = absl::Hours(24 * 365 * 100);
// DNS SANs one leaf may carry, and the longest DNS name accepted.
inline constexpr size_t kMaxX509DnsNames = 64;
inline constexpr size_t kMaxX509DnsNameLength = 253;

// One subject attribute. `attribute` is an OpenSSL short or long name ("C", "O", "OU", "CN",
// "serialNumber", "x500UniqueIdentifier", ...); `value` is UTF-8.
struct X509NameEntry {
  std::string attribute;
  std::string value;
};

struct X509SvidParams {
  // Must be a valid SPIFFE ID with a path (X509-02), at most kMaxSpiffeIdLength bytes (ID-16),
  // in the signing CA's trust domain.
  SpiffeId spiffe_id;
  // Optional DNS SANs (host names, "*." wildcards allowed); the first is also copied into the
  // subject CN (X509-12) unless `subject` has a CN or the name exceeds the 64-byte CN limit.
  std::vector<std::string> dns_names;
  // Subject attributes in order. Empty (the default) gives an empty subject, or CN=dns_names[0]
  // when DNS names are set; with an empty subject the SAN extension is marked critical (X509-03).
  std::vector<X509NameEntry> subject;
  // notAfter = min(now + ttl, CA notAfter). Must be positive and at most kMaxX509Ttl.
  absl::Duration ttl = kDefaultX509SvidTtl;
};

struct X509CaParams {
  // The CA's URI SAN is "spiffe://<trust_domain>" (X509-09).
  TrustDomain trust_domain;
  // Subject attributes in order. Empty (the default) gives C=US, O=SPIFFE,
  // serialNumber=<the certificate's serial in decimal>, so that successive CAs of one trust
  // domain have distinct subjects and path building never confuses them.
  std::vector<X509NameEntry> subject;
  // notAfter = now + ttl, capped at the parent's notAfter when signed by a parent. Must be
  // positive and at most kMaxX509Ttl.
  absl::Duration ttl = kDefaultX509CaTtl;
  // pathLenConstraint; absent means unlimited. Must be >= 0.
  std::optional<int> path_len;
};

// A certificate this process has just signed: its DER and the fields a CA records about it.
// Plain value; copying copies the DER.
struct SignedCertificate {
  std::string der;
  // Lowercase hex, the same text as Certificate::SerialHex() gives for this certificate.
  std::string serial_hex;
  absl::Time not_before;
  absl::Time not_after;

  // Parses `der` (about 120 us with OpenSSL 3.0). Fails only if the DER is unparsable, which
  // for a certificate from this module means an OpenSSL failure.
  absl::StatusOr<Certificate> ToCertificate() const;
};

// Signs with one CA certificate and its private key. Create() does the per-CA work (issuer
// name, key identifier, signature digest, key match check) once so each signature does only
// per-certificate work. Immutable after Create(); copies share state; thread-safe.
class X509Issuer {
 public:
  // Fails with kInvalidArgument when `ca_cert` is not a CA (cA=true and keyCertSign), carries a
  // URI SAN that is not exactly one "spiffe://<td>", or `ca_key` is not the private half of its
  // public key; kInternal when OpenSSL fails. A CA with no URI SAN at all (an operator's
  // corporate CA acting as upstream authority) is accepted: it can sign CA certificates, and
  // SignSvid on it fails with kFailedPrecondition.
  static absl::StatusOr<X509Issuer> Create(Certificate ca_cert, PrivateKey ca_key);

  // Builds and signs a leaf X509-SVID for `subject_key`. Fails with kInvalidArgument when
  // `params` break a rule above (trust-domain ID, ID over 2048 bytes, ID of another trust
  // domain, non-positive TTL, bad DNS name, unknown subject attribute), with
  // kFailedPrecondition when the CA is not yet valid or has expired at `now`, kInternal when
  // OpenSSL fails, kFailedPrecondition when the CA carries no SPIFFE ID.
  absl::StatusOr<SignedCertificate> SignSvid(const X509SvidParams& params,
                                             const PublicKey& subject_key, absl::Time now) const;
  // Same, for a subject key given as SubjectPublicKeyInfo DER (what an agent sends). The SPKI is
  // split without building an EVP_PKEY (d2i_PUBKEY costs ~150 us): the algorithm must be
  // id-ecPublicKey on P-256/P-384/P-521 with an uncompressed point of the right length, or
  // rsaEncryption; otherwise kInvalidArgument. Limitation: an EC point is not checked to lie
  // on the curve here, so a caller that must reject such keys parses them as a PublicKey first.
  absl::StatusOr<SignedCertificate> SignSvidForSpki(const X509SvidParams& params,
                                                    std::string_view subject_spki_der,
                                                    absl::Time now) const;
  // Builds and signs an intermediate CA for `subject_key`, its notAfter capped at this CA's.
  // Errors as SignSvid (the trust domain may differ from this CA's: X509-09 allows it).
  absl::StatusOr<Certificate> SignCa(const X509CaParams& params, const PublicKey& subject_key,
                                     absl::Time now) const;

  const Certificate& certificate() const;
  // The trust domain of the CA's SPIFFE ID; empty for a CA without one.
  const std::optional<TrustDomain>& trust_domain() const;

 private:
  struct State;
  explicit X509Issuer(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

// One-shot forms of X509Issuer::Create + Sign*. They repeat the per-CA work every call; a
// server issuing many certificates keeps an X509Issuer instead.
absl::StatusOr<SignedCertificate> SignX509Svid(const X509SvidParams& params,
                                               const PublicKey& subject_key,
                                               const Certificate& ca_cert, const PrivateKey& ca_key,
                                               absl::Time now);
absl::StatusOr<Certificate> SignX509Ca(const X509CaParams& params, const PublicKey& subject_key,
                                       const Certificate& parent_cert, const PrivateKey& parent_key,
                                       absl::Time now);
// A root CA signed by its own `key`: issuer = subject, AKID omitted. Fails with
// kInvalidArgument for bad params, kInternal when OpenSSL fails.
absl::StatusOr<Certificate> SelfSignX509Ca(const X509CaParams& params, const PrivateKey& key,
                                           absl::Time now);

}  // namespace sigil

#endif  // SIGIL_X509_ISSUER_H_
