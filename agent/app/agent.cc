#include "agent/app/agent.h"

#include <atomic>

#include "absl/strings/str_cat.h"

#include "agent/admin/health_service.h"
#include "agent/cache/identity_cache.h"
#include "agent/cache/jwt_svid_cache.h"
#include "agent/manager/bootstrap.h"
#include "agent/manager/join_token_attestor.h"
#include "agent/manager/manager.h"
#include "agent/manager/x509pop_attestor.h"
#include "agent/workload_api/workload_api_server.h"
#include "attestors/workload/attestation.h"
#include "attestors/workload/unix_attestor.h"
#include "common/grpc/unix_socket_server.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::agent {
namespace {

constexpr std::string_view kLogComponent = "agent";
constexpr size_t kMaxBundleFileSize = 4 * 1024 * 1024;

absl::StatusOr<std::unique_ptr<NodeAttestorClient>> MakeAttestor(const AgentConfig& config) {
  const NodeAttestorConfig& a = config.node_attestor;
  if (a.type == "join_token") {
    if (a.join_token.empty()) {
      return nullptr;  // only a stored SVID will do; Bootstrap says so if there is none
    }
    return std::make_unique<JoinTokenAttestorClient>(a.join_token);
  }
  return absl::UnimplementedError(
      absl::StrCat("node_attestor.type ", a.type, ": this agent build supports join_token only"));
}

}  // namespace

absl::StatusOr<TrustBundle> LoadBootstrapBundle(const AgentConfig& config) {
  SIGIL_ASSIGN_OR_RETURN(std::string text,
                         ReadSmallFile(config.trust_bundle_path, kMaxBundleFileSize));
  absl::StatusOr<TrustBundle> bundle = config.trust_bundle_format == BundleFormat::kPem
                                           ? ParsePemBundle(*config.trust_domain, text)
                                           : ParseSpiffeBundle(*config.trust_domain, text);
  if (!bundle.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("trust bundle ", config.trust_bundle_path, ": ", bundle.status().message()));
  }
  if (bundle->x509_authorities().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("trust bundle ", config.trust_bundle_path, " holds no X.509 authority"));
  }
  return bundle;
}

struct Agent::Parts {
  AgentConfig config;
  std::unique_ptr<AgentStore> store;
  std::shared_ptr<ServerTrust> trust;
  std::unique_ptr<NodeClient> client;
  std::unique_ptr<NodeAttestorClient> attestor;
  // The cache asks for SVIDs through this before the manager exists.
  std::atomic<Manager*> manager_for_demand{nullptr};
  std::unique_ptr<IdentityCache> cache;
  std::unique_ptr<Manager> manager;
  std::unique_ptr<JwtSvidCache> jwt_cache;
  std::unique_ptr<NodeJwtSvidSigner> jwt_signer;
  std::unique_ptr<attestors::WorkloadAttestation> attestation;
  std::unique_ptr<WorkloadApiServer> workload_api;
  std::unique_ptr<AgentAdminService> admin_service;
  std::unique_ptr<grpcutil::UnixSocketServer> admin;

  void Shutdown() {
    if (workload_api != nullptr) {
      workload_api->Shutdown();
    }
    if (admin != nullptr) {
      admin->Shutdown(absl::Seconds(1));
    }
    manager_for_demand = nullptr;
    if (manager != nullptr) {
      manager->Stop();
    }
  }
};

Agent::Agent(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Agent::~Agent() { Shutdown(); }

void Agent::Shutdown() {
  if (parts_ != nullptr) {
    parts_->Shutdown();
  }
}

absl::StatusOr<std::unique_ptr<Agent>> Agent::Start(
    AgentConfig config, std::function<void(const absl::Status&)> on_fatal) {
  auto p = std::make_unique<Parts>();
  p->config = std::move(config);
  const AgentConfig& c = p->config;

  std::optional<TrustBundle> bootstrap_bundle;
  if (!c.trust_bundle_path.empty()) {
    SIGIL_ASSIGN_OR_RETURN(bootstrap_bundle, LoadBootstrapBundle(c));
  }
  SIGIL_ASSIGN_OR_RETURN(AgentStore store, AgentStore::Open(c.data_dir));
  p->store = std::make_unique<AgentStore>(std::move(store));
  p->trust = std::make_shared<ServerTrust>(*c.trust_domain);
  p->client = std::make_unique<NodeClient>(NodeClientOptions{c.server_address, p->trust});
  SIGIL_ASSIGN_OR_RETURN(p->attestor, MakeAttestor(c));

  BootstrapOptions boot{p->store.get(),    p->client.get(),  p->trust.get(),
                        p->attestor.get(), bootstrap_bundle, c.insecure_bootstrap};
  SIGIL_ASSIGN_OR_RETURN(X509Svid agent_svid, Bootstrap(boot));

  IdentityCacheOptions cache_options{*c.trust_domain};
  cache_options.max_x509_svids = c.x509_svid_cache_max_size;
  Parts* raw = p.get();
  cache_options.on_svid_demand = [raw] {
    if (Manager* m = raw->manager_for_demand.load(); m != nullptr) {
      m->Wake();
    }
  };
  p->cache = std::make_unique<IdentityCache>(std::move(cache_options));

  ManagerOptions manager_options{p->cache.get(), p->client.get(), p->trust.get(), p->store.get(),
                                 p->attestor.get()};
  manager_options.on_fatal = std::move(on_fatal);
  p->manager = std::make_unique<Manager>(std::move(manager_options), std::move(agent_svid));
  p->manager_for_demand = p->manager.get();
  p->manager->Start();

  p->jwt_cache = std::make_unique<JwtSvidCache>();
  p->jwt_signer = std::make_unique<NodeJwtSvidSigner>(*p->client);
  std::vector<std::unique_ptr<attestors::WorkloadAttestor>> workload_attestors;
  workload_attestors.push_back(std::make_unique<attestors::UnixWorkloadAttestor>());
  p->attestation = std::make_unique<attestors::WorkloadAttestation>(std::move(workload_attestors));

  WorkloadApiServerOptions wapi_options;
  wapi_options.socket_path = c.socket_path;
  absl::StatusOr<std::unique_ptr<WorkloadApiServer>> wapi = WorkloadApiServer::Start(
      wapi_options, *p->cache, *p->jwt_cache, *p->jwt_signer, *p->attestation);
  if (!wapi.ok()) {
    p->Shutdown();
    return absl::Status(wapi.status().code(),
                        absl::StrCat("Workload API socket: ", wapi.status().message()));
  }
  p->workload_api = *std::move(wapi);

  p->admin_service =
      std::make_unique<AgentAdminService>(*p->manager, *p->cache, [] { return absl::Now(); });
  absl::StatusOr<std::unique_ptr<grpcutil::UnixSocketServer>> admin =
      grpcutil::UnixSocketServer::Start({.path = c.admin_socket_path, .mode = 0600},
                                        {p->admin_service.get()});
  if (!admin.ok()) {
    p->Shutdown();
    return absl::Status(admin.status().code(),
                        absl::StrCat("admin socket: ", admin.status().message()));
  }
  p->admin = *std::move(admin);
  SIGIL_LOG(kInfo, "agent.started",
            {{"trust_domain", c.trust_domain->name()},
             {"server_address", c.server_address},
             {"workload_api_socket", c.socket_path},
             {"admin_socket", c.admin_socket_path},
             {"agent_id", p->manager->agent_svid().spiffe_id().str()}});
  return std::unique_ptr<Agent>(new Agent(std::move(p)));
}

}  // namespace sigil::agent
