#include "agent/nodeclient/testing/fake_node_server.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "sigil/jwt_svid.h"
#include "sigil/status.h"
#include "sigil/x509_verify.h"

namespace sigil::agent::testing {

namespace nodeapi = ::sigil::node::v1;

struct FakeNodeServer::Shared {
  Certificate ca_cert;
  PrivateKey ca_key;
  X509Issuer issuer;
  PrivateKey jwt_key;
  Certificate server_cert;
  PrivateKey server_key;
  absl::Mutex mu;
  std::map<std::string, nodeapi::Entry> entries ABSL_GUARDED_BY(mu);
  int64_t revision ABSL_GUARDED_BY(mu) = 0;
  std::set<std::string> used_tokens ABSL_GUARDED_BY(mu);
};

namespace {

constexpr char kJwtKid[] = "fake-jwt-1";

grpc::Status Refuse(grpc::StatusCode code, std::string message) {
  return grpc::Status(code, std::move(message));
}

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

}  // namespace

FakeNodeServer::FakeNodeServer(FakeNodeServerOptions options, std::shared_ptr<Shared> shared)
    : options_(std::move(options)),
      shared_(std::move(shared)),
      bundle_(options_.trust_domain),
      issuer_(&shared_->issuer),
      port_(options_.port) {
  bundle_.AddX509Authority(shared_->ca_cert);
  (void)bundle_.AddJwtAuthority({kJwtKid, shared_->jwt_key.public_key(), std::nullopt});
}

FakeNodeServer::~FakeNodeServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<FakeNodeServer>> FakeNodeServer::Start(
    FakeNodeServerOptions options) {
  const absl::Time now = absl::Now();
  SIGIL_ASSIGN_OR_RETURN(PrivateKey ca_key, PrivateKey::Generate(KeyType::kEcP256));
  SIGIL_ASSIGN_OR_RETURN(Certificate ca_cert,
                         SelfSignX509Ca({options.trust_domain, {}, absl::Hours(24)}, ca_key, now));
  SIGIL_ASSIGN_OR_RETURN(X509Issuer issuer, X509Issuer::Create(ca_cert, ca_key));
  SIGIL_ASSIGN_OR_RETURN(PrivateKey jwt_key, PrivateKey::Generate(KeyType::kEcP256));
  SIGIL_ASSIGN_OR_RETURN(PrivateKey server_key, PrivateKey::Generate(KeyType::kEcP256));
  X509SvidParams params{
      options.server_id.value_or(*SpiffeId::FromPath(options.trust_domain, "/sigil/server")),
      {"localhost"},
      {},
      absl::Hours(12)};
  SIGIL_ASSIGN_OR_RETURN(SignedCertificate signed_server,
                         issuer.SignSvid(params, server_key.public_key(), now));
  SIGIL_ASSIGN_OR_RETURN(Certificate server_cert, signed_server.ToCertificate());
  auto shared =
      std::shared_ptr<Shared>(new Shared{ca_cert, ca_key, std::move(issuer), std::move(jwt_key),
                                         std::move(server_cert), std::move(server_key)});
  std::unique_ptr<FakeNodeServer> server(new FakeNodeServer(std::move(options), shared));
  SIGIL_RETURN_IF_ERROR(server->Listen());
  return server;
}

absl::StatusOr<std::unique_ptr<FakeNodeServer>> FakeNodeServer::Restart(
    const FakeNodeServer& previous) {
  FakeNodeServerOptions options = previous.options_;
  options.port = previous.port_;
  std::unique_ptr<FakeNodeServer> server(new FakeNodeServer(options, previous.shared_));
  SIGIL_RETURN_IF_ERROR(server->Listen());
  return server;
}

absl::Status FakeNodeServer::Listen() {
  grpc::experimental::IdentityKeyCertPair pair;
  pair.private_key = std::string(shared_->server_key.ToPkcs8Pem().view());
  pair.certificate_chain = shared_->server_cert.ToPem();
  auto provider = std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
      std::vector<grpc::experimental::IdentityKeyCertPair>{pair});
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_identity_key_cert_pairs();
  // The agent's SVID is checked per call in CheckCaller (Attest has none).
  tls.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  tls.set_certificate_verifier(std::make_shared<grpc::experimental::NoOpCertificateVerifier>());

  grpc::ServerBuilder builder;
  int selected = 0;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port_),
                           grpc::experimental::TlsServerCredentials(tls), &selected);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || selected == 0) {
    return absl::UnavailableError(absl::StrCat("fake node server cannot listen on port ", port_));
  }
  port_ = selected;
  return absl::OkStatus();
}

void FakeNodeServer::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
  }
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
    server_.reset();
  }
}

std::string FakeNodeServer::last_caller() const {
  absl::MutexLock lock(&mu_);
  return last_caller_;
}

grpc::Status FakeNodeServer::CheckCaller(grpc::ServerContext* context) {
  std::vector<grpc::string_ref> pems = context->auth_context()->FindPropertyValues("x509_pem_cert");
  if (pems.empty()) {
    return Refuse(grpc::StatusCode::UNAUTHENTICATED, "no client certificate");
  }
  absl::StatusOr<std::vector<Certificate>> chain =
      ParsePemCertificates(std::string_view(pems[0].data(), pems[0].size()));
  if (!chain.ok()) {
    return ToGrpc(chain.status());
  }
  absl::StatusOr<VerifiedX509Svid> verified = VerifyX509Svid(*chain, bundle_, absl::Now());
  if (!verified.ok()) {
    return ToGrpc(verified.status());
  }
  if (!verified->spiffe_id.path().starts_with("/sigil/agent/")) {
    return Refuse(grpc::StatusCode::PERMISSION_DENIED, "not an agent");
  }
  {
    absl::MutexLock lock(&mu_);
    last_caller_ = verified->spiffe_id.str();
  }
  if (evicted_) {
    return Refuse(grpc::StatusCode::PERMISSION_DENIED, "agent is not attested or was evicted");
  }
  return grpc::Status::OK;
}

absl::StatusOr<nodeapi::AgentSvid> FakeNodeServer::IssueAgentSvid(const SpiffeId& id,
                                                                  const std::string& spki) {
  X509SvidParams params{id, {}, {}, options_.agent_svid_ttl};
  SIGIL_ASSIGN_OR_RETURN(SignedCertificate cert,
                         shared_->issuer.SignSvidForSpki(params, spki, absl::Now()));
  nodeapi::AgentSvid svid;
  svid.set_spiffe_id(id.str());
  svid.add_cert_chain(cert.der);
  svid.set_expires_at(absl::ToUnixSeconds(cert.not_after));
  return svid;
}

grpc::Status FakeNodeServer::Attest(
    grpc::ServerContext* /*context*/,
    grpc::ServerReaderWriter<nodeapi::AttestResponse, nodeapi::AttestRequest>* stream) {
  ++attest_calls_;
  nodeapi::AttestRequest request;
  if (!stream->Read(&request) || !request.has_params()) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT, "first message must carry params");
  }
  const nodeapi::AttestParams params = request.params();
  if (params.data().type() != "join_token" || params.data().payload() != options_.join_token) {
    return Refuse(grpc::StatusCode::PERMISSION_DENIED, "join token unknown");
  }
  {
    absl::MutexLock lock(&shared_->mu);
    if (!shared_->used_tokens.insert(params.data().payload()).second) {
      return Refuse(grpc::StatusCode::PERMISSION_DENIED, "join token already used");
    }
  }
  if (!options_.challenge.empty()) {
    nodeapi::AttestResponse challenge;
    challenge.set_challenge(options_.challenge);
    stream->Write(challenge);
    if (!stream->Read(&request) || request.challenge_response() != "answer:" + options_.challenge) {
      return Refuse(grpc::StatusCode::PERMISSION_DENIED, "wrong challenge response");
    }
  }
  const SpiffeId agent_id = *SpiffeId::FromPath(
      options_.trust_domain, absl::StrCat("/sigil/agent/join_token/", options_.join_token));
  absl::StatusOr<nodeapi::AgentSvid> svid = IssueAgentSvid(agent_id, params.public_key());
  if (!svid.ok()) {
    return ToGrpc(svid.status());
  }
  nodeapi::AttestResponse response;
  nodeapi::AttestResult* result = response.mutable_result();
  *result->mutable_svid() = *std::move(svid);
  nodeapi::Selector* selector = result->add_node_selectors();
  selector->set_type("join_token");
  selector->set_value("fake");
  result->set_bundle(*EncodeSpiffeBundle(bundle_));
  stream->Write(response);
  return grpc::Status::OK;
}

grpc::Status FakeNodeServer::RenewAgent(grpc::ServerContext* context,
                                        const nodeapi::RenewAgentRequest* request,
                                        nodeapi::RenewAgentResponse* response) {
  ++renew_calls_;
  if (grpc::Status s = CheckCaller(context); !s.ok()) {
    return s;
  }
  absl::StatusOr<nodeapi::AgentSvid> svid =
      IssueAgentSvid(*SpiffeId::Parse(last_caller()), request->public_key());
  if (!svid.ok()) {
    return ToGrpc(svid.status());
  }
  *response->mutable_svid() = *std::move(svid);
  return grpc::Status::OK;
}

grpc::Status FakeNodeServer::Sync(grpc::ServerContext* context, const nodeapi::SyncRequest* request,
                                  grpc::ServerWriter<nodeapi::SyncUpdate>* writer) {
  if (grpc::Status s = CheckCaller(context); !s.ok()) {
    return s;
  }
  ++sync_streams_;
  last_sync_revision_ = request->last_revision();
  auto queue = std::make_shared<std::deque<nodeapi::SyncUpdate>>();
  nodeapi::SyncUpdate snapshot;
  {
    absl::MutexLock lock(&shared_->mu);
    snapshot.set_full(true);
    for (const auto& [id, entry] : shared_->entries) {
      *snapshot.add_entries() = entry;
    }
    snapshot.set_revision(shared_->revision);
  }
  nodeapi::Bundle* bundle = snapshot.add_bundles();
  bundle->set_trust_domain(options_.trust_domain.name());
  bundle->set_document(*EncodeSpiffeBundle(bundle_));
  {
    absl::MutexLock lock(&mu_);
    queues_.push_back(queue);
  }
  bool open = writer->Write(snapshot);
  while (open && !context->IsCancelled()) {
    absl::MutexLock lock(&mu_);
    auto ready = [&]()
                     ABSL_SHARED_LOCKS_REQUIRED(mu_) { return shutting_down_ || !queue->empty(); };
    mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(50));
    if (shutting_down_) {
      break;
    }
    while (open && !queue->empty()) {
      nodeapi::SyncUpdate update = std::move(queue->front());
      queue->pop_front();
      mu_.Unlock();
      open = writer->Write(update);
      mu_.Lock();
    }
  }
  absl::MutexLock lock(&mu_);
  std::erase(queues_, queue);
  return grpc::Status::OK;
}

void FakeNodeServer::Push(nodeapi::SyncUpdate update) {
  absl::MutexLock lock(&mu_);
  for (auto& queue : queues_) {
    queue->push_back(update);
  }
}

void FakeNodeServer::PutEntry(const std::string& entry_id, const SpiffeId& spiffe_id,
                              const std::string& selector_type, const std::string& selector_value) {
  nodeapi::SyncUpdate update;
  {
    absl::MutexLock lock(&shared_->mu);
    nodeapi::Entry& entry = shared_->entries[entry_id];
    entry.set_id(entry_id);
    entry.set_spiffe_id(spiffe_id.str());
    entry.clear_selectors();
    nodeapi::Selector* selector = entry.add_selectors();
    selector->set_type(selector_type);
    selector->set_value(selector_value);
    entry.set_x509_svid_ttl(static_cast<int32_t>(absl::ToInt64Seconds(options_.x509_svid_ttl)));
    entry.set_revision(++shared_->revision);
    entry.set_created_at(absl::ToUnixSeconds(absl::Now()));
    *update.add_entries() = entry;
    update.set_revision(shared_->revision);
  }
  Push(std::move(update));
}

void FakeNodeServer::RemoveEntry(const std::string& entry_id) {
  nodeapi::SyncUpdate update;
  {
    absl::MutexLock lock(&shared_->mu);
    shared_->entries.erase(entry_id);
    update.add_removed_entry_ids(entry_id);
    update.set_revision(++shared_->revision);
  }
  Push(std::move(update));
}

void FakeNodeServer::Taint(const std::string& authority_id) {
  nodeapi::SyncUpdate update;
  {
    absl::MutexLock lock(&shared_->mu);
    update.set_revision(++shared_->revision);
  }
  update.add_tainted_authorities(authority_id);
  Push(std::move(update));
}

grpc::Status FakeNodeServer::SignX509Svids(grpc::ServerContext* context,
                                           const nodeapi::SignX509SvidsRequest* request,
                                           nodeapi::SignX509SvidsResponse* response) {
  ++sign_calls_;
  if (grpc::Status s = CheckCaller(context); !s.ok()) {
    return s;
  }
  for (const nodeapi::X509SvidRequest& item : request->requests()) {
    nodeapi::X509SvidResult* result = response->add_results();
    result->set_entry_id(item.entry_id());
    std::optional<nodeapi::Entry> entry;
    {
      absl::MutexLock lock(&shared_->mu);
      auto it = shared_->entries.find(item.entry_id());
      if (it != shared_->entries.end()) {
        entry = it->second;
      }
    }
    if (!entry.has_value()) {
      result->set_error_code(static_cast<int>(grpc::StatusCode::NOT_FOUND));
      result->set_error_message("no such entry");
      continue;
    }
    X509SvidParams params{
        *SpiffeId::Parse(entry->spiffe_id()), {}, {}, absl::Seconds(entry->x509_svid_ttl())};
    absl::StatusOr<SignedCertificate> cert =
        shared_->issuer.SignSvidForSpki(params, item.public_key(), absl::Now());
    if (!cert.ok()) {
      result->set_error_code(static_cast<int>(cert.status().code()));
      result->set_error_message(std::string(cert.status().message()));
      continue;
    }
    ++signed_svids_;
    result->add_cert_chain(cert->der);
    result->set_expires_at(absl::ToUnixSeconds(cert->not_after));
  }
  return grpc::Status::OK;
}

grpc::Status FakeNodeServer::SignJwtSvid(grpc::ServerContext* context,
                                         const nodeapi::SignJwtSvidRequest* request,
                                         nodeapi::SignJwtSvidResponse* response) {
  ++jwt_calls_;
  if (grpc::Status s = CheckCaller(context); !s.ok()) {
    return s;
  }
  std::optional<nodeapi::Entry> entry;
  {
    absl::MutexLock lock(&shared_->mu);
    auto it = shared_->entries.find(request->entry_id());
    if (it != shared_->entries.end()) {
      entry = it->second;
    }
  }
  if (!entry.has_value()) {
    return Refuse(grpc::StatusCode::PERMISSION_DENIED, "no such entry for this agent");
  }
  const absl::Time now = absl::Now();
  JwtSvidClaims claims{*SpiffeId::Parse(entry->spiffe_id()),
                       {request->audience().begin(), request->audience().end()},
                       now + absl::Minutes(5),
                       nullptr};
  absl::StatusOr<SecretBytes> token = sigil::SignJwtSvid(claims, shared_->jwt_key, kJwtKid, now);
  if (!token.ok()) {
    return ToGrpc(token.status());
  }
  response->set_token(std::string(token->view()));
  response->set_expires_at(absl::ToUnixSeconds(claims.expires_at));
  return grpc::Status::OK;
}

}  // namespace sigil::agent::testing
