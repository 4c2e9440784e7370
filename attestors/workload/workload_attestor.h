// The interface every workload attestor implements: given a process that called the Workload
// API, say what is true of it as selectors. The agent runs every enabled attestor and unions
// their selectors (see attestation.h).
#ifndef SIGIL_ATTESTORS_WORKLOAD_WORKLOAD_ATTESTOR_H_
#define SIGIL_ATTESTORS_WORKLOAD_WORKLOAD_ATTESTOR_H_

#include <sys/types.h>

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "attestors/workload/selector.h"

namespace sigil::attestors {

// The caller as the kernel reported it on the socket (SO_PEERCRED at connect time).
struct WorkloadProcess {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

class WorkloadAttestor {
 public:
  virtual ~WorkloadAttestor() = default;

  // The selector type this attestor produces ("unix").
  virtual std::string_view name() const = 0;

  // Returns the selectors of `process`, all of type name(). An attestor that does not apply to
  // the process (a container attestor and a process outside any container) returns none. Fails
  // with kNotFound when the process no longer exists, and with another code naming the cause
  // when facts it should report cannot be read. Implementations are thread-safe.
  virtual absl::StatusOr<std::vector<Selector>> Attest(const WorkloadProcess& process) const = 0;
};

}  // namespace sigil::attestors

#endif  // SIGIL_ATTESTORS_WORKLOAD_WORKLOAD_ATTESTOR_H_
