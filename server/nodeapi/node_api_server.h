// The node API listener: a gRPC server on TCP with TLS whose identity is the server SVID
// (server_svid.h), requesting but not verifying client certificates (PeerAuthenticator does
// that per call), serving NodeService. sigil-server starts one; tests start one on port 0.
#ifndef SIGIL_SERVER_NODEAPI_NODE_API_SERVER_H_
#define SIGIL_SERVER_NODEAPI_NODE_API_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

#include "server/ca/ca_manager.h"
#include "server/config/server_config.h"
#include "server/datastore/datastore.h"
#include "server/nodeapi/node_service.h"
#include "server/nodeapi/server_svid.h"
#include "server/registry/registry.h"

namespace sigil::server {

// Largest message the node API accepts (a batch of 1,000 signing requests is about 100 KiB).
inline constexpr int kNodeApiMaxReceiveBytes = 4 << 20;
// Largest message it sends: a full sync of many entries. Agents must accept as much.
// Limitation: a full sync is one message, never split, so an agent authorized for more entries
// than fit in 64 MiB (several hundred thousand) cannot sync.
inline constexpr int kNodeApiMaxSendBytes = 64 << 20;

struct NodeApiServerOptions {
  // HOST:PORT; port 0 picks a free one (see port()).
  std::string bind_address = "0.0.0.0:8081";
  // The server SVID is kept in <data_dir>/server_svid/.
  std::string data_dir;
  // How often gRPC re-reads the server SVID file.
  unsigned certificate_refresh_seconds = 5;
  absl::Duration server_svid_ttl = absl::Hours(1);
  // node_attestor.x509pop.ca_bundle_path; empty leaves x509pop off.
  std::string x509pop_ca_bundle_path;
  NodeServiceOptions service;
};

// The node API options a server config asks for.
NodeApiServerOptions NodeApiOptionsFromConfig(const ServerConfig& config,
                                              std::function<absl::Time()> clock);

class NodeApiServer {
 public:
  // Writes the server SVID, builds the attestors (join_token always, x509pop when configured),
  // binds and starts serving. Borrows `ca`, `datastore` and `registry`, which must outlive the
  // server. Fails with kInvalidArgument for a bad x509pop CA bundle, kUnavailable when the
  // address cannot be bound, and passes on SVID errors; nothing is left running on failure.
  static absl::StatusOr<std::unique_ptr<NodeApiServer>> Start(NodeApiServerOptions options,
                                                              CaManager& ca, DataStore& datastore,
                                                              Registry& registry);
  // Shuts down with no grace period if Shutdown was not called.
  ~NodeApiServer();
  NodeApiServer(const NodeApiServer&) = delete;
  NodeApiServer& operator=(const NodeApiServer&) = delete;

  // Ends open Sync streams, stops accepting calls and waits up to `grace` for calls in flight.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

  // The port actually bound.
  int port() const { return port_; }
  NodeService& service() { return *service_; }
  ServerSvidRotator& server_svid() { return *svid_; }

 private:
  NodeApiServer() = default;

  std::unique_ptr<ServerSvidRotator> svid_;
  std::unique_ptr<NodeService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_NODEAPI_NODE_API_SERVER_H_
