#include "sigil/secret_bytes.h"

#include <openssl/crypto.h>

namespace sigil {

void WipeString(std::string& s) {
  // Wipe the whole capacity: bytes past size() may still hold an earlier, longer secret.
  s.resize(s.capacity());
  OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

SecretBytes::SecretBytes(std::string_view bytes) : bytes_(bytes) {}

SecretBytes::SecretBytes(const SecretBytes& other) : bytes_(other.bytes_) {}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(other.bytes_) {
  // Copy then wipe: a moved-from short string keeps its bytes in the inline buffer.
  WipeString(other.bytes_);
}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    WipeString(bytes_);
    bytes_ = other.bytes_;
  }
  return *this;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    WipeString(bytes_);
    bytes_ = other.bytes_;
    WipeString(other.bytes_);
  }
  return *this;
}

SecretBytes::~SecretBytes() { WipeString(bytes_); }

SecretBytes SecretBytes::Adopt(std::string&& bytes) {
  SecretBytes out(bytes);
  WipeString(bytes);
  return out;
}

void SecretBytes::clear() { WipeString(bytes_); }

bool operator==(const SecretBytes& a, const SecretBytes& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace sigil
