#include "server/admin/bundle_service.h"

#include <string>

#include "absl/strings/str_cat.h"

#include "sigil/bundle.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {
constexpr std::string_view kLogComponent = "admin";

namespace v1 = sigil::admin::v1;

absl::StatusOr<TrustDomain> ParseTrustDomainField(const std::string& text) {
  if (text.empty()) {
    return absl::InvalidArgumentError("trust_domain is required");
  }
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString(text);
  if (!td.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("trust_domain: ", td.status().message()));
  }
  return td;
}

absl::Status RefuseOwn(const TrustDomain& td, const TrustDomain& own, std::string_view verb) {
  if (td == own) {
    return absl::InvalidArgumentError(
        absl::StrCat("trust_domain ", td.name(), " is the server's own: its bundle comes from the ",
                     "CA and cannot be ", AsAbsl(verb)));
  }
  return absl::OkStatus();
}

// Fills `out` with `bundle` in `format`.
absl::Status Render(const TrustBundle& bundle, v1::BundleFormat format, v1::Bundle& out) {
  out.set_trust_domain(bundle.trust_domain().name());
  out.set_format(format);
  out.set_sequence_number(bundle.sequence_number().value_or(0));
  if (format == v1::BUNDLE_FORMAT_PEM) {
    out.set_document(EncodePemBundle(bundle));
    return absl::OkStatus();
  }
  SIGIL_ASSIGN_OR_RETURN(std::string json, EncodeSpiffeBundle(bundle, {.indent = true}));
  out.set_document(std::move(json));
  return absl::OkStatus();
}

absl::Status CheckFormat(v1::BundleFormat format) {
  if (format != v1::BUNDLE_FORMAT_SPIFFE && format != v1::BUNDLE_FORMAT_PEM) {
    return absl::InvalidArgumentError("format: expected BUNDLE_FORMAT_SPIFFE or BUNDLE_FORMAT_PEM");
  }
  return absl::OkStatus();
}

absl::StatusOr<TrustBundle> ParseStored(const BundleRecord& record) {
  absl::StatusOr<TrustBundle> bundle = ParseSpiffeBundle(record.trust_domain, record.document);
  if (!bundle.ok()) {
    return absl::DataLossError(absl::StrCat("stored bundle of ", record.trust_domain.name(),
                                            " does not parse: ", bundle.status().message()));
  }
  return bundle;
}

}  // namespace

absl::Status BundleService::Get(const v1::GetBundleRequest& request, v1::Bundle& response) {
  SIGIL_RETURN_IF_ERROR(CheckFormat(request.format()));
  const TrustDomain& own = *core_.config.trust_domain;
  TrustDomain td = own;
  if (!request.trust_domain().empty()) {
    SIGIL_ASSIGN_OR_RETURN(td, ParseTrustDomainField(request.trust_domain()));
  }
  if (td == own) {
    return Render(*core_.ca->Bundle(), request.format(), response);
  }
  SIGIL_ASSIGN_OR_RETURN(const BundleRecord record, core_.datastore->FetchBundle(td));
  SIGIL_ASSIGN_OR_RETURN(const TrustBundle bundle, ParseStored(record));
  return Render(bundle, request.format(), response);
}

grpc::ServerUnaryReactor* BundleService::GetBundle(grpc::CallbackServerContext* ctx,
                                                   const v1::GetBundleRequest* request,
                                                   v1::Bundle* response) {
  SIGIL_LOG(kDebug, "admin.bundle_get",
            {{"caller_uid", CallerUid(peers_, *ctx)}, {"trust_domain", request->trust_domain()}});
  return FinishCall(ctx, Get(*request, *response));
}

absl::Status BundleService::List(const v1::ListBundlesRequest& request,
                                 v1::ListBundlesResponse& response) {
  SIGIL_RETURN_IF_ERROR(CheckFormat(request.format()));
  SIGIL_ASSIGN_OR_RETURN(const std::vector<BundleRecord> records, core_.datastore->ListBundles());
  for (const BundleRecord& record : records) {
    if (record.trust_domain == *core_.config.trust_domain) {
      continue;
    }
    SIGIL_ASSIGN_OR_RETURN(const TrustBundle bundle, ParseStored(record));
    SIGIL_RETURN_IF_ERROR(Render(bundle, request.format(), *response.add_bundles()));
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* BundleService::ListBundles(grpc::CallbackServerContext* ctx,
                                                     const v1::ListBundlesRequest* request,
                                                     v1::ListBundlesResponse* response) {
  SIGIL_LOG(kDebug, "admin.bundle_list", {{"caller_uid", CallerUid(peers_, *ctx)}});
  return FinishCall(ctx, List(*request, *response));
}

absl::Status BundleService::Set(const v1::SetBundleRequest& request, v1::Bundle& response) {
  const v1::Bundle& in = request.bundle();
  SIGIL_RETURN_IF_ERROR(CheckFormat(in.format()));
  SIGIL_ASSIGN_OR_RETURN(const TrustDomain td, ParseTrustDomainField(in.trust_domain()));
  SIGIL_RETURN_IF_ERROR(RefuseOwn(td, *core_.config.trust_domain, "set"));
  if (in.document().empty()) {
    return absl::InvalidArgumentError("document is empty");
  }
  absl::StatusOr<TrustBundle> parsed = in.format() == v1::BUNDLE_FORMAT_PEM
                                           ? ParsePemBundle(td, in.document())
                                           : ParseSpiffeBundle(td, in.document());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("document: ", parsed.status().message()));
  }
  if (parsed->empty()) {
    return absl::InvalidArgumentError(
        "document holds no usable authority: a federated bundle needs at least one key");
  }
  if (!parsed->sequence_number().has_value()) {
    absl::StatusOr<BundleRecord> previous = core_.datastore->FetchBundle(td);
    if (!previous.ok() && !absl::IsNotFound(previous.status())) {
      return previous.status();
    }
    parsed->set_sequence_number(previous.ok() ? previous->sequence_number + 1 : 1);
  }
  SIGIL_ASSIGN_OR_RETURN(std::string document, EncodeSpiffeBundle(*parsed));
  BundleRecord record{.trust_domain = td,
                      .document = std::move(document),
                      .sequence_number = static_cast<int64_t>(*parsed->sequence_number())};
  SIGIL_RETURN_IF_ERROR(core_.datastore->SetBundle(record).status());
  return Render(*parsed, in.format(), response);
}

grpc::ServerUnaryReactor* BundleService::SetBundle(grpc::CallbackServerContext* ctx,
                                                   const v1::SetBundleRequest* request,
                                                   v1::Bundle* response) {
  absl::Status status = Set(*request, *response);
  const std::string sequence = std::to_string(response->sequence_number());
  SIGIL_LOG(kInfo, status.ok() ? "admin.bundle_set" : "admin.bundle_set_refused",
            {{"caller_uid", CallerUid(peers_, *ctx)},
             {"trust_domain", request->bundle().trust_domain()},
             {"sequence_number", sequence},
             {"error", AsStd(status.message())}});
  return FinishCall(ctx, status);
}

absl::Status BundleService::Delete(const v1::DeleteBundleRequest& request) {
  SIGIL_ASSIGN_OR_RETURN(const TrustDomain td, ParseTrustDomainField(request.trust_domain()));
  SIGIL_RETURN_IF_ERROR(RefuseOwn(td, *core_.config.trust_domain, "deleted"));
  // Limitation: entries that federate with the trust domain are left as they are; their
  // workloads simply stop receiving its bundle.
  return core_.datastore->DeleteBundle(td);
}

grpc::ServerUnaryReactor* BundleService::DeleteBundle(grpc::CallbackServerContext* ctx,
                                                      const v1::DeleteBundleRequest* request,
                                                      v1::Empty*) {
  absl::Status status = Delete(*request);
  SIGIL_LOG(kInfo, status.ok() ? "admin.bundle_deleted" : "admin.bundle_delete_refused",
            {{"caller_uid", CallerUid(peers_, *ctx)},
             {"trust_domain", request->trust_domain()},
             {"error", AsStd(status.message())}});
  return FinishCall(ctx, status);
}

}  // namespace sigil::server
