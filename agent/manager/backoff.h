// Exponential backoff with jitter for reconnecting to the server: 1 s, 2 s, 4 s ... capped at
// 30 s, each wait drawn uniformly from [half, full] of the current step so that agents cut
// off together do not all come back in the same instant.
#ifndef SIGIL_AGENT_MANAGER_BACKOFF_H_
#define SIGIL_AGENT_MANAGER_BACKOFF_H_

#include <algorithm>
#include <random>

#include "absl/time/time.h"

namespace sigil::agent {

class Backoff {
 public:
  Backoff(absl::Duration initial = absl::Seconds(1), absl::Duration max = absl::Seconds(30),
          unsigned seed = std::random_device{}())
      : initial_(initial), max_(max), step_(initial), rng_(seed) {}

  // The next wait; doubles the step for the time after. Not thread-safe.
  absl::Duration Next() {
    const absl::Duration step = step_;
    step_ = std::min(step_ * 2, max_);
    std::uniform_real_distribution<double> fraction(0.5, 1.0);
    return step * fraction(rng_);
  }
  // After a success: the next failure waits `initial` again.
  void Reset() { step_ = initial_; }

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  absl::Duration step_;
  std::mt19937 rng_;
};

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_MANAGER_BACKOFF_H_
