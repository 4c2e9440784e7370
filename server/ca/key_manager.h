// Where sigil-server keeps the private keys of its signing authorities. The CA asks a
// KeyManager to make a key under a name it chooses and to hand it back later; the key never
// leaves the manager except as the PrivateKey object the CA signs with.
//
// Two managers exist: DiskKeyManager (one PKCS#8 file per key, so the CA survives a restart)
// and MemoryKeyManager (keys die with the process, so every start makes new authorities).
#ifndef SIGIL_SERVER_CA_KEY_MANAGER_H_
#define SIGIL_SERVER_CA_KEY_MANAGER_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

#include "sigil/keys.h"

namespace sigil::server {

inline constexpr size_t kMaxKeyIdLength = 128;

// A key id is 1 to 128 bytes of [A-Za-z0-9._-] not starting with '.': it becomes a file name,
// so it can hold no path separator, cannot be "." or "..", and cannot collide with the hidden
// temporary files DiskKeyManager writes. kInvalidArgument naming the offending byte otherwise.
absl::Status ValidateKeyId(std::string_view id);

// Implementations are thread-safe.
class KeyManager {
 public:
  virtual ~KeyManager() = default;

  // Makes a new key of `type`, stores it under `id` (replacing any key `id` held) and returns
  // it. When this fails, `id` still holds its previous key, if any. kInvalidArgument for a bad
  // id; other codes when key generation or storage fails.
  virtual absl::StatusOr<PrivateKey> GenerateKey(std::string_view id, KeyType type) = 0;

  // The key stored under `id`. kNotFound when there is none; kInvalidArgument for a bad id;
  // kDataLoss when the stored key is unreadable.
  virtual absl::StatusOr<PrivateKey> GetKey(std::string_view id) = 0;

  // Forgets the key stored under `id`. kNotFound when there is none.
  virtual absl::Status DeleteKey(std::string_view id) = 0;
};

// Keys held in process memory only. Cheap; for tests and for servers that accept a new CA on
// every restart.
class MemoryKeyManager final : public KeyManager {
 public:
  absl::StatusOr<PrivateKey> GenerateKey(std::string_view id, KeyType type) override;
  absl::StatusOr<PrivateKey> GetKey(std::string_view id) override;
  absl::Status DeleteKey(std::string_view id) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, PrivateKey, std::less<>> keys_ ABSL_GUARDED_BY(mu_);
};

// Keys as unencrypted PKCS#8 PEM files "<directory>/<id>.pem", mode 0600, in a directory of
// mode 0700. Every write is atomic (see WriteFileAtomically), so a crash at any moment leaves a
// key file either as it was or complete. Keys are cached in memory after the first read.
//
// Limitation: keys are stored unencrypted and protected by file permissions alone, like
// SPIRE's disk key manager; anyone who can read the directory as its owner (or root) can read
// the CA keys.
class DiskKeyManager final : public KeyManager {
 public:
  // Creates `directory` (mode 0700) if missing, narrows a wider mode to 0700, and deletes
  // temporary files that an interrupted write left there. Fails with kFailedPrecondition when
  // `directory` is not a directory or cannot be made private, and with the errno-derived code
  // (kPermissionDenied, kNotFound for a missing parent, ...) when it cannot be created.
  static absl::StatusOr<std::unique_ptr<DiskKeyManager>> Open(std::string directory);

  // GetKey also fails with kFailedPrecondition when the key file can be read by group or
  // others (a sign that someone copied or edited it by hand), naming the mode found.
  absl::StatusOr<PrivateKey> GenerateKey(std::string_view id, KeyType type) override;
  absl::StatusOr<PrivateKey> GetKey(std::string_view id) override;
  absl::Status DeleteKey(std::string_view id) override;

  const std::string& directory() const { return directory_; }
  // The file that holds (or would hold) key `id`. `id` must be valid.
  std::string PathForTest(std::string_view id) const;

 private:
  explicit DiskKeyManager(std::string directory) : directory_(std::move(directory)) {}

  const std::string directory_;
  absl::Mutex mu_;
  std::map<std::string, PrivateKey, std::less<>> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_CA_KEY_MANAGER_H_
