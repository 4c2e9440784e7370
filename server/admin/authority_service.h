// AuthorityService on the admin socket: `sigil-server authority
// show|prepare|activate|taint|revoke`, the manual controls of the CA's rotation (see
// server/ca/ca_manager.h for what each step allows and refuses).
#ifndef SIGIL_SERVER_ADMIN_AUTHORITY_SERVICE_H_
#define SIGIL_SERVER_ADMIN_AUTHORITY_SERVICE_H_

#include "admin.grpc.pb.h"
#include "server/admin/admin_call.h"
#include "server/app/server_core.h"

namespace sigil::server {

// Borrows `core` (with its CA), which must outlive the service. Thread-safe: the CA
// serialises changes.
class AuthorityService final : public sigil::admin::v1::AuthorityService::CallbackService {
 public:
  AuthorityService(ServerCore& core, PeerLookup peers) : core_(core), peers_(std::move(peers)) {}

  // The authorities of request.kind, oldest first; `id` is ignored.
  grpc::ServerUnaryReactor* ListAuthorities(
      grpc::CallbackServerContext* ctx, const sigil::admin::v1::AuthorityRequest* request,
      sigil::admin::v1::ListAuthoritiesResponse* response) override;
  // The controls return the authority they acted on. kFailedPrecondition when the authority's
  // state forbids the step (the CA's message says why), kNotFound for an unknown id.
  grpc::ServerUnaryReactor* PrepareAuthority(grpc::CallbackServerContext* ctx,
                                             const sigil::admin::v1::AuthorityRequest* request,
                                             sigil::admin::v1::Authority* response) override;
  grpc::ServerUnaryReactor* ActivateAuthority(grpc::CallbackServerContext* ctx,
                                              const sigil::admin::v1::AuthorityRequest* request,
                                              sigil::admin::v1::Authority* response) override;
  grpc::ServerUnaryReactor* TaintAuthority(grpc::CallbackServerContext* ctx,
                                           const sigil::admin::v1::AuthorityRequest* request,
                                           sigil::admin::v1::Authority* response) override;
  grpc::ServerUnaryReactor* RevokeAuthority(grpc::CallbackServerContext* ctx,
                                            const sigil::admin::v1::AuthorityRequest* request,
                                            sigil::admin::v1::Authority* response) override;

 private:
  template <typename Step>
  grpc::ServerUnaryReactor* Control(grpc::CallbackServerContext* ctx,
                                    const sigil::admin::v1::AuthorityRequest& request,
                                    sigil::admin::v1::Authority& response, std::string_view verb,
                                    Step step);

  ServerCore& core_;
  const PeerLookup peers_;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_ADMIN_AUTHORITY_SERVICE_H_
