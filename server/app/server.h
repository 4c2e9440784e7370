// A running sigil-server: the datastore, the CA, and the gRPC services on the admin socket.
#ifndef SIGIL_SERVER_APP_SERVER_H_
#define SIGIL_SERVER_APP_SERVER_H_

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"

#include "common/grpc/unix_socket_server.h"
#include "server/app/server_core.h"
#include "server/nodeapi/node_api_server.h"
#include "server/registry/registry.h"

namespace sigil::server {

// Largest request the admin socket accepts: room for a batch of kMaxEntriesPerBatch entries.
inline constexpr int kMaxAdminMessageBytes = 64 << 20;

// How often the CA's rotation is moved along. Rotation points are hours apart; a few seconds
// of delay changes nothing, and a failed step is retried this soon.
inline constexpr absl::Duration kCaTickInterval = absl::Seconds(5);

class Server {
 public:
  // Creates the data directory (0700), opens the datastore (applying migrations), loads or
  // creates the CA (keys from the configured key manager, an intermediate from the upstream
  // authority when one is configured), starts the thread that ticks the CA's rotation and the
  // admin socket. Fails naming the step and cause; nothing is left running on failure.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerConfig config);

  ~Server();

  // Stops accepting, lets in-flight calls finish for up to `grace`, stops the CA ticker, then
  // closes the CA and the datastore. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

  ServerCore& core() { return *core_; }
  // The node API's bound port (useful with --bind-address HOST:0).
  int node_api_port() const { return node_api_ != nullptr ? node_api_->port() : 0; }

 private:
  struct Services;
  Server() = default;
  void TickCaUntilStopped();

  std::unique_ptr<ServerCore> core_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<grpcutil::UnixSocketServer> admin_;
  // Where the services look up the socket server to name their caller; shared with them.
  std::shared_ptr<std::atomic<grpcutil::UnixSocketServer*>> admin_slot_;
  absl::Notification stop_ticker_;
  std::thread ticker_;
  // The in-memory registry the node API serves from; refreshed after every datastore write.
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<NodeApiServer> node_api_;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_APP_SERVER_H_
