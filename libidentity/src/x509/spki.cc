#include "spki.h"

#include <cstring>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "sigil/ossl.h"
#include "sigil/status.h"

namespace sigil::x509_internal {
namespace {

constexpr size_t kMaxSpkiDerSize = 16 * 1024;

using X509AlgorPtr = std::unique_ptr<X509_ALGOR, OsslFree<&X509_ALGOR_free>>;

// Reads one definite-length DER element with tag `tag` from the front of `*in`, stores its
// contents in `*contents` and its whole encoding in `*whole`, and advances `*in` past it.
bool ReadElement(std::string_view* in, unsigned char tag, std::string_view* contents,
                 std::string_view* whole = nullptr) {
  if (in->size() < 2 || static_cast<unsigned char>((*in)[0]) != tag) {
    return false;
  }
  const auto first = static_cast<unsigned char>((*in)[1]);
  size_t header = 2;
  size_t length = first;
  if (first >= 0x80) {
    const size_t count = first & 0x7f;
    if (count == 0 || count > 3 || in->size() < 2 + count) {
      return false;
    }
    length = 0;
    for (size_t i = 0; i < count; ++i) {
      length = (length << 8) | static_cast<unsigned char>((*in)[2 + i]);
    }
    header += count;
  }
  if (length > in->size() - header) {
    return false;
  }
  *contents = in->substr(header, length);
  if (whole != nullptr) {
    *whole = in->substr(0, header + length);
  }
  in->remove_prefix(header + length);
  return true;
}

int CurveNid(KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
      return NID_X9_62_prime256v1;
    case KeyType::kEcP384:
      return NID_secp384r1;
    case KeyType::kEcP521:
      return NID_secp521r1;
    default:
      return NID_undef;
  }
}

// Bytes of one affine coordinate on the curve.
size_t CoordinateSize(int curve_nid) {
  switch (curve_nid) {
    case NID_X9_62_prime256v1:
      return 32;
    case NID_secp384r1:
      return 48;
    case NID_secp521r1:
      return 66;
    default:
      return 0;
  }
}

absl::StatusOr<SpkiParts> EcParts(const X509_ALGOR* algorithm, std::string_view key_bits) {
  int param_type = 0;
  const void* param = nullptr;
  X509_ALGOR_get0(nullptr, &param_type, &param, algorithm);
  if (param_type != V_ASN1_OBJECT) {
    return absl::InvalidArgumentError("EC public key does not name its curve");
  }
  const int curve = OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(param));
  const size_t coordinate = CoordinateSize(curve);
  if (coordinate == 0) {
    return absl::InvalidArgumentError("EC public key is not on P-256, P-384 or P-521");
  }
  if (key_bits.size() != 1 + 2 * coordinate || key_bits[0] != 0x04) {
    return absl::InvalidArgumentError(absl::StrCat("EC public key is not an uncompressed point of ",
                                                   1 + 2 * coordinate, " bytes"));
  }
  return SpkiParts{NID_X9_62_id_ecPublicKey, curve, std::string(key_bits)};
}

}  // namespace

absl::StatusOr<SpkiParts> SpkiFromPublicKey(const PublicKey& key) {
  const int curve = CurveNid(key.type());
  if (curve == NID_undef) {
    return SpkiFromDer(key.ToSpkiDer());
  }
  // 1 + 2 * 66 bytes for P-521 is the largest point.
  unsigned char point[160];
  size_t length = 0;
  if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                      sizeof(point), &length) != 1) {
    return CryptoError("reading an EC public point");
  }
  return SpkiParts{NID_X9_62_id_ecPublicKey, curve,
                   std::string(reinterpret_cast<const char*>(point), length)};
}

absl::StatusOr<SpkiParts> SpkiFromDer(std::string_view der) {
  if (der.size() > kMaxSpkiDerSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "public key is ", der.size(), " bytes, more than the limit of ", kMaxSpkiDerSize));
  }
  std::string_view rest = der;
  std::string_view spki;
  std::string_view algorithm_der;
  std::string_view unused;
  std::string_view bits;
  if (!ReadElement(&rest, 0x30, &spki) || !rest.empty() ||
      !ReadElement(&spki, 0x30, &unused, &algorithm_der) || !ReadElement(&spki, 0x03, &bits) ||
      !spki.empty() || bits.empty() || bits[0] != 0) {
    return absl::InvalidArgumentError("public key is not a valid SubjectPublicKeyInfo");
  }
  const auto* cursor = reinterpret_cast<const unsigned char*>(algorithm_der.data());
  X509AlgorPtr algorithm(d2i_X509_ALGOR(nullptr, &cursor, static_cast<long>(algorithm_der.size())));
  if (algorithm == nullptr) {
    return CryptoError(absl::StatusCode::kInvalidArgument,
                       "public key algorithm identifier is malformed");
  }
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm.get());
  const std::string_view key_bits = bits.substr(1);
  switch (OBJ_obj2nid(oid)) {
    case NID_X9_62_id_ecPublicKey:
      return EcParts(algorithm.get(), key_bits);
    case NID_rsaEncryption: {
      // RSA subjects are rare; the full parse checks the modulus size for us.
      SIGIL_RETURN_IF_ERROR(PublicKey::FromSpkiDer(der).status());
      return SpkiParts{NID_rsaEncryption, NID_undef, std::string(key_bits)};
    }
    default:
      return absl::InvalidArgumentError(
          "public key algorithm is not supported (EC P-256/P-384/P-521 or RSA)");
  }
}

absl::Status SetSpki(X509* cert, const SpkiParts& parts) {
  auto* bits =
      static_cast<unsigned char*>(OPENSSL_memdup(parts.key_bits.data(), parts.key_bits.size()));
  if (bits == nullptr) {
    return CryptoError("copying a public key");
  }
  const bool ec = parts.algorithm_nid == NID_X9_62_id_ecPublicKey;
  // OBJ_nid2obj returns OpenSSL's static objects, which set0 may keep without a copy.
  if (X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert), OBJ_nid2obj(parts.algorithm_nid),
                             ec ? V_ASN1_OBJECT : V_ASN1_NULL,
                             ec ? OBJ_nid2obj(parts.curve_nid) : nullptr, bits,
                             static_cast<int>(parts.key_bits.size())) != 1) {
    OPENSSL_free(bits);
    return CryptoError("setting the subject public key");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> KeyIdentifier(std::string_view key_bits) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(key_bits.data(), key_bits.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    return CryptoError("hashing a key identifier");
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace sigil::x509_internal
