#include "server/cli/file_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace sigil::server::cli {
namespace {

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat(std::string(what), " ", path, ": ", std::strerror(errno)));
}

// Writes `file` to a fresh temporary in `dir`; returns the temporary's path.
absl::StatusOr<std::string> WriteTemporary(const std::string& dir, const OutputFile& file) {
  std::string temp = absl::StrCat(dir, "/.", file.name, ".tmp-XXXXXX");
  const int fd = mkstemp(temp.data());
  if (fd < 0) {
    return Errno("creating a temporary file for", absl::StrCat(dir, "/", file.name));
  }
  absl::Status status;
  if (fchmod(fd, file.mode) != 0) {
    status = Errno("setting the mode of", temp);
  }
  size_t written = 0;
  while (status.ok() && written < file.content.size()) {
    const ssize_t n = write(fd, file.content.data() + written, file.content.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      status = Errno("writing", temp);
      break;
    }
    written += static_cast<size_t>(n);
  }
  if (status.ok() && fsync(fd) != 0) {
    status = Errno("flushing", temp);
  }
  if (close(fd) != 0 && status.ok()) {
    status = Errno("closing", temp);
  }
  if (!status.ok()) {
    unlink(temp.c_str());
    return status;
  }
  return temp;
}

}  // namespace

absl::Status WriteFilesAtomically(const std::string& dir, const std::vector<OutputFile>& files) {
  for (const OutputFile& file : files) {
    if (file.name.empty() || file.name.find('/') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("bad output file name \"", file.name, "\""));
    }
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT || mkdir(dir.c_str(), 0700) != 0) {
      return Errno("creating directory", dir);
    }
  } else if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(dir, " exists and is not a directory"));
  }

  std::vector<std::string> temps;
  for (const OutputFile& file : files) {
    absl::StatusOr<std::string> temp = WriteTemporary(dir, file);
    if (!temp.ok()) {
      for (const std::string& t : temps) {
        unlink(t.c_str());
      }
      return temp.status();
    }
    temps.push_back(*std::move(temp));
  }
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string target = absl::StrCat(dir, "/", files[i].name);
    if (rename(temps[i].c_str(), target.c_str()) != 0) {
      absl::Status status = Errno("renaming into place", target);
      for (size_t j = i; j < temps.size(); ++j) {
        unlink(temps[j].c_str());
      }
      return status;
    }
  }
  // Make the renames themselves durable.
  if (const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY); dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return absl::OkStatus();
}

}  // namespace sigil::server::cli
