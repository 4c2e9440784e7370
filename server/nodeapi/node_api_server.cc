#include "server/nodeapi/node_api_server.h"

#include "absl/strings/str_cat.h"
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "attestors/node/join_token.h"
#include "attestors/node/x509pop.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {
constexpr std::string_view kLogComponent = "nodeapi";

absl::StatusOr<std::vector<std::unique_ptr<attestors::NodeAttestor>>> MakeAttestors(
    const NodeApiServerOptions& options, DataStore& datastore) {
  std::vector<std::unique_ptr<attestors::NodeAttestor>> out;
  out.push_back(std::make_unique<attestors::JoinTokenAttestor>(
      options.service.trust_domain, [&datastore](const SecretBytes& token) {
        return datastore.ConsumeJoinToken(token).status();
      }));
  if (!options.x509pop_ca_bundle_path.empty()) {
    absl::StatusOr<std::vector<Certificate>> cas =
        attestors::LoadX509PopCaBundle(options.x509pop_ca_bundle_path);
    if (!cas.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("node_attestor.x509pop.ca_bundle_path: ", cas.status().message()));
    }
    SIGIL_ASSIGN_OR_RETURN(
        std::unique_ptr<attestors::X509PopAttestor> x509pop,
        attestors::X509PopAttestor::Create(options.service.trust_domain, *std::move(cas)));
    out.push_back(std::move(x509pop));
  }
  return out;
}

}  // namespace

NodeApiServerOptions NodeApiOptionsFromConfig(const ServerConfig& config,
                                              std::function<absl::Time()> clock) {
  return NodeApiServerOptions{
      .bind_address = config.bind_address,
      .data_dir = config.data_dir,
      .server_svid_ttl = config.default_x509_svid_ttl,
      .x509pop_ca_bundle_path = config.node_api.x509pop_ca_bundle_path,
      .service = NodeServiceOptions{.trust_domain = *config.trust_domain,
                                    .agent_svid_ttl = config.agent_svid_ttl,
                                    .default_x509_svid_ttl = config.default_x509_svid_ttl,
                                    .default_jwt_svid_ttl = config.default_jwt_svid_ttl,
                                    .attest_rate_limit = config.node_api.attest_rate_limit,
                                    .attest_burst = config.node_api.attest_burst,
                                    .sign_rate_limit = config.node_api.sign_rate_limit,
                                    .sign_burst = config.node_api.sign_burst,
                                    .clock = std::move(clock)},
  };
}

absl::StatusOr<std::unique_ptr<NodeApiServer>> NodeApiServer::Start(NodeApiServerOptions options,
                                                                    CaManager& ca,
                                                                    DataStore& datastore,
                                                                    Registry& registry) {
  std::unique_ptr<NodeApiServer> server(new NodeApiServer());
  SIGIL_ASSIGN_OR_RETURN(std::vector<std::unique_ptr<attestors::NodeAttestor>> attestors,
                         MakeAttestors(options, datastore));
  SIGIL_ASSIGN_OR_RETURN(
      server->svid_,
      ServerSvidRotator::Start({.trust_domain = options.service.trust_domain,
                                .directory = absl::StrCat(options.data_dir, "/server_svid"),
                                .ttl = options.server_svid_ttl,
                                .clock = options.service.clock},
                               ca));
  server->service_ =
      std::make_unique<NodeService>(options.service, ca, datastore, registry, std::move(attestors));

  // TLS: our SVID from the watched file; a client certificate is requested so agents can
  // present their SVID, but verified per call against the live bundle rather than by TLS,
  // whose trust store could not follow CA rotation. The handshake still proves the client
  // holds the certificate's key.
  // Limitation: the SVID names no DNS host, so gRPC logs "No match found for server name" at
  // error level for every connection whose TLS server-name indication is a host name or an
  // address; the handshake goes on with this certificate all the same.
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      server->svid_->path(), server->svid_->path(), options.certificate_refresh_seconds);
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_identity_key_cert_pairs();
  tls.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);

  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.bind_address, grpc::experimental::TlsServerCredentials(tls),
                           &server->port_);
  builder.RegisterService(server->service_.get());
  builder.SetMaxReceiveMessageSize(kNodeApiMaxReceiveBytes);
  builder.SetMaxSendMessageSize(kNodeApiMaxSendBytes);
  // Sync streams live for hours: keepalive pings find agents that vanished without closing.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    server->service_.reset();
    return absl::UnavailableError(
        absl::StrCat("node API: cannot listen on ", options.bind_address));
  }
  SIGIL_LOG(kInfo, "nodeapi.listening",
            {{"address", options.bind_address},
             {"port", absl::StrCat(server->port_)},
             {"x509pop", options.x509pop_ca_bundle_path.empty() ? "off" : "on"}});
  return server;
}

NodeApiServer::~NodeApiServer() { Shutdown(absl::ZeroDuration()); }

void NodeApiServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) {
    return;
  }
  service_->StopStreams();
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_->Wait();
  server_.reset();
  service_.reset();
  svid_.reset();
  SIGIL_LOG(kInfo, "nodeapi.stopped", {});
}

}  // namespace sigil::server
