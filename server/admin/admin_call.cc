#include "server/admin/admin_call.h"

#include <string>

namespace sigil::server {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) {
    return grpc::Status::OK;
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

std::string CallerUid(const PeerLookup& peers, const grpc::ServerContextBase& ctx) {
  if (!peers) {
    return "unknown";
  }
  std::optional<grpcutil::PeerCredentials> creds = peers(ctx);
  return creds.has_value() ? std::to_string(creds->uid) : "unknown";
}

grpc::ServerUnaryReactor* FinishCall(grpc::CallbackServerContext* ctx, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace sigil::server
