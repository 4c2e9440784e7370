#include "x509_test_util.h"

#include <string>
#include <utility>
#include <vector>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "sigil/ossl.h"
#include "sigil/x509_issuer.h"

namespace sigil::x509_test {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "raw certificate step failed: %s\n", what);
    std::abort();
  }
}

void AddConfExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  Check(ext != nullptr, OBJ_nid2sn(nid));
  Check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

void AddSubjectAltName(X509* cert, const RawCertSpec& spec) {
  if (spec.uris.empty() && spec.dns_names.empty()) {
    return;
  }
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  auto add = [&](int type, const std::string& value) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    ASN1_STRING_set(text, value.data(), static_cast<int>(value.size()));
    GENERAL_NAME_set0_value(name, type, text);
    sk_GENERAL_NAME_push(names.get(), name);
  };
  for (const std::string& uri : spec.uris) {
    add(GEN_URI, uri);
  }
  for (const std::string& dns : spec.dns_names) {
    add(GEN_DNS, dns);
  }
  Check(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), spec.san_critical ? 1 : 0,
                          X509V3_ADD_DEFAULT) == 1,
        "subjectAltName");
}

void AddUnknownCriticalExtension(X509* cert) {
  // A private-enterprise OID no verifier knows, carrying a DER NULL.
  std::unique_ptr<ASN1_OBJECT, OsslFree<&ASN1_OBJECT_free>> oid(
      OBJ_txt2obj("1.3.6.1.4.1.55555.1.1", 1));
  Asn1OctetStringPtr value(ASN1_OCTET_STRING_new());
  static const unsigned char kNull[] = {0x05, 0x00};
  ASN1_OCTET_STRING_set(value.get(), kNull, sizeof(kNull));
  X509ExtensionPtr ext(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 1, value.get()));
  Check(ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1, "unknown extension");
}

std::string Critical(bool critical, const std::string& value) {
  return critical ? "critical," + value : value;
}

}  // namespace

TrustDomain Td(std::string_view name) { return Must(TrustDomain::FromString(name)); }

SpiffeId Id(std::string_view id) { return Must(SpiffeId::Parse(id)); }

PrivateKey NewKey(KeyType type) { return Must(PrivateKey::Generate(type)); }

TestCa NewRootCa(const TrustDomain& td, KeyType type) {
  PrivateKey key = NewKey(type);
  Certificate cert = Must(SelfSignX509Ca({.trust_domain = td}, key, kNow));
  return TestCa{std::move(key), std::move(cert)};
}

TestCa NewIntermediateCa(const TestCa& parent, const TrustDomain& td) {
  PrivateKey key = NewKey();
  Certificate cert =
      Must(SignX509Ca({.trust_domain = td}, key.public_key(), parent.cert, parent.key, kNow));
  return TestCa{std::move(key), std::move(cert)};
}

Certificate NewLeaf(const TestCa& ca, const SpiffeId& id, const PublicKey& key) {
  return Must(Must(SignX509Svid({.spiffe_id = id}, key, ca.cert, ca.key, kNow)).ToCertificate());
}

BundleSet BundlesOf(const std::vector<std::pair<TrustDomain, std::vector<Certificate>>>& roots) {
  BundleSet set;
  for (const auto& [td, certs] : roots) {
    TrustBundle bundle(td);
    for (const Certificate& cert : certs) {
      bundle.AddX509Authority(cert);
    }
    set.Put(std::move(bundle));
  }
  return set;
}

RawCertSpec RawCaSpec(const TrustDomain& td, std::string common_name) {
  RawCertSpec spec;
  spec.common_name = std::move(common_name);
  spec.uris = {td.IdString()};
  spec.san_critical = false;
  spec.ca = true;
  spec.key_usage = "keyCertSign,cRLSign";
  spec.extended_key_usage.clear();
  spec.not_before = kNow - absl::Hours(2);
  spec.not_after = kNow + absl::Hours(48);
  return spec;
}

Certificate MakeRawCert(const RawCertSpec& spec, const PublicKey& subject_key,
                        const Certificate* issuer, const PrivateKey& signer) {
  X509Ptr cert(X509_new());
  Check(X509_set_version(cert.get(), X509_VERSION_3) == 1, "version");
  static long serial = 1000;
  Check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial) == 1, "serial");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (!spec.common_name.empty()) {
    Check(X509_NAME_add_entry_by_txt(
              subject, "CN", MBSTRING_UTF8,
              reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1, 0) == 1,
          "subject");
  }
  Check(X509_set_issuer_name(
            cert.get(), issuer != nullptr ? X509_get_subject_name(issuer->get()) : subject) == 1,
        "issuer");
  Check(ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(spec.not_before)) != nullptr &&
            ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(spec.not_after)) != nullptr,
        "validity");
  Check(X509_set_pubkey(cert.get(), subject_key.get()) == 1, "public key");

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer->get() : cert.get(), cert.get(), nullptr, nullptr,
                 0);
  if (spec.ca.has_value()) {
    std::string bc = *spec.ca ? "CA:TRUE" : "CA:FALSE";
    if (spec.path_len.has_value()) {
      bc += ",pathlen:" + std::to_string(*spec.path_len);
    }
    AddConfExtension(cert.get(), &ctx, NID_basic_constraints,
                     Critical(spec.basic_constraints_critical, bc));
  }
  if (!spec.key_usage.empty()) {
    AddConfExtension(cert.get(), &ctx, NID_key_usage,
                     Critical(spec.key_usage_critical, spec.key_usage));
  }
  if (!spec.extended_key_usage.empty()) {
    AddConfExtension(cert.get(), &ctx, NID_ext_key_usage, spec.extended_key_usage);
  }
  AddConfExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) {
    AddConfExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
  }
  AddSubjectAltName(cert.get(), spec);
  if (spec.unknown_critical_extension) {
    AddUnknownCriticalExtension(cert.get());
  }
  Check(X509_sign(cert.get(), signer.get(), EVP_sha256()) > 0, "sign");
  return Must(Certificate::FromX509(std::move(cert)));
}

Certificate TamperSignature(const Certificate& cert) {
  std::string der = cert.der();
  // The signature BIT STRING ends the certificate; its last byte is signature material.
  der.back() = static_cast<char>(der.back() ^ 0x01);
  return Must(Certificate::FromDer(der));
}

}  // namespace sigil::x509_test
