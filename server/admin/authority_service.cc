#include "server/admin/authority_service.h"

#include <string>

#include "absl/strings/str_cat.h"

#include "server/admin/entry_convert.h"
#include "sigil/certificate.h"
#include "sigil/keys.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {
constexpr std::string_view kLogComponent = "admin";

namespace v1 = sigil::admin::v1;

absl::StatusOr<AuthorityKind> KindOf(v1::AuthorityKind kind) {
  switch (kind) {
    case v1::AUTHORITY_KIND_X509:
      return AuthorityKind::kX509;
    case v1::AUTHORITY_KIND_JWT:
      return AuthorityKind::kJwt;
    default:
      return absl::InvalidArgumentError("kind: expected AUTHORITY_KIND_X509 or AUTHORITY_KIND_JWT");
  }
}

void AuthorityToProto(const AuthorityRecord& record, v1::Authority* proto) {
  proto->set_kind(record.kind == AuthorityKind::kX509 ? v1::AUTHORITY_KIND_X509
                                                      : v1::AUTHORITY_KIND_JWT);
  proto->set_id(record.authority_id);
  proto->set_state(std::string(AuthorityStateName(record.state)));
  proto->set_tainted(record.tainted);
  proto->set_not_before(ToUnixSecondsOrZero(record.not_before));
  proto->set_not_after(ToUnixSecondsOrZero(record.not_after));
  proto->set_upstream_authority_id(record.upstream_authority_id);
  // The PEM is for display; a journal record that does not parse still lists, without it.
  if (record.kind == AuthorityKind::kX509) {
    absl::StatusOr<std::vector<Certificate>> chain =
        ParseDerCertificates(record.certificate_der, kMaxChainLength);
    if (chain.ok() && !chain->empty()) {
      proto->set_pem(chain->front().ToPem());
    }
  } else if (absl::StatusOr<PublicKey> key = PublicKey::FromSpkiDer(record.public_key_der);
             key.ok()) {
    proto->set_pem(key->ToSpkiPem());
  }
}

}  // namespace

grpc::ServerUnaryReactor* AuthorityService::ListAuthorities(grpc::CallbackServerContext* ctx,
                                                            const v1::AuthorityRequest* request,
                                                            v1::ListAuthoritiesResponse* response) {
  SIGIL_LOG(kDebug, "admin.authority_list", {{"caller_uid", CallerUid(peers_, *ctx)}});
  absl::StatusOr<AuthorityKind> kind = KindOf(request->kind());
  if (kind.ok()) {
    for (const AuthorityRecord& record : core_.ca->List(*kind)) {
      AuthorityToProto(record, response->add_authorities());
    }
  }
  return FinishCall(ctx, kind.status());
}

template <typename Step>
grpc::ServerUnaryReactor* AuthorityService::Control(grpc::CallbackServerContext* ctx,
                                                    const v1::AuthorityRequest& request,
                                                    v1::Authority& response, std::string_view verb,
                                                    Step step) {
  absl::StatusOr<AuthorityKind> kind = KindOf(request.kind());
  absl::Status status = kind.status();
  if (kind.ok()) {
    absl::StatusOr<AuthorityRecord> record = step(*kind, request.id());
    status = record.status();
    if (record.ok()) {
      AuthorityToProto(*record, &response);
    }
  }
  SIGIL_LOG(kInfo, status.ok() ? "admin.authority_changed" : "admin.authority_change_refused",
            {{"action", verb},
             {"caller_uid", CallerUid(peers_, *ctx)},
             {"kind", kind.ok() ? AuthorityKindName(*kind) : "unknown"},
             {"authority_id", status.ok() ? response.id() : request.id()},
             {"error", AsStd(status.message())}});
  return FinishCall(ctx, status);
}

grpc::ServerUnaryReactor* AuthorityService::PrepareAuthority(grpc::CallbackServerContext* ctx,
                                                             const v1::AuthorityRequest* request,
                                                             v1::Authority* response) {
  return Control(
      ctx, *request, *response, "prepare",
      [&](AuthorityKind kind, const std::string& id) -> absl::StatusOr<AuthorityRecord> {
        if (!id.empty()) {
          return absl::InvalidArgumentError("id: prepare makes a new authority and takes no id");
        }
        return core_.ca->Prepare(kind);
      });
}

grpc::ServerUnaryReactor* AuthorityService::ActivateAuthority(grpc::CallbackServerContext* ctx,
                                                              const v1::AuthorityRequest* request,
                                                              v1::Authority* response) {
  return Control(
      ctx, *request, *response, "activate",
      [&](AuthorityKind kind, const std::string& id) { return core_.ca->Activate(kind, id); });
}

grpc::ServerUnaryReactor* AuthorityService::TaintAuthority(grpc::CallbackServerContext* ctx,
                                                           const v1::AuthorityRequest* request,
                                                           v1::Authority* response) {
  return Control(ctx, *request, *response, "taint", [&](AuthorityKind kind, const std::string& id) {
    return core_.ca->Taint(kind, id);
  });
}

grpc::ServerUnaryReactor* AuthorityService::RevokeAuthority(grpc::CallbackServerContext* ctx,
                                                            const v1::AuthorityRequest* request,
                                                            v1::Authority* response) {
  return Control(
      ctx, *request, *response, "revoke",
      [&](AuthorityKind kind, const std::string& id) { return core_.ca->Revoke(kind, id); });
}

}  // namespace sigil::server
