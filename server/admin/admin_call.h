// What every admin service shares: turning absl::Status into the gRPC status the CLI prints,
// finishing a unary call, and naming the caller (the kernel's uid for the connection) in the
// log line each admin action writes.
#ifndef SIGIL_SERVER_ADMIN_ADMIN_CALL_H_
#define SIGIL_SERVER_ADMIN_ADMIN_CALL_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include <grpcpp/grpcpp.h>

#include "common/grpc/unix_socket_server.h"

namespace sigil::server {

// Who is on the other end of an admin call: the credentials the socket server recorded for the
// call's connection, or nullopt when unknown. Must be thread-safe.
using PeerLookup =
    std::function<std::optional<grpcutil::PeerCredentials>(const grpc::ServerContextBase&)>;

// The same code (absl codes map one to one onto gRPC's) and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The caller's uid as decimal text, or "unknown" when `peers` is empty or knows nothing of
// the call.
std::string CallerUid(const PeerLookup& peers, const grpc::ServerContextBase& ctx);

// Finishes a unary callback call with `status` and returns the reactor to hand back to gRPC.
grpc::ServerUnaryReactor* FinishCall(grpc::CallbackServerContext* ctx, const absl::Status& status);

}  // namespace sigil::server

#endif  // SIGIL_SERVER_ADMIN_ADMIN_CALL_H_
