#include "extensions.h"

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "sigil/status.h"

namespace sigil::x509_internal {
namespace {

using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, OsslFree<&BASIC_CONSTRAINTS_free>>;
using AuthorityKeyIdPtr = std::unique_ptr<AUTHORITY_KEYID, OsslFree<&AUTHORITY_KEYID_free>>;
using Asn1BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, OsslFree<&ASN1_BIT_STRING_free>>;
using ExtendedKeyUsagePtr = std::unique_ptr<EXTENDED_KEY_USAGE, OsslFree<&EXTENDED_KEY_USAGE_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, OsslFree<&GENERAL_NAME_free>>;

// Encodes `value` (an extension's C structure) into an extension object. Extensions are built
// from structures, not from X509V3_EXT_conf strings, which go through OpenSSL's config parser.
absl::StatusOr<X509ExtensionPtr> Extension(int nid, bool critical, void* value) {
  X509ExtensionPtr ext(X509V3_EXT_i2d(nid, critical ? 1 : 0, value));
  if (ext == nullptr) {
    return CryptoError(absl::StrCat("encoding extension ", OBJ_nid2sn(nid)));
  }
  return ext;
}

absl::StatusOr<Asn1OctetStringPtr> OctetString(std::string_view bytes) {
  Asn1OctetStringPtr octets(ASN1_OCTET_STRING_new());
  if (octets == nullptr ||
      ASN1_OCTET_STRING_set(octets.get(), reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size())) != 1) {
    return CryptoError("building an octet string");
  }
  return octets;
}

absl::Status AddName(GENERAL_NAMES* names, int type, std::string_view value) {
  GeneralNamePtr name(GENERAL_NAME_new());
  ASN1_IA5STRING* text = ASN1_IA5STRING_new();
  if (name == nullptr || text == nullptr ||
      ASN1_STRING_set(text, value.data(), static_cast<int>(value.size())) != 1) {
    ASN1_IA5STRING_free(text);
    return CryptoError("building a subjectAltName entry");
  }
  GENERAL_NAME_set0_value(name.get(), type, text);
  if (sk_GENERAL_NAME_push(names, name.get()) <= 0) {
    return CryptoError("building subjectAltName");
  }
  name.release();  // now owned by `names`
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<X509ExtensionPtr> BasicConstraints(bool ca, std::optional<int> path_len) {
  BasicConstraintsPtr bc(BASIC_CONSTRAINTS_new());
  if (bc == nullptr) {
    return CryptoError("allocating basicConstraints");
  }
  bc->ca = ca ? 0xff : 0;
  if (path_len.has_value()) {
    bc->pathlen = ASN1_INTEGER_new();
    if (bc->pathlen == nullptr || ASN1_INTEGER_set(bc->pathlen, *path_len) != 1) {
      return CryptoError("setting pathLenConstraint");
    }
  }
  return Extension(NID_basic_constraints, /*critical=*/true, bc.get());  // X509-04
}

absl::StatusOr<X509ExtensionPtr> KeyUsage(std::initializer_list<int> bits) {
  Asn1BitStringPtr usage(ASN1_BIT_STRING_new());
  if (usage == nullptr) {
    return CryptoError("allocating keyUsage");
  }
  for (int bit : bits) {
    if (ASN1_BIT_STRING_set_bit(usage.get(), bit, 1) != 1) {
      return CryptoError("setting a keyUsage bit");
    }
  }
  return Extension(NID_key_usage, /*critical=*/true, usage.get());  // X509-05
}

absl::StatusOr<X509ExtensionPtr> ServerAndClientAuth() {
  ExtendedKeyUsagePtr eku(sk_ASN1_OBJECT_new_null());
  if (eku == nullptr || sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(NID_server_auth)) <= 0 ||
      sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(NID_client_auth)) <= 0) {
    return CryptoError("building extKeyUsage");
  }
  return Extension(NID_ext_key_usage, /*critical=*/false, eku.get());  // X509-08
}

absl::StatusOr<X509ExtensionPtr> SubjectKeyId(std::string_view key_id) {
  SIGIL_ASSIGN_OR_RETURN(Asn1OctetStringPtr octets, OctetString(key_id));
  return Extension(NID_subject_key_identifier, /*critical=*/false, octets.get());
}

absl::StatusOr<X509ExtensionPtr> AuthorityKeyId(std::string_view key_id) {
  AuthorityKeyIdPtr akid(AUTHORITY_KEYID_new());
  if (akid == nullptr) {
    return CryptoError("allocating authorityKeyIdentifier");
  }
  SIGIL_ASSIGN_OR_RETURN(Asn1OctetStringPtr octets, OctetString(key_id));
  akid->keyid = octets.release();
  return Extension(NID_authority_key_identifier, /*critical=*/false, akid.get());
}

absl::StatusOr<X509ExtensionPtr> SubjectAltName(std::string_view uri,
                                                const std::vector<std::string>& dns_names,
                                                bool critical) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (names == nullptr) {
    return CryptoError("allocating subjectAltName");
  }
  SIGIL_RETURN_IF_ERROR(AddName(names.get(), GEN_URI, uri));
  for (const std::string& dns : dns_names) {
    SIGIL_RETURN_IF_ERROR(AddName(names.get(), GEN_DNS, dns));
  }
  return Extension(NID_subject_alt_name, critical, names.get());
}

absl::Status AddExtension(X509* cert, const X509_EXTENSION* ext) {
  // X509_add_ext copies `ext`, so the issuer's prepared extensions stay untouched and shareable.
  if (X509_add_ext(cert, const_cast<X509_EXTENSION*>(ext), -1) != 1) {
    return CryptoError("adding an extension");
  }
  return absl::OkStatus();
}

}  // namespace sigil::x509_internal
