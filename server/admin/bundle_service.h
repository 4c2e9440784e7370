// BundleService on the admin socket: `sigil-server bundle show|list|set|delete`.
//
// The server's own bundle comes from the CA (never from an operator); federated bundles are
// the operator's, kept in the datastore as SPIFFE bundle JSON. Documents travel in SPIFFE or
// PEM format; a document sent to SetBundle is parsed and checked in full before it is stored,
// and stored re-encoded, so what is kept is exactly what was understood.
#ifndef SIGIL_SERVER_ADMIN_BUNDLE_SERVICE_H_
#define SIGIL_SERVER_ADMIN_BUNDLE_SERVICE_H_

#include "admin.grpc.pb.h"
#include "server/admin/admin_call.h"
#include "server/app/server_core.h"

namespace sigil::server {

// Borrows `core` (with its CA), which must outlive the service. Thread-safe.
class BundleService final : public sigil::admin::v1::BundleService::CallbackService {
 public:
  BundleService(ServerCore& core, PeerLookup peers) : core_(core), peers_(std::move(peers)) {}

  // An empty trust_domain (or the server's own) gives the CA's bundle; any other the stored
  // federated one (kNotFound when there is none). kInvalidArgument for a malformed name.
  grpc::ServerUnaryReactor* GetBundle(grpc::CallbackServerContext* ctx,
                                      const sigil::admin::v1::GetBundleRequest* request,
                                      sigil::admin::v1::Bundle* response) override;
  // Federated bundles only, by trust domain name.
  grpc::ServerUnaryReactor* ListBundles(grpc::CallbackServerContext* ctx,
                                        const sigil::admin::v1::ListBundlesRequest* request,
                                        sigil::admin::v1::ListBundlesResponse* response) override;
  // Creates or replaces a federated bundle. kInvalidArgument for the server's own trust
  // domain, a malformed name, or a document that does not parse (the parser's message, which
  // names the key and the rule). A PEM document carries no sequence number: the stored one
  // becomes the previous one plus one.
  grpc::ServerUnaryReactor* SetBundle(grpc::CallbackServerContext* ctx,
                                      const sigil::admin::v1::SetBundleRequest* request,
                                      sigil::admin::v1::Bundle* response) override;
  // kInvalidArgument for the server's own trust domain, kNotFound for an unknown one.
  grpc::ServerUnaryReactor* DeleteBundle(grpc::CallbackServerContext* ctx,
                                         const sigil::admin::v1::DeleteBundleRequest* request,
                                         sigil::admin::v1::Empty* response) override;

 private:
  absl::Status Get(const sigil::admin::v1::GetBundleRequest& request,
                   sigil::admin::v1::Bundle& response);
  absl::Status List(const sigil::admin::v1::ListBundlesRequest& request,
                    sigil::admin::v1::ListBundlesResponse& response);
  absl::Status Set(const sigil::admin::v1::SetBundleRequest& request,
                   sigil::admin::v1::Bundle& response);
  absl::Status Delete(const sigil::admin::v1::DeleteBundleRequest& request);

  ServerCore& core_;
  const PeerLookup peers_;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_ADMIN_BUNDLE_SERVICE_H_
