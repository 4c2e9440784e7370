// ValidateKeyId and the in-memory key manager.
#include "server/ca/key_manager.h"

#include "absl/strings/str_cat.h"

#include "sigil/status.h"

namespace sigil::server {
namespace {

bool IsKeyIdByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

absl::Status ValidateKeyId(std::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("key id must be 1 to ", kMaxKeyIdLength, " bytes, got ", id.size()));
  }
  if (id.front() == '.') {
    return absl::InvalidArgumentError("key id must not start with '.'");
  }
  for (size_t i = 0; i < id.size(); ++i) {
    if (!IsKeyIdByte(id[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("key id byte ", i, " is not one of [A-Za-z0-9._-]"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PrivateKey> MemoryKeyManager::GenerateKey(std::string_view id, KeyType type) {
  SIGIL_RETURN_IF_ERROR(ValidateKeyId(id));
  SIGIL_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate(type));
  absl::MutexLock lock(&mu_);
  keys_.insert_or_assign(std::string(id), key);
  return key;
}

absl::StatusOr<PrivateKey> MemoryKeyManager::GetKey(std::string_view id) {
  SIGIL_RETURN_IF_ERROR(ValidateKeyId(id));
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(id);
  if (it == keys_.end()) {
    return absl::NotFoundError(absl::StrCat("no key with id ", AsAbsl(id)));
  }
  return it->second;
}

absl::Status MemoryKeyManager::DeleteKey(std::string_view id) {
  SIGIL_RETURN_IF_ERROR(ValidateKeyId(id));
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(id);
  if (it == keys_.end()) {
    return absl::NotFoundError(absl::StrCat("no key with id ", AsAbsl(id)));
  }
  keys_.erase(it);
  return absl::OkStatus();
}

}  // namespace sigil::server
