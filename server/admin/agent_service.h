// AgentService on the admin socket: `sigil-server agent list|show|count|evict|ban` over the
// attested nodes, and `sigil-server token generate` (join tokens).
//
// A join token is 20 random bytes (160 bits) in lowercase hex. The datastore keeps only its
// SHA-256; the token itself is returned once, to the caller, and never logged. With a
// spiffe_id the call also creates a node alias entry {spiffe_id, parent
// spiffe://<td>/sigil/server, selector join_token:<token id>} (see well_known_ids.h), so
// entries can be parented on that name before the agent joins.
#ifndef SIGIL_SERVER_ADMIN_AGENT_SERVICE_H_
#define SIGIL_SERVER_ADMIN_AGENT_SERVICE_H_

#include <cstddef>

#include "admin.grpc.pb.h"
#include "server/admin/admin_call.h"
#include "server/app/server_core.h"

namespace sigil::server {

inline constexpr size_t kJoinTokenRandomBytes = 20;

// Borrows `core`, which must outlive the service. Thread-safe.
class AgentService final : public sigil::admin::v1::AgentService::CallbackService {
 public:
  AgentService(ServerCore& core, PeerLookup peers) : core_(core), peers_(std::move(peers)) {}

  grpc::ServerUnaryReactor* ListAgents(grpc::CallbackServerContext* ctx,
                                       const sigil::admin::v1::ListAgentsRequest* request,
                                       sigil::admin::v1::ListAgentsResponse* response) override;
  // kInvalidArgument for a malformed spiffe_id, kNotFound for an unknown agent.
  grpc::ServerUnaryReactor* GetAgent(grpc::CallbackServerContext* ctx,
                                     const sigil::admin::v1::AgentIdRequest* request,
                                     sigil::admin::v1::Agent* response) override;
  grpc::ServerUnaryReactor* CountAgents(grpc::CallbackServerContext* ctx,
                                        const sigil::admin::v1::CountAgentsRequest* request,
                                        sigil::admin::v1::CountResponse* response) override;
  grpc::ServerUnaryReactor* EvictAgent(grpc::CallbackServerContext* ctx,
                                       const sigil::admin::v1::AgentIdRequest* request,
                                       sigil::admin::v1::Empty* response) override;
  grpc::ServerUnaryReactor* BanAgent(grpc::CallbackServerContext* ctx,
                                     const sigil::admin::v1::AgentIdRequest* request,
                                     sigil::admin::v1::Empty* response) override;
  // kInvalidArgument for a negative ttl or a spiffe_id that an entry could not have (the
  // message names "spiffe_id" and the rule); kAlreadyExists when that node alias exists
  // already. On any failure neither the token nor the entry is left behind.
  grpc::ServerUnaryReactor* CreateJoinToken(grpc::CallbackServerContext* ctx,
                                            const sigil::admin::v1::CreateJoinTokenRequest* request,
                                            sigil::admin::v1::JoinToken* response) override;

 private:
  absl::Status CreateToken(const sigil::admin::v1::CreateJoinTokenRequest& request,
                           sigil::admin::v1::JoinToken& response);

  ServerCore& core_;
  const PeerLookup peers_;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_ADMIN_AGENT_SERVICE_H_
