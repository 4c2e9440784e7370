// An upstream authority signs the server's X.509 CA as an intermediate of some other CA, so
// that SVIDs chain to a root the operator already runs (a corporate PKI, another SPIFFE
// deployment) instead of to a self-signed root of the server's own.
//
// With an upstream authority, the trust bundle's X.509 authorities are the upstream roots, not
// the server's own CAs; an SVID travels with the intermediates between it and those roots.
#ifndef SIGIL_SERVER_CA_UPSTREAM_AUTHORITY_H_
#define SIGIL_SERVER_CA_UPSTREAM_AUTHORITY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "sigil/certificate.h"
#include "sigil/keys.h"
#include "sigil/x509_issuer.h"

namespace sigil::server {

struct MintedX509Ca {
  // The CA certificate made for the caller's key first, then the upstream intermediates up to
  // (not including) a root. What a leaf signed by the new CA needs beside it to verify.
  std::vector<Certificate> chain;
  // The roots `chain` leads to: what relying parties must trust.
  std::vector<Certificate> upstream_roots;
};

// Implementations are thread-safe.
class UpstreamAuthority {
 public:
  virtual ~UpstreamAuthority() = default;

  // Signs a CA certificate for `key` following `params` (trust domain URI SAN, subject, TTL;
  // the notAfter may come out earlier, capped by the upstream CA's own). Fails with
  // kInvalidArgument for bad params, kFailedPrecondition when the upstream CA is not valid at
  // `now`, and other codes when the upstream cannot be reached or fails.
  virtual absl::StatusOr<MintedX509Ca> MintX509Ca(const X509CaParams& params, const PublicKey& key,
                                                  absl::Time now) = 0;
};

// Files an operator gives to DiskUpstreamAuthority.
struct DiskUpstreamAuthorityFiles {
  // PEM: the upstream CA certificate, optionally followed by the intermediates between it and
  // its root.
  std::string cert_file;
  // PEM: the upstream CA's unencrypted PKCS#8 private key ("BEGIN PRIVATE KEY").
  std::string key_file;
  // PEM: the root certificates the upstream CA chains to. Optional when cert_file's first
  // certificate is itself a self-signed root, which is then the only root.
  std::string bundle_file;
};

// An upstream CA whose certificate and key are files on this machine. The files are read and
// checked once, when it is opened.
//
// Limitation: the files are read only at Open, so replacing them takes a server restart.
class DiskUpstreamAuthority final : public UpstreamAuthority {
 public:
  // Reads and checks the files at `now`: each must exist and parse; the key must be the
  // certificate's; the certificate must be a CA valid at `now`; without bundle_file it must be
  // self-signed; and a trial CA and leaf signed through it must verify against the roots, which
  // proves the chain is complete. Fails with the file's read error (kNotFound, kPermissionDenied)
  // or kInvalidArgument, each message naming the file ("upstream_authority key_file
  // /etc/ca.key: ...").
  static absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> Open(
      const DiskUpstreamAuthorityFiles& files, absl::Time now);

  absl::StatusOr<MintedX509Ca> MintX509Ca(const X509CaParams& params, const PublicKey& key,
                                          absl::Time now) override;

 private:
  DiskUpstreamAuthority(X509Issuer issuer, std::vector<Certificate> chain,
                        std::vector<Certificate> roots)
      : issuer_(std::move(issuer)), chain_(std::move(chain)), roots_(std::move(roots)) {}

  const X509Issuer issuer_;
  // The upstream CA certificate and its intermediates, roots excluded.
  const std::vector<Certificate> chain_;
  const std::vector<Certificate> roots_;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_CA_UPSTREAM_AUTHORITY_H_
