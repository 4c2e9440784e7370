#include "server/nodeapi/node_api_harness.h"

#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "server/ca/key_manager.h"
#include "server/datastore/sqlite_datastore.h"
#include "sigil/status.h"

namespace sigil::server::testing {
namespace {

namespace nodev1 = ::sigil::node::v1;

// Accepts the server only when its SVID's URI SAN is the expected ID (the chain itself is
// verified by gRPC against the roots).
class ServerIdVerifier final : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit ServerIdVerifier(std::string server_id) : server_id_(std::move(server_id)) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)>, grpc::Status* sync_status) override {
    for (const grpc::string_ref& uri : request->uri_names()) {
      if (std::string_view(uri.data(), uri.size()) == server_id_) {
        *sync_status = grpc::Status::OK;
        return true;
      }
    }
    *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                "server certificate does not name " + server_id_);
    return true;
  }
  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

 private:
  const std::string server_id_;
};

std::string MakeScratchDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/sigil-nodeapi-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return "";
  }
  return pattern;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NodeApiHarness>> NodeApiHarness::Start(
    const std::function<void(NodeApiServerOptions&)>& tweak) {
  std::unique_ptr<NodeApiHarness> h(new NodeApiHarness());
  h->dir_ = MakeScratchDir();
  if (h->dir_.empty()) {
    return absl::InternalError("mkdtemp failed");
  }
  SIGIL_ASSIGN_OR_RETURN(std::unique_ptr<DataStore> sqlite,
                         OpenSqliteDataStore(h->dir_ + "/datastore.sqlite3", {}));
  h->datastore_ = std::make_unique<NotifyingDataStore>(std::move(sqlite));
  const TrustDomain td = h->trust_domain();

  CaManagerConfig ca_config{.trust_domain = td,
                            .key_manager = std::make_unique<MemoryKeyManager>(),
                            .datastore = h->datastore_.get(),
                            .clock = [] { return absl::Now(); }};
  SIGIL_ASSIGN_OR_RETURN(h->ca_, CaManager::Create(std::move(ca_config)));
  SIGIL_ASSIGN_OR_RETURN(h->registry_, Registry::Load({.trust_domain = td,
                                                       .datastore = &h->datastore_->inner(),
                                                       .poll_interval = absl::ZeroDuration()}));
  Registry* registry = h->registry_.get();
  h->datastore_->set_write_hook([registry] { (void)registry->Refresh(); });

  NodeApiServerOptions options{.bind_address = "127.0.0.1:0",
                               .data_dir = h->dir_,
                               .certificate_refresh_seconds = 1,
                               .service = NodeServiceOptions{.trust_domain = td}};
  if (tweak) {
    tweak(options);
  }
  SIGIL_ASSIGN_OR_RETURN(
      h->server_, NodeApiServer::Start(std::move(options), *h->ca_, *h->datastore_, *registry));
  return h;
}

NodeApiHarness::~NodeApiHarness() {
  if (server_ != nullptr) {
    server_->Shutdown(absl::Seconds(1));
  }
  server_.reset();
  if (datastore_ != nullptr) {
    datastore_->set_write_hook({});
  }
  registry_.reset();
  ca_.reset();
  datastore_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string NodeApiHarness::RootsPem() const {
  return ConcatPem(ca_->Bundle()->x509_authorities());
}

absl::Status NodeApiHarness::AddJoinToken(std::string_view token,
                                          std::optional<absl::Time> expires_at) {
  return datastore_->CreateJoinToken(JoinToken{
      .token = SecretBytes(token),
      .expires_at = expires_at.value_or(absl::Now() + absl::Minutes(10)),
  });
}

absl::StatusOr<std::string> NodeApiHarness::AddEntry(
    std::string_view spiffe_id, std::string_view parent_id, std::vector<std::string> selectors,
    std::function<void(RegistrationEntry&)> tweak) {
  SIGIL_ASSIGN_OR_RETURN(SpiffeId id, SpiffeId::Parse(spiffe_id));
  SIGIL_ASSIGN_OR_RETURN(SpiffeId parent, SpiffeId::Parse(parent_id));
  RegistrationEntry entry{.spiffe_id = std::move(id), .parent_id = std::move(parent)};
  for (const std::string& s : selectors) {
    SIGIL_ASSIGN_OR_RETURN(Selector selector, Selector::Parse(s));
    entry.selectors.push_back(std::move(selector));
  }
  if (tweak) {
    tweak(entry);
  }
  SIGIL_ASSIGN_OR_RETURN(RegistrationEntry created, datastore_->CreateEntry(std::move(entry)));
  return created.entry_id;
}

std::shared_ptr<grpc::Channel> NodeApiChannel(int port, const std::string& roots_pem,
                                              const std::string& server_id,
                                              const std::optional<ClientIdentity>& identity) {
  std::vector<grpc::experimental::IdentityKeyCertPair> pairs;
  if (identity.has_value()) {
    pairs.push_back({identity->key_pem, identity->chain_pem});
  }
  auto provider =
      std::make_shared<grpc::experimental::StaticDataCertificateProvider>(roots_pem, pairs);
  grpc::experimental::TlsChannelCredentialsOptions tls;
  tls.set_certificate_provider(provider);
  tls.watch_root_certs();
  if (identity.has_value()) {
    tls.watch_identity_key_cert_pairs();
  }
  tls.set_verify_server_certs(true);
  // SVIDs name a SPIFFE ID, not a host: the verifier checks the ID instead of the host name.
  tls.set_check_call_host(false);
  tls.set_certificate_verifier(
      grpc::experimental::ExternalCertificateVerifier::Create<ServerIdVerifier>(server_id));
  grpc::ChannelArguments args;
  // Each test agent gets its own connection, never one shared with another identity.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(kNodeApiMaxSendBytes);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::experimental::TlsCredentials(tls), args);
}

absl::StatusOr<nodev1::AttestResult> RunAttest(nodev1::NodeService::Stub& stub,
                                               std::string_view type, std::string_view payload,
                                               std::string_view public_key_der,
                                               const ChallengeAnswerer& answer) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto stream = stub.Attest(&ctx);
  nodev1::AttestRequest request;
  request.mutable_params()->mutable_data()->set_type(std::string(type));
  request.mutable_params()->mutable_data()->set_payload(std::string(payload));
  request.mutable_params()->set_public_key(std::string(public_key_der));
  stream->Write(request);

  nodev1::AttestResponse response;
  std::optional<nodev1::AttestResult> result;
  absl::Status answer_error;
  while (stream->Read(&response)) {
    if (response.has_result()) {
      result = response.result();
      break;
    }
    if (!answer) {
      answer_error = absl::InternalError("server sent a challenge and no answerer was given");
      break;
    }
    absl::StatusOr<std::string> reply = answer(response.challenge());
    if (!reply.ok()) {
      answer_error = reply.status();
      break;
    }
    nodev1::AttestRequest next;
    next.set_challenge_response(*reply);
    stream->Write(next);
  }
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  if (!answer_error.ok()) {
    return answer_error;
  }
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  if (!result.has_value()) {
    return absl::InternalError("Attest ended without a result");
  }
  return *std::move(result);
}

ClientIdentity TestAgent::Identity() const {
  return ClientIdentity{std::string(key.ToPkcs8Pem().view()), ConcatPem(chain)};
}

std::unique_ptr<nodev1::NodeService::Stub> AnonymousStub(const NodeApiHarness& harness) {
  return nodev1::NodeService::NewStub(
      NodeApiChannel(harness.port(), harness.RootsPem(),
                     harness.trust_domain().IdString() + "/sigil/server", std::nullopt));
}

absl::StatusOr<TestAgent> AgentFromResult(const NodeApiHarness& harness, PrivateKey key,
                                          nodev1::AttestResult result) {
  std::vector<Certificate> chain;
  for (const std::string& der : result.svid().cert_chain()) {
    SIGIL_ASSIGN_OR_RETURN(Certificate cert, Certificate::FromDer(der));
    chain.push_back(std::move(cert));
  }
  SIGIL_ASSIGN_OR_RETURN(SpiffeId id, SpiffeId::Parse(result.svid().spiffe_id()));
  TestAgent agent{.key = std::move(key),
                  .chain = std::move(chain),
                  .id = std::move(id),
                  .result = std::move(result)};
  agent.channel =
      NodeApiChannel(harness.port(), harness.RootsPem(),
                     harness.trust_domain().IdString() + "/sigil/server", agent.Identity());
  agent.stub = nodev1::NodeService::NewStub(agent.channel);
  return agent;
}

absl::StatusOr<TestAgent> AttestWithJoinToken(const NodeApiHarness& harness,
                                              std::string_view token) {
  SIGIL_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate(KeyType::kEcP256));
  auto stub = AnonymousStub(harness);
  SIGIL_ASSIGN_OR_RETURN(nodev1::AttestResult result,
                         RunAttest(*stub, "join_token", token, key.public_key().ToSpkiDer()));
  return AgentFromResult(harness, std::move(key), std::move(result));
}

}  // namespace sigil::server::testing
