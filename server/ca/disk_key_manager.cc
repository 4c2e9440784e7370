// DiskKeyManager: one PKCS#8 PEM file per key, written atomically.
#include <sys/stat.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "server/ca/files.h"
#include "server/ca/key_manager.h"
#include "sigil/secret_bytes.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {

constexpr mode_t kDirectoryMode = 0700;
constexpr mode_t kKeyFileMode = 0600;
// A PKCS#8 PEM of an RSA-4096 key is about 3.3 KiB; PrivateKey::FromPkcs8Pem takes 32 KiB.
constexpr size_t kMaxKeyFileSize = 32 * 1024;

std::string FileName(std::string_view id) { return absl::StrCat(AsAbsl(id), ".pem"); }

}  // namespace

absl::StatusOr<std::unique_ptr<DiskKeyManager>> DiskKeyManager::Open(std::string directory) {
  if (directory.empty()) {
    return absl::InvalidArgumentError("key manager directory must not be empty");
  }
  SIGIL_RETURN_IF_ERROR(EnsurePrivateDirectory(directory, kDirectoryMode));
  SIGIL_RETURN_IF_ERROR(RemoveStaleTempFiles(directory).status());
  return std::unique_ptr<DiskKeyManager>(new DiskKeyManager(std::move(directory)));
}

std::string DiskKeyManager::PathForTest(std::string_view id) const {
  return absl::StrCat(directory_, "/", FileName(id));
}

absl::StatusOr<PrivateKey> DiskKeyManager::GenerateKey(std::string_view id, KeyType type) {
  SIGIL_RETURN_IF_ERROR(ValidateKeyId(id));
  SIGIL_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate(type));
  const SecretBytes pem = key.ToPkcs8Pem();
  if (pem.empty()) {
    return absl::InternalError(absl::StrCat("encoding key ", AsAbsl(id), " as PKCS#8"));
  }

  absl::MutexLock lock(&mu_);
  SIGIL_RETURN_IF_ERROR(WriteFileAtomically(directory_, FileName(id), pem.view(), kKeyFileMode));
  cache_.insert_or_assign(std::string(id), key);
  return key;
}

absl::StatusOr<PrivateKey> DiskKeyManager::GetKey(std::string_view id) {
  SIGIL_RETURN_IF_ERROR(ValidateKeyId(id));
  absl::MutexLock lock(&mu_);
  if (auto it = cache_.find(id); it != cache_.end()) {
    return it->second;
  }

  const std::string path = absl::StrCat(directory_, "/", FileName(id));
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "key file %s has mode %04o; it must not be accessible to group or others (chmod 600)", path,
        st.st_mode & 07777));
  }
  absl::StatusOr<std::string> content = ReadFileBounded(path, kMaxKeyFileSize, "key file");
  if (absl::IsNotFound(content.status())) {
    return absl::NotFoundError(
        absl::StrCat("no key with id ", AsAbsl(id), " (", path, " does not exist)"));
  }
  if (!content.ok()) {
    return content.status();
  }
  const SecretBytes pem = SecretBytes::Adopt(std::move(*content));
  absl::StatusOr<PrivateKey> key = PrivateKey::FromPkcs8Pem(pem.view());
  if (!key.ok()) {
    return absl::DataLossError(
        absl::StrCat("key file ", path, " is not a readable PKCS#8 key: ", key.status().message()));
  }
  cache_.insert_or_assign(std::string(id), *key);
  return *key;
}

absl::Status DiskKeyManager::DeleteKey(std::string_view id) {
  SIGIL_RETURN_IF_ERROR(ValidateKeyId(id));
  absl::MutexLock lock(&mu_);
  cache_.erase(std::string(id));
  absl::Status status = RemoveFileDurably(directory_, FileName(id));
  if (absl::IsNotFound(status)) {
    return absl::NotFoundError(absl::StrCat("no key with id ", AsAbsl(id)));
  }
  return status;
}

}  // namespace sigil::server
