// Internal to sigil_nodeapi: small pieces every node API handler uses.
#ifndef SIGIL_SERVER_NODEAPI_NODE_CALL_H_
#define SIGIL_SERVER_NODEAPI_NODE_CALL_H_

#include <string>

#include "absl/status/status.h"
#include <grpcpp/grpcpp.h>

namespace sigil::server::nodeapi_internal {

// Same code (absl's codes map one to one onto gRPC's) and message.
inline grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// Finishes a unary callback call and returns its reactor.
inline grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* ctx,
                                             const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpc(status));
  return reactor;
}

}  // namespace sigil::server::nodeapi_internal

#endif  // SIGIL_SERVER_NODEAPI_NODE_CALL_H_
