#include "attestors/workload/proc_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "sigil/status.h"

namespace sigil::attestors {
namespace {

absl::Status ErrnoStatus(const std::string& what, int err) {
  const std::string message = absl::StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ESRCH:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

// A gone process shows as ENOENT on its files; say so in terms of the process.
absl::Status ForProcess(absl::Status status, pid_t pid) {
  if (status.code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrCat("process ", pid, " does not exist"));
  }
  return status;
}

// Digits only: no sign, no spaces, no empty string, no overflow of T.
template <typename T>
bool ParseDecimal(std::string_view text, T* out) {
  if (text.empty() || text.size() > 20) {
    return false;
  }
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return false;
    }
    value = value * 10 + digit;
  }
  if (value > std::numeric_limits<T>::max()) {
    return false;
  }
  *out = static_cast<T>(value);
  return true;
}

// Splits on runs of spaces and tabs, dropping empty pieces.
std::vector<std::string_view> Fields(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
      ++i;
    }
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') {
      ++i;
    }
    if (i > start) {
      fields.push_back(text.substr(start, i - start));
    }
  }
  return fields;
}

// "Uid:" / "Gid:" value: real, effective, saved, filesystem ids. Returns the effective one.
template <typename T>
absl::StatusOr<T> ParseIdQuad(std::string_view name, std::string_view value) {
  const std::vector<std::string_view> ids = Fields(value);
  if (ids.size() != 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("proc status: ", AsAbsl(name), " has ", ids.size(), " ids, want 4"));
  }
  T parsed[4];
  for (size_t i = 0; i < 4; ++i) {
    if (!ParseDecimal(ids[i], &parsed[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("proc status: ", AsAbsl(name), " id ", i + 1, " is not a decimal id"));
    }
  }
  return parsed[1];
}

}  // namespace

std::string ProcPath(std::string_view proc_root, pid_t pid, std::string_view name) {
  return absl::StrCat(AsAbsl(proc_root), "/", pid, "/", AsAbsl(name));
}

absl::StatusOr<std::string> ReadBoundedFile(const std::string& path, size_t max_bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoStatus(absl::StrCat("opening ", path), errno);
  }
  std::string content;
  char buf[8192];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int err = errno;
      close(fd);
      return ErrnoStatus(absl::StrCat("reading ", path), err);
    }
    if (n == 0) {
      break;
    }
    if (content.size() + static_cast<size_t>(n) > max_bytes) {
      close(fd);
      return absl::InvalidArgumentError(
          absl::StrCat(path, " is larger than ", max_bytes, " bytes"));
    }
    content.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return content;
}

absl::StatusOr<ProcStatus> ParseProcStatus(std::string_view text) {
  ProcStatus status;
  bool have_uid = false;
  bool have_gid = false;
  bool have_groups = false;
  for (absl::string_view piece : absl::StrSplit(AsAbsl(text), '\n')) {
    const std::string_view line = AsStd(piece);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    const std::string_view key = line.substr(0, colon);
    const std::string_view value = line.substr(colon + 1);
    if (key == "Uid" || key == "Gid") {
      bool& seen = key == "Uid" ? have_uid : have_gid;
      if (seen) {
        return absl::InvalidArgumentError(
            absl::StrCat("proc status: ", AsAbsl(key), " appears twice"));
      }
      seen = true;
      if (key == "Uid") {
        SIGIL_ASSIGN_OR_RETURN(status.effective_uid, ParseIdQuad<uid_t>(key, value));
      } else {
        SIGIL_ASSIGN_OR_RETURN(status.effective_gid, ParseIdQuad<gid_t>(key, value));
      }
    } else if (key == "Groups") {
      if (have_groups) {
        return absl::InvalidArgumentError("proc status: Groups appears twice");
      }
      have_groups = true;
      const std::vector<std::string_view> ids = Fields(value);
      if (ids.size() > kMaxSupplementaryGroups) {
        return absl::InvalidArgumentError(absl::StrCat("proc status: Groups lists ", ids.size(),
                                                       " groups, more than ",
                                                       kMaxSupplementaryGroups));
      }
      status.supplementary_gids.reserve(ids.size());
      for (size_t i = 0; i < ids.size(); ++i) {
        gid_t gid;
        if (!ParseDecimal(ids[i], &gid)) {
          return absl::InvalidArgumentError(
              absl::StrCat("proc status: Groups entry ", i + 1, " is not a decimal id"));
        }
        status.supplementary_gids.push_back(gid);
      }
    }
  }
  if (!have_uid || !have_gid || !have_groups) {
    return absl::InvalidArgumentError(absl::StrCat("proc status: missing ",
                                                   !have_uid   ? "Uid"
                                                   : !have_gid ? "Gid"
                                                               : "Groups",
                                                   " line"));
  }
  return status;
}

absl::StatusOr<ProcStatus> ReadProcStatus(std::string_view proc_root, pid_t pid) {
  auto text = ReadBoundedFile(ProcPath(proc_root, pid, "status"), kMaxProcStatusBytes);
  if (!text.ok()) {
    return ForProcess(text.status(), pid);
  }
  return ParseProcStatus(*text);
}

absl::StatusOr<uint64_t> ParseProcStartTime(std::string_view text) {
  const size_t close_paren = text.rfind(')');
  if (close_paren == std::string_view::npos || text.find('(') > close_paren) {
    return absl::InvalidArgumentError("proc stat: no parenthesised command name");
  }
  // After ")" come fields 3 (state), 4, ...: field 22 is the 20th of them.
  const std::vector<std::string_view> fields =
      Fields(text.substr(close_paren + 1, text.find('\n', close_paren) - close_paren - 1));
  constexpr size_t kStartTimeIndex = 22 - 3;
  if (fields.size() <= kStartTimeIndex) {
    return absl::InvalidArgumentError(
        absl::StrCat("proc stat: ", fields.size() + 2, " fields, want at least 22"));
  }
  uint64_t start_time;
  if (!ParseDecimal(fields[kStartTimeIndex], &start_time)) {
    return absl::InvalidArgumentError("proc stat: field 22 (starttime) is not a decimal number");
  }
  return start_time;
}

absl::StatusOr<uint64_t> ReadProcStartTime(std::string_view proc_root, pid_t pid) {
  auto text = ReadBoundedFile(ProcPath(proc_root, pid, "stat"), kMaxProcStatBytes);
  if (!text.ok()) {
    return ForProcess(text.status(), pid);
  }
  return ParseProcStartTime(*text);
}

absl::StatusOr<std::string> ReadExePath(std::string_view proc_root, pid_t pid) {
  const std::string link = ProcPath(proc_root, pid, "exe");
  char buf[PATH_MAX + 1];
  const ssize_t n = readlink(link.c_str(), buf, sizeof(buf));
  if (n < 0) {
    return ForProcess(ErrnoStatus(absl::StrCat("reading link ", link), errno), pid);
  }
  if (static_cast<size_t>(n) >= sizeof(buf)) {
    return absl::InvalidArgumentError(absl::StrCat(link, " is longer than ", PATH_MAX, " bytes"));
  }
  std::string path(buf, static_cast<size_t>(n));
  if (path.empty() || path.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat(link, " is not an absolute path"));
  }
  return path;
}

}  // namespace sigil::attestors
