#include "agent/nodeclient/node_client.h"

#include "absl/strings/str_cat.h"
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "sigil/certificate.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::agent {
namespace {

constexpr std::string_view kLogComponent = "nodeclient";

// An attestor that needs more rounds than this is broken or hostile.
constexpr int kMaxChallengeRounds = 8;

// gRPC's own reconnect backoff grows to two minutes by default; the agent has its own backoff
// (capped at 30 s), so the channel must not add a longer wait of its own when the server
// comes back.
constexpr int kMaxReconnectBackoffMs = 5000;
constexpr int kInitialReconnectBackoffMs = 500;
// A SyncUpdate with a full snapshot of many entries can be large.
constexpr int kMaxReceiveMessageSize = 64 * 1024 * 1024;

grpc::experimental::IdentityKeyCertPair IdentityPair(const X509Svid& svid) {
  grpc::experimental::IdentityKeyCertPair pair;
  SecretBytes key_pem = svid.private_key().ToPkcs8Pem();
  pair.private_key = std::string(key_pem.view());
  pair.certificate_chain = ConcatPem(svid.chain());
  return pair;
}

absl::StatusOr<std::vector<Certificate>> ParseChain(
    const google::protobuf::RepeatedPtrField<std::string>& der_certs) {
  if (der_certs.empty()) {
    return absl::InternalError("server sent an empty certificate chain");
  }
  if (der_certs.size() > static_cast<int>(kMaxChainLength)) {
    return absl::InternalError("server sent a certificate chain longer than 16");
  }
  std::vector<Certificate> chain;
  chain.reserve(der_certs.size());
  for (const std::string& der : der_certs) {
    absl::StatusOr<Certificate> cert = Certificate::FromDer(der);
    if (!cert.ok()) {
      return absl::InternalError(
          absl::StrCat("server sent an unparsable certificate: ", cert.status().message()));
    }
    chain.push_back(*std::move(cert));
  }
  return chain;
}

absl::StatusOr<X509Svid> AgentSvidFrom(const nodeapi::AgentSvid& svid, const PrivateKey& key) {
  SIGIL_ASSIGN_OR_RETURN(std::vector<Certificate> chain, ParseChain(svid.cert_chain()));
  absl::StatusOr<X509Svid> parsed = X509Svid::FromParts(std::move(chain), key);
  if (!parsed.ok()) {
    return absl::InternalError(
        absl::StrCat("server sent an unusable agent SVID: ", parsed.status().message()));
  }
  return parsed;
}

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::Status SyncStream::Finish() { return FromGrpcStatus(reader_->Finish()); }

NodeClient::NodeClient(NodeClientOptions options) : options_(std::move(options)) {}

std::shared_ptr<grpc::Channel> NodeClient::MakeChannel(const X509Svid* identity,
                                                       bool insecure) const {
  grpc::experimental::TlsChannelCredentialsOptions tls;
  if (identity != nullptr) {
    auto provider = std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
        std::vector<grpc::experimental::IdentityKeyCertPair>{IdentityPair(*identity)});
    tls.set_certificate_provider(std::move(provider));
    tls.watch_identity_key_cert_pairs();
  }
  // gRPC's own checks (web PKI roots, host name) do not apply to SPIFFE: the verifier below
  // does the whole job.
  tls.set_verify_server_certs(false);
  tls.set_check_call_host(false);
  tls.set_certificate_verifier(MakeServerVerifier(options_.trust, options_.clock, insecure));

  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kInitialReconnectBackoffMs);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kInitialReconnectBackoffMs);
  args.SetMaxReceiveMessageSize(kMaxReceiveMessageSize);
  // A fresh channel per identity must not share a subchannel (and so a TLS session with the
  // old certificate) with the previous one.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(options_.server_address, grpc::experimental::TlsCredentials(tls),
                                   args);
}

std::unique_ptr<grpc::ClientContext> NodeClient::UnaryContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
  return context;
}

absl::StatusOr<std::shared_ptr<nodeapi::NodeService::Stub>> NodeClient::AuthenticatedStub() const {
  absl::MutexLock lock(&mu_);
  if (stub_ == nullptr) {
    return absl::FailedPreconditionError("the agent has no SVID yet: attest first");
  }
  return stub_;
}

absl::StatusOr<AttestOutcome> NodeClient::Attest(NodeAttestorClient& attestor,
                                                 const PrivateKey& agent_key, bool insecure) {
  auto stub = nodeapi::NodeService::NewStub(MakeChannel(nullptr, insecure));
  std::unique_ptr<grpc::ClientContext> context = UnaryContext();
  auto stream = stub->Attest(context.get());

  nodeapi::AttestRequest request;
  nodeapi::AttestParams* params = request.mutable_params();
  params->mutable_data()->set_type(std::string(attestor.type()));
  {
    SIGIL_ASSIGN_OR_RETURN(std::string payload, attestor.Payload());
    SecretBytes wiped_on_exit = SecretBytes::Adopt(std::move(payload));
    params->mutable_data()->set_payload(std::string(wiped_on_exit.view()));
  }
  params->set_public_key(agent_key.public_key().ToSpkiDer());
  const bool sent = stream->Write(request);
  request.Clear();

  std::optional<nodeapi::AttestResult> result;
  absl::Status failure;
  nodeapi::AttestResponse response;
  for (int round = 0; sent && result == std::nullopt && failure.ok() && stream->Read(&response);) {
    if (response.has_result()) {
      result = response.result();
    } else if (response.has_challenge()) {
      if (++round > kMaxChallengeRounds) {
        failure = absl::InternalError("server sent more than 8 attestation challenges");
        break;
      }
      absl::StatusOr<std::string> answer = attestor.AnswerChallenge(response.challenge());
      if (!answer.ok()) {
        failure = answer.status();
        break;
      }
      nodeapi::AttestRequest reply;
      reply.set_challenge_response(*std::move(answer));
      if (!stream->Write(reply)) {
        break;
      }
    } else {
      failure = absl::InternalError("server sent an empty attestation response");
    }
  }
  if (!failure.ok()) {
    context->TryCancel();
    stream->Finish();
    return failure;
  }
  stream->WritesDone();
  absl::Status finished = FromGrpcStatus(stream->Finish());
  if (!result.has_value()) {
    return finished.ok() ? absl::InternalError("server ended attestation without a result")
                         : finished;
  }

  SIGIL_ASSIGN_OR_RETURN(X509Svid svid, AgentSvidFrom(result->svid(), agent_key));
  AttestOutcome outcome{std::move(svid), {}, std::nullopt};
  for (const nodeapi::Selector& s : result->node_selectors()) {
    outcome.node_selectors.push_back(absl::StrCat(s.type(), ":", s.value()));
  }
  if (!result->bundle().empty()) {
    absl::StatusOr<TrustBundle> bundle =
        ParseSpiffeBundle(options_.trust->trust_domain(), result->bundle());
    if (!bundle.ok()) {
      return absl::InternalError(
          absl::StrCat("server sent an unusable bundle: ", bundle.status().message()));
    }
    outcome.bundle = *std::move(bundle);
  }
  return outcome;
}

absl::Status NodeClient::SetIdentity(const X509Svid& svid) {
  auto stub = nodeapi::NodeService::NewStub(MakeChannel(&svid, /*insecure=*/false));
  absl::MutexLock lock(&mu_);
  stub_ = std::move(stub);
  return absl::OkStatus();
}

absl::StatusOr<X509Svid> NodeClient::RenewAgent(const PrivateKey& new_key) {
  SIGIL_ASSIGN_OR_RETURN(auto stub, AuthenticatedStub());
  nodeapi::RenewAgentRequest request;
  request.set_public_key(new_key.public_key().ToSpkiDer());
  nodeapi::RenewAgentResponse response;
  std::unique_ptr<grpc::ClientContext> context = UnaryContext();
  SIGIL_RETURN_IF_ERROR(FromGrpcStatus(stub->RenewAgent(context.get(), request, &response)));
  return AgentSvidFrom(response.svid(), new_key);
}

absl::StatusOr<std::vector<X509SvidSigningResult>> NodeClient::SignX509Svids(
    absl::Span<const X509SvidSigningRequest> requests) {
  SIGIL_ASSIGN_OR_RETURN(auto stub, AuthenticatedStub());
  nodeapi::SignX509SvidsRequest request;
  for (const X509SvidSigningRequest& r : requests) {
    nodeapi::X509SvidRequest* item = request.add_requests();
    item->set_entry_id(r.entry_id);
    item->set_public_key(r.public_key.ToSpkiDer());
  }
  nodeapi::SignX509SvidsResponse response;
  std::unique_ptr<grpc::ClientContext> context = UnaryContext();
  SIGIL_RETURN_IF_ERROR(FromGrpcStatus(stub->SignX509Svids(context.get(), request, &response)));
  if (response.results_size() != static_cast<int>(requests.size())) {
    return absl::InternalError(absl::StrCat("server answered ", response.results_size(), " of ",
                                            requests.size(), " signing requests"));
  }
  std::vector<X509SvidSigningResult> results;
  results.reserve(requests.size());
  for (int i = 0; i < response.results_size(); ++i) {
    const nodeapi::X509SvidResult& r = response.results(i);
    X509SvidSigningResult out{requests[i].entry_id, absl::UnknownError("")};
    if (r.entry_id() != requests[i].entry_id) {
      out.chain = absl::InternalError(
          absl::StrCat("server answered for entry ", r.entry_id(), " in its place"));
    } else if (r.error_code() != 0) {
      out.chain = absl::Status(static_cast<absl::StatusCode>(r.error_code()), r.error_message());
    } else {
      out.chain = ParseChain(r.cert_chain());
    }
    results.push_back(std::move(out));
  }
  return results;
}

absl::StatusOr<SecretBytes> NodeClient::SignJwtSvid(const std::string& entry_id,
                                                    absl::Span<const std::string> audiences) {
  SIGIL_ASSIGN_OR_RETURN(auto stub, AuthenticatedStub());
  nodeapi::SignJwtSvidRequest request;
  request.set_entry_id(entry_id);
  for (const std::string& audience : audiences) {
    request.add_audience(audience);
  }
  nodeapi::SignJwtSvidResponse response;
  std::unique_ptr<grpc::ClientContext> context = UnaryContext();
  SIGIL_RETURN_IF_ERROR(FromGrpcStatus(stub->SignJwtSvid(context.get(), request, &response)));
  SecretBytes token = SecretBytes::Adopt(std::move(*response.mutable_token()));
  if (token.empty()) {
    return absl::InternalError("server sent an empty JWT-SVID");
  }
  return token;
}

absl::StatusOr<std::unique_ptr<SyncStream>> NodeClient::OpenSync(int64_t last_revision) {
  SIGIL_ASSIGN_OR_RETURN(auto stub, AuthenticatedStub());
  nodeapi::SyncRequest request;
  request.set_last_revision(last_revision);
  auto context = std::make_unique<grpc::ClientContext>();
  auto reader = stub->Sync(context.get(), request);
  return std::make_unique<SyncStream>(std::move(context), std::move(reader));
}

}  // namespace sigil::agent
