#include "sigil/x509_svid.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include <openssl/x509v3.h>

#include "sigil/status.h"
#include "x509_facts.h"

namespace sigil {
namespace {

using x509_internal::CertFacts;
using x509_internal::ReadCertFacts;

bool LooksLikePem(std::string_view data) {
  const size_t first = data.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && data.substr(first, 10) == "-----BEGIN";
}

// The leaf rules shared by parsing and verification, applied to facts already read.
absl::StatusOr<SpiffeId> LeafIdFromFacts(const CertFacts& facts) {
  if (facts.malformed_extensions) {
    return absl::InvalidArgumentError("leaf has a malformed or repeated extension");
  }
  if (facts.is_ca) {
    return absl::InvalidArgumentError("leaf is a CA (basicConstraints cA=true)");  // X509-14
  }
  if ((facts.key_usage & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) != 0) {  // X509-15
    return absl::InvalidArgumentError(
        absl::StrCat("leaf key usage includes ",
                     (facts.key_usage & KU_KEY_CERT_SIGN) != 0 ? "keyCertSign" : "cRLSign"));
  }
  if (facts.uris.size() != 1) {  // X509-16
    return absl::InvalidArgumentError(
        facts.uris.empty() ? std::string("leaf has no URI SAN")
                           : absl::StrCat("leaf has ", facts.uris.size(),
                                          " URI SANs, an X509-SVID has exactly one"));
  }
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(facts.uris.front());
  if (!id.ok()) {  // X509-17
    return absl::InvalidArgumentError(
        absl::StrCat("leaf URI SAN is not a SPIFFE ID: ", id.status().message()));
  }
  if (id->IsTrustDomainId()) {  // X509-18, ID-23
    return absl::InvalidArgumentError(absl::StrCat(
        "leaf SPIFFE ID ", id->str(), " has no path: a trust domain ID is not a workload ID"));
  }
  return id;
}

}  // namespace

absl::StatusOr<SpiffeId> X509SvidLeafId(const Certificate& leaf) {
  return LeafIdFromFacts(ReadCertFacts(leaf.get()));
}

absl::StatusOr<X509Svid> X509Svid::FromWorkloadApi(std::string_view chain_der,
                                                   std::string_view key_der, std::string hint) {
  // X509-24: the Workload API carries DER only. Naming PEM explicitly helps whoever produced it.
  if (LooksLikePem(chain_der)) {
    return absl::InvalidArgumentError(
        "x509_svid is PEM; the Workload API carries concatenated DER certificates");
  }
  if (LooksLikePem(key_der)) {
    return absl::InvalidArgumentError("x509_svid_key is PEM; the Workload API carries PKCS#8 DER");
  }
  absl::StatusOr<std::vector<Certificate>> chain = ParseDerCertificates(chain_der);
  if (!chain.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("x509_svid: ", chain.status().message()));
  }
  absl::StatusOr<PrivateKey> key = PrivateKey::FromPkcs8Der(key_der);
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("x509_svid_key: ", key.status().message()));
  }
  return FromParts(*std::move(chain), *std::move(key), std::move(hint));
}

absl::StatusOr<X509Svid> X509Svid::Parse(std::string_view chain_der_or_pem,
                                         std::string_view key_der_or_pem) {
  absl::StatusOr<std::vector<Certificate>> chain = ParseCertificates(chain_der_or_pem);
  if (!chain.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("SVID certificates: ", chain.status().message()));
  }
  absl::StatusOr<PrivateKey> key = LooksLikePem(key_der_or_pem)
                                       ? PrivateKey::FromPkcs8Pem(key_der_or_pem)
                                       : PrivateKey::FromPkcs8Der(key_der_or_pem);
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("SVID key: ", key.status().message()));
  }
  return FromParts(*std::move(chain), *std::move(key));
}

absl::StatusOr<X509Svid> X509Svid::FromParts(std::vector<Certificate> chain, PrivateKey key,
                                             std::string hint) {
  if (chain.empty()) {
    return absl::InvalidArgumentError("SVID has no certificates");
  }
  if (chain.size() > kMaxChainLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SVID has ", chain.size(), " certificates, more than the limit of ", kMaxChainLength));
  }
  if (hint.size() > kMaxX509SvidHintLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SVID hint is ", hint.size(), " bytes, more than the limit of ", kMaxX509SvidHintLength));
  }

  const CertFacts leaf = ReadCertFacts(chain.front().get());
  SIGIL_ASSIGN_OR_RETURN(SpiffeId id, LeafIdFromFacts(leaf));
  if (!leaf.has_key_usage) {  // X509-25
    return absl::InvalidArgumentError("leaf has no keyUsage extension");
  }
  if ((leaf.key_usage & KU_DIGITAL_SIGNATURE) == 0) {
    return absl::InvalidArgumentError("leaf key usage lacks digitalSignature");
  }
  for (size_t i = 1; i < chain.size(); ++i) {
    const CertFacts ca = ReadCertFacts(chain[i].get());
    if (!ca.is_ca) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificate ", i, " of the SVID chain is not a CA"));
    }
    if ((ca.key_usage & KU_KEY_CERT_SIGN) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificate ", i, " of the SVID chain lacks keyCertSign"));
    }
  }

  absl::StatusOr<PublicKey> leaf_key = chain.front().public_key();
  if (!leaf_key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaf public key: ", leaf_key.status().message()));
  }
  if (!key.Matches(*leaf_key)) {
    return absl::InvalidArgumentError("private key does not match the leaf certificate");
  }
  return X509Svid(std::move(id), std::move(chain), std::move(key), std::move(hint));
}

}  // namespace sigil
