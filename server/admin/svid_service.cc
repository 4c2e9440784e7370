#include "server/admin/svid_service.h"

#include <string>

#include "absl/strings/str_cat.h"

#include "server/admin/entry_convert.h"
#include "sigil/jwt_svid.h"
#include "sigil/keys.h"
#include "sigil/log.h"
#include "sigil/status.h"
#include "sigil/x509_issuer.h"

namespace sigil::server {
namespace {
constexpr std::string_view kLogComponent = "admin";

namespace v1 = sigil::admin::v1;

// Appends the mint to the issuance ledger. A ledger failure does not take back an SVID already
// signed; it is logged so the gap in the inventory is visible.
void Record(DataStore& datastore, const IssuanceRecord& record) {
  if (absl::Status s = datastore.AppendIssuances({record}); !s.ok()) {
    SIGIL_LOG(kWarn, "admin.issuance_ledger_failed",
              {{"spiffe_id", record.spiffe_id.str()}, {"error", AsStd(s.message())}});
  }
}

}  // namespace

absl::StatusOr<SpiffeId> SvidService::ParseSubject(const std::string& text) const {
  if (text.empty()) {
    return absl::InvalidArgumentError("spiffe_id is required");
  }
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(text);
  if (!id.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("spiffe_id: ", id.status().message()));
  }
  const TrustDomain& own = *core_.config.trust_domain;
  if (!id->MemberOf(own)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "spiffe_id ", id->str(), " is outside the server's trust domain ", own.name()));
  }
  if (id->IsTrustDomainId()) {
    return absl::InvalidArgumentError(
        absl::StrCat("spiffe_id ", id->str(), " names the trust domain itself: it needs a path"));
  }
  return id;
}

absl::StatusOr<absl::Duration> SvidService::TtlOf(int64_t seconds, absl::Duration fallback) const {
  if (seconds < 0) {
    return absl::InvalidArgumentError("ttl is negative");
  }
  if (seconds == 0) {
    return fallback;
  }
  if (absl::Seconds(seconds) > core_.config.ca_ttl) {
    return absl::InvalidArgumentError(absl::StrCat("ttl ", seconds, "s is longer than the CA TTL (",
                                                   absl::ToInt64Seconds(core_.config.ca_ttl),
                                                   "s)"));
  }
  return absl::Seconds(seconds);
}

absl::Status SvidService::MintX509(const v1::MintX509SvidRequest& request,
                                   v1::MintX509SvidResponse& response, IssuanceRecord& record) {
  SIGIL_ASSIGN_OR_RETURN(SpiffeId id, ParseSubject(request.spiffe_id()));
  if (request.public_key().empty()) {
    return absl::InvalidArgumentError(
        "public_key is required: the SubjectPublicKeyInfo DER of a key the caller made");
  }
  absl::StatusOr<PublicKey> key = PublicKey::FromSpkiDer(request.public_key());
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("public_key: ", key.status().message()));
  }
  SIGIL_ASSIGN_OR_RETURN(const absl::Duration ttl,
                         TtlOf(request.ttl(), core_.config.default_x509_svid_ttl));
  X509SvidParams params{.spiffe_id = id, .ttl = ttl};
  params.dns_names.assign(request.dns_names().begin(), request.dns_names().end());

  SIGIL_ASSIGN_OR_RETURN(IssuedX509Svid svid, core_.ca->SignX509SvidForKey(params, *key));
  response.add_chain(svid.leaf.der);
  for (const Certificate& cert : svid.intermediates) {
    response.add_chain(cert.der());
  }
  for (const Certificate& root : core_.ca->Bundle()->x509_authorities()) {
    response.add_bundle(root.der());
  }
  response.set_expires_at(absl::ToUnixSeconds(svid.leaf.not_after));

  record.issued_at = core_.clock();
  record.kind = SvidKind::kX509;
  record.spiffe_id = std::move(id);
  record.serial = svid.leaf.serial_hex;
  record.key_fingerprint = key->Sha256Fingerprint();
  record.expires_at = svid.leaf.not_after;
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* SvidService::MintX509Svid(grpc::CallbackServerContext* ctx,
                                                    const v1::MintX509SvidRequest* request,
                                                    v1::MintX509SvidResponse* response) {
  IssuanceRecord record{.spiffe_id = core_.config.trust_domain->Id()};
  absl::Status status = MintX509(*request, *response, record);
  const std::string expires = std::to_string(response->expires_at());
  SIGIL_LOG(kInfo, status.ok() ? "admin.x509_svid_minted" : "admin.x509_svid_refused",
            {{"caller_uid", CallerUid(peers_, *ctx)},
             {"spiffe_id", request->spiffe_id()},
             {"serial", record.serial},
             {"spki_sha256", record.key_fingerprint},
             {"expires_at", expires},
             {"error", AsStd(status.message())}});
  if (status.ok()) {
    Record(*core_.datastore, record);
  }
  return FinishCall(ctx, status);
}

absl::Status SvidService::MintJwt(const v1::MintJwtSvidRequest& request,
                                  v1::MintJwtSvidResponse& response, IssuanceRecord& record) {
  SIGIL_ASSIGN_OR_RETURN(SpiffeId id, ParseSubject(request.spiffe_id()));
  if (request.audience_size() == 0) {
    return absl::InvalidArgumentError("audience: at least one audience is required");
  }
  if (request.audience_size() > static_cast<int>(kMaxAudiences)) {
    return absl::InvalidArgumentError(
        absl::StrCat("audience: more than ", kMaxAudiences, " audiences"));
  }
  for (int i = 0; i < request.audience_size(); ++i) {
    if (request.audience(i).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("audience[", i, "] is empty"));
    }
    if (request.audience(i).size() > kMaxAudienceLength) {
      return absl::InvalidArgumentError(
          absl::StrCat("audience[", i, "] is longer than ", kMaxAudienceLength, " bytes"));
    }
  }
  SIGIL_ASSIGN_OR_RETURN(const absl::Duration ttl,
                         TtlOf(request.ttl(), core_.config.default_jwt_svid_ttl));
  const absl::Time now = core_.clock();
  JwtSvidClaims claims{.subject = id, .expires_at = now + ttl};
  claims.audiences.assign(request.audience().begin(), request.audience().end());

  SIGIL_ASSIGN_OR_RETURN(SecretBytes token, core_.ca->SignJwtSvid(claims));
  // The CA may have brought the expiry back to its key's notAfter; the token says which.
  absl::Time expires_at = claims.expires_at;
  if (absl::StatusOr<UnverifiedJwt> parsed = ParseJwtSvidInsecure(token.view());
      parsed.ok() && parsed->claims.contains("exp") && parsed->claims["exp"].is_number_integer()) {
    expires_at = absl::FromUnixSeconds(parsed->claims["exp"].get<int64_t>());
  }
  response.set_token(std::string(token.view()));
  response.set_expires_at(absl::ToUnixSeconds(expires_at));

  record.issued_at = now;
  record.kind = SvidKind::kJwt;
  record.spiffe_id = std::move(id);
  record.expires_at = expires_at;
  record.audiences = claims.audiences;
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* SvidService::MintJwtSvid(grpc::CallbackServerContext* ctx,
                                                   const v1::MintJwtSvidRequest* request,
                                                   v1::MintJwtSvidResponse* response) {
  IssuanceRecord record{.spiffe_id = core_.config.trust_domain->Id()};
  absl::Status status = MintJwt(*request, *response, record);
  // The token is a bearer credential: only its subject, audiences and expiry are logged.
  const std::string expires = std::to_string(response->expires_at());
  std::string audiences;
  for (const std::string& audience : record.audiences) {
    absl::StrAppend(&audiences, audiences.empty() ? "" : ",", audience);
  }
  SIGIL_LOG(kInfo, status.ok() ? "admin.jwt_svid_minted" : "admin.jwt_svid_refused",
            {{"caller_uid", CallerUid(peers_, *ctx)},
             {"spiffe_id", request->spiffe_id()},
             {"audience", audiences},
             {"expires_at", expires},
             {"error", AsStd(status.message())}});
  if (status.ok()) {
    Record(*core_.datastore, record);
  }
  return FinishCall(ctx, status);
}

}  // namespace sigil::server
