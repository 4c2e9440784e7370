#include "bundle_test_util.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include <openssl/core_names.h>
#include <openssl/x509v3.h>

#include "sigil/base64.h"
#include "sigil/ossl.h"

namespace sigil::testing {
namespace {

[[noreturn]] void Die(std::string_view what) {
  std::cerr << "test setup failed: " << what << "\n";
  std::abort();
}

void AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    Die("adding an extension");
  }
}

}  // namespace

PrivateKey NewKey(KeyType type) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate(type);
  if (!key.ok()) {
    Die(std::string(key.status().message()));
  }
  return *std::move(key);
}

Certificate SelfSigned(const PrivateKey& key, std::string_view td, bool is_ca) {
  static long serial = 1;
  X509Ptr x509(X509_new());
  const std::string name_text(td);
  X509_set_version(x509.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), serial++);
  X509_NAME* name = X509_get_subject_name(x509.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name_text.c_str()), -1, -1, 0);
  X509_set_issuer_name(x509.get(), name);
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), 86400);
  X509_set_pubkey(x509.get(), key.get());
  AddExtension(x509.get(), NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  AddExtension(x509.get(), NID_key_usage,
               is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  AddExtension(x509.get(), NID_subject_alt_name, absl::StrCat("URI:spiffe://", name_text));
  if (X509_sign(x509.get(), key.get(), EVP_sha256()) <= 0) {
    Die("signing a test certificate");
  }
  absl::StatusOr<Certificate> cert = Certificate::FromX509(std::move(x509));
  if (!cert.ok()) {
    Die(std::string(cert.status().message()));
  }
  return *std::move(cert);
}

TestCa NewCa(std::string_view td, KeyType type) {
  PrivateKey key = NewKey(type);
  Certificate cert = SelfSigned(key, td);
  return TestCa{std::move(key), std::move(cert)};
}

EcCoordinates EcCoordinatesOf(const PublicKey& key) {
  unsigned char point[1 + 2 * 66];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                      sizeof(point), &len) != 1 ||
      len % 2 != 1 || point[0] != 0x04) {
    Die("reading an EC point");
  }
  const size_t half = (len - 1) / 2;
  const std::string_view bytes(reinterpret_cast<const char*>(point), len);
  return EcCoordinates{Base64UrlEncode(bytes.substr(1, half)),
                       Base64UrlEncode(bytes.substr(1 + half, half))};
}

}  // namespace sigil::testing
