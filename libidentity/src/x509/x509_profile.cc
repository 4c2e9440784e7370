#include "sigil/x509_profile.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <openssl/x509v3.h>

#include "sigil/ossl.h"
#include "sigil/spiffe_id.h"
#include "sigil/status.h"
#include "x509_facts.h"

namespace sigil {
namespace {

using x509_internal::CertFacts;
using x509_internal::ReadCertFacts;

// Collects problems as "<subject>: <what> (<requirement id>)".
class Findings {
 public:
  explicit Findings(std::vector<std::string>& out) : out_(out) {}

  void Add(std::string_view subject, std::string_view what) {
    out_.push_back(absl::StrCat(AsAbsl(subject), ": ", AsAbsl(what)));
  }

 private:
  std::vector<std::string>& out_;
};

void CheckCommon(const Certificate& cert, const CertFacts& facts, std::string_view who,
                 Findings& findings) {
  if (facts.malformed_extensions) {
    findings.Add(who, "has a malformed or repeated extension");
  }
  if (!facts.has_basic_constraints) {
    findings.Add(who, "has no basicConstraints extension (X509-04)");
  } else if (!facts.basic_constraints_critical) {
    findings.Add(who, "basicConstraints is not critical (X509-04)");
  }
  if (!facts.has_key_usage) {
    findings.Add(who, "has no keyUsage extension (X509-05)");
  } else if (!facts.key_usage_critical) {
    findings.Add(who, "keyUsage is not critical (X509-05)");
  }
  if (facts.subject_empty && facts.san_extension_count > 0 && !facts.san_critical) {
    findings.Add(who, "subject is empty but subjectAltName is not critical (X509-03)");
  }
  if (cert.not_before() >= cert.not_after()) {
    findings.Add(who, "validity window is empty (notBefore is not before notAfter)");
  }
}

void CheckLeaf(const Certificate& leaf, Findings& findings) {
  const CertFacts facts = ReadCertFacts(leaf.get());
  CheckCommon(leaf, facts, "leaf", findings);
  if (facts.uris.empty()) {
    findings.Add("leaf", "has no URI SAN (X509-01, X509-16)");
  } else if (facts.uris.size() > 1) {
    findings.Add("leaf", absl::StrCat("has ", facts.uris.size(),
                                      " URI SANs; exactly one is allowed (X509-01, X509-16)"));
  } else {
    absl::StatusOr<SpiffeId> id = SpiffeId::Parse(facts.uris.front());
    if (!id.ok()) {
      findings.Add("leaf", absl::StrCat("URI SAN is not a SPIFFE ID: ", id.status().message(),
                                        " (X509-17)"));
    } else if (id->IsTrustDomainId()) {
      findings.Add("leaf", absl::StrCat("SPIFFE ID ", id->str(),
                                        " has no path; a leaf needs a workload path (X509-18)"));
    }
  }
  if (facts.is_ca) {
    findings.Add("leaf", "is a CA (basicConstraints cA=true) (X509-14)");
  }
  if ((facts.key_usage & KU_KEY_CERT_SIGN) != 0) {
    findings.Add("leaf", "keyUsage includes keyCertSign (X509-15)");
  }
  if ((facts.key_usage & KU_CRL_SIGN) != 0) {
    findings.Add("leaf", "keyUsage includes cRLSign (X509-15)");
  }
  if (facts.has_key_usage && (facts.key_usage & KU_DIGITAL_SIGNATURE) == 0) {
    findings.Add("leaf", "keyUsage lacks digitalSignature (X509-06)");
  }
  if (facts.has_extended_key_usage && !(facts.server_auth && facts.client_auth)) {
    findings.Add("leaf", "extKeyUsage lacks serverAuth or clientAuth (X509-08)");
  }
}

void CheckCa(const Certificate& ca, std::string_view who, Findings& findings) {
  const CertFacts facts = ReadCertFacts(ca.get());
  CheckCommon(ca, facts, who, findings);
  if (facts.has_basic_constraints && !facts.is_ca) {
    findings.Add(who, "is not a CA (basicConstraints cA=false) (X509-04)");
  }
  if (facts.has_key_usage && (facts.key_usage & KU_KEY_CERT_SIGN) == 0) {
    findings.Add(who, "keyUsage lacks keyCertSign (X509-07)");
  }
  if ((facts.key_usage & KU_DIGITAL_SIGNATURE) != 0) {
    findings.Add(who,
                 "keyUsage includes digitalSignature, which a signing certificate should "
                 "not have (X509-07)");
  }
  if (facts.uris.size() > 1) {
    findings.Add(who, absl::StrCat("has ", facts.uris.size(), " URI SANs (X509-09)"));
  }
  for (const std::string& uri : facts.uris) {
    absl::StatusOr<SpiffeId> id = SpiffeId::Parse(uri);
    if (!id.ok()) {
      findings.Add(
          who, absl::StrCat("URI SAN is not a SPIFFE ID: ", id.status().message(), " (X509-09)"));
    } else if (!id->IsTrustDomainId()) {
      findings.Add(who, absl::StrCat("SPIFFE ID ", id->str(),
                                     " has a path; a signing certificate's must not (X509-09)"));
    }
  }
}

// How certificate `i` relates to the certificate after it, which should be its issuer.
void CheckLink(absl::Span<const Certificate> chain, size_t i, Findings& findings) {
  const Certificate& child = chain[i];
  const Certificate& issuer = chain[i + 1];
  const std::string who = i == 0 ? "leaf" : absl::StrCat("certificate ", i);
  const std::string issuer_name = absl::StrCat("certificate ", i + 1);
  if (X509_NAME_cmp(X509_get_issuer_name(child.get()), X509_get_subject_name(issuer.get())) != 0) {
    findings.Add(who, absl::StrCat("issuer name does not match the subject of ", issuer_name));
    return;
  }
  EVP_PKEY* issuer_key = X509_get0_pubkey(issuer.get());
  if (issuer_key == nullptr || X509_verify(child.get(), issuer_key) != 1) {
    findings.Add(who, absl::StrCat("signature does not verify with the key of ", issuer_name));
  }
  ClearCryptoErrors();
  if (child.not_after() > issuer.not_after()) {
    findings.Add(who, absl::StrCat("notAfter is later than the notAfter of ", issuer_name));
  }
}

void CheckLeafDomain(const Certificate& leaf, const Certificate& issuer, Findings& findings) {
  absl::StatusOr<SpiffeId> leaf_id = [&]() -> absl::StatusOr<SpiffeId> {
    const std::vector<std::string> uris = ReadCertFacts(leaf.get()).uris;
    return uris.size() == 1 ? SpiffeId::Parse(uris.front())
                            : absl::InvalidArgumentError("no single URI");
  }();
  const std::vector<std::string> issuer_uris = ReadCertFacts(issuer.get()).uris;
  if (!leaf_id.ok() || issuer_uris.size() != 1) {
    return;
  }
  absl::StatusOr<SpiffeId> issuer_id = SpiffeId::Parse(issuer_uris.front());
  if (issuer_id.ok() && !leaf_id->MemberOf(issuer_id->trust_domain())) {
    findings.Add("leaf", absl::StrCat("trust domain ", leaf_id->trust_domain().name(),
                                      " differs from its signing CA's ",
                                      issuer_id->trust_domain().name(), " (X509-09)"));
  }
}

}  // namespace

std::vector<std::string> CheckX509SvidProfile(absl::Span<const Certificate> chain) {
  std::vector<std::string> out;
  Findings findings(out);
  if (chain.empty()) {
    out.push_back("chain is empty");
    return out;
  }
  CheckLeaf(chain.front(), findings);
  if (chain.size() > 1) {
    CheckLeafDomain(chain[0], chain[1], findings);
    CheckLink(chain, 0, findings);
  }
  for (size_t i = 1; i < chain.size(); ++i) {
    CheckCa(chain[i], absl::StrCat("certificate ", i), findings);
    if (i + 1 < chain.size()) {
      CheckLink(chain, i, findings);
    }
  }
  return out;
}

std::vector<std::string> CheckX509CaProfile(const Certificate& ca) {
  std::vector<std::string> out;
  Findings findings(out);
  CheckCa(ca, "CA", findings);
  return out;
}

}  // namespace sigil
