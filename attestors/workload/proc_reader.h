// Strict, bounded readers for the /proc files workload attestation needs. Every reader takes
// the proc root ("/proc" in production, a directory of fixtures in tests) and a pid, reads at
// most a fixed number of bytes, and refuses content that does not have the documented shape
// instead of guessing.
//
// Errors: kNotFound "process <pid> does not exist" when the process is gone (or never was);
// kInvalidArgument naming the file and the rule when the content is malformed or too large;
// kPermissionDenied / kUnavailable for other I/O failures, naming the file and errno text.
// Thread-safe: no state.
#ifndef SIGIL_ATTESTORS_WORKLOAD_PROC_READER_H_
#define SIGIL_ATTESTORS_WORKLOAD_PROC_READER_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace sigil::attestors {

// Largest /proc/<pid>/status accepted. A process may hold up to 65,536 supplementary groups,
// whose "Groups:" line alone can reach about 700 KB.
inline constexpr size_t kMaxProcStatusBytes = 1 << 20;
// Largest /proc/<pid>/stat accepted (it is a few hundred bytes; comm is at most 16).
inline constexpr size_t kMaxProcStatBytes = 4096;
inline constexpr size_t kMaxSupplementaryGroups = 65536;

// From /proc/<pid>/status: the effective user and group (second column of "Uid:" and "Gid:")
// and the supplementary groups ("Groups:").
struct ProcStatus {
  uid_t effective_uid = 0;
  gid_t effective_gid = 0;
  std::vector<gid_t> supplementary_gids;
};

// Reads at most `max_bytes` of `path`; more is kInvalidArgument "<path> is larger than N bytes".
absl::StatusOr<std::string> ReadBoundedFile(const std::string& path, size_t max_bytes);

// Parses status text. "Uid:" and "Gid:" must each appear exactly once with four decimal ids;
// "Groups:" exactly once with zero or more decimal ids (at most kMaxSupplementaryGroups).
absl::StatusOr<ProcStatus> ParseProcStatus(std::string_view text);
absl::StatusOr<ProcStatus> ReadProcStatus(std::string_view proc_root, pid_t pid);

// Parses stat text and returns field 22, the process start time in clock ticks since boot.
// The command name (field 2) is parenthesised and may itself hold spaces and parentheses, so
// fields are counted from the last ")".
absl::StatusOr<uint64_t> ParseProcStartTime(std::string_view text);
absl::StatusOr<uint64_t> ReadProcStartTime(std::string_view proc_root, pid_t pid);

// The target of /proc/<pid>/exe: the executable's absolute path as the process's own mount
// namespace names it, with " (deleted)" appended by the kernel when the file was unlinked.
// Fails with kNotFound for a gone process or one without an executable (a kernel thread).
absl::StatusOr<std::string> ReadExePath(std::string_view proc_root, pid_t pid);

// "<proc_root>/<pid>/<name>".
std::string ProcPath(std::string_view proc_root, pid_t pid, std::string_view name);

}  // namespace sigil::attestors

#endif  // SIGIL_ATTESTORS_WORKLOAD_PROC_READER_H_
