#include "attestors/workload/executable_hasher.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"

#include "sigil/digest.h"
#include "sigil/keys.h"

#define SIGIL_LOG_COMPONENT "attestor.unix"
#include "sigil/log.h"

namespace sigil::attestors {
namespace {

absl::Status OpenError(const std::string& path, int err) {
  const std::string message = absl::StrCat("opening ", path, ": ", std::strerror(err));
  if (err == ENOENT || err == ESRCH) {
    return absl::NotFoundError(message);
  }
  if (err == EACCES || err == EPERM) {
    return absl::PermissionDeniedError(message);
  }
  return absl::UnavailableError(message);
}

// Closes the descriptor on every return path.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

absl::StatusOr<std::string> HashOpenFile(int fd, uint64_t size, const std::string& path) {
  auto hasher = Sha256Hasher::Create();
  if (!hasher.ok()) {
    return hasher.status();
  }
  std::string buf(64 * 1024, '\0');
  uint64_t total = 0;
  while (true) {
    const ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return absl::UnavailableError(absl::StrCat("reading ", path, ": ", std::strerror(errno)));
    }
    if (n == 0) {
      break;
    }
    total += static_cast<uint64_t>(n);
    // Growing while being read: stop rather than read without bound.
    if (total > size) {
      return absl::AbortedError(absl::StrCat(path, " grew while being hashed"));
    }
    if (absl::Status s = hasher->Update(std::string_view(buf.data(), static_cast<size_t>(n)));
        !s.ok()) {
      return s;
    }
  }
  if (total != size) {
    return absl::AbortedError(absl::StrCat(path, " shrank while being hashed"));
  }
  auto digest = hasher->Finish();
  if (!digest.ok()) {
    return digest.status();
  }
  return HexEncode(*digest);
}

}  // namespace

ExecutableHasher::FileKey ExecutableHasher::KeyOf(const struct stat& st) {
  return FileKey{st.st_dev, st.st_ino, st.st_size,
                 static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                 static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec};
}

absl::StatusOr<std::optional<std::string>> ExecutableHasher::Hash(const std::string& path) {
  if (options_.max_file_bytes == 0) {
    return std::nullopt;
  }
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return OpenError(path, errno);
  }
  FdCloser closer(fd);
  struct stat before;
  if (fstat(fd, &before) != 0) {
    return absl::UnavailableError(absl::StrCat("stat of ", path, ": ", std::strerror(errno)));
  }
  if (!S_ISREG(before.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not a regular file"));
  }
  if (static_cast<uint64_t>(before.st_size) > options_.max_file_bytes) {
    SIGIL_LOG(kInfo, "sha256.skipped",
              {{"path", path},
               {"reason", "executable larger than the hashing limit"},
               {"size", std::to_string(before.st_size)},
               {"limit", std::to_string(options_.max_file_bytes)}});
    return std::nullopt;
  }
  const FileKey key = KeyOf(before);
  if (std::optional<std::string> hex = Lookup(key)) {
    return hex;
  }

  auto hex = HashOpenFile(fd, static_cast<uint64_t>(before.st_size), path);
  if (!hex.ok()) {
    return hex.status();
  }
  struct stat after;
  if (fstat(fd, &after) != 0 || !(KeyOf(after) == key)) {
    return absl::AbortedError(absl::StrCat(path, " changed while being hashed"));
  }
  Remember(key, *hex);
  return std::optional<std::string>(*std::move(hex));
}

std::optional<std::string> ExecutableHasher::Lookup(const FileKey& key) {
  absl::MutexLock lock(&mu_);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second.lru_position);
  return it->second.hex;
}

void ExecutableHasher::Remember(const FileKey& key, const std::string& hex) {
  if (options_.cache_capacity == 0) {
    return;
  }
  absl::MutexLock lock(&mu_);
  if (cache_.contains(key)) {
    return;
  }
  while (cache_.size() >= options_.cache_capacity) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(key);
  cache_.emplace(key, CachedDigest{hex, lru_.begin()});
}

uint64_t ExecutableHasher::hits() const {
  absl::MutexLock lock(&mu_);
  return hits_;
}

uint64_t ExecutableHasher::misses() const {
  absl::MutexLock lock(&mu_);
  return misses_;
}

size_t ExecutableHasher::size() const {
  absl::MutexLock lock(&mu_);
  return cache_.size();
}

}  // namespace sigil::attestors
