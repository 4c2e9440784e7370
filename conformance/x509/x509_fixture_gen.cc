// Writes X.509-SVID fixtures made by Sigil into a directory, for independent verifiers (the
// openssl command, Python's cryptography, Go's crypto/x509) to check:
//
//   x509_fixture_gen <dir>      (the directory is created when missing)
//
//   bundle.pem              the example.org root CA (P-256, self-signed), the trust anchor
//   root.pem                the same root
//   inter.pem               an intermediate CA of example.org signed by the root
//   leaf.pem                spiffe://example.org/workload signed by the root, empty subject
//   leaf_dns.pem            spiffe://example.org/web with DNS SANs web.example.org and
//                           api.example.org, signed by the root
//   leaf_inter.pem          spiffe://example.org/workload signed by the intermediate
//   leaf_spki.pem           spiffe://example.org/workload signed from the SPKI DER path
//   root_p384.pem, leaf_p384.pem   the same profile with P-384 keys and ECDSA-SHA384
//   leaf_rsa.pem            an RSA-2048 subject key signed by the P-256 root
//   foreign_root.pem        another root CA of example.org, not in the bundle
//   foreign_leaf.pem        spiffe://example.org/workload signed by the foreign root
//   tampered_sig.pem        leaf.pem with one signature byte flipped
//   tampered_tbs.pem        leaf.pem with its SPIFFE ID changed after signing
//
// Certificates are issued at the wall-clock time of the run, so verifiers check them at their
// own current time. Private keys are not written: no check needs them.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include "sigil/certificate.h"
#include "sigil/keys.h"
#include "sigil/spiffe_id.h"
#include "sigil/status.h"
#include "sigil/x509_issuer.h"

namespace sigil {
namespace {

absl::Status WriteFile(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) {
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

absl::Status WritePem(const std::string& dir, const std::string& name,
                      const std::vector<Certificate>& certs) {
  return WriteFile(absl::StrCat(dir, "/", name), ConcatPem(certs));
}

absl::StatusOr<Certificate> Leaf(const X509Issuer& issuer, std::string_view id,
                                 const PublicKey& key, absl::Time now,
                                 std::vector<std::string> dns_names = {}) {
  SIGIL_ASSIGN_OR_RETURN(SpiffeId spiffe_id, SpiffeId::Parse(id));
  SIGIL_ASSIGN_OR_RETURN(
      SignedCertificate leaf,
      issuer.SignSvid({.spiffe_id = spiffe_id, .dns_names = std::move(dns_names)}, key, now));
  return leaf.ToCertificate();
}

// Changes one byte inside the DER of `cert` at the first occurrence of `from`.
absl::StatusOr<Certificate> Tamper(const Certificate& cert, std::string_view from,
                                   std::string_view to) {
  std::string der = cert.der();
  const size_t at = der.find(from);
  if (at == std::string::npos || from.size() != to.size()) {
    return absl::InternalError("tamper target not found");
  }
  der.replace(at, from.size(), to);
  return Certificate::FromDer(der);
}

absl::Status Generate(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  }
  const absl::Time now = absl::Now();
  SIGIL_ASSIGN_OR_RETURN(TrustDomain td, TrustDomain::FromString("example.org"));

  SIGIL_ASSIGN_OR_RETURN(PrivateKey root_key, PrivateKey::Generate(KeyType::kEcP256));
  SIGIL_ASSIGN_OR_RETURN(Certificate root, SelfSignX509Ca({.trust_domain = td}, root_key, now));
  SIGIL_ASSIGN_OR_RETURN(X509Issuer root_issuer, X509Issuer::Create(root, root_key));
  SIGIL_ASSIGN_OR_RETURN(PrivateKey inter_key, PrivateKey::Generate(KeyType::kEcP256));
  SIGIL_ASSIGN_OR_RETURN(Certificate inter,
                         root_issuer.SignCa({.trust_domain = td, .ttl = absl::Hours(12)},
                                            inter_key.public_key(), now));
  SIGIL_ASSIGN_OR_RETURN(X509Issuer inter_issuer, X509Issuer::Create(inter, inter_key));

  SIGIL_ASSIGN_OR_RETURN(PrivateKey leaf_key, PrivateKey::Generate(KeyType::kEcP256));
  const PublicKey pub = leaf_key.public_key();
  SIGIL_ASSIGN_OR_RETURN(Certificate leaf,
                         Leaf(root_issuer, "spiffe://example.org/workload", pub, now));
  SIGIL_ASSIGN_OR_RETURN(Certificate leaf_dns, Leaf(root_issuer, "spiffe://example.org/web", pub,
                                                    now, {"web.example.org", "api.example.org"}));
  SIGIL_ASSIGN_OR_RETURN(Certificate leaf_inter,
                         Leaf(inter_issuer, "spiffe://example.org/workload", pub, now));
  SIGIL_ASSIGN_OR_RETURN(SpiffeId workload, SpiffeId::Parse("spiffe://example.org/workload"));
  SIGIL_ASSIGN_OR_RETURN(
      SignedCertificate leaf_spki_signed,
      root_issuer.SignSvidForSpki({.spiffe_id = workload}, pub.ToSpkiDer(), now));
  SIGIL_ASSIGN_OR_RETURN(Certificate leaf_spki, leaf_spki_signed.ToCertificate());

  SIGIL_ASSIGN_OR_RETURN(PrivateKey root384_key, PrivateKey::Generate(KeyType::kEcP384));
  SIGIL_ASSIGN_OR_RETURN(Certificate root384,
                         SelfSignX509Ca({.trust_domain = td}, root384_key, now));
  SIGIL_ASSIGN_OR_RETURN(X509Issuer issuer384, X509Issuer::Create(root384, root384_key));
  SIGIL_ASSIGN_OR_RETURN(PrivateKey leaf384_key, PrivateKey::Generate(KeyType::kEcP384));
  SIGIL_ASSIGN_OR_RETURN(Certificate leaf384, Leaf(issuer384, "spiffe://example.org/workload",
                                                   leaf384_key.public_key(), now));
  SIGIL_ASSIGN_OR_RETURN(PrivateKey rsa_key, PrivateKey::Generate(KeyType::kRsa2048));
  SIGIL_ASSIGN_OR_RETURN(Certificate leaf_rsa, Leaf(root_issuer, "spiffe://example.org/workload",
                                                    rsa_key.public_key(), now));

  SIGIL_ASSIGN_OR_RETURN(PrivateKey foreign_key, PrivateKey::Generate(KeyType::kEcP256));
  SIGIL_ASSIGN_OR_RETURN(Certificate foreign_root,
                         SelfSignX509Ca({.trust_domain = td}, foreign_key, now));
  SIGIL_ASSIGN_OR_RETURN(X509Issuer foreign_issuer, X509Issuer::Create(foreign_root, foreign_key));
  SIGIL_ASSIGN_OR_RETURN(Certificate foreign_leaf,
                         Leaf(foreign_issuer, "spiffe://example.org/workload", pub, now));

  // The signature BIT STRING ends the certificate, so its last byte is signature material.
  std::string sig_der = leaf.der();
  sig_der.back() = static_cast<char>(sig_der.back() ^ 0x01);
  SIGIL_ASSIGN_OR_RETURN(Certificate tampered_sig, Certificate::FromDer(sig_der));
  SIGIL_ASSIGN_OR_RETURN(Certificate tampered_tbs,
                         Tamper(leaf, "example.org/workload", "example.org/workloaf"));

  const std::vector<std::pair<std::string, std::vector<Certificate>>> files = {
      {"bundle.pem", {root}},
      {"root.pem", {root}},
      {"inter.pem", {inter}},
      {"leaf.pem", {leaf}},
      {"leaf_dns.pem", {leaf_dns}},
      {"leaf_inter.pem", {leaf_inter}},
      {"leaf_spki.pem", {leaf_spki}},
      {"root_p384.pem", {root384}},
      {"leaf_p384.pem", {leaf384}},
      {"leaf_rsa.pem", {leaf_rsa}},
      {"foreign_root.pem", {foreign_root}},
      {"foreign_leaf.pem", {foreign_leaf}},
      {"tampered_sig.pem", {tampered_sig}},
      {"tampered_tbs.pem", {tampered_tbs}},
  };
  for (const auto& [name, certs] : files) {
    SIGIL_RETURN_IF_ERROR(WritePem(dir, name, certs));
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace sigil

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output dir>\n", argv[0]);
    return 2;
  }
  const absl::Status status = sigil::Generate(argv[1]);
  if (!status.ok()) {
    std::fprintf(stderr, "x509_fixture_gen: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
