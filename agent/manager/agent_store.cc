#include "agent/manager/agent_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

#include "sigil/secret_bytes.h"
#include "sigil/status.h"

namespace sigil::agent {
namespace {

constexpr char kSvidFile[] = "agent_svid.pem";
constexpr char kKeyFile[] = "agent_svid.key";
constexpr char kBundleFile[] = "bundle.json";
constexpr size_t kMaxStateFileSize = 4 * 1024 * 1024;

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat(AsAbsl(what), " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return Errno("writing", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    return Errno("creating", tmp);
  }
  // open() applies the umask; the mode must be exact (a key file is never group-readable).
  absl::Status status = ::fchmod(fd, mode) == 0 ? WriteAll(fd, contents, tmp) : Errno("chmod", tmp);
  if (status.ok() && ::fsync(fd) != 0) {
    status = Errno("syncing", tmp);
  }
  ::close(fd);
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = Errno("renaming onto", path);
  }
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);  // makes the rename itself durable
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    }
    return Errno("opening", path);
  }
  std::string out;
  char buf[16384];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      absl::Status s = Errno("reading", path);
      ::close(fd);
      return s;
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_size) {
      ::close(fd);
      WipeString(out);
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is larger than ", max_size, " bytes"));
    }
  }
  ::close(fd);
  return out;
}

absl::StatusOr<AgentStore> AgentStore::Open(std::string data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("creating data directory ", data_dir, ": ", ec.message()));
  }
  if (::chmod(data_dir.c_str(), 0700) != 0) {
    return Errno("setting mode 0700 on data directory", data_dir);
  }
  return AgentStore(std::move(data_dir));
}

std::string AgentStore::PathOf(std::string_view name) const {
  return absl::StrCat(data_dir_, "/", AsAbsl(name));
}

absl::StatusOr<std::optional<X509Svid>> AgentStore::LoadSvid() const {
  absl::StatusOr<std::string> chain = ReadSmallFile(PathOf(kSvidFile), kMaxStateFileSize);
  if (absl::IsNotFound(chain.status())) {
    return std::nullopt;
  }
  SIGIL_RETURN_IF_ERROR(chain.status());
  absl::StatusOr<std::string> key = ReadSmallFile(PathOf(kKeyFile), kMaxStateFileSize);
  if (!key.ok()) {
    return absl::DataLossError(absl::StrCat(PathOf(kKeyFile), ": ", key.status().message()));
  }
  SecretBytes key_pem = SecretBytes::Adopt(*std::move(key));
  absl::StatusOr<X509Svid> svid = X509Svid::Parse(*chain, key_pem.view());
  if (!svid.ok()) {
    return absl::DataLossError(absl::StrCat("stored agent SVID in ", data_dir_,
                                            " is unusable: ", svid.status().message()));
  }
  return std::optional<X509Svid>(*std::move(svid));
}

absl::StatusOr<std::optional<TrustBundle>> AgentStore::LoadBundle(const TrustDomain& td) const {
  absl::StatusOr<std::string> json = ReadSmallFile(PathOf(kBundleFile), kMaxStateFileSize);
  if (absl::IsNotFound(json.status())) {
    return std::nullopt;
  }
  SIGIL_RETURN_IF_ERROR(json.status());
  absl::StatusOr<TrustBundle> bundle = ParseSpiffeBundle(td, *json);
  if (!bundle.ok()) {
    return absl::DataLossError(absl::StrCat(PathOf(kBundleFile), ": ", bundle.status().message()));
  }
  return std::optional<TrustBundle>(*std::move(bundle));
}

absl::Status AgentStore::SaveSvid(const X509Svid& svid) const {
  SecretBytes key_pem = svid.private_key().ToPkcs8Pem();
  SIGIL_RETURN_IF_ERROR(WriteFileAtomically(PathOf(kKeyFile), key_pem.view(), 0600));
  return WriteFileAtomically(PathOf(kSvidFile), ConcatPem(svid.chain()), 0644);
}

absl::Status AgentStore::SaveBundle(const TrustBundle& bundle) const {
  SIGIL_ASSIGN_OR_RETURN(std::string json, EncodeSpiffeBundle(bundle));
  return WriteFileAtomically(PathOf(kBundleFile), json, 0600);
}

absl::Status AgentStore::ForgetSvid() const {
  for (const char* name : {kSvidFile, kKeyFile}) {
    const std::string path = PathOf(name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Errno("removing", path);
    }
  }
  return absl::OkStatus();
}

}  // namespace sigil::agent
