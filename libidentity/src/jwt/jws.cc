#include "jwt/jws.h"

#include <array>
#include <string>

#include "absl/strings/str_cat.h"
#include <openssl/rsa.h>

#include "sigil/status.h"

namespace sigil {
namespace jwt_internal {
namespace {

constexpr std::array<JwsAlgorithmInfo, 9> kAlgorithms = {{
    {JwtAlgorithm::kRs256, "RS256", JwsFamily::kRsaPkcs1, "SHA256", 0},
    {JwtAlgorithm::kRs384, "RS384", JwsFamily::kRsaPkcs1, "SHA384", 0},
    {JwtAlgorithm::kRs512, "RS512", JwsFamily::kRsaPkcs1, "SHA512", 0},
    {JwtAlgorithm::kEs256, "ES256", JwsFamily::kEcdsa, "SHA256", 32},
    {JwtAlgorithm::kEs384, "ES384", JwsFamily::kEcdsa, "SHA384", 48},
    {JwtAlgorithm::kEs512, "ES512", JwsFamily::kEcdsa, "SHA512", 66},
    {JwtAlgorithm::kPs256, "PS256", JwsFamily::kRsaPss, "SHA256", 0},
    {JwtAlgorithm::kPs384, "PS384", JwsFamily::kRsaPss, "SHA384", 0},
    {JwtAlgorithm::kPs512, "PS512", JwsFamily::kRsaPss, "SHA512", 0},
}};

bool IsRsa(KeyType type) {
  return type == KeyType::kRsa2048 || type == KeyType::kRsa3072 || type == KeyType::kRsa4096;
}

// RFC 7518 section 3.5: PSS with MGF1 over the same hash and a salt as long as the hash. The
// verifier insists on that salt length too, so one token has one accepted encoding.
bool ConfigurePadding(JwsFamily family, EVP_PKEY_CTX* pctx) {
  if (family != JwsFamily::kRsaPss) {
    return true;
  }
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
}

// OpenSSL produces ECDSA-Sig-Value DER; JWS wants R and S as fixed-width big-endian integers.
absl::StatusOr<std::string> DerToJose(std::string_view der, size_t coordinate_size) {
  const unsigned char* cursor = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
  if (sig == nullptr) {
    return CryptoError("decoding the ECDSA signature OpenSSL produced");
  }
  std::string out(2 * coordinate_size, '\0');
  unsigned char* bytes = reinterpret_cast<unsigned char*>(out.data());
  const int size = static_cast<int>(coordinate_size);
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), bytes, size) != size ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), bytes + coordinate_size, size) != size) {
    return CryptoError("ECDSA signature component wider than the curve");
  }
  return out;
}

// The inverse of DerToJose. Fails only on allocation failure; the length is checked by the
// caller.
bool JoseToDer(std::string_view jose, size_t coordinate_size, std::string* out_der) {
  const unsigned char* bytes = reinterpret_cast<const unsigned char*>(jose.data());
  const int size = static_cast<int>(coordinate_size);
  BignumPtr r(BN_bin2bn(bytes, size, nullptr));
  BignumPtr s(BN_bin2bn(bytes + coordinate_size, size, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || sig == nullptr ||
      ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return false;
  }
  // ECDSA_SIG_set0 took ownership of both numbers.
  r.release();
  s.release();
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) {
    return false;
  }
  out_der->assign(reinterpret_cast<char*>(der), static_cast<size_t>(der_len));
  OPENSSL_free(der);
  return true;
}

}  // namespace

const JwsAlgorithmInfo& AlgorithmInfo(JwtAlgorithm alg) {
  for (const JwsAlgorithmInfo& info : kAlgorithms) {
    if (info.alg == alg) {
      return info;
    }
  }
  return kAlgorithms[0];
}

absl::StatusOr<std::string> SignJws(JwtAlgorithm alg, EVP_PKEY* key,
                                    std::string_view signing_input) {
  const JwsAlgorithmInfo& info = AlgorithmInfo(alg);
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) {
    return CryptoError("allocating a signing context");
  }
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (EVP_DigestSignInit_ex(ctx.get(), &pctx, info.digest, nullptr, nullptr, key, nullptr) != 1 ||
      !ConfigurePadding(info.family, pctx)) {
    return CryptoError(absl::StrCat("initialising ", AsAbsl(info.name), " signing"));
  }

  const auto* input = reinterpret_cast<const unsigned char*>(signing_input.data());
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, input, signing_input.size()) != 1) {
    return CryptoError(absl::StrCat("sizing the ", AsAbsl(info.name), " signature"));
  }
  std::string signature(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len, input,
                     signing_input.size()) != 1) {
    return CryptoError(absl::StrCat("computing the ", AsAbsl(info.name), " signature"));
  }
  signature.resize(len);

  if (info.family == JwsFamily::kEcdsa) {
    return DerToJose(signature, info.ec_coordinate_size);
  }
  return signature;
}

bool VerifyJws(JwtAlgorithm alg, EVP_PKEY* key, std::string_view signing_input,
               std::string_view signature) {
  const JwsAlgorithmInfo& info = AlgorithmInfo(alg);
  std::string der;
  if (info.family == JwsFamily::kEcdsa) {
    // Fixed width is what makes a DER-encoded signature (70-72 bytes for P-256) fail here.
    if (signature.size() != 2 * info.ec_coordinate_size ||
        !JoseToDer(signature, info.ec_coordinate_size, &der)) {
      ClearCryptoErrors();
      return false;
    }
    signature = der;
  }

  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  const bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit_ex(ctx.get(), &pctx, info.digest, nullptr, nullptr, key, nullptr) == 1 &&
      ConfigurePadding(info.family, pctx) &&
      EVP_DigestVerify(
          ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  ClearCryptoErrors();
  return ok;
}

}  // namespace jwt_internal

std::string_view JwtAlgorithmName(JwtAlgorithm alg) {
  return jwt_internal::AlgorithmInfo(alg).name;
}

absl::StatusOr<JwtAlgorithm> ParseJwtAlgorithm(std::string_view name) {
  for (const jwt_internal::JwsAlgorithmInfo& info : jwt_internal::kAlgorithms) {
    if (info.name == name) {
      return info.alg;
    }
  }
  // Names are echoed only when short and printable: alg comes from untrusted input.
  bool printable = name.size() <= 32;
  for (char c : name) {
    printable = printable && c > 0x20 && c < 0x7f;
  }
  return absl::InvalidArgumentError(
      printable ? absl::StrCat("alg ", AsAbsl(name), " is not allowed")
                : absl::StrCat("alg (", name.size(), " bytes, unprintable) is not allowed"));
}

JwtAlgorithm DefaultJwtAlgorithm(KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
      return JwtAlgorithm::kEs256;
    case KeyType::kEcP384:
      return JwtAlgorithm::kEs384;
    case KeyType::kEcP521:
      return JwtAlgorithm::kEs512;
    case KeyType::kRsa2048:
    case KeyType::kRsa3072:
    case KeyType::kRsa4096:
      return JwtAlgorithm::kRs256;
  }
  return JwtAlgorithm::kEs256;
}

absl::Status CheckJwtAlgorithmKey(JwtAlgorithm alg, KeyType type) {
  const jwt_internal::JwsAlgorithmInfo& info = jwt_internal::AlgorithmInfo(alg);
  const bool fits = info.family == jwt_internal::JwsFamily::kEcdsa
                        ? DefaultJwtAlgorithm(type) == alg
                        : jwt_internal::IsRsa(type);
  if (fits) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("a ", AsAbsl(KeyTypeName(type)), " key cannot ",
                                                 "be used with ", AsAbsl(info.name)));
}

}  // namespace sigil
