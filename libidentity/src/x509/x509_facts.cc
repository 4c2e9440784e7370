#include "x509_facts.h"

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include <openssl/x509v3.h>

#include "sigil/ossl.h"

namespace sigil::x509_internal {
namespace {

// Index of the only extension `nid`, -1 when absent; counts every occurrence into `*count`.
int FindExtension(X509* cert, int nid, int* count) {
  *count = 0;
  int found = -1;
  for (int i = X509_get_ext_by_NID(cert, nid, -1); i >= 0; i = X509_get_ext_by_NID(cert, nid, i)) {
    ++*count;
    if (found < 0) {
      found = i;
    }
  }
  return found;
}

bool IsCritical(X509* cert, int index) {
  return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, index)) == 1;
}

void ReadSubjectAltNames(X509* cert, int index, CertFacts& facts) {
  if (index < 0) {
    return;
  }
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(X509_get_ext(cert, index))));
  if (names == nullptr) {
    ClearCryptoErrors();
    facts.malformed_extensions = true;
    return;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI && name->type != GEN_DNS) {
      continue;
    }
    // Both are IA5String; the length is explicit, so an embedded NUL is kept and later
    // rejected by SPIFFE ID validation instead of truncating the name (ID-19).
    const ASN1_STRING* s =
        name->type == GEN_URI ? name->d.uniformResourceIdentifier : name->d.dNSName;
    std::string value(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                      static_cast<size_t>(ASN1_STRING_length(s)));
    (name->type == GEN_URI ? facts.uris : facts.dns_names).push_back(std::move(value));
  }
}

}  // namespace

CertFacts ReadCertFacts(X509* cert) {
  CertFacts facts;
  // X509_get_extension_flags decodes and caches basicConstraints, keyUsage and extKeyUsage.
  const uint32_t flags = X509_get_extension_flags(cert);
  facts.malformed_extensions = (flags & EXFLAG_INVALID) != 0;

  int count = 0;
  const int bc = FindExtension(cert, NID_basic_constraints, &count);
  facts.malformed_extensions |= count > 1;
  facts.has_basic_constraints = (flags & EXFLAG_BCONS) != 0;
  facts.basic_constraints_critical = IsCritical(cert, bc);
  facts.is_ca = (flags & EXFLAG_CA) != 0;
  facts.path_len = facts.is_ca ? X509_get_pathlen(cert) : -1;

  const int ku = FindExtension(cert, NID_key_usage, &count);
  facts.malformed_extensions |= count > 1;
  facts.has_key_usage = (flags & EXFLAG_KUSAGE) != 0;
  facts.key_usage_critical = IsCritical(cert, ku);
  facts.key_usage = facts.has_key_usage ? X509_get_key_usage(cert) : 0;

  FindExtension(cert, NID_ext_key_usage, &count);
  facts.malformed_extensions |= count > 1;
  facts.has_extended_key_usage = (flags & EXFLAG_XKUSAGE) != 0;
  if (facts.has_extended_key_usage) {
    const uint32_t xku = X509_get_extended_key_usage(cert);
    facts.server_auth = (xku & XKU_SSL_SERVER) != 0;
    facts.client_auth = (xku & XKU_SSL_CLIENT) != 0;
  }

  const int san = FindExtension(cert, NID_subject_alt_name, &facts.san_extension_count);
  facts.malformed_extensions |= facts.san_extension_count > 1;
  facts.san_critical = IsCritical(cert, san);
  ReadSubjectAltNames(cert, san, facts);

  facts.subject_empty = X509_NAME_entry_count(X509_get_subject_name(cert)) == 0;
  ClearCryptoErrors();
  return facts;
}

std::string DescribeKeyUsage(uint32_t key_usage) {
  static constexpr struct {
    uint32_t bit;
    const char* name;
  } kBits[] = {
      {KU_DIGITAL_SIGNATURE, "digitalSignature"},
      {KU_NON_REPUDIATION, "nonRepudiation"},
      {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
      {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
      {KU_KEY_AGREEMENT, "keyAgreement"},
      {KU_KEY_CERT_SIGN, "keyCertSign"},
      {KU_CRL_SIGN, "cRLSign"},
      {KU_ENCIPHER_ONLY, "encipherOnly"},
      {KU_DECIPHER_ONLY, "decipherOnly"},
  };
  std::vector<std::string> names;
  for (const auto& entry : kBits) {
    if ((key_usage & entry.bit) != 0) {
      names.emplace_back(entry.name);
    }
  }
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

}  // namespace sigil::x509_internal
