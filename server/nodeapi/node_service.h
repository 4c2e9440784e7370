// The node API service (common/nodeapi/proto/node.proto) on gRPC's callback API: Attest,
// RenewAgent, Sync, SignX509Svids and SignJwtSvid. See docs/server.md, "Node API".
//
// Nothing here reads the datastore on the hot path: the caller's node record, the entries it
// may sign and what it is synced come from the in-memory Registry; signatures from the
// CaManager's in-memory snapshot; issuance records go to the datastore from a background
// writer. Writes happen only where something durable changes: attestation (join token
// consumed, node stored), renewal (new serial stored) and the first use of a renewed SVID.
#ifndef SIGIL_SERVER_NODEAPI_NODE_SERVICE_H_
#define SIGIL_SERVER_NODEAPI_NODE_SERVICE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

#include "attestors/node/node_attestor.h"
#include "node.grpc.pb.h"
#include "server/ca/ca_manager.h"
#include "server/datastore/datastore.h"
#include "server/nodeapi/issuance_ledger.h"
#include "server/nodeapi/peer_auth.h"
#include "server/nodeapi/rate_limiter.h"
#include "server/nodeapi/sync_state.h"
#include "server/registry/registry.h"

namespace sigil::server {

// Items one SignX509Svids call may carry.
inline constexpr size_t kMaxSignBatch = 1000;
// Attestations in progress at once; more are refused with kResourceExhausted.
inline constexpr int64_t kMaxConcurrentAttestations = 1000;

struct NodeServiceOptions {
  TrustDomain trust_domain;
  absl::Duration agent_svid_ttl = absl::Hours(1);
  absl::Duration default_x509_svid_ttl = absl::Hours(1);
  absl::Duration default_jwt_svid_ttl = absl::Minutes(5);
  // Per source address; 0 rate turns the limit off.
  int64_t attest_rate_limit = 10;
  int64_t attest_burst = 20;
  // SVIDs per agent; 0 rate turns the limit off.
  int64_t sign_rate_limit = 1000;
  int64_t sign_burst = 10000;
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  IssuanceLedgerOptions ledger;
  size_t resume_cache_agents = kDefaultResumeCacheAgents;
};

class SyncStream;

class NodeService final : public sigil::node::v1::NodeService::CallbackService {
 public:
  // Borrows `ca`, `datastore` and `registry` (all must outlive the service) and takes the
  // attestors, keyed by their type().
  NodeService(NodeServiceOptions options, CaManager& ca, DataStore& datastore, Registry& registry,
              std::vector<std::unique_ptr<attestors::NodeAttestor>> attestors);
  ~NodeService() override;

  grpc::ServerBidiReactor<sigil::node::v1::AttestRequest, sigil::node::v1::AttestResponse>* Attest(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* RenewAgent(grpc::CallbackServerContext* ctx,
                                       const sigil::node::v1::RenewAgentRequest* request,
                                       sigil::node::v1::RenewAgentResponse* response) override;
  grpc::ServerWriteReactor<sigil::node::v1::SyncUpdate>* Sync(
      grpc::CallbackServerContext* ctx, const sigil::node::v1::SyncRequest* request) override;
  grpc::ServerUnaryReactor* SignX509Svids(
      grpc::CallbackServerContext* ctx, const sigil::node::v1::SignX509SvidsRequest* request,
      sigil::node::v1::SignX509SvidsResponse* response) override;
  grpc::ServerUnaryReactor* SignJwtSvid(grpc::CallbackServerContext* ctx,
                                        const sigil::node::v1::SignJwtSvidRequest* request,
                                        sigil::node::v1::SignJwtSvidResponse* response) override;

  // Ends every open Sync stream with kUnavailable, so that a server shutdown does not wait for
  // them; new ones are refused from then on. Call before grpc::Server::Shutdown.
  void StopStreams();

  // Writes queued issuance records (tests).
  void FlushLedger() { ledger_.Flush(); }
  size_t open_sync_streams() const;
  // Waits up to `timeout` until at most `n` Sync streams are open (tests); false on timeout.
  bool AwaitOpenSyncStreams(size_t n, absl::Duration timeout);
  PeerAuthenticator& authenticator() { return auth_; }

 private:
  friend class AttestStream;
  friend class SyncStream;

  // What Attest hands back once the attestor has spoken.
  absl::StatusOr<sigil::node::v1::AttestResult> CompleteAttestation(
      const attestors::NodeAttestationResult& result, std::string_view attestor_type,
      std::string_view public_key, std::string_view peer_address);
  absl::StatusOr<sigil::node::v1::AgentSvid> SignAgentSvid(const SpiffeId& agent_id,
                                                           std::string_view public_key);
  absl::Status Renew(const AuthenticatedAgent& agent, std::string_view public_key,
                     sigil::node::v1::RenewAgentResponse* response);
  absl::StatusOr<AuthenticatedAgent> Authenticate(const grpc::CallbackServerContext& ctx);
  void SignX509Batch(const AuthenticatedAgent& agent,
                     const sigil::node::v1::SignX509SvidsRequest& request,
                     sigil::node::v1::SignX509SvidsResponse* response);
  absl::Status SignJwt(const AuthenticatedAgent& agent,
                       const sigil::node::v1::SignJwtSvidRequest& request,
                       sigil::node::v1::SignJwtSvidResponse* response);
  const attestors::NodeAttestor* FindAttestor(std::string_view type) const;

  // Sync streams needing work are queued here and served by one thread, so the registry's
  // change notifications (which run on whichever thread wrote) only enqueue.
  void Schedule(std::shared_ptr<SyncStream> stream);
  void DispatchLoop();
  bool AddStream(SyncStream* stream);
  void RemoveStream(SyncStream* stream);

  const NodeServiceOptions options_;
  CaManager& ca_;
  DataStore& datastore_;
  Registry& registry_;
  const std::map<std::string, std::unique_ptr<attestors::NodeAttestor>, std::less<>> attestors_;
  PeerAuthenticator auth_;
  KeyedRateLimiter attest_limiter_;
  KeyedRateLimiter sign_limiter_;
  IssuanceLedger ledger_;
  SyncResumeCache resume_cache_;
  std::atomic<int64_t> attestations_in_progress_ = 0;

  absl::Mutex dispatch_mu_;
  std::deque<std::shared_ptr<SyncStream>> dispatch_queue_ ABSL_GUARDED_BY(dispatch_mu_);
  bool dispatch_stop_ ABSL_GUARDED_BY(dispatch_mu_) = false;
  std::thread dispatcher_;

  mutable absl::Mutex streams_mu_;
  absl::flat_hash_set<SyncStream*> streams_ ABSL_GUARDED_BY(streams_mu_);
  bool streams_stopped_ ABSL_GUARDED_BY(streams_mu_) = false;
};

// The peer's address without the port ("ipv4:127.0.0.1:5555" → "127.0.0.1"), the key of the
// attestation rate limit.
std::string PeerAddress(const grpc::ServerContextBase& ctx);

}  // namespace sigil::server

#endif  // SIGIL_SERVER_NODEAPI_NODE_SERVICE_H_
