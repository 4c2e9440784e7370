// The agent's admin service: health for `sigil-agent healthcheck`.
#ifndef SIGIL_AGENT_ADMIN_HEALTH_SERVICE_H_
#define SIGIL_AGENT_ADMIN_HEALTH_SERVICE_H_

#include "absl/time/time.h"

#include "agent/cache/identity_cache.h"
#include "agent/manager/manager.h"
#include "agent_admin.grpc.pb.h"

namespace sigil::agent {

class AgentAdminService final : public sigil::agent::admin::v1::AgentAdmin::CallbackService {
 public:
  // Borrows both; they must outlive the service.
  AgentAdminService(const Manager& manager, const IdentityCache& cache, Clock clock)
      : manager_(manager), cache_(cache), clock_(std::move(clock)), started_(clock_()) {}

  grpc::ServerUnaryReactor* Health(grpc::CallbackServerContext* context,
                                   const sigil::agent::admin::v1::HealthRequest* request,
                                   sigil::agent::admin::v1::HealthResponse* response) override;

 private:
  const Manager& manager_;
  const IdentityCache& cache_;
  const Clock clock_;
  const absl::Time started_;
};

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_ADMIN_HEALTH_SERVICE_H_
