// Runs every enabled workload attestor for one caller and guards against pid reuse: the
// process start time (field 22 of /proc/<pid>/stat) is read before the attestors run and again
// after, and the result is refused if it changed, because then the selectors may describe a
// different process that received the same pid (ARCHITECTURE.md section 6).
//
// Limitation: the pid comes from SO_PEERCRED at connect time, so a caller that exits and whose
// pid is reused by another process before attestation starts is not detected; both start-time
// reads then see the newcomer. SO_PEERPIDFD (Linux 6.5) would close this gap.
#ifndef SIGIL_ATTESTORS_WORKLOAD_ATTESTATION_H_
#define SIGIL_ATTESTORS_WORKLOAD_ATTESTATION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "attestors/workload/selector.h"
#include "attestors/workload/workload_attestor.h"

namespace sigil::attestors {

class WorkloadAttestation {
 public:
  // `attestors` run in order for every caller; `proc_root` is where the start time is read.
  explicit WorkloadAttestation(std::vector<std::unique_ptr<WorkloadAttestor>> attestors,
                               std::string proc_root = "/proc");

  // The union of every attestor's selectors, normalized (sorted, no duplicates). Fails with
  // kNotFound "process <pid> does not exist" when the process is gone before or during
  // attestation, kAborted "process <pid> changed during attestation" when the pid now belongs
  // to another process, or the first attestor's error (prefixed with its name) otherwise: one
  // failing attestor fails the whole attestation so that the caller sees a retryable error
  // rather than fewer identities. Thread-safe when the attestors are.
  absl::StatusOr<std::vector<Selector>> Attest(const WorkloadProcess& process) const;

 private:
  const std::vector<std::unique_ptr<WorkloadAttestor>> attestors_;
  const std::string proc_root_;
};

}  // namespace sigil::attestors

#endif  // SIGIL_ATTESTORS_WORKLOAD_ATTESTATION_H_
