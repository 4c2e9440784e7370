// The "unix" workload attestor: selectors from the kernel's view of a process, named as SPIRE
// names them so that registration entries carry over unchanged.
//
//   unix:uid:<n>                    effective uid (the second "Uid:" column of /proc/<pid>/status)
//   unix:user:<name>                its user name, when the agent's user database knows it
//   unix:gid:<n>                    effective gid
//   unix:group:<name>               its group name, when known
//   unix:supplementary_gid:<n>      one per id in "Groups:"
//   unix:supplementary_group:<name> one per such group with a known name
//   unix:path:<abs path>            the target of /proc/<pid>/exe (with discover_workload_path)
//   unix:sha256:<hex>               SHA-256 of that executable (with discover_workload_path,
//                                   unless the file exceeds the hashing limit)
//
// Ids come from /proc at attestation time, not from the socket's peer credentials (which are
// those of the connect() call): a process that changed its ids since connecting is attested as
// it is now, as SPIRE does.
#ifndef SIGIL_ATTESTORS_WORKLOAD_UNIX_ATTESTOR_H_
#define SIGIL_ATTESTORS_WORKLOAD_UNIX_ATTESTOR_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "attestors/workload/executable_hasher.h"
#include "attestors/workload/workload_attestor.h"

namespace sigil::attestors {

struct UnixAttestorOptions {
  // Where procfs is mounted; tests point this at a fixture tree.
  std::string proc_root = "/proc";
  // Adds unix:path and unix:sha256. Reading another user's /proc/<pid>/exe needs the agent to
  // run as root (or with CAP_SYS_PTRACE); when it cannot be read, attestation fails rather than
  // silently returning fewer selectors.
  bool discover_workload_path = true;
  ExecutableHasherOptions hashing;
};

class UnixWorkloadAttestor : public WorkloadAttestor {
 public:
  explicit UnixWorkloadAttestor(UnixAttestorOptions options = {});

  std::string_view name() const override { return "unix"; }

  // Selectors as listed above, in no particular order. Fails with kNotFound when the process
  // is gone, and with the reader's error when /proc content is malformed or unreadable (see
  // proc_reader.h). User and group names that the user database does not know are left out
  // (a uid without a passwd entry is common inside containers).
  //
  // Limitation: unix:path is the path in the workload's mount namespace. A process in another
  // namespace (a container) reports a path that may name a different file, or none, on the
  // host; unix:sha256 is unaffected because it hashes the file /proc/<pid>/exe opens.
  // Limitation: user and group names come from the agent's user database (NSS), so a
  // containerised workload's names are the host's names for its numeric ids.
  absl::StatusOr<std::vector<Selector>> Attest(const WorkloadProcess& process) const override;

  const ExecutableHasher& hasher() const { return *hasher_; }

 private:
  const UnixAttestorOptions options_;
  // Shared mutable cache behind a const interface.
  std::unique_ptr<ExecutableHasher> hasher_;
};

// The user database's name for `uid` / `gid`, or nullopt when it has none. Thread-safe
// (getpwuid_r / getgrgid_r).
std::optional<std::string> LookupUserName(uid_t uid);
std::optional<std::string> LookupGroupName(gid_t gid);

}  // namespace sigil::attestors

#endif  // SIGIL_ATTESTORS_WORKLOAD_UNIX_ATTESTOR_H_
