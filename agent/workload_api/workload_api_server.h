// The agent's Workload API endpoint: the WorkloadApiService and gRPC server reflection (WAPI-14)
// on a Unix socket that any local process may connect to (the caller proves nothing; the kernel
// names it and attestation decides what it gets, ARCHITECTURE.md section 6).
//
//   auto server = WorkloadApiServer::Start({.socket_path = path}, cache, jwt_cache, signer,
//                                          attestation);
//   ...
//   (*server)->Shutdown();
#ifndef SIGIL_AGENT_WORKLOAD_API_WORKLOAD_API_SERVER_H_
#define SIGIL_AGENT_WORKLOAD_API_WORKLOAD_API_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "agent/workload_api/work_pool.h"
#include "agent/workload_api/workload_api_service.h"
#include "common/grpc/unix_socket_server.h"

namespace sigil::agent {

inline constexpr char kDefaultWorkloadApiSocket[] = "/tmp/sigil-agent/public/api.sock";

struct WorkloadApiServerOptions {
  std::string socket_path = kDefaultWorkloadApiSocket;
  // Connections served at once; more are closed at accept.
  size_t max_connections = 20'000;
  // Threads that attest callers and mint JWT-SVIDs, and how many calls may wait for them
  // before new ones are refused with UNAVAILABLE.
  size_t worker_threads = 4;
  size_t max_queued_calls = 10'000;
  // How long Shutdown waits for unary calls in progress.
  absl::Duration shutdown_grace = absl::Seconds(5);
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class WorkloadApiServer {
 public:
  // Creates the socket's missing parent directories with mode 0755 (existing ones are left as
  // they are), binds the socket with mode 0666 and starts serving. Fails with
  // kFailedPrecondition naming the path and the cause (see UnixSocketServer::Start). Borrows
  // everything else; all of it must outlive the server.
  //
  // Limitation: gRPC 1.51 offers reflection only as a process-wide builder plugin, so every gRPC
  // server this process starts afterwards (an owner-only admin socket, say) also answers
  // reflection requests.
  static absl::StatusOr<std::unique_ptr<WorkloadApiServer>> Start(
      const WorkloadApiServerOptions& options, IdentityCache& cache, JwtSvidCache& jwt_cache,
      JwtSvidSigner& jwt_signer, const attestors::WorkloadAttestation& attestation);

  // Ends open streams with UNAVAILABLE, waits up to shutdown_grace for unary calls, removes the
  // socket and stops the workers. Idempotent; the destructor calls it.
  void Shutdown();
  ~WorkloadApiServer();

  const std::string& socket_path() const { return options_.socket_path; }
  WorkloadApiStats stats() const { return service_->stats(); }
  size_t connection_count() const { return socket_->connection_count(); }

 private:
  explicit WorkloadApiServer(WorkloadApiServerOptions options) : options_(std::move(options)) {}

  const WorkloadApiServerOptions options_;
  std::unique_ptr<WorkPool> pool_;
  std::unique_ptr<WorkloadApiService> service_;
  std::unique_ptr<grpcutil::UnixSocketServer> socket_;
  // socket_ for gRPC threads, which may run before Start() has set socket_.
  std::atomic<const grpcutil::UnixSocketServer*> socket_view_{nullptr};
  bool shut_down_ = false;
};

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_WORKLOAD_API_WORKLOAD_API_SERVER_H_
