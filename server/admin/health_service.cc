#include "server/admin/health_service.h"

#include "absl/strings/str_cat.h"

namespace sigil::server {

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* ctx,
                                               const sigil::admin::v1::HealthRequest*,
                                               sigil::admin::v1::HealthResponse* response) {
  response->set_trust_domain(core_.config.trust_domain->name());
  response->set_version(SIGIL_VERSION);
  response->set_uptime_seconds(absl::ToInt64Seconds(core_.clock() - core_.started_at));
  // Ready means the datastore answers a query; a server that cannot read its database cannot
  // attest agents or accept registrations.
  absl::StatusOr<int64_t> revision = core_.datastore->CurrentRevision();
  response->set_ready(revision.ok());
  if (!revision.ok()) {
    response->set_reason(absl::StrCat("datastore: ", revision.status().message()));
  }
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace sigil::server
