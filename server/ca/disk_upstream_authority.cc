// DiskUpstreamAuthority: an operator's CA certificate and key read from PEM files.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "server/ca/cert_facts.h"
#include "server/ca/files.h"
#include "server/ca/upstream_authority.h"
#include "sigil/bundle.h"
#include "sigil/secret_bytes.h"
#include "sigil/spiffe_id.h"
#include "sigil/status.h"
#include "sigil/x509_verify.h"

namespace sigil::server {
namespace {

constexpr size_t kMaxCertFileSize = 1 << 20;
constexpr size_t kMaxKeyFileSize = 32 * 1024;
// The trial CA and leaf of Open() are issued in this trust domain, which no real deployment
// uses, so they can never be mistaken for real credentials.
constexpr std::string_view kTrialTrustDomain = "upstream-check.sigil.invalid";

std::string Describe(std::string_view field, const std::string& path) {
  return absl::StrCat("upstream_authority ", AsAbsl(field), " ", path);
}

absl::Status Annotate(const absl::Status& status, std::string_view field, const std::string& path) {
  return absl::Status(status.code(), absl::StrCat(Describe(field, path), ": ", status.message()));
}

absl::StatusOr<std::vector<Certificate>> ReadCertificates(std::string_view field,
                                                          const std::string& path,
                                                          size_t max_count) {
  absl::StatusOr<std::string> pem = ReadFileBounded(path, kMaxCertFileSize, "file");
  if (!pem.ok()) {
    return Annotate(pem.status(), field, path);
  }
  absl::StatusOr<std::vector<Certificate>> certs = ParsePemCertificates(*pem, max_count);
  if (!certs.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Describe(field, path), ": not PEM certificates: ", certs.status().message()));
  }
  if (certs->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Describe(field, path), ": holds no certificate"));
  }
  return certs;
}

absl::StatusOr<PrivateKey> ReadKey(const std::string& path) {
  absl::StatusOr<std::string> content = ReadFileBounded(path, kMaxKeyFileSize, "file");
  if (!content.ok()) {
    return Annotate(content.status(), "key_file", path);
  }
  const SecretBytes pem = SecretBytes::Adopt(std::move(*content));
  absl::StatusOr<PrivateKey> key = PrivateKey::FromPkcs8Pem(pem.view());
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        Describe("key_file", path),
        ": not an unencrypted PKCS#8 PEM key (\"BEGIN PRIVATE KEY\"; convert other forms with "
        "`openssl pkcs8 -topk8 -nocrypt`): ",
        key.status().message()));
  }
  return key;
}

bool Contains(const std::vector<Certificate>& certs, const Certificate& cert) {
  return std::find(certs.begin(), certs.end(), cert) != certs.end();
}

// Signs a throwaway CA and leaf through `issuer` and verifies them against `roots`: this proves
// that `chain` plus `roots` form a complete path that relying parties will accept, including
// constraints (such as pathLenConstraint 0) that would make every real SVID fail.
absl::Status CheckChainReachesRoots(const X509Issuer& issuer, const std::vector<Certificate>& chain,
                                    const std::vector<Certificate>& roots, absl::Time now) {
  SIGIL_ASSIGN_OR_RETURN(TrustDomain td, TrustDomain::FromString(kTrialTrustDomain));
  SIGIL_ASSIGN_OR_RETURN(PrivateKey ca_key, PrivateKey::Generate(KeyType::kEcP256));
  SIGIL_ASSIGN_OR_RETURN(PrivateKey leaf_key, PrivateKey::Generate(KeyType::kEcP256));
  SIGIL_ASSIGN_OR_RETURN(Certificate ca, issuer.SignCa({.trust_domain = td, .ttl = absl::Hours(1)},
                                                       ca_key.public_key(), now));
  SIGIL_ASSIGN_OR_RETURN(SpiffeId leaf_id, SpiffeId::FromPath(td, "/trial"));
  SIGIL_ASSIGN_OR_RETURN(SignedCertificate leaf,
                         SignX509Svid({.spiffe_id = leaf_id, .ttl = absl::Minutes(1)},
                                      leaf_key.public_key(), ca, ca_key, now));
  SIGIL_ASSIGN_OR_RETURN(Certificate leaf_cert, leaf.ToCertificate());

  std::vector<Certificate> presented = {leaf_cert, ca};
  presented.insert(presented.end(), chain.begin(), chain.end());
  TrustBundle bundle(td);
  for (const Certificate& root : roots) {
    bundle.AddX509Authority(root);
  }
  return VerifyX509Svid(presented, bundle, now).status();
}

}  // namespace

absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> DiskUpstreamAuthority::Open(
    const DiskUpstreamAuthorityFiles& files, absl::Time now) {
  if (files.cert_file.empty() || files.key_file.empty()) {
    return absl::InvalidArgumentError(
        "upstream_authority needs both cert_file and key_file to be set");
  }
  SIGIL_ASSIGN_OR_RETURN(std::vector<Certificate> certs,
                         ReadCertificates("cert_file", files.cert_file, kMaxChainLength));
  SIGIL_ASSIGN_OR_RETURN(PrivateKey key, ReadKey(files.key_file));
  const Certificate& upstream = certs.front();

  absl::StatusOr<PublicKey> upstream_public = upstream.public_key();
  if (!upstream_public.ok() || !key.Matches(*upstream_public)) {
    return absl::InvalidArgumentError(absl::StrCat(Describe("key_file", files.key_file),
                                                   " is not the key of the certificate in ",
                                                   files.cert_file));
  }
  if (!upstream.IsCa()) {
    return absl::InvalidArgumentError(absl::StrCat(Describe("cert_file", files.cert_file),
                                                   ": the first certificate is not a CA"));
  }
  if (now < upstream.not_before() || now >= upstream.not_after()) {
    return absl::FailedPreconditionError(absl::StrCat(
        Describe("cert_file", files.cert_file), ": the certificate is valid only from ",
        absl::FormatTime(upstream.not_before(), absl::UTCTimeZone()), " to ",
        absl::FormatTime(upstream.not_after(), absl::UTCTimeZone())));
  }
  absl::StatusOr<X509Issuer> issuer = X509Issuer::Create(upstream, key);
  if (!issuer.ok()) {
    return Annotate(issuer.status(), "cert_file", files.cert_file);
  }

  std::vector<Certificate> roots;
  if (files.bundle_file.empty()) {
    // A bundle whose only authority is an intermediate works with verifiers that accept
    // partial chains (sigil's does) but not with openssl or Go, so it is not accepted.
    if (!IsSelfSigned(upstream)) {
      return absl::InvalidArgumentError(
          absl::StrCat(Describe("cert_file", files.cert_file),
                       ": the certificate is not a self-signed root, so bundle_file must name "
                       "the roots it chains to"));
    }
    roots.push_back(upstream);
  } else {
    SIGIL_ASSIGN_OR_RETURN(
        roots, ReadCertificates("bundle_file", files.bundle_file, kMaxBundleCertificates));
  }
  std::vector<Certificate> chain;
  for (const Certificate& cert : certs) {
    if (!Contains(roots, cert)) {
      chain.push_back(cert);
    }
  }

  if (absl::Status trial = CheckChainReachesRoots(*issuer, chain, roots, now); !trial.ok()) {
    const std::string roots_from =
        files.bundle_file.empty() ? std::string("itself") : files.bundle_file;
    return absl::InvalidArgumentError(absl::StrCat(
        Describe("cert_file", files.cert_file), " does not lead to a usable path to the roots in ",
        roots_from, " for a CA it signs: ", trial.message()));
  }
  return std::unique_ptr<DiskUpstreamAuthority>(
      new DiskUpstreamAuthority(*std::move(issuer), std::move(chain), std::move(roots)));
}

absl::StatusOr<MintedX509Ca> DiskUpstreamAuthority::MintX509Ca(const X509CaParams& params,
                                                               const PublicKey& key,
                                                               absl::Time now) {
  SIGIL_ASSIGN_OR_RETURN(Certificate ca, issuer_.SignCa(params, key, now));
  MintedX509Ca minted{.chain = {std::move(ca)}, .upstream_roots = roots_};
  minted.chain.insert(minted.chain.end(), chain_.begin(), chain_.end());
  return minted;
}

}  // namespace sigil::server
