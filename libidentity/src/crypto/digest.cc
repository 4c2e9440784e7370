#include "sigil/digest.h"

#include <openssl/evp.h>

namespace sigil {

absl::StatusOr<Sha256Hasher> Sha256Hasher::Create() {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return CryptoError("starting a SHA-256 digest");
  }
  return Sha256Hasher(std::move(ctx));
}

absl::Status Sha256Hasher::Update(std::string_view bytes) {
  if (finished_) {
    return absl::FailedPreconditionError("SHA-256 digest already finished");
  }
  if (EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1) {
    return CryptoError("updating a SHA-256 digest");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Sha256Hasher::Finish() {
  if (finished_) {
    return absl::FailedPreconditionError("SHA-256 digest already finished");
  }
  finished_ = true;
  std::string digest(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), reinterpret_cast<unsigned char*>(digest.data()), &len) != 1) {
    return CryptoError("finishing a SHA-256 digest");
  }
  digest.resize(len);
  return digest;
}

}  // namespace sigil
