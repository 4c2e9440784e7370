#include "jwk.h"

#include <array>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include "sigil/base64.h"
#include "sigil/ossl.h"
#include "sigil/status.h"

namespace sigil::bundle_internal {
namespace {

using Json = nlohmann::json;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OsslFree<&OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, OsslFree<&OSSL_PARAM_free>>;

struct Curve {
  std::string_view jwk_name;  // RFC 7518 "crv"
  const char* openssl_group;  // OSSL_PKEY_PARAM_GROUP_NAME
  size_t coordinate_size;     // bytes of x and of y
  KeyType type;
};

constexpr std::array<Curve, 3> kCurves = {{
    {"P-256", "prime256v1", 32, KeyType::kEcP256},
    {"P-384", "secp384r1", 48, KeyType::kEcP384},
    {"P-521", "secp521r1", 66, KeyType::kEcP521},
}};

const Curve* CurveByJwkName(std::string_view name) {
  for (const Curve& curve : kCurves) {
    if (curve.jwk_name == name) {
      return &curve;
    }
  }
  return nullptr;
}

const Curve* CurveByType(KeyType type) {
  for (const Curve& curve : kCurves) {
    if (curve.type == type) {
      return &curve;
    }
  }
  return nullptr;
}

JwkKey Skip(std::string reason) { return JwkKey{std::nullopt, std::move(reason)}; }

// Decodes the base64url string member `name`; a missing or non-string member is malformed.
absl::StatusOr<std::string> DecodeMember(const Json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " is missing"));
  }
  if (!it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " is not a string"));
  }
  absl::StatusOr<std::string> bytes = Base64UrlDecode(it->get_ref<const std::string&>());
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " is not valid base64url (", bytes.status().message(), ")"));
  }
  if (bytes->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " is empty"));
  }
  return bytes;
}

// Builds a public EVP_PKEY of `algorithm` ("EC", "RSA") from `bld`'s parameters.
absl::StatusOr<EvpPkeyPtr> FromData(const char* algorithm, OSSL_PARAM_BLD* bld,
                                    std::string_view what_failed) {
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr));
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return CryptoError(absl::StrCat("preparing an ", algorithm, " key import"));
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ClearCryptoErrors();
    return absl::InvalidArgumentError(std::string(what_failed));
  }
  EvpPkeyPtr pkey(raw);

  // Import already refuses off-curve points in OpenSSL 3.0; the explicit check keeps that
  // guarantee if a provider ever relaxes it. It is cheap: no scalar multiplication.
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check_quick(check.get()) != 1) {
    ClearCryptoErrors();
    return absl::InvalidArgumentError(std::string(what_failed));
  }
  return pkey;
}

absl::StatusOr<JwkKey> EcFromJwk(const Json& jwk) {
  auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string()) {
    return absl::InvalidArgumentError("crv is missing or not a string");
  }
  const Curve* curve = CurveByJwkName(crv->get_ref<const std::string&>());
  if (curve == nullptr) {
    return Skip("crv is not P-256, P-384 or P-521");
  }
  SIGIL_ASSIGN_OR_RETURN(std::string x, DecodeMember(jwk, "x"));
  SIGIL_ASSIGN_OR_RETURN(std::string y, DecodeMember(jwk, "y"));
  for (const auto& [name, value] : {std::pair{"x", &x}, std::pair{"y", &y}}) {
    if (value->size() != curve->coordinate_size) {
      return absl::InvalidArgumentError(absl::StrCat(name, " is ", value->size(), " bytes, ",
                                                     AsAbsl(curve->jwk_name), " needs ",
                                                     curve->coordinate_size));
    }
  }

  // SEC 1 uncompressed point: 0x04 || x || y.
  const std::string point = absl::StrCat("\x04", x, y);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->openssl_group,
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return CryptoError("building EC key parameters");
  }
  SIGIL_ASSIGN_OR_RETURN(EvpPkeyPtr pkey,
                         FromData("EC", bld.get(), "x and y are not a point on the curve"));
  SIGIL_ASSIGN_OR_RETURN(PublicKey key, PublicKey::FromEvp(pkey.get()));
  return JwkKey{std::move(key), ""};
}

absl::StatusOr<JwkKey> RsaFromJwk(const Json& jwk) {
  SIGIL_ASSIGN_OR_RETURN(std::string n_bytes, DecodeMember(jwk, "n"));
  SIGIL_ASSIGN_OR_RETURN(std::string e_bytes, DecodeMember(jwk, "e"));
  // RFC 7518 asks producers for minimal octets; a leading zero changes no value, so it is
  // tolerated rather than turned into a whole-bundle failure.
  const auto bn = [](const std::string& bytes) {
    return BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                               static_cast<int>(bytes.size()), nullptr));
  };
  BignumPtr n = bn(n_bytes);
  BignumPtr e = bn(e_bytes);
  if (n == nullptr || e == nullptr) {
    return CryptoError("reading RSA parameters");
  }
  if (!BN_is_odd(n.get())) {
    return absl::InvalidArgumentError("n is even, so it is not an RSA modulus");
  }
  if (!BN_is_odd(e.get()) || BN_is_one(e.get()) || BN_num_bits(e.get()) > 256) {
    return absl::InvalidArgumentError("e must be odd, greater than 1 and at most 256 bits");
  }
  const int bits = BN_num_bits(n.get());
  if (bits != 2048 && bits != 3072 && bits != 4096) {
    return Skip(absl::StrCat("RSA modulus of ", bits, " bits is not supported"));
  }

  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return CryptoError("building RSA key parameters");
  }
  SIGIL_ASSIGN_OR_RETURN(EvpPkeyPtr pkey,
                         FromData("RSA", bld.get(), "n and e are not a valid RSA public key"));
  SIGIL_ASSIGN_OR_RETURN(PublicKey key, PublicKey::FromEvp(pkey.get()));
  return JwkKey{std::move(key), ""};
}

absl::StatusOr<std::string> BnParam(EVP_PKEY* pkey, const char* name, size_t pad_to) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    return CryptoError(absl::StrCat("exporting key parameter ", name));
  }
  BignumPtr bn(raw);
  const size_t size = pad_to > 0 ? pad_to : static_cast<size_t>(BN_num_bytes(bn.get()));
  std::string out(size, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size)) <
      0) {
    return absl::InternalError(absl::StrCat("key parameter ", name, " exceeds ", size, " bytes"));
  }
  return out;
}

}  // namespace

bool HasPrivateKeyMember(const Json& jwk) {
  // d: EC/RSA/OKP private part; p..oth: RSA CRT factors; k: symmetric key (kty "oct").
  for (const char* name : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (jwk.contains(name)) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<JwkKey> PublicKeyFromJwk(const Json& jwk) {
  auto kty = jwk.find("kty");
  if (kty == jwk.end()) {
    return Skip("kty is missing");
  }
  if (!kty->is_string()) {
    return Skip("kty is not a string");
  }
  const std::string& name = kty->get_ref<const std::string&>();
  if (name == "EC") {
    return EcFromJwk(jwk);
  }
  if (name == "RSA") {
    return RsaFromJwk(jwk);
  }
  return Skip("kty is not EC or RSA");
}

absl::StatusOr<nlohmann::ordered_json> PublicKeyToJwk(const PublicKey& key) {
  nlohmann::ordered_json jwk = nlohmann::ordered_json::object();
  if (const Curve* curve = CurveByType(key.type()); curve != nullptr) {
    SIGIL_ASSIGN_OR_RETURN(std::string x,
                           BnParam(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, curve->coordinate_size));
    SIGIL_ASSIGN_OR_RETURN(std::string y,
                           BnParam(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, curve->coordinate_size));
    jwk["kty"] = "EC";
    jwk["crv"] = std::string(curve->jwk_name);
    jwk["x"] = Base64UrlEncode(x);
    jwk["y"] = Base64UrlEncode(y);
    return jwk;
  }
  SIGIL_ASSIGN_OR_RETURN(std::string n, BnParam(key.get(), OSSL_PKEY_PARAM_RSA_N, 0));
  SIGIL_ASSIGN_OR_RETURN(std::string e, BnParam(key.get(), OSSL_PKEY_PARAM_RSA_E, 0));
  jwk["kty"] = "RSA";
  jwk["n"] = Base64UrlEncode(n);
  jwk["e"] = Base64UrlEncode(e);
  return jwk;
}

}  // namespace sigil::bundle_internal
