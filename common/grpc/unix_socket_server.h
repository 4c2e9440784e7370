// A gRPC server on a Unix domain socket that knows who is calling. gRPC 1.51 does not expose
// SO_PEERCRED (a call's peer() is just "unix:"), so this class owns the listening socket,
// accepts each connection itself, records the kernel's peer credentials, and hands the
// connection to gRPC; a handler then asks PeerOf(context) for the caller's pid, uid and gid.
//
// Used by the agent's Workload API (world-connectable, the caller is attested) and by both
// admin sockets (owner-only, the caller's uid is logged).
#ifndef SIGIL_COMMON_GRPC_UNIX_SOCKET_SERVER_H_
#define SIGIL_COMMON_GRPC_UNIX_SOCKET_SERVER_H_

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include <grpcpp/grpcpp.h>

namespace sigil::grpcutil {

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct UnixSocketServerOptions {
  std::string path;
  // Permission bits of the socket file: 0600 for admin sockets, 0666 for the Workload API.
  mode_t mode = 0600;
  // Connections served at once; further ones are closed at accept so that idle clients cannot
  // exhaust file descriptors.
  size_t max_connections = 20000;
  // Largest request message gRPC accepts.
  int max_receive_message_size = 4 * 1024 * 1024;
};

class UnixSocketServer {
 public:
  // Creates the socket's parent directory if missing, removes a stale socket file (refusing a
  // path that exists and is not a socket, or a socket another process is listening on), binds,
  // sets the mode, builds the gRPC server with `services` (borrowed; they must outlive this
  // object) and starts accepting. Fails with kFailedPrecondition naming the path and cause.
  static absl::StatusOr<std::unique_ptr<UnixSocketServer>> Start(
      const UnixSocketServerOptions& options, const std::vector<grpc::Service*>& services);

  ~UnixSocketServer();

  // Stops accepting, cancels calls still running after `grace`, and removes the socket file.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

  // The credentials the kernel reported for the connection `context` arrived on, or nullopt
  // when the call did not come through this server (or its connection is gone).
  std::optional<PeerCredentials> PeerOf(const grpc::ServerContextBase& context) const;

  const std::string& path() const { return options_.path; }
  size_t connection_count() const;
  grpc::Server* grpc_server() const { return server_.get(); }

 private:
  struct Connection {
    PeerCredentials creds;
    ino_t inode = 0;
  };

  explicit UnixSocketServer(UnixSocketServerOptions options) : options_(std::move(options)) {}
  void AcceptLoop();
  // Forgets connections whose descriptors gRPC has closed.
  void PruneClosed();

  const UnixSocketServerOptions options_;
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};
  std::unique_ptr<grpc::Server> server_;
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};
  mutable absl::Mutex mu_;
  absl::flat_hash_map<int, Connection> connections_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sigil::grpcutil

#endif  // SIGIL_COMMON_GRPC_UNIX_SOCKET_SERVER_H_
