#include "server/ca/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "sigil/keys.h"
#include "sigil/secret_bytes.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {

absl::Status ErrnoStatus(int err, std::string_view what, std::string_view path) {
  std::string message = absl::StrCat(AsAbsl(what), " ", AsAbsl(path), ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

// Closes the descriptor when the scope ends.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports the error close() saw (an NFS write error can surface only here).
  int Close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

absl::Status FsyncDirectory(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    return ErrnoStatus(errno, "opening directory", dir);
  }
  if (::fsync(fd.get()) != 0) {
    return ErrnoStatus(errno, "syncing directory", dir);
  }
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoStatus(errno, "writing", path);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Opens a fresh temporary file beside the target. O_EXCL guarantees we never write into a file
// someone else prepared (a symlink planted at a guessed name, say).
absl::StatusOr<std::string> CreateTempFile(const std::string& dir, std::string_view name,
                                           mode_t mode, int* out_fd) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    SIGIL_ASSIGN_OR_RETURN(std::string nonce, RandomBytes(6));
    std::string path =
        absl::StrCat(dir, "/.", AsAbsl(name), AsAbsl(kTempFileMarker), HexEncode(nonce));
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0) {
      *out_fd = fd;
      return path;
    }
    if (errno != EEXIST) {
      return ErrnoStatus(errno, "creating temporary file", path);
    }
  }
  return absl::UnavailableError(
      absl::StrCat("creating a temporary file in ", dir, ": every name tried was taken"));
}

}  // namespace

absl::StatusOr<std::string> ReadFileBounded(const std::string& path, size_t max_size,
                                            std::string_view what) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return ErrnoStatus(errno, absl::StrCat("reading ", AsAbsl(what)), path);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("reading ", AsAbsl(what)), path);
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(what), " ", path, " is not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > max_size) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(what), " ", path, " is ", st.st_size,
                                                   " bytes; at most ", max_size, " are accepted"));
  }

  std::string content(static_cast<size_t>(st.st_size), '\0');
  size_t filled = 0;
  while (filled < content.size()) {
    const ssize_t n = ::read(fd.get(), content.data() + filled, content.size() - filled);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int err = errno;
      WipeString(content);  // it may hold part of a private key
      return ErrnoStatus(err, absl::StrCat("reading ", AsAbsl(what)), path);
    }
    if (n == 0) {
      break;  // the file shrank while we read it; keep what is there
    }
    filled += static_cast<size_t>(n);
  }
  content.resize(filled);
  return content;
}

absl::Status WriteFileAtomically(const std::string& dir, std::string_view name,
                                 std::string_view bytes, mode_t mode) {
  if (name.empty() || name.find('/') != std::string_view::npos) {
    return absl::InvalidArgumentError("file name must be non-empty and contain no '/'");
  }
  int raw_fd = -1;
  SIGIL_ASSIGN_OR_RETURN(std::string temp_path, CreateTempFile(dir, name, mode, &raw_fd));
  Fd fd(raw_fd);
  absl::Status status = WriteAll(fd.get(), bytes, temp_path);
  if (status.ok() && ::fsync(fd.get()) != 0) {
    status = ErrnoStatus(errno, "syncing", temp_path);
  }
  if (status.ok() && fd.Close() != 0) {
    status = ErrnoStatus(errno, "closing", temp_path);
  }
  const std::string target = absl::StrCat(dir, "/", AsAbsl(name));
  if (status.ok() && ::rename(temp_path.c_str(), target.c_str()) != 0) {
    status = ErrnoStatus(errno, "renaming into place", target);
  }
  if (!status.ok()) {
    ::unlink(temp_path.c_str());
    return status;
  }
  return FsyncDirectory(dir);
}

absl::Status RemoveFileDurably(const std::string& dir, std::string_view name) {
  const std::string path = absl::StrCat(dir, "/", AsAbsl(name));
  if (::unlink(path.c_str()) != 0) {
    return ErrnoStatus(errno, "removing", path);
  }
  return FsyncDirectory(dir);
}

absl::StatusOr<int> RemoveStaleTempFiles(const std::string& dir) {
  DIR* stream = ::opendir(dir.c_str());
  if (stream == nullptr) {
    return ErrnoStatus(errno, "listing directory", dir);
  }
  std::vector<std::string> stale;
  while (const struct dirent* entry = ::readdir(stream)) {
    const std::string_view name = entry->d_name;
    if (name.size() > 1 && name.front() == '.' &&
        name.find(kTempFileMarker) != std::string_view::npos) {
      stale.emplace_back(name);
    }
  }
  ::closedir(stream);

  for (const std::string& name : stale) {
    const std::string path = absl::StrCat(dir, "/", name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, "removing stale temporary file", path);
    }
  }
  if (!stale.empty()) {
    SIGIL_RETURN_IF_ERROR(FsyncDirectory(dir));
  }
  return static_cast<int>(stale.size());
}

absl::Status EnsurePrivateDirectory(const std::string& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) == 0) {
    // mkdir's mode is filtered by the umask; a umask can only narrow it, so this is at most
    // `mode`, but set it exactly so the result does not depend on the caller's umask.
    if (::chmod(dir.c_str(), mode) != 0) {
      return ErrnoStatus(errno, "setting the mode of", dir);
    }
    return absl::OkStatus();
  }
  if (errno != EEXIST) {
    return ErrnoStatus(errno, "creating directory", dir);
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    return ErrnoStatus(errno, "inspecting", dir);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(dir, " exists and is not a directory"));
  }
  if ((st.st_mode & 07777 & ~mode) != 0 && ::chmod(dir.c_str(), mode) != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s has mode %04o, wider than %04o, and it cannot be narrowed: %s", dir,
                        st.st_mode & 07777, mode, std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace sigil::server
