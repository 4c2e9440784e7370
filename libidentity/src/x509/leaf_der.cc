#include "leaf_der.h"

#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>
#include <openssl/objects.h>

#include "der.h"
#include "sigil/ossl.h"
#include "sigil/status.h"

namespace sigil::x509_internal {
namespace {

int SignatureNid(KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
      return NID_ecdsa_with_SHA256;
    case KeyType::kEcP384:
      return NID_ecdsa_with_SHA384;
    case KeyType::kEcP521:
      return NID_ecdsa_with_SHA512;
    default:
      return NID_sha256WithRSAEncryption;
  }
}

// Encodes an OpenSSL-owned structure with its i2d function.
template <typename T>
absl::StatusOr<std::string> I2d(int (*i2d)(const T*, unsigned char**), const T* value,
                                std::string_view what) {
  unsigned char* out = nullptr;
  const int length = i2d(value, &out);
  if (length <= 0) {
    return CryptoError(what);
  }
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(length));
  OPENSSL_free(out);
  return der;
}

absl::StatusOr<std::string> Sign(std::string_view tbs, const PrivateKey& key, const EVP_MD* md) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key.get()) != 1) {
    return CryptoError("initialising the certificate signature");
  }
  std::string signature(static_cast<size_t>(EVP_PKEY_get_size(key.get())), '\0');
  size_t length = signature.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(tbs.data()), tbs.size()) != 1) {
    return CryptoError("signing a certificate");
  }
  signature.resize(length);
  return signature;
}

}  // namespace

absl::StatusOr<LeafTemplate> MakeLeafTemplate(X509* ca_cert, KeyType ca_key_type,
                                              absl::Span<const X509_EXTENSION* const> fixed) {
  LeafTemplate tmpl;
  SIGIL_ASSIGN_OR_RETURN(tmpl.issuer_name_der, I2d(i2d_X509_NAME, X509_get_subject_name(ca_cert),
                                                   "encoding the issuer name"));
  const int signature_nid = SignatureNid(ca_key_type);
  std::string algorithm = OidDer(signature_nid);
  if (signature_nid == NID_sha256WithRSAEncryption) {
    AppendDer(algorithm, kDerNull, "");  // RFC 4055: RSA PKCS#1 v1.5 carries NULL parameters
  }
  tmpl.signature_algorithm_der = Der(kDerSequence, algorithm);
  for (const X509_EXTENSION* ext : fixed) {
    SIGIL_ASSIGN_OR_RETURN(std::string der,
                           I2d(i2d_X509_EXTENSION, ext, "encoding a leaf extension"));
    tmpl.fixed_extensions_der += der;
  }
  return tmpl;
}

std::string EncodeSpki(const SpkiParts& parts) {
  std::string algorithm = OidDer(parts.algorithm_nid);
  if (parts.algorithm_nid == NID_X9_62_id_ecPublicKey) {
    algorithm += OidDer(parts.curve_nid);
  } else {
    AppendDer(algorithm, kDerNull, "");
  }
  std::string spki = Der(kDerSequence, algorithm);
  spki += DerBitString(parts.key_bits);
  return Der(kDerSequence, spki);
}

absl::StatusOr<std::string> EncodeAndSignLeaf(const LeafTemplate& tmpl, const LeafFields& fields,
                                              const PrivateKey& ca_key, const EVP_MD* md) {
  // OIDs are looked up once per process.
  static const std::string* const kSubjectKeyIdOid =
      new std::string(OidDer(NID_subject_key_identifier));
  static const std::string* const kSubjectAltNameOid =
      new std::string(OidDer(NID_subject_alt_name));

  std::string names;
  AppendDer(names, kDerUri, fields.uri);
  for (const std::string& dns : *fields.dns_names) {
    AppendDer(names, kDerDnsName, dns);
  }
  std::string extensions = tmpl.fixed_extensions_der;
  extensions += DerExtension(*kSubjectKeyIdOid, false, Der(kDerOctetString, fields.key_id));
  extensions += DerExtension(*kSubjectAltNameOid, fields.san_critical, Der(kDerSequence, names));

  SIGIL_ASSIGN_OR_RETURN(std::string not_before, DerTime(fields.not_before));
  SIGIL_ASSIGN_OR_RETURN(std::string not_after, DerTime(fields.not_after));

  std::string tbs;
  tbs.reserve(640);
  AppendDer(tbs, kDerExplicit0, Der(kDerInteger, "\x02"));  // v3
  AppendDer(tbs, kDerInteger, fields.serial);
  tbs += tmpl.signature_algorithm_der;
  tbs += tmpl.issuer_name_der;
  AppendDer(tbs, kDerSequence, not_before + not_after);
  tbs += fields.subject_der;
  tbs += EncodeSpki(*fields.spki);
  AppendDer(tbs, kDerExplicit3, Der(kDerSequence, extensions));
  tbs = Der(kDerSequence, tbs);

  SIGIL_ASSIGN_OR_RETURN(std::string signature, Sign(tbs, ca_key, md));
  std::string cert = std::move(tbs);
  cert += tmpl.signature_algorithm_der;
  cert += DerBitString(signature);
  return Der(kDerSequence, cert);
}

}  // namespace sigil::x509_internal
