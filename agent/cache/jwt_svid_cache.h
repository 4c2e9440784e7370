// JWT-SVIDs the agent has obtained, kept per (SPIFFE ID, audiences) until half their lifetime
// so that a workload asking again gets the same token without a round trip to the server.
// Minting needs the server; JwtSvidSigner is that dependency (the node API client implements
// it; tests sign locally).
#ifndef SIGIL_AGENT_CACHE_JWT_SVID_CACHE_H_
#define SIGIL_AGENT_CACHE_JWT_SVID_CACHE_H_

#include <cstdint>
#include <list>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

#include "agent/cache/agent_entry.h"
#include "sigil/secret_bytes.h"

namespace sigil::agent {

class JwtSvidSigner {
 public:
  virtual ~JwtSvidSigner() = default;

  // Mints a JWT-SVID whose sub is entry.spiffe_id and whose aud is exactly `audiences` (at
  // least one, each non-empty), valid from `now`. Blocking; may take a network round trip.
  // Fails with kUnavailable when the signer cannot be reached and kPermissionDenied when the
  // server refuses the entry. Thread-safe.
  virtual absl::StatusOr<SecretBytes> Sign(const AgentEntry& entry,
                                           absl::Span<const std::string> audiences,
                                           absl::Time now) = 0;
};

struct JwtSvidCacheStats {
  size_t size = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;
};

class JwtSvidCache {
 public:
  // Holds at most `capacity` tokens (each at most kMaxJwtSvidSize, 16 KiB, so at most 16 MiB at
  // the default 1,000; typical ES256 tokens are under 1 KiB).
  explicit JwtSvidCache(size_t capacity = 1'000) : capacity_(capacity) {}

  // A JWT-SVID for `entry` and `audiences` (order and repeats do not matter for the cache key:
  // it is the sorted list): the cached one while `now` is before its half life (issued-at plus
  // half of exp minus issued-at), else a new one from `signer`, which is then cached. The
  // signer runs without the cache's lock held, so concurrent misses for one key may each sign.
  // Fails with kInvalidArgument when `audiences` is empty or holds an empty string, the
  // signer's error as it is, and kInternal when the signer returns a token that is not a
  // JWT-SVID for entry.spiffe_id with integer exp (and iat, when present). Thread-safe.
  absl::StatusOr<SecretBytes> Fetch(const AgentEntry& entry,
                                    absl::Span<const std::string> audiences, JwtSvidSigner& signer,
                                    absl::Time now);

  JwtSvidCacheStats stats() const;

 private:
  struct Cached {
    SecretBytes token;
    absl::Time refresh_at;
    std::list<std::string>::iterator lru_position;
  };

  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Cached> tokens_ ABSL_GUARDED_BY(mu_);
  // Keys, most recently used first.
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);
  uint64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t evictions_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_CACHE_JWT_SVID_CACHE_H_
