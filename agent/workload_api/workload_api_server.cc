#include "agent/workload_api/workload_api_server.h"

#include <errno.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <mutex>

#include "absl/strings/str_cat.h"
#include <grpcpp/ext/proto_server_reflection_plugin.h>

#define SIGIL_LOG_COMPONENT "workload_api"
#include "sigil/log.h"

namespace sigil::agent {
namespace {

// Creates each missing directory of `dir` with exactly 0755 (not masked by the umask), so that
// every user can reach the socket inside; directories that exist are not touched.
absl::Status MakeSocketDirectory(const std::filesystem::path& dir) {
  if (dir.empty()) {
    return absl::OkStatus();
  }
  std::filesystem::path partial;
  for (const std::filesystem::path& part : dir) {
    partial /= part;
    if (mkdir(partial.c_str(), 0755) == 0) {
      if (chmod(partial.c_str(), 0755) != 0) {
        return absl::FailedPreconditionError(
            absl::StrCat("setting permissions of ", partial.string(), ": ", std::strerror(errno)));
      }
    } else if (errno != EEXIST) {
      return absl::FailedPreconditionError(
          absl::StrCat("creating socket directory ", partial.string(), ": ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<WorkloadApiServer>> WorkloadApiServer::Start(
    const WorkloadApiServerOptions& options, IdentityCache& cache, JwtSvidCache& jwt_cache,
    JwtSvidSigner& jwt_signer, const attestors::WorkloadAttestation& attestation) {
  if (absl::Status s =
          MakeSocketDirectory(std::filesystem::path(options.socket_path).parent_path());
      !s.ok()) {
    return s;
  }
  static std::once_flag reflection_once;
  std::call_once(reflection_once,
                 [] { grpc::reflection::InitProtoReflectionServerBuilderPlugin(); });

  std::unique_ptr<WorkloadApiServer> self(new WorkloadApiServer(options));
  self->pool_ = std::make_unique<WorkPool>(options.worker_threads, options.max_queued_calls);
  WorkloadApiServer* raw = self.get();
  self->service_ = std::make_unique<WorkloadApiService>(WorkloadApiDependencies{
      .cache = &cache,
      .jwt_cache = &jwt_cache,
      .jwt_signer = &jwt_signer,
      .attestation = &attestation,
      .pool = self->pool_.get(),
      // A call may arrive before Start() has stored the socket server; it is then unknown
      // and fails attestation like any caller whose credentials are missing.
      .peer_of = [raw](const grpc::ServerContextBase& context)
          -> std::optional<grpcutil::PeerCredentials> {
        const grpcutil::UnixSocketServer* socket = raw->socket_view_.load();
        return socket == nullptr ? std::nullopt : socket->PeerOf(context);
      },
      .clock = options.clock,
  });
  auto socket = grpcutil::UnixSocketServer::Start(
      {.path = options.socket_path, .mode = 0666, .max_connections = options.max_connections},
      {self->service_.get()});
  if (!socket.ok()) {
    return socket.status();
  }
  self->socket_ = *std::move(socket);
  self->socket_view_.store(self->socket_.get());
  SIGIL_LOG(kInfo, "started", {{"socket", options.socket_path}});
  return self;
}

void WorkloadApiServer::Shutdown() {
  if (shut_down_) {
    return;
  }
  shut_down_ = true;
  service_->Shutdown();
  if (socket_ != nullptr) {
    socket_->Shutdown(options_.shutdown_grace);
  }
  pool_->Stop();
  SIGIL_LOG(kInfo, "stopped", {{"socket", options_.socket_path}});
}

WorkloadApiServer::~WorkloadApiServer() { Shutdown(); }

}  // namespace sigil::agent
