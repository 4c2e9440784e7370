#include "server/nodeapi/rate_limiter.h"

#include <algorithm>

#include "sigil/status.h"

namespace sigil::server {

KeyedRateLimiter::KeyedRateLimiter(int64_t rate_per_second, int64_t burst, size_t max_keys)
    : rate_(static_cast<double>(std::max<int64_t>(rate_per_second, 0))),
      burst_(static_cast<double>(std::max<int64_t>(burst, 1))),
      max_keys_(std::max<size_t>(max_keys, 1)) {}

double KeyedRateLimiter::Refilled(const Bucket& bucket, absl::Time now) const {
  // A clock that steps back refills nothing rather than draining the bucket.
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - bucket.updated));
  return std::min(burst_, bucket.tokens + elapsed * rate_);
}

void KeyedRateLimiter::PruneFull(absl::Time now) {
  absl::erase_if(buckets_, [&](const auto& item) { return Refilled(item.second, now) >= burst_; });
}

bool KeyedRateLimiter::Allow(std::string_view key, int64_t cost, absl::Time now) {
  if (!enabled()) {
    return true;
  }
  const double need = static_cast<double>(std::max<int64_t>(cost, 0));
  if (need > burst_) {
    return false;
  }
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(AsAbsl(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      PruneFull(now);
      if (buckets_.size() >= max_keys_) {
        return true;
      }
    }
    it = buckets_.emplace(std::string(key), Bucket{.tokens = burst_, .updated = now}).first;
  }
  Bucket& bucket = it->second;
  bucket.tokens = Refilled(bucket, now);
  bucket.updated = std::max(bucket.updated, now);
  if (bucket.tokens < need) {
    return false;
  }
  bucket.tokens -= need;
  return true;
}

size_t KeyedRateLimiter::tracked_keys() const {
  absl::MutexLock lock(&mu_);
  return buckets_.size();
}

}  // namespace sigil::server
