// HealthService on the admin socket: `sigil-server healthcheck`.
#ifndef SIGIL_SERVER_ADMIN_HEALTH_SERVICE_H_
#define SIGIL_SERVER_ADMIN_HEALTH_SERVICE_H_

#include "admin.grpc.pb.h"
#include "server/app/server_core.h"

namespace sigil::server {

class HealthService final : public sigil::admin::v1::HealthService::CallbackService {
 public:
  explicit HealthService(ServerCore& core) : core_(core) {}

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* ctx,
                                  const sigil::admin::v1::HealthRequest* request,
                                  sigil::admin::v1::HealthResponse* response) override;

 private:
  ServerCore& core_;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_ADMIN_HEALTH_SERVICE_H_
