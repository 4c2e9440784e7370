#include "server/app/server.h"

#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

#include "server/admin/agent_service.h"
#include "server/admin/authority_service.h"
#include "server/admin/bundle_service.h"
#include "server/admin/entry_service.h"
#include "server/admin/health_service.h"
#include "server/admin/svid_service.h"
#include "server/ca/key_manager.h"
#include "server/ca/upstream_authority.h"
#include "server/datastore/sqlite_datastore.h"
#include "server/registry/notifying_datastore.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {
constexpr std::string_view kLogComponent = "server";
}  // namespace

struct Server::Services {
  Services(ServerCore& core, const PeerLookup& peers)
      : health(core),
        entries(core, peers),
        agents(core, peers),
        bundles(core, peers),
        svids(core, peers),
        authorities(core, peers) {}

  std::vector<grpc::Service*> All() {
    return {&health, &entries, &agents, &bundles, &svids, &authorities};
  }

  HealthService health;
  EntryService entries;
  AgentService agents;
  BundleService bundles;
  SvidService svids;
  AuthorityService authorities;
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

absl::StatusOr<std::unique_ptr<KeyManager>> OpenKeyManager(const KeyManagerConfig& config) {
  if (config.type == "memory") {
    return std::make_unique<MemoryKeyManager>();
  }
  SIGIL_ASSIGN_OR_RETURN(std::unique_ptr<DiskKeyManager> disk,
                         DiskKeyManager::Open(config.directory));
  return disk;
}

absl::StatusOr<std::unique_ptr<CaManager>> OpenCa(ServerCore& core) {
  const ServerConfig& config = core.config;
  CaManagerConfig ca{.trust_domain = *config.trust_domain};
  ca.ca_ttl = config.ca_ttl;
  ca.x509_key_type = config.ca_key_type;
  ca.jwt_key_type = config.jwt_key_type;
  ca.ca_subject = config.ca_subject;
  ca.datastore = core.datastore.get();
  ca.clock = core.clock;
  ca.bundle_refresh_hint = config.bundle_refresh_hint;
  absl::StatusOr<std::unique_ptr<KeyManager>> keys = OpenKeyManager(config.key_manager);
  if (!keys.ok()) {
    return absl::Status(keys.status().code(),
                        absl::StrCat("key manager: ", keys.status().message()));
  }
  ca.key_manager = *std::move(keys);
  if (config.upstream_authority.has_value()) {
    const UpstreamAuthorityConfig& up = *config.upstream_authority;
    SIGIL_ASSIGN_OR_RETURN(
        ca.upstream_authority,
        DiskUpstreamAuthority::Open(
            {.cert_file = up.cert_file, .key_file = up.key_file, .bundle_file = up.bundle_file},
            core.clock()));
  }
  absl::StatusOr<std::unique_ptr<CaManager>> manager = CaManager::Create(std::move(ca));
  if (!manager.ok()) {
    return absl::Status(manager.status().code(), absl::StrCat("CA: ", manager.status().message()));
  }
  if (absl::Status tick = (*manager)->Tick(); !tick.ok()) {
    // Not fatal: the CA has an active authority after Create; the ticker retries.
    SIGIL_LOG(kWarn, "ca.tick_failed", {{"error", AsStd(tick.message())}});
  }
  return manager;
}

}  // namespace

void Server::TickCaUntilStopped() {
  while (!stop_ticker_.WaitForNotificationWithTimeout(kCaTickInterval)) {
    if (absl::Status tick = core_->ca->Tick(); !tick.ok()) {
      SIGIL_LOG(kWarn, "ca.tick_failed", {{"error", AsStd(tick.message())}});
    }
  }
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerConfig config) {
  std::unique_ptr<Server> server(new Server());
  server->core_ = std::make_unique<ServerCore>();
  ServerCore& core = *server->core_;
  core.config = std::move(config);
  core.started_at = core.clock();

  SIGIL_RETURN_IF_ERROR(MakePrivateDirectory(core.config.data_dir));
  // Every write, whoever makes it, refreshes the registry before it returns, so agents'
  // sync streams see admin changes at once.
  SIGIL_ASSIGN_OR_RETURN(std::unique_ptr<DataStore> store, OpenDataStore(core));
  auto notifying = std::make_unique<NotifyingDataStore>(std::move(store));
  NotifyingDataStore& writes = *notifying;
  core.datastore = std::move(notifying);
  SIGIL_ASSIGN_OR_RETURN(core.ca, OpenCa(core));
  SIGIL_ASSIGN_OR_RETURN(
      server->registry_,
      Registry::Load({.trust_domain = *core.config.trust_domain, .datastore = &writes.inner()}));
  writes.set_write_hook([registry = server->registry_.get()] { (void)registry->Refresh(); });
  server->ticker_ = std::thread([srv = server.get()] { srv->TickCaUntilStopped(); });

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
  SIGIL_ASSIGN_OR_RETURN(server->node_api_,
                         NodeApiServer::Start(NodeApiOptionsFromConfig(core.config, core.clock),
                                              *core.ca, *core.datastore, *server->registry_));
  SIGIL_LOG(kInfo, "server.started",
            {{"trust_domain", core.config.trust_domain->name()},
             {"data_dir", core.config.data_dir},
             {"admin_socket", core.config.admin_socket_path}});
  return server;
}

Server::~Server() { Shutdown(absl::ZeroDuration()); }

void Server::Shutdown(absl::Duration grace) {
  const bool was_running = admin_ != nullptr;
  if (node_api_ != nullptr) {
    node_api_->Shutdown(grace);
    node_api_.reset();
  }
  if (admin_ != nullptr) {
    admin_->Shutdown(grace);
    admin_slot_->store(nullptr);
    admin_.reset();
  }
  services_.reset();
  if (ticker_.joinable()) {
    stop_ticker_.Notify();
    ticker_.join();
  }
  if (core_ != nullptr && registry_ != nullptr) {
    static_cast<NotifyingDataStore&>(*core_->datastore).set_write_hook({});
  }
  registry_.reset();
  if (core_ != nullptr) {
    core_->ca.reset();
    core_->datastore.reset();
  }
  if (was_running) {
    SIGIL_LOG(kInfo, "server.stopped", {});
  }
}

}  // namespace sigil::server
