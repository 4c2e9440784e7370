#include "server/app/server.h"

#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

#include "server/admin/agent_service.h"
#include "server/admin/entry_service.h"
#include "server/admin/health_service.h"
#include "server/datastore/sqlite_datastore.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {
constexpr std::string_view kLogComponent = "server";
}  // namespace

struct Server::Services {
  Services(ServerCore& core, const PeerLookup& peers)
      : health(core), entries(core, peers), agents(core, peers) {}

  std::vector<grpc::Service*> All() { return {&health, &entries, &agents}; }

  HealthService health;
  EntryService entries;
  AgentService agents;
};

namespace {

absl::Status MakePrivateDirectory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("creating data directory ", dir, ": ", ec.message()));
  }
  // The data directory holds the CA keys and the database: owner only, whatever the umask.
  if (chmod(dir.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("setting permissions of data directory ", dir, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<DataStore>> OpenDataStore(const ServerCore& core) {
  const DatastoreConfig& ds = core.config.datastore;
  if (ds.type != "sqlite") {
    return absl::UnimplementedError(
        absl::StrCat("datastore type \"", ds.type, "\" is not available in this build"));
  }
  SqliteDataStoreOptions options;
  options.clock = core.clock;
  return OpenSqliteDataStore(ds.path, options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerConfig config) {
  std::unique_ptr<Server> server(new Server());
  server->core_ = std::make_unique<ServerCore>();
  ServerCore& core = *server->core_;
  core.config = std::move(config);
  core.started_at = core.clock();

  SIGIL_RETURN_IF_ERROR(MakePrivateDirectory(core.config.data_dir));
  SIGIL_ASSIGN_OR_RETURN(core.datastore, OpenDataStore(core));

  // Services exist before the socket server that dispatches to them, so they find the caller
  // through this slot, filled once the socket server is up.
  server->admin_slot_ = std::make_shared<std::atomic<grpcutil::UnixSocketServer*>>(nullptr);
  PeerLookup peers =
      [slot = server->admin_slot_](
          const grpc::ServerContextBase& ctx) -> std::optional<grpcutil::PeerCredentials> {
    grpcutil::UnixSocketServer* admin = slot->load();
    return admin != nullptr ? admin->PeerOf(ctx) : std::nullopt;
  };
  server->services_ = std::make_unique<Services>(core, peers);
  SIGIL_ASSIGN_OR_RETURN(server->admin_, grpcutil::UnixSocketServer::Start(
                                             {.path = core.config.admin_socket_path,
                                              .mode = 0600,
                                              .max_receive_message_size = kMaxAdminMessageBytes},
                                             server->services_->All()));
  server->admin_slot_->store(server->admin_.get());
  SIGIL_LOG(kInfo, "server.started",
            {{"trust_domain", core.config.trust_domain->name()},
             {"data_dir", core.config.data_dir},
             {"admin_socket", core.config.admin_socket_path}});
  return server;
}

Server::~Server() { Shutdown(absl::ZeroDuration()); }

void Server::Shutdown(absl::Duration grace) {
  if (admin_ != nullptr) {
    admin_->Shutdown(grace);
    admin_slot_->store(nullptr);
    admin_.reset();
    SIGIL_LOG(kInfo, "server.stopped", {});
  }
  services_.reset();
  if (core_ != nullptr) {
    core_->datastore.reset();
  }
}

}  // namespace sigil::server
