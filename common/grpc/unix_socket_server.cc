#include "common/grpc/unix_socket_server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include <grpcpp/server_posix.h>

#include "sigil/log.h"

namespace sigil::grpcutil {
namespace {

constexpr std::string_view kLogComponent = "socket";

absl::Status Errno(const std::string& what, int err) {
  return absl::FailedPreconditionError(absl::StrCat(what, ": ", std::strerror(err)));
}

// True when some process accepts connections on `path`.
bool SomeoneListens(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return connected;
}

absl::Status PrepareSocketPath(const std::string& path) {
  sockaddr_un addr;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path \"", path, "\" must be 1 to ",
                                                   sizeof(addr.sun_path) - 1, " bytes"));
  }
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("creating socket directory ", parent.string(), ": ", ec.message()));
    }
  }
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    return absl::OkStatus();
  }
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("socket path ", path, " exists and is not a socket"));
  }
  if (SomeoneListens(path)) {
    return absl::FailedPreconditionError(
        absl::StrCat("socket ", path, " is in use by another process"));
  }
  // A socket left behind by a process that died: safe to replace.
  unlink(path.c_str());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<UnixSocketServer>> UnixSocketServer::Start(
    const UnixSocketServerOptions& options, const std::vector<grpc::Service*>& services) {
  if (absl::Status s = PrepareSocketPath(options.path); !s.ok()) {
    return s;
  }
  std::unique_ptr<UnixSocketServer> self(new UnixSocketServer(options));

  self->listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (self->listen_fd_ < 0) {
    return Errno("creating a Unix socket", errno);
  }
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, options.path.c_str(), sizeof(addr.sun_path) - 1);
  // Bind under a restrictive umask so the socket never exists with wider permissions than
  // asked for, not even between bind and chmod.
  const mode_t old_umask = umask(0177);
  const int bound = bind(self->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  const int bind_errno = errno;
  umask(old_umask);
  if (bound != 0) {
    return Errno(absl::StrCat("binding ", options.path), bind_errno);
  }
  if (chmod(options.path.c_str(), options.mode) != 0) {
    return Errno(absl::StrCat("setting permissions of ", options.path), errno);
  }
  if (listen(self->listen_fd_, 1024) != 0) {
    return Errno(absl::StrCat("listening on ", options.path), errno);
  }
  if (pipe2(self->wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return Errno("creating a wake-up pipe", errno);
  }

  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(options.max_receive_message_size);
  for (grpc::Service* service : services) {
    builder.RegisterService(service);
  }
  self->server_ = builder.BuildAndStart();
  if (self->server_ == nullptr) {
    return absl::InternalError("starting the gRPC server");
  }
  self->accept_thread_ = std::thread([raw = self.get()] { raw->AcceptLoop(); });
  return self;
}

UnixSocketServer::~UnixSocketServer() { Shutdown(absl::ZeroDuration()); }

void UnixSocketServer::Shutdown(absl::Duration grace) {
  if (stopping_.exchange(true)) {
    return;
  }
  if (wake_fds_[1] >= 0) {
    const char byte = 0;
    [[maybe_unused]] ssize_t n = write(wake_fds_[1], &byte, 1);
  }
  if (accept_thread_.joinable()) {
    accept_thread_.join();
  }
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    unlink(options_.path.c_str());
  }
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoSeconds(grace));
    server_->Wait();
  }
  for (int fd : wake_fds_) {
    if (fd >= 0) {
      close(fd);
    }
  }
}

void UnixSocketServer::AcceptLoop() {
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
  while (!stopping_.load()) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      SIGIL_LOG(kError, "accept.poll_failed", {{"error", std::strerror(errno)}});
      return;
    }
    if (fds[1].revents != 0) {
      return;
    }
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
        SIGIL_LOG(kWarn, "accept.failed", {{"error", std::strerror(errno)}});
        // Out of descriptors, say: back off briefly instead of spinning.
        poll(nullptr, 0, 50);
      }
      continue;
    }
    ucred cred = {};
    socklen_t len = sizeof(cred);
    struct stat st;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || fstat(fd, &st) != 0) {
      close(fd);
      continue;
    }
    if (connection_count() >= options_.max_connections) {
      PruneClosed();
      if (connection_count() >= options_.max_connections) {
        SIGIL_LOG(kWarn, "accept.refused",
                  {{"reason", "connection limit"}, {"uid", std::to_string(cred.uid)}});
        close(fd);
        continue;
      }
    }
    {
      absl::MutexLock lock(&mu_);
      connections_[fd] = Connection{{cred.pid, cred.uid, cred.gid}, st.st_ino};
    }
    // gRPC takes ownership of `fd` and closes it when the connection ends.
    grpc::AddInsecureChannelFromFd(server_.get(), fd);
  }
}

void UnixSocketServer::PruneClosed() {
  absl::MutexLock lock(&mu_);
  for (auto it = connections_.begin(); it != connections_.end();) {
    struct stat st;
    if (fstat(it->first, &st) != 0 || st.st_ino != it->second.inode) {
      connections_.erase(it++);
    } else {
      ++it;
    }
  }
}

size_t UnixSocketServer::connection_count() const {
  absl::MutexLock lock(&mu_);
  return connections_.size();
}

std::optional<PeerCredentials> UnixSocketServer::PeerOf(
    const grpc::ServerContextBase& context) const {
  const std::string peer = context.peer();
  if (!absl::StartsWith(peer, "fd:")) {
    return std::nullopt;
  }
  int fd = -1;
  if (!absl::SimpleAtoi(absl::string_view(peer).substr(3), &fd)) {
    return std::nullopt;
  }
  absl::MutexLock lock(&mu_);
  auto it = connections_.find(fd);
  if (it == connections_.end()) {
    return std::nullopt;
  }
  // A descriptor number is reused once gRPC closes it: the inode recorded at accept time tells
  // this connection from a later one that got the same number.
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_ino != it->second.inode) {
    return std::nullopt;
  }
  return it->second.creds;
}

}  // namespace sigil::grpcutil
