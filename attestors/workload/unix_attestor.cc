#include "attestors/workload/unix_attestor.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>

#include <string>

#include "absl/strings/str_cat.h"

#include "attestors/workload/proc_reader.h"
#include "sigil/status.h"

namespace sigil::attestors {
namespace {

// The NSS buffer grows on ERANGE up to this; a larger record is treated as unknown.
constexpr size_t kMaxNssBuffer = 1 << 20;

template <typename Record, typename Id, typename Lookup>
std::optional<std::string> LookupName(Id id, Lookup lookup) {
  std::string buf(1024, '\0');
  while (true) {
    Record record;
    Record* result = nullptr;
    const int err = lookup(id, &record, buf.data(), buf.size(), &result);
    if (err == ERANGE && buf.size() < kMaxNssBuffer) {
      buf.resize(buf.size() * 4);
      continue;
    }
    if (err != 0 || result == nullptr) {
      return std::nullopt;
    }
    if constexpr (std::is_same_v<Record, passwd>) {
      return std::string(result->pw_name);
    } else {
      return std::string(result->gr_name);
    }
  }
}

Selector Unix(std::string value) { return Selector{"unix", std::move(value)}; }

}  // namespace

std::optional<std::string> LookupUserName(uid_t uid) { return LookupName<passwd>(uid, getpwuid_r); }

std::optional<std::string> LookupGroupName(gid_t gid) { return LookupName<group>(gid, getgrgid_r); }

UnixWorkloadAttestor::UnixWorkloadAttestor(UnixAttestorOptions options)
    : options_(std::move(options)), hasher_(std::make_unique<ExecutableHasher>(options_.hashing)) {}

absl::StatusOr<std::vector<Selector>> UnixWorkloadAttestor::Attest(
    const WorkloadProcess& process) const {
  SIGIL_ASSIGN_OR_RETURN(const ProcStatus status, ReadProcStatus(options_.proc_root, process.pid));

  std::vector<Selector> selectors;
  selectors.push_back(Unix(absl::StrCat("uid:", status.effective_uid)));
  if (std::optional<std::string> user = LookupUserName(status.effective_uid)) {
    selectors.push_back(Unix(absl::StrCat("user:", *user)));
  }
  selectors.push_back(Unix(absl::StrCat("gid:", status.effective_gid)));
  if (std::optional<std::string> group = LookupGroupName(status.effective_gid)) {
    selectors.push_back(Unix(absl::StrCat("group:", *group)));
  }
  for (gid_t gid : status.supplementary_gids) {
    selectors.push_back(Unix(absl::StrCat("supplementary_gid:", gid)));
    if (std::optional<std::string> group = LookupGroupName(gid)) {
      selectors.push_back(Unix(absl::StrCat("supplementary_group:", *group)));
    }
  }

  if (options_.discover_workload_path) {
    SIGIL_ASSIGN_OR_RETURN(const std::string path, ReadExePath(options_.proc_root, process.pid));
    selectors.push_back(Unix(absl::StrCat("path:", path)));
    SIGIL_ASSIGN_OR_RETURN(const std::optional<std::string> sha256,
                           hasher_->Hash(ProcPath(options_.proc_root, process.pid, "exe")));
    if (sha256.has_value()) {
      selectors.push_back(Unix(absl::StrCat("sha256:", *sha256)));
    }
  }
  return selectors;
}

}  // namespace sigil::attestors
