#include "attestors/workload/attestation.h"

#include "absl/strings/str_cat.h"

#include "attestors/workload/proc_reader.h"
#include "sigil/status.h"

namespace sigil::attestors {

WorkloadAttestation::WorkloadAttestation(std::vector<std::unique_ptr<WorkloadAttestor>> attestors,
                                         std::string proc_root)
    : attestors_(std::move(attestors)), proc_root_(std::move(proc_root)) {}

absl::StatusOr<std::vector<Selector>> WorkloadAttestation::Attest(
    const WorkloadProcess& process) const {
  auto started = ReadProcStartTime(proc_root_, process.pid);
  if (!started.ok()) {
    return started.status();
  }

  std::vector<Selector> selectors;
  absl::Status failure;
  for (const std::unique_ptr<WorkloadAttestor>& attestor : attestors_) {
    auto found = attestor->Attest(process);
    if (!found.ok()) {
      failure = absl::Status(
          found.status().code(),
          absl::StrCat(sigil::AsAbsl(attestor->name()), " attestor: ", found.status().message()));
      break;
    }
    selectors.insert(selectors.end(), std::make_move_iterator(found->begin()),
                     std::make_move_iterator(found->end()));
  }

  // Checked even after a failure: "the process went away" explains most attestor errors
  // better than the attestor's own message does.
  auto still = ReadProcStartTime(proc_root_, process.pid);
  if (!still.ok()) {
    if (still.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(
          absl::StrCat("process ", process.pid, " exited during attestation"));
    }
    return still.status();
  }
  if (*still != *started) {
    return absl::AbortedError(
        absl::StrCat("process ", process.pid, " changed during attestation (pid reused)"));
  }
  if (!failure.ok()) {
    return failure;
  }
  NormalizeSelectors(selectors);
  return selectors;
}

}  // namespace sigil::attestors
