#include "attestors/node/x509pop_test_certs.h"

#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include <openssl/x509v3.h>

#include "sigil/ossl.h"
#include "sigil/status.h"

namespace sigil::attestors::testing {
namespace {

int64_t g_serial = 1000;

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return CryptoError(absl::StrCat("test cert: extension ", OBJ_nid2sn(nid)));
  }
  return absl::OkStatus();
}

// Builds and signs a certificate; `issuer` null means self-signed.
absl::StatusOr<Certificate> Build(const std::string& cn, const PrivateKey& subject_key,
                                  const TestCa* issuer, absl::Time not_before, absl::Time not_after,
                                  const std::vector<std::pair<int, std::string>>& extensions) {
  X509Ptr cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return CryptoError("test cert: new");
  }
  ASN1_INTEGER_set_int64(X509_get_serialNumber(cert.get()), ++g_serial);
  X509NamePtr name(X509_NAME_new());
  X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Sigil Test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_subject_name(cert.get(), name.get());
  X509_set_issuer_name(cert.get(),
                       issuer != nullptr ? X509_get_subject_name(issuer->cert.get()) : name.get());
  ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                static_cast<time_t>(absl::ToUnixSeconds(not_before)));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                static_cast<time_t>(absl::ToUnixSeconds(not_after)));
  X509_set_pubkey(cert.get(), subject_key.get());
  for (const auto& [nid, value] : extensions) {
    SIGIL_RETURN_IF_ERROR(
        AddExtension(cert.get(), issuer != nullptr ? issuer->cert.get() : cert.get(), nid, value));
  }
  const PrivateKey& signer = issuer != nullptr ? issuer->key : subject_key;
  if (X509_sign(cert.get(), signer.get(), EVP_sha256()) <= 0) {
    return CryptoError("test cert: sign");
  }
  return Certificate::FromX509(std::move(cert));
}

}  // namespace

absl::StatusOr<TestCa> MakeTestRootCa(const std::string& common_name, absl::Time now,
                                      KeyType key_type) {
  SIGIL_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate(key_type));
  SIGIL_ASSIGN_OR_RETURN(Certificate cert, Build(common_name, key, nullptr, now - absl::Hours(1),
                                                 now + absl::Hours(24 * 3650),
                                                 {{NID_basic_constraints, "critical,CA:TRUE"},
                                                  {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                                  {NID_subject_key_identifier, "hash"}}));
  return TestCa{std::move(cert), std::move(key)};
}

absl::StatusOr<TestCa> MakeTestIntermediateCa(const TestCa& parent, const std::string& common_name,
                                              absl::Time now) {
  SIGIL_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate(KeyType::kEcP256));
  SIGIL_ASSIGN_OR_RETURN(Certificate cert, Build(common_name, key, &parent, now - absl::Hours(1),
                                                 now + absl::Hours(24 * 365),
                                                 {{NID_basic_constraints, "critical,CA:TRUE"},
                                                  {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                                  {NID_subject_key_identifier, "hash"},
                                                  {NID_authority_key_identifier, "keyid:always"}}));
  return TestCa{std::move(cert), std::move(key)};
}

absl::StatusOr<TestNode> MakeTestNode(const TestCa& issuer, absl::Time now,
                                      const NodeCertOptions& options,
                                      const std::vector<Certificate>& intermediates) {
  SIGIL_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate(options.key_type));
  std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, options.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE"},
      {NID_key_usage,
       options.is_ca ? "critical,digitalSignature,keyCertSign" : "critical,digitalSignature"},
      {NID_ext_key_usage, options.server_auth_only ? "serverAuth" : "clientAuth"},
      {NID_authority_key_identifier, "keyid:always"},
  };
  if (!options.dns_names.empty()) {
    std::vector<std::string> sans;
    for (const std::string& name : options.dns_names) {
      sans.push_back("DNS:" + name);
    }
    extensions.push_back({NID_subject_alt_name, absl::StrJoin(sans, ",")});
  }
  SIGIL_ASSIGN_OR_RETURN(Certificate cert,
                         Build(options.common_name, key, &issuer, now - options.valid_before,
                               now + options.valid_after, extensions));
  TestNode node{{std::move(cert)}, std::move(key)};
  node.chain.insert(node.chain.end(), intermediates.begin(), intermediates.end());
  return node;
}

}  // namespace sigil::attestors::testing
