// Incremental SHA-256 for data that arrives in pieces or is too large to hold in memory at once
// (an executable hashed for a workload selector, say). For data already in memory, Sha256() in
// keys.h is simpler.
#ifndef SIGIL_DIGEST_H_
#define SIGIL_DIGEST_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "sigil/ossl.h"

namespace sigil {

// One SHA-256 computation. Not copyable; not thread-safe (one owner feeds it).
class Sha256Hasher {
 public:
  // Fails with kInternal only when OpenSSL cannot set up the digest.
  static absl::StatusOr<Sha256Hasher> Create();

  Sha256Hasher(Sha256Hasher&&) = default;
  Sha256Hasher& operator=(Sha256Hasher&&) = default;

  // Feeds `bytes`. Fails with kInternal when OpenSSL fails, or kFailedPrecondition after
  // Finish().
  absl::Status Update(std::string_view bytes);
  // The 32-byte digest of everything fed so far. The hasher cannot be fed afterwards.
  absl::StatusOr<std::string> Finish();

 private:
  explicit Sha256Hasher(EvpMdCtxPtr ctx) : ctx_(std::move(ctx)) {}
  EvpMdCtxPtr ctx_;
  bool finished_ = false;
};

}  // namespace sigil

#endif  // SIGIL_DIGEST_H_
