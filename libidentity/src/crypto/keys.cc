#include "sigil/keys.h"

#include <array>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "sigil/status.h"

namespace sigil {
namespace {

constexpr size_t kMaxKeyDerSize = 16 * 1024;
constexpr size_t kMaxKeyPemSize = 32 * 1024;

struct KeyTypeInfo {
  KeyType type;
  std::string_view name;
  int bits;
  const char* curve;  // null for RSA
};

constexpr std::array<KeyTypeInfo, 6> kKeyTypes = {{
    {KeyType::kEcP256, "ec-p256", 256, "P-256"},
    {KeyType::kEcP384, "ec-p384", 384, "P-384"},
    {KeyType::kEcP521, "ec-p521", 521, "P-521"},
    {KeyType::kRsa2048, "rsa-2048", 2048, nullptr},
    {KeyType::kRsa3072, "rsa-3072", 3072, nullptr},
    {KeyType::kRsa4096, "rsa-4096", 4096, nullptr},
}};

const KeyTypeInfo& Info(KeyType type) {
  for (const KeyTypeInfo& info : kKeyTypes) {
    if (info.type == type) {
      return info;
    }
  }
  return kKeyTypes[0];
}

// Tells the supported key types apart; anything else (Ed25519, DSA, RSA-1024, secp256k1) is
// refused so that a weak or unexpected key cannot slip into a bundle or an SVID.
absl::StatusOr<KeyType> ClassifyKey(const EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &len) != 1) {
      return CryptoError(absl::StatusCode::kInvalidArgument, "EC key without a named curve");
    }
    const std::string_view name(group, len);
    if (name == "prime256v1" || name == "P-256") {
      return KeyType::kEcP256;
    }
    if (name == "secp384r1" || name == "P-384") {
      return KeyType::kEcP384;
    }
    if (name == "secp521r1" || name == "P-521") {
      return KeyType::kEcP521;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported EC curve ", AsAbsl(name), " (P-256, P-384, P-521 allowed)"));
  }
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    switch (EVP_PKEY_get_bits(pkey)) {
      case 2048:
        return KeyType::kRsa2048;
      case 3072:
        return KeyType::kRsa3072;
      case 4096:
        return KeyType::kRsa4096;
      default:
        return absl::InvalidArgumentError(absl::StrCat("unsupported RSA key size ",
                                                       EVP_PKEY_get_bits(pkey),
                                                       " bits (2048, 3072, 4096 allowed)"));
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unsupported key algorithm ",
      EVP_PKEY_get0_type_name(pkey) != nullptr ? EVP_PKEY_get0_type_name(pkey) : "unknown"));
}

std::shared_ptr<EVP_PKEY> Share(EvpPkeyPtr pkey) {
  return std::shared_ptr<EVP_PKEY>(pkey.release(), EVP_PKEY_free);
}

// Reads one PEM block of `label` and returns its DER body; other labels are refused so that a
// PKCS#1 "RSA PRIVATE KEY" or an encrypted key is named rather than silently mis-parsed.
absl::StatusOr<std::string> PemBody(std::string_view pem, const char* label, size_t max_size) {
  if (pem.size() > max_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("PEM input is ", pem.size(), " bytes, more than the limit of ", max_size));
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) {
    return CryptoError("allocating a memory BIO");
  }
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
    ClearCryptoErrors();
    return absl::InvalidArgumentError(absl::StrCat("no PEM \"", label, "\" block found"));
  }
  const std::string found = name;
  std::string body(reinterpret_cast<char*>(data), static_cast<size_t>(len));
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_clear_free(data, static_cast<size_t>(len));
  if (found != label) {
    WipeString(body);
    return absl::InvalidArgumentError(
        absl::StrCat("PEM block is \"", found, "\", expected \"", label, "\""));
  }
  return body;
}

std::string ToPem(const char* label, std::string_view der) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio(bio.get(), label, "", reinterpret_cast<const unsigned char*>(der.data()),
                static_cast<long>(der.size()));
  char* out = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &out);
  std::string pem(out, static_cast<size_t>(n));
  // The memory BIO's buffer held the encoded secret too; cleanse before it is freed.
  OPENSSL_cleanse(out, static_cast<size_t>(n));
  return pem;
}

}  // namespace

std::string_view KeyTypeName(KeyType type) { return Info(type).name; }

absl::StatusOr<KeyType> ParseKeyType(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(AsAbsl(name));
  for (const KeyTypeInfo& info : kKeyTypes) {
    if (lower == info.name) {
      return info.type;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown key type \"", AsAbsl(name),
                   "\" (ec-p256, ec-p384, ec-p521, rsa-2048, rsa-3072, rsa-4096)"));
}

absl::StatusOr<PublicKey> PublicKey::FromEvp(EVP_PKEY* pkey) {
  if (pkey == nullptr) {
    return absl::InvalidArgumentError("no public key");
  }
  SIGIL_ASSIGN_OR_RETURN(KeyType type, ClassifyKey(pkey));
  EVP_PKEY_up_ref(pkey);
  return PublicKey(Share(EvpPkeyPtr(pkey)), type);
}

absl::StatusOr<PublicKey> PublicKey::FromSpkiDer(std::string_view der) {
  if (der.size() > kMaxKeyDerSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "public key is ", der.size(), " bytes, more than the limit of ", kMaxKeyDerSize));
  }
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  EvpPkeyPtr pkey(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der.size())));
  if (pkey == nullptr) {
    return CryptoError(absl::StatusCode::kInvalidArgument,
                       "public key is not a valid SubjectPublicKeyInfo");
  }
  if (cursor != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return absl::InvalidArgumentError("public key has trailing bytes after the DER structure");
  }
  SIGIL_ASSIGN_OR_RETURN(KeyType type, ClassifyKey(pkey.get()));
  return PublicKey(Share(std::move(pkey)), type);
}

absl::StatusOr<PublicKey> PublicKey::FromSpkiPem(std::string_view pem) {
  SIGIL_ASSIGN_OR_RETURN(std::string der, PemBody(pem, "PUBLIC KEY", kMaxKeyPemSize));
  return FromSpkiDer(der);
}

std::string PublicKey::ToSpkiDer() const {
  unsigned char* out = nullptr;
  const int n = i2d_PUBKEY(pkey_.get(), &out);
  if (n <= 0) {
    ClearCryptoErrors();
    return "";
  }
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return der;
}

std::string PublicKey::ToSpkiPem() const { return ToPem("PUBLIC KEY", ToSpkiDer()); }

std::string PublicKey::Sha256Fingerprint() const { return HexEncode(Sha256(ToSpkiDer())); }

bool PublicKey::Equals(const PublicKey& other) const {
  return EVP_PKEY_eq(pkey_.get(), other.pkey_.get()) == 1;
}

absl::StatusOr<PrivateKey> PrivateKey::Generate(KeyType type) {
  const KeyTypeInfo& info = Info(type);
  EvpPkeyPtr pkey;
  if (info.curve != nullptr) {
    pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", info.curve));
  } else {
    pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(info.bits)));
  }
  if (pkey == nullptr) {
    return CryptoError(absl::StrCat("generating a ", AsAbsl(info.name), " key"));
  }
  return PrivateKey(Share(std::move(pkey)), type);
}

absl::StatusOr<PrivateKey> PrivateKey::FromPkcs8Der(std::string_view der) {
  if (der.size() > kMaxKeyDerSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "private key is ", der.size(), " bytes, more than the limit of ", kMaxKeyDerSize));
  }
  // Decoding the PKCS8_PRIV_KEY_INFO structure first, rather than d2i_AutoPrivateKey, is what
  // refuses PKCS#1 and SEC1 encodings (X509-24).
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, OsslFree<&PKCS8_PRIV_KEY_INFO_free>> info(
      d2i_PKCS8_PRIV_KEY_INFO(nullptr, &cursor, static_cast<long>(der.size())));
  if (info == nullptr) {
    return CryptoError(absl::StatusCode::kInvalidArgument,
                       "private key is not unencrypted PKCS#8 DER");
  }
  if (cursor != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return absl::InvalidArgumentError("private key has trailing bytes after the DER structure");
  }
  EvpPkeyPtr pkey(EVP_PKCS82PKEY(info.get()));
  if (pkey == nullptr) {
    return CryptoError(absl::StatusCode::kInvalidArgument, "PKCS#8 private key is not usable");
  }
  SIGIL_ASSIGN_OR_RETURN(KeyType type, ClassifyKey(pkey.get()));
  return PrivateKey(Share(std::move(pkey)), type);
}

absl::StatusOr<PrivateKey> PrivateKey::FromPkcs8Pem(std::string_view pem) {
  SIGIL_ASSIGN_OR_RETURN(std::string der, PemBody(pem, "PRIVATE KEY", kMaxKeyPemSize));
  SecretBytes secret = SecretBytes::Adopt(std::move(der));
  return FromPkcs8Der(secret.view());
}

PublicKey PrivateKey::public_key() const {
  // The public half shares the EVP_PKEY: OpenSSL never reads the private scalar for verify or
  // encoding as SPKI, and sharing avoids a 150 µs re-decode.
  return PublicKey(pkey_, type_);
}

SecretBytes PrivateKey::ToPkcs8Der() const {
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, OsslFree<&PKCS8_PRIV_KEY_INFO_free>> info(
      EVP_PKEY2PKCS8(pkey_.get()));
  if (info == nullptr) {
    ClearCryptoErrors();
    return SecretBytes();
  }
  unsigned char* out = nullptr;
  const int n = i2d_PKCS8_PRIV_KEY_INFO(info.get(), &out);
  if (n <= 0) {
    ClearCryptoErrors();
    return SecretBytes();
  }
  SecretBytes der(std::string_view(reinterpret_cast<char*>(out), static_cast<size_t>(n)));
  OPENSSL_clear_free(out, static_cast<size_t>(n));
  return der;
}

SecretBytes PrivateKey::ToPkcs8Pem() const {
  SecretBytes der = ToPkcs8Der();
  return SecretBytes::Adopt(ToPem("PRIVATE KEY", der.view()));
}

bool PrivateKey::Matches(const PublicKey& pub) const {
  return EVP_PKEY_eq(pkey_.get(), pub.get()) == 1;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0x0f]);
  }
  return out;
}

std::string Sha256(std::string_view bytes) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return CryptoError("reading the random number generator");
  }
  return out;
}

}  // namespace sigil
