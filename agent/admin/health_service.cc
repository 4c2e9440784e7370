#include "agent/admin/health_service.h"

namespace sigil::agent {

grpc::ServerUnaryReactor* AgentAdminService::Health(
    grpc::CallbackServerContext* context, const sigil::agent::admin::v1::HealthRequest* /*request*/,
    sigil::agent::admin::v1::HealthResponse* response) {
  const absl::Time now = clock_();
  const ManagerHealth health = manager_.Health(now);
  const IdentityCacheStats stats = cache_.stats();
  response->set_ready(health.ready);
  response->set_reason(health.reason);
  response->set_agent_id(health.agent_id);
  response->set_agent_svid_expires_at(absl::ToUnixSeconds(health.agent_svid_expires_at));
  response->set_connected(health.connected);
  response->set_last_revision(health.last_revision);
  response->set_entries(stats.entries);
  response->set_x509_svids(stats.x509_svids);
  response->set_version(SIGIL_VERSION);
  response->set_uptime_seconds(absl::ToInt64Seconds(now - started_));
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace sigil::agent
