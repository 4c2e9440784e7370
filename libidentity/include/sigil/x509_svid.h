// X509-SVIDs held by a workload: the SPIFFE ID, the certificate chain (leaf first) and the
// leaf's private key, parsed from Workload API material or from files and checked against the
// SPIFFE profile (CONFORMANCE.md X509-24, X509-25).
//
// Sibling headers: x509_issuer.h (making SVIDs and CAs), x509_verify.h (verifying a presented
// chain against trust bundles), x509_authorizer.h (which verified IDs to accept),
// x509_profile.h (listing profile problems of a chain, for inspection tools).
#ifndef SIGIL_X509_SVID_H_
#define SIGIL_X509_SVID_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "sigil/certificate.h"
#include "sigil/keys.h"
#include "sigil/spiffe_id.h"

namespace sigil {

// Workload API hints are free text chosen by the operator; longer ones are refused.
inline constexpr size_t kMaxX509SvidHintLength = 1024;

// An X509-SVID with its private key. Immutable; copies share the parsed certificates and key,
// so copying is cheap; thread-safe.
class X509Svid {
 public:
  // Workload API form (X509-24): `chain_der` is DER certificates concatenated, leaf first (at
  // most kMaxChainLength); `key_der` is an unencrypted PKCS#8 DER private key. PEM, PKCS#1, SEC1
  // and encrypted keys are refused. Then the checks of FromParts. Fails with kInvalidArgument
  // naming the problem; the message never contains key bytes.
  static absl::StatusOr<X509Svid> FromWorkloadApi(std::string_view chain_der,
                                                  std::string_view key_der, std::string hint = {});
  // File form: the chain as concatenated DER or PEM "CERTIFICATE" blocks, the key as PKCS#8 DER
  // or a PEM "PRIVATE KEY" block. Then the checks of FromParts.
  static absl::StatusOr<X509Svid> Parse(std::string_view chain_der_or_pem,
                                        std::string_view key_der_or_pem);
  // Checks X509-25 and fails with kInvalidArgument naming the first problem: an empty chain;
  // a leaf without digitalSignature, with keyCertSign or cRLSign, or marked cA=true; a leaf
  // without exactly one URI SAN or whose URI is not a SPIFFE ID with a path; a later
  // certificate that is not a CA with keyCertSign; a key that is not the leaf's; a hint over
  // kMaxX509SvidHintLength bytes. Validity dates and signatures are not checked here (that
  // needs a bundle: see VerifyX509Svid).
  static absl::StatusOr<X509Svid> FromParts(std::vector<Certificate> chain, PrivateKey key,
                                            std::string hint = {});

  const SpiffeId& spiffe_id() const { return id_; }
  // Leaf first, never empty.
  const std::vector<Certificate>& chain() const { return chain_; }
  const Certificate& leaf() const { return chain_.front(); }
  const PrivateKey& private_key() const { return key_; }
  // The Workload API hint (WAPI), empty when none.
  const std::string& hint() const { return hint_; }
  absl::Time expires_at() const { return chain_.front().not_after(); }

  // Workload API encodings.
  std::string ChainDer() const { return ConcatDer(chain_); }
  SecretBytes KeyPkcs8Der() const { return key_.ToPkcs8Der(); }

 private:
  X509Svid(SpiffeId id, std::vector<Certificate> chain, PrivateKey key, std::string hint)
      : id_(std::move(id)),
        chain_(std::move(chain)),
        key_(std::move(key)),
        hint_(std::move(hint)) {}

  SpiffeId id_;
  std::vector<Certificate> chain_;
  PrivateKey key_;
  std::string hint_;
};

// The leaf rules every X509-SVID leaf must meet, shared by parsing and verification: not a CA
// (X509-14), no keyCertSign or cRLSign (X509-15), exactly one URI SAN (X509-16) that is a valid
// SPIFFE ID (X509-17) with a path (X509-18). Returns that ID, or kInvalidArgument naming the
// first broken rule ("leaf is a CA", "leaf has 2 URI SANs", ...). digitalSignature is not
// required here (only X509-25 requires it, for our own SVIDs).
absl::StatusOr<SpiffeId> X509SvidLeafId(const Certificate& leaf);

}  // namespace sigil

#endif  // SIGIL_X509_SVID_H_
