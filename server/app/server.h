// A running sigil-server: the datastore, the CA, and the gRPC services on the admin socket.
#ifndef SIGIL_SERVER_APP_SERVER_H_
#define SIGIL_SERVER_APP_SERVER_H_

#include <atomic>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"

#include "common/grpc/unix_socket_server.h"
#include "server/app/server_core.h"

namespace sigil::server {

// Largest request the admin socket accepts: room for a batch of kMaxEntriesPerBatch entries.
inline constexpr int kMaxAdminMessageBytes = 64 << 20;

class Server {
 public:
  // Creates the data directory (0700), opens the datastore (applying migrations), and starts
  // the admin socket. Fails naming the step and cause; nothing is left running on failure.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerConfig config);

  ~Server();

  // Stops accepting, lets in-flight calls finish for up to `grace`, then closes the datastore.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

  ServerCore& core() { return *core_; }

 private:
  struct Services;
  Server() = default;

  std::unique_ptr<ServerCore> core_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<grpcutil::UnixSocketServer> admin_;
  // Where the services look up the socket server to name their caller; shared with them.
  std::shared_ptr<std::atomic<grpcutil::UnixSocketServer*>> admin_slot_;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_APP_SERVER_H_
