// A fixed set of threads for the Workload API's blocking work (reading /proc, hashing an
// executable, waiting on the server for a JWT-SVID), so that gRPC's callback threads never
// block. The queue is bounded: when it is full, callers are refused at once (load shedding,
// answered with UNAVAILABLE, WAPI-11) rather than queued without limit.
#ifndef SIGIL_AGENT_WORKLOAD_API_WORK_POOL_H_
#define SIGIL_AGENT_WORKLOAD_API_WORK_POOL_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace sigil::agent {

class WorkPool {
 public:
  // Starts `threads` workers (at least one) and accepts up to `max_queued` waiting tasks.
  WorkPool(size_t threads, size_t max_queued);
  // Stop().
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues `task`. Returns false (and drops it) when the queue is full or the pool stopped.
  // Thread-safe.
  bool TrySubmit(absl::AnyInvocable<void() &&> task);

  // Refuses new tasks, runs every queued one, and joins the workers. Idempotent; not to be
  // called from two threads at once, nor from a task.
  void Stop();

 private:
  void Work();

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_WORKLOAD_API_WORK_POOL_H_
