// SHA-256 of workload executables for "unix:sha256:<hex>" selectors, with a bounded cache so
// that a binary is read once, not on every Workload API call.
//
// A cache entry is keyed by what identifies one version of one file: device, inode, size,
// mtime and ctime. ctime cannot be set by a user (unlike mtime, which `touch -d` sets), and any
// write or chmod moves it, so a file rewritten in place never matches a stale entry.
#ifndef SIGIL_ATTESTORS_WORKLOAD_EXECUTABLE_HASHER_H_
#define SIGIL_ATTESTORS_WORKLOAD_EXECUTABLE_HASHER_H_

#include <sys/stat.h>

#include <cstdint>
#include <list>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace sigil::attestors {

struct ExecutableHasherOptions {
  // Files larger than this are not hashed (Hash returns nullopt); 0 disables hashing.
  uint64_t max_file_bytes = 128ull << 20;
  // Digests remembered, least recently used dropped first. Each costs about 200 bytes.
  size_t cache_capacity = 512;
};

class ExecutableHasher {
 public:
  explicit ExecutableHasher(ExecutableHasherOptions options = {}) : options_(options) {}

  // The lowercase hex SHA-256 of the file `path` opens (for a process, "/proc/<pid>/exe": that
  // opens the very file the process runs, even when it was deleted or lives in another mount
  // namespace). Returns nullopt, and logs why, when the file is over max_file_bytes or hashing
  // is disabled. Fails with kNotFound when the file cannot be opened because it is gone,
  // kPermissionDenied when access is refused, kAborted when the file changed while being read,
  // kInvalidArgument when it is not a regular file. Thread-safe; hashing happens outside the
  // lock, so two callers may hash the same new file at once (both get the same answer).
  absl::StatusOr<std::optional<std::string>> Hash(const std::string& path);

  // Counters for metrics and tests.
  uint64_t hits() const;
  uint64_t misses() const;
  size_t size() const;

 private:
  struct FileKey {
    dev_t device;
    ino_t inode;
    off_t size;
    int64_t mtime_ns;
    int64_t ctime_ns;

    friend bool operator==(const FileKey&, const FileKey&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const FileKey& k) {
      return H::combine(std::move(h), k.device, k.inode, k.size, k.mtime_ns, k.ctime_ns);
    }
  };
  struct CachedDigest {
    std::string hex;
    std::list<FileKey>::iterator lru_position;
  };

  static FileKey KeyOf(const struct stat& st);
  std::optional<std::string> Lookup(const FileKey& key);
  void Remember(const FileKey& key, const std::string& hex);

  const ExecutableHasherOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<FileKey, CachedDigest> cache_ ABSL_GUARDED_BY(mu_);
  // Most recently used first.
  std::list<FileKey> lru_ ABSL_GUARDED_BY(mu_);
  uint64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sigil::attestors

#endif  // SIGIL_ATTESTORS_WORKLOAD_EXECUTABLE_HASHER_H_
