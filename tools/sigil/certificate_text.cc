#include "certificate_text.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sigil/ossl.h"

namespace sigil::cli {
namespace {

using ExtendedKeyUsagePtr = std::unique_ptr<EXTENDED_KEY_USAGE, OsslFree<&EXTENDED_KEY_USAGE_free>>;

std::string NameText(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || name == nullptr) {
    ClearCryptoErrors();
    return "";
  }
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    ClearCryptoErrors();
    return "(unprintable name)";
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

}  // namespace

std::string SubjectName(const Certificate& cert) {
  return NameText(X509_get_subject_name(cert.get()));
}

std::string IssuerName(const Certificate& cert) {
  return NameText(X509_get_issuer_name(cert.get()));
}

std::vector<std::string> KeyUsageNames(const Certificate& cert) {
  static constexpr struct {
    uint32_t bit;
    const char* name;
  } kUsages[] = {
      {KU_DIGITAL_SIGNATURE, "digitalSignature"},
      {KU_NON_REPUDIATION, "contentCommitment"},
      {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
      {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
      {KU_KEY_AGREEMENT, "keyAgreement"},
      {KU_KEY_CERT_SIGN, "keyCertSign"},
      {KU_CRL_SIGN, "cRLSign"},
      {KU_ENCIPHER_ONLY, "encipherOnly"},
      {KU_DECIPHER_ONLY, "decipherOnly"},
  };
  std::vector<std::string> names;
  // X509_get_key_usage reports UINT32_MAX when the extension is absent.
  const uint32_t usage = X509_get_key_usage(cert.get());
  if (usage == UINT32_MAX) {
    return names;
  }
  for (const auto& u : kUsages) {
    if ((usage & u.bit) != 0) {
      names.emplace_back(u.name);
    }
  }
  return names;
}

std::vector<std::string> ExtendedKeyUsageNames(const Certificate& cert) {
  std::vector<std::string> names;
  int critical = 0;
  ExtendedKeyUsagePtr eku(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert.get(), NID_ext_key_usage, &critical, nullptr)));
  if (eku == nullptr) {
    ClearCryptoErrors();
    return names;
  }
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    const ASN1_OBJECT* oid = sk_ASN1_OBJECT_value(eku.get(), i);
    const int nid = OBJ_obj2nid(oid);
    if (nid == NID_server_auth) {
      names.emplace_back("serverAuth");
    } else if (nid == NID_client_auth) {
      names.emplace_back("clientAuth");
    } else {
      char text[128];
      OBJ_obj2txt(text, sizeof(text), oid, 1);
      names.emplace_back(text);
    }
  }
  return names;
}

}  // namespace sigil::cli
