#include "server/nodeapi/public_key_check.h"

#include <array>
#include <memory>

#include "absl/strings/str_cat.h"
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "sigil/keys.h"
#include "sigil/ossl.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {

using EcGroupPtr = std::unique_ptr<EC_GROUP, OsslFree<&EC_GROUP_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, OsslFree<&EC_POINT_free>>;

// DER content octets of the OIDs involved (after tag and length).
constexpr std::string_view kEcPublicKeyOid = "\x2a\x86\x48\xce\x3d\x02\x01";
constexpr std::string_view kRsaEncryptionOid = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01";

struct Curve {
  std::string_view oid;
  int nid;
  size_t point_size;  // 1 + 2 * field bytes, uncompressed
};
constexpr std::array<Curve, 3> kCurves = {{
    {std::string_view("\x2a\x86\x48\xce\x3d\x03\x01\x07", 8), NID_X9_62_prime256v1, 65},
    {std::string_view("\x2b\x81\x04\x00\x22", 5), NID_secp384r1, 97},
    {std::string_view("\x2b\x81\x04\x00\x23", 5), NID_secp521r1, 133},
}};

// Reads one DER TLV with tag `tag` from the front of `in`; sets `*out` to its contents and
// advances `in` past it. Definite lengths only, at most four length octets.
bool ReadTlv(std::string_view& in, unsigned char tag, std::string_view* out) {
  if (in.size() < 2 || static_cast<unsigned char>(in[0]) != tag) {
    return false;
  }
  size_t pos = 1;
  size_t len = static_cast<unsigned char>(in[pos++]);
  if (len & 0x80) {
    const size_t octets = len & 0x7f;
    if (octets == 0 || octets > 4 || in.size() < pos + octets) {
      return false;
    }
    len = 0;
    for (size_t i = 0; i < octets; ++i) {
      len = (len << 8) | static_cast<unsigned char>(in[pos++]);
    }
    if (len < 0x80) {
      return false;  // DER uses the short form for these
    }
  }
  if (in.size() - pos < len) {
    return false;
  }
  *out = in.substr(pos, len);
  in.remove_prefix(pos + len);
  return true;
}

const EC_GROUP* GroupFor(size_t index) {
  // Built once and never changed afterwards, so concurrent readers are safe.
  static const std::array<EC_GROUP*, kCurves.size()> groups = [] {
    std::array<EC_GROUP*, kCurves.size()> out{};
    for (size_t i = 0; i < kCurves.size(); ++i) {
      out[i] = EC_GROUP_new_by_curve_name(kCurves[i].nid);
    }
    return out;
  }();
  return groups[index];
}

absl::Status CheckEcPoint(std::string_view params, std::string_view bits) {
  std::string_view curve_oid;
  if (!ReadTlv(params, 0x06, &curve_oid) || !params.empty()) {
    return absl::InvalidArgumentError("public key: EC parameters are not a named curve");
  }
  for (size_t i = 0; i < kCurves.size(); ++i) {
    if (kCurves[i].oid != curve_oid) {
      continue;
    }
    if (bits.size() != kCurves[i].point_size || bits[0] != '\x04') {
      return absl::InvalidArgumentError(
          "public key: EC point is not uncompressed or has the wrong length for its curve");
    }
    const EC_GROUP* group = GroupFor(i);
    EcPointPtr point(group != nullptr ? EC_POINT_new(group) : nullptr);
    if (point == nullptr) {
      return CryptoError("public key: allocating an EC point");
    }
    if (EC_POINT_oct2point(group, point.get(), reinterpret_cast<const unsigned char*>(bits.data()),
                           bits.size(), nullptr) != 1) {
      ClearCryptoErrors();
      return absl::InvalidArgumentError("public key: EC point is not on the curve");
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("public key: EC curve is not P-256, P-384 or P-521");
}

}  // namespace

absl::Status CheckSubjectPublicKey(std::string_view spki_der) {
  if (spki_der.empty() || spki_der.size() > kMaxSubjectPublicKeyInfo) {
    return absl::InvalidArgumentError(absl::StrCat("public key: ", spki_der.size(), " bytes; 1 to ",
                                                   kMaxSubjectPublicKeyInfo, " are allowed"));
  }
  std::string_view in = spki_der;
  std::string_view spki;
  std::string_view algorithm;
  std::string_view oid;
  std::string_view bit_string;
  if (!ReadTlv(in, 0x30, &spki) || !in.empty() || !ReadTlv(spki, 0x30, &algorithm) ||
      !ReadTlv(algorithm, 0x06, &oid) || !ReadTlv(spki, 0x03, &bit_string) || !spki.empty() ||
      bit_string.empty() || bit_string[0] != '\0') {
    return absl::InvalidArgumentError("public key: not a DER SubjectPublicKeyInfo");
  }
  const std::string_view bits = bit_string.substr(1);
  if (oid == kEcPublicKeyOid) {
    return CheckEcPoint(algorithm, bits);
  }
  if (oid == kRsaEncryptionOid) {
    // RSA keys are rare for workloads and carry no curve to check: the full decode is fine.
    absl::StatusOr<PublicKey> key = PublicKey::FromSpkiDer(spki_der);
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("public key: ", key.status().message()));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("public key: algorithm is neither EC nor RSA");
}

}  // namespace sigil::server
