// Token buckets keyed by a string (a source address, an agent's SPIFFE ID), bounded in how
// many keys they track.
#ifndef SIGIL_SERVER_NODEAPI_RATE_LIMITER_H_
#define SIGIL_SERVER_NODEAPI_RATE_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sigil::server {

inline constexpr size_t kDefaultRateLimiterKeys = 100000;

// Each key owns a bucket of `burst` tokens that refills at `rate_per_second`. Thread-safe.
class KeyedRateLimiter {
 public:
  // `rate_per_second` 0 turns the limiter off: everything is allowed. Otherwise `burst` is at
  // least 1 (a smaller value is raised to 1).
  KeyedRateLimiter(int64_t rate_per_second, int64_t burst,
                   size_t max_keys = kDefaultRateLimiterKeys);

  // Takes `cost` tokens from `key`'s bucket at `now` and returns true, or takes nothing and
  // returns false when the bucket holds fewer. A cost above `burst` is never allowed.
  //
  // Limitation: when `max_keys` buckets are tracked and none has refilled completely (a full
  // bucket is the same as no bucket), a new key is allowed without being tracked, so that a
  // flood from many sources cannot lock out a source seen for the first time; the flood itself
  // is still limited key by key.
  bool Allow(std::string_view key, int64_t cost, absl::Time now);

  bool enabled() const { return rate_ > 0; }
  size_t tracked_keys() const;

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };

  // Drops buckets that have refilled to `burst_` by `now`.
  void PruneFull(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  double Refilled(const Bucket& bucket, absl::Time now) const;

  const double rate_;
  const double burst_;
  const size_t max_keys_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_NODEAPI_RATE_LIMITER_H_
