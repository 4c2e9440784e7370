// Private and public keys: generation, PKCS#8 and SubjectPublicKeyInfo in DER and PEM, and
// SPKI SHA-256 fingerprints. Both classes are cheap to copy (they share one EVP_PKEY by
// reference count) and immutable after construction, so they are safe to share across threads.
#ifndef SIGIL_KEYS_H_
#define SIGIL_KEYS_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "sigil/ossl.h"
#include "sigil/secret_bytes.h"

namespace sigil {

enum class KeyType {
  kEcP256,
  kEcP384,
  kEcP521,
  kRsa2048,
  kRsa3072,
  kRsa4096,
};

// "ec-p256", "ec-p384", "ec-p521", "rsa-2048", "rsa-3072", "rsa-4096".
std::string_view KeyTypeName(KeyType type);
// Accepts the names above and SPIRE's spellings ("ec-p256", "rsa-2048").
absl::StatusOr<KeyType> ParseKeyType(std::string_view name);

class PublicKey {
 public:
  // Takes one reference to `pkey`, which must hold a public key of a supported type.
  static absl::StatusOr<PublicKey> FromEvp(EVP_PKEY* pkey);
  // SubjectPublicKeyInfo DER. At most 16 KiB.
  static absl::StatusOr<PublicKey> FromSpkiDer(std::string_view der);
  // "-----BEGIN PUBLIC KEY-----". At most 32 KiB.
  static absl::StatusOr<PublicKey> FromSpkiPem(std::string_view pem);

  KeyType type() const { return type_; }
  EVP_PKEY* get() const { return pkey_.get(); }
  std::string ToSpkiDer() const;
  std::string ToSpkiPem() const;
  // SHA-256 of the SPKI DER, lowercase hex (64 characters).
  std::string Sha256Fingerprint() const;
  bool Equals(const PublicKey& other) const;

 private:
  friend class PrivateKey;
  PublicKey(std::shared_ptr<EVP_PKEY> pkey, KeyType type) : pkey_(std::move(pkey)), type_(type) {}
  std::shared_ptr<EVP_PKEY> pkey_;
  KeyType type_;
};

class PrivateKey {
 public:
  static absl::StatusOr<PrivateKey> Generate(KeyType type);
  // Unencrypted PKCS#8 DER. PKCS#1, SEC1 and encrypted keys are refused. At most 16 KiB.
  static absl::StatusOr<PrivateKey> FromPkcs8Der(std::string_view der);
  // "-----BEGIN PRIVATE KEY-----" (PKCS#8). At most 32 KiB.
  static absl::StatusOr<PrivateKey> FromPkcs8Pem(std::string_view pem);

  KeyType type() const { return type_; }
  EVP_PKEY* get() const { return pkey_.get(); }
  PublicKey public_key() const;
  SecretBytes ToPkcs8Der() const;
  SecretBytes ToPkcs8Pem() const;
  // True when `pub` is this key's public half.
  bool Matches(const PublicKey& pub) const;

 private:
  PrivateKey(std::shared_ptr<EVP_PKEY> pkey, KeyType type) : pkey_(std::move(pkey)), type_(type) {}
  std::shared_ptr<EVP_PKEY> pkey_;
  KeyType type_;
};

// Lowercase hex of `bytes`.
std::string HexEncode(std::string_view bytes);
// SHA-256 digest (32 raw bytes).
std::string Sha256(std::string_view bytes);
// `n` bytes from the CSPRNG; fails only when the CSPRNG does.
absl::StatusOr<std::string> RandomBytes(size_t n);

}  // namespace sigil

#endif  // SIGIL_KEYS_H_
