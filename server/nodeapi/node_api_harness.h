// Test and benchmark support: a real node API server (SQLite datastore in a scratch directory,
// CaManager with in-memory keys, registry, TLS on 127.0.0.1 port 0) and a client that talks to
// it the way an agent does (TLS trusting the bundle, checking the server's SPIFFE ID,
// presenting its agent SVID once it has one). Not for production use.
#ifndef SIGIL_SERVER_NODEAPI_NODE_API_HARNESS_H_
#define SIGIL_SERVER_NODEAPI_NODE_API_HARNESS_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include <grpcpp/grpcpp.h>

#include "node.grpc.pb.h"
#include "server/ca/ca_manager.h"
#include "server/nodeapi/node_api_server.h"
#include "server/registry/notifying_datastore.h"
#include "server/registry/registry.h"
#include "sigil/certificate.h"
#include "sigil/keys.h"

namespace sigil::server::testing {

inline constexpr std::string_view kHarnessTrustDomain = "example.org";

class NodeApiHarness {
 public:
  // `tweak` may change the server's options (limits, x509pop bundle, ...) before it starts.
  static absl::StatusOr<std::unique_ptr<NodeApiHarness>> Start(
      const std::function<void(NodeApiServerOptions&)>& tweak = {});
  ~NodeApiHarness();

  // Writes through here refresh the registry before they return, as in sigil-server.
  NotifyingDataStore& datastore() { return *datastore_; }
  CaManager& ca() { return *ca_; }
  Registry& registry() { return *registry_; }
  NodeApiServer& server() { return *server_; }
  int port() const { return server_->port(); }
  const std::string& dir() const { return dir_; }
  TrustDomain trust_domain() const { return *TrustDomain::FromString(kHarnessTrustDomain); }
  // The X.509 authorities of the current bundle, PEM: what an agent trusts.
  std::string RootsPem() const;

  // Stores a join token expiring at `expires_at` (default: in ten minutes).
  absl::Status AddJoinToken(std::string_view token,
                            std::optional<absl::Time> expires_at = std::nullopt);
  // Stores an entry; returns its id.
  absl::StatusOr<std::string> AddEntry(std::string_view spiffe_id, std::string_view parent_id,
                                       std::vector<std::string> selectors = {"unix:uid:1000"},
                                       std::function<void(RegistrationEntry&)> tweak = {});

 private:
  NodeApiHarness() = default;

  std::string dir_;
  std::unique_ptr<NotifyingDataStore> datastore_;
  std::unique_ptr<CaManager> ca_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<NodeApiServer> server_;
};

// What an agent presents: its key and SVID chain (leaf first), PEM.
struct ClientIdentity {
  std::string key_pem;
  std::string chain_pem;
};

// A channel to the node API on 127.0.0.1:`port` trusting `roots_pem` and accepting only a
// server whose SVID names `server_id`; presents `identity` when given.
std::shared_ptr<grpc::Channel> NodeApiChannel(int port, const std::string& roots_pem,
                                              const std::string& server_id,
                                              const std::optional<ClientIdentity>& identity);

using ChallengeAnswerer = std::function<absl::StatusOr<std::string>(std::string_view)>;

// Runs an Attest call: params, then answers to challenges until a result or an error.
absl::StatusOr<sigil::node::v1::AttestResult> RunAttest(sigil::node::v1::NodeService::Stub& stub,
                                                        std::string_view type,
                                                        std::string_view payload,
                                                        std::string_view public_key_der,
                                                        const ChallengeAnswerer& answer = {});

// An agent that has attested: its key, SVID and a stub presenting that SVID.
struct TestAgent {
  PrivateKey key;
  std::vector<Certificate> chain;
  SpiffeId id;
  sigil::node::v1::AttestResult result;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<sigil::node::v1::NodeService::Stub> stub;

  ClientIdentity Identity() const;
};

// Attests with a fresh P-256 key and a join token, over a certificate-less channel, and
// connects again presenting the SVID.
absl::StatusOr<TestAgent> AttestWithJoinToken(const NodeApiHarness& harness,
                                              std::string_view token);
// Builds a TestAgent from an attestation result and the key it was issued for.
absl::StatusOr<TestAgent> AgentFromResult(const NodeApiHarness& harness, PrivateKey key,
                                          sigil::node::v1::AttestResult result);

// A stub on a channel without a client certificate.
std::unique_ptr<sigil::node::v1::NodeService::Stub> AnonymousStub(const NodeApiHarness& harness);

}  // namespace sigil::server::testing

#endif  // SIGIL_SERVER_NODEAPI_NODE_API_HARNESS_H_
