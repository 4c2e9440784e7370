// SvidService on the admin socket: `sigil-server x509 mint` and `sigil-server jwt mint`, SVIDs
// for an operator outside any registration entry.
//
// The server never makes a workload key: the caller sends the SubjectPublicKeyInfo of a key it
// made. Every mint is logged (SPIFFE ID, serial or audience, expiry, caller uid; never the
// token) and appended to the issuance ledger.
#ifndef SIGIL_SERVER_ADMIN_SVID_SERVICE_H_
#define SIGIL_SERVER_ADMIN_SVID_SERVICE_H_

#include "admin.grpc.pb.h"
#include "server/admin/admin_call.h"
#include "server/app/server_core.h"

namespace sigil::server {

// Borrows `core` (with its CA), which must outlive the service. Thread-safe.
class SvidService final : public sigil::admin::v1::SvidService::CallbackService {
 public:
  SvidService(ServerCore& core, PeerLookup peers) : core_(core), peers_(std::move(peers)) {}

  // kInvalidArgument naming the field: spiffe_id (malformed, outside the trust domain, or the
  // trust domain itself), public_key (missing or not a usable SPKI), ttl (negative or longer
  // than the CA TTL), dns_names. The notAfter never passes the CA's. 0 ttl: the server's
  // default X.509-SVID TTL.
  grpc::ServerUnaryReactor* MintX509Svid(grpc::CallbackServerContext* ctx,
                                         const sigil::admin::v1::MintX509SvidRequest* request,
                                         sigil::admin::v1::MintX509SvidResponse* response) override;
  // kInvalidArgument for spiffe_id as above, no audience or an empty one, a negative ttl or
  // one longer than the CA TTL. 0 ttl: the server's default JWT-SVID TTL.
  grpc::ServerUnaryReactor* MintJwtSvid(grpc::CallbackServerContext* ctx,
                                        const sigil::admin::v1::MintJwtSvidRequest* request,
                                        sigil::admin::v1::MintJwtSvidResponse* response) override;

 private:
  absl::Status MintX509(const sigil::admin::v1::MintX509SvidRequest& request,
                        sigil::admin::v1::MintX509SvidResponse& response, IssuanceRecord& record);
  absl::Status MintJwt(const sigil::admin::v1::MintJwtSvidRequest& request,
                       sigil::admin::v1::MintJwtSvidResponse& response, IssuanceRecord& record);
  absl::StatusOr<SpiffeId> ParseSubject(const std::string& text) const;
  absl::StatusOr<absl::Duration> TtlOf(int64_t seconds, absl::Duration fallback) const;

  ServerCore& core_;
  const PeerLookup peers_;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_ADMIN_SVID_SERVICE_H_
