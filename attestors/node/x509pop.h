// x509pop node attestation: the node holds a certificate (and its private key) issued by a CA
// the server is configured to trust, and proves possession of the key.
//
// Exchange:
//   1. The agent sends payload = its certificate chain as concatenated DER, leaf first (at most
//      16 certificates, kMaxNodeAttestationPayload bytes).
//   2. The server verifies the chain to one of the configured CA certificates (RFC 5280 path
//      validation at the server's time; the leaf must not be a CA, its keyUsage, when present,
//      must allow digitalSignature, and its extendedKeyUsage, when present, clientAuth) and
//      sends a challenge: 32 random bytes (the nonce).
//   3. The agent answers with a signature by the leaf's key over the bytes
//      "sigil-x509pop-v1" || nonce (16 ASCII bytes, then the 32 nonce bytes): ECDSA with
//      SHA-256, DER-encoded (any EC curve), or RSASSA-PSS with SHA-256, MGF1-SHA-256 and a
//      32-byte salt. The fixed prefix keeps such a signature from being valid in any other
//      protocol that signs raw nonces.
//   4. The server verifies the signature and answers with the agent's SVID.
//
// The agent's ID is spiffe://<td>/sigil/agent/x509pop/<SHA-256 of the leaf DER, hex>. Its node
// selectors, all of type "x509pop":
//   subject:cn:<common name>        each CN of the leaf's subject
//   san:dns:<name>                  each DNS SAN of the leaf
//   ca:fingerprint:<sha256 hex>     each CA certificate of the validated path (intermediates
//                                   and the configured root), SHA-256 of its DER
// The certificate outlives one attestation, so the node may attest again (can_reattest true)
// and keeps its agent ID while the certificate is the same.
#ifndef SIGIL_ATTESTORS_NODE_X509POP_H_
#define SIGIL_ATTESTORS_NODE_X509POP_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "attestors/node/node_attestor.h"
#include "sigil/certificate.h"
#include "sigil/keys.h"
#include "sigil/ossl.h"
#include "sigil/spiffe_id.h"

namespace sigil::attestors {

inline constexpr std::string_view kX509PopType = "x509pop";
inline constexpr size_t kX509PopNonceBytes = 32;
inline constexpr std::string_view kX509PopSignatureContext = "sigil-x509pop-v1";
// DNS SANs and subject CNs of one leaf turned into selectors; more is refused.
inline constexpr size_t kMaxX509PopNames = 256;
// Largest CA bundle file read for x509pop.
inline constexpr size_t kMaxX509PopCaBundleFile = 4 * 1024 * 1024;

// --- Agent half ---------------------------------------------------------------------------

// The attestation payload: `chain` (leaf first) as concatenated DER.
std::string MakeX509PopPayload(const std::vector<Certificate>& chain);

// The answer to a challenge: the signature described above by `key` (the leaf's private key).
// kInvalidArgument when `challenge` is not kX509PopNonceBytes long or the key is neither EC
// nor RSA; kInternal when OpenSSL fails.
absl::StatusOr<std::string> AnswerX509PopChallenge(const PrivateKey& key,
                                                   std::string_view challenge);

// --- Server half --------------------------------------------------------------------------

// Reads the CA certificates an x509pop agent must chain to: a PEM file of at most
// kMaxX509PopCaBundleFile bytes holding 1 to kMaxBundleCertificates "CERTIFICATE" blocks.
// kNotFound / kPermissionDenied when it cannot be read, kInvalidArgument when it holds no or
// malformed certificates (the message names `path`).
absl::StatusOr<std::vector<Certificate>> LoadX509PopCaBundle(const std::string& path);

// Limitation: the CA certificates are read once, when the server starts (replacing the file
// takes a restart), and revocation (CRLs, OCSP) is not checked, so a revoked node certificate
// attests until it expires.
class X509PopAttestor final : public NodeAttestor {
 public:
  // `ca_certificates` are the trust anchors (at least one). kInvalidArgument when empty;
  // kInternal when OpenSSL fails.
  static absl::StatusOr<std::unique_ptr<X509PopAttestor>> Create(
      TrustDomain trust_domain, std::vector<Certificate> ca_certificates);
  ~X509PopAttestor() override;

  std::string_view type() const override { return kX509PopType; }

  // Verifies the chain at `now` and returns the nonce challenge. kInvalidArgument for a
  // malformed payload (not DER, empty, too long, leaf a CA or unfit for signing, a CN or DNS
  // name that cannot be a selector value); kPermissionDenied when the chain does not verify
  // to a configured CA (the message names OpenSSL's reason).
  absl::StatusOr<AttestationStep> Begin(
      std::string_view payload, absl::Time now,
      std::unique_ptr<NodeAttestation>* out_attestation) const override;

 private:
  X509PopAttestor(TrustDomain trust_domain, std::vector<Certificate> roots, X509StorePtr store)
      : trust_domain_(std::move(trust_domain)),
        roots_(std::move(roots)),
        store_(std::move(store)) {}

  const TrustDomain trust_domain_;
  const std::vector<Certificate> roots_;
  // Built once from roots_; X509_STORE lookups are thread-safe, each verification gets its
  // own X509_STORE_CTX.
  const X509StorePtr store_;
};

}  // namespace sigil::attestors

#endif  // SIGIL_ATTESTORS_NODE_X509POP_H_
