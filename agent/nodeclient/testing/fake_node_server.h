// An in-process stand-in for sigil-server's node API, for the agent's tests: real TLS with a
// real server SVID, a real CA issuing agent SVIDs and workload SVIDs for the public keys the
// agent sends, a join-token or challenge attestor, and a Sync stream the test feeds. Never
// used by the agent itself.
#ifndef SIGIL_AGENT_NODECLIENT_TESTING_FAKE_NODE_SERVER_H_
#define SIGIL_AGENT_NODECLIENT_TESTING_FAKE_NODE_SERVER_H_

#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

#include "node.grpc.pb.h"
#include "sigil/bundle.h"
#include "sigil/keys.h"
#include "sigil/spiffe_id.h"
#include "sigil/x509_issuer.h"

namespace sigil::agent::testing {

struct FakeNodeServerOptions {
  TrustDomain trust_domain;
  // The ID in the server's own certificate (tests of server verification change it).
  std::optional<SpiffeId> server_id;
  // The token Attest accepts (type "join_token"). Each token attests once.
  std::string join_token = "test-token";
  // When set, Attest sends this challenge and expects "answer:" + challenge back.
  std::string challenge;
  absl::Duration agent_svid_ttl = absl::Hours(1);
  absl::Duration x509_svid_ttl = absl::Hours(1);
  // Listen on this port (0: any free port); a restarted server reuses its predecessor's port.
  int port = 0;
};

class FakeNodeServer : public sigil::node::v1::NodeService::Service {
 public:
  // Makes a CA for the trust domain, a server SVID, and starts listening on 127.0.0.1.
  static absl::StatusOr<std::unique_ptr<FakeNodeServer>> Start(FakeNodeServerOptions options);
  // Starts a new server with the same CA, keys and registrations as `previous` (which must be
  // shut down), on the same port: a restarted sigil-server.
  static absl::StatusOr<std::unique_ptr<FakeNodeServer>> Restart(const FakeNodeServer& previous);
  ~FakeNodeServer() override;

  void Shutdown();
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const TrustBundle& bundle() const { return bundle_; }
  const X509Issuer& issuer() const { return *issuer_; }

  // Registers (or replaces) an entry and pushes it to every open Sync stream.
  void PutEntry(const std::string& entry_id, const SpiffeId& spiffe_id,
                const std::string& selector_type, const std::string& selector_value);
  void RemoveEntry(const std::string& entry_id);
  // Pushes an update naming `authority_id` as tainted.
  void Taint(const std::string& authority_id);
  // From now on every non-Attest call is refused with PermissionDenied, as for an evicted
  // agent.
  void Evict() { evicted_ = true; }

  int attest_calls() const { return attest_calls_.load(); }
  int renew_calls() const { return renew_calls_.load(); }
  int sign_calls() const { return sign_calls_.load(); }
  int signed_svids() const { return signed_svids_.load(); }
  int sync_streams() const { return sync_streams_.load(); }
  int jwt_calls() const { return jwt_calls_.load(); }
  // The last_revision of the most recent Sync request.
  int64_t last_sync_request_revision() const { return last_sync_revision_.load(); }
  // The SPIFFE ID of the client certificate on the most recent authenticated call.
  std::string last_caller() const;

  grpc::Status Attest(grpc::ServerContext* context,
                      grpc::ServerReaderWriter<sigil::node::v1::AttestResponse,
                                               sigil::node::v1::AttestRequest>* stream) override;
  grpc::Status RenewAgent(grpc::ServerContext* context,
                          const sigil::node::v1::RenewAgentRequest* request,
                          sigil::node::v1::RenewAgentResponse* response) override;
  grpc::Status Sync(grpc::ServerContext* context, const sigil::node::v1::SyncRequest* request,
                    grpc::ServerWriter<sigil::node::v1::SyncUpdate>* writer) override;
  grpc::Status SignX509Svids(grpc::ServerContext* context,
                             const sigil::node::v1::SignX509SvidsRequest* request,
                             sigil::node::v1::SignX509SvidsResponse* response) override;
  grpc::Status SignJwtSvid(grpc::ServerContext* context,
                           const sigil::node::v1::SignJwtSvidRequest* request,
                           sigil::node::v1::SignJwtSvidResponse* response) override;

 private:
  struct Shared;  // CA, keys and registrations, kept across Restart
  FakeNodeServer(FakeNodeServerOptions options, std::shared_ptr<Shared> shared);
  absl::Status Listen();
  grpc::Status CheckCaller(grpc::ServerContext* context);
  absl::StatusOr<sigil::node::v1::AgentSvid> IssueAgentSvid(const SpiffeId& id,
                                                            const std::string& spki);
  void Push(sigil::node::v1::SyncUpdate update);

  const FakeNodeServerOptions options_;
  const std::shared_ptr<Shared> shared_;
  TrustBundle bundle_;
  const X509Issuer* issuer_ = nullptr;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::atomic<bool> evicted_{false};
  std::atomic<int> attest_calls_{0}, renew_calls_{0}, sign_calls_{0}, signed_svids_{0},
      sync_streams_{0}, jwt_calls_{0};
  std::atomic<int64_t> last_sync_revision_{-1};
  mutable absl::Mutex mu_;
  std::string last_caller_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  // One queue per open Sync stream.
  std::vector<std::shared_ptr<std::deque<sigil::node::v1::SyncUpdate>>> queues_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace sigil::agent::testing

#endif  // SIGIL_AGENT_NODECLIENT_TESTING_FAKE_NODE_SERVER_H_
