// The agent's client for the node API of sigil-server (common/nodeapi/proto/node.proto): gRPC
// over TLS, the server verified by ServerTrust (its SVID must chain to the agent's current
// bundle and name spiffe://<td>/sigil/server), the agent authenticated by its agent SVID.
//
// Attest runs on a channel without a client certificate; every other call uses the identity
// given to SetIdentity. When the agent SVID rotates, SetIdentity builds a fresh channel (calls
// already running finish on the old one), which is simpler and sturdier than swapping the
// certificate under a live channel.
//
// Errors keep the gRPC status code as the absl code (the numbers are the same): kUnavailable
// when the server cannot be reached, kPermissionDenied when it refuses the agent (evicted,
// banned, unknown), kUnauthenticated when the server's certificate does not verify, and so
// on. Messages never contain keys or tokens. All methods are thread-safe.
#ifndef SIGIL_AGENT_NODECLIENT_NODE_CLIENT_H_
#define SIGIL_AGENT_NODECLIENT_NODE_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include <grpcpp/grpcpp.h>

#include "agent/nodeclient/node_attestor_client.h"
#include "agent/nodeclient/server_trust.h"
#include "node.grpc.pb.h"
#include "sigil/bundle.h"
#include "sigil/keys.h"
#include "sigil/secret_bytes.h"
#include "sigil/x509_svid.h"

namespace sigil::agent {

namespace nodeapi = ::sigil::node::v1;

struct NodeClientOptions {
  // HOST:PORT of the server's node API.
  std::string server_address;
  // The bundle the server's certificate must chain to; updated by the caller as bundles arrive.
  std::shared_ptr<ServerTrust> trust;
  Clock clock = [] { return absl::Now(); };
  // Deadline of each unary call and of a whole attestation.
  absl::Duration call_timeout = absl::Seconds(30);
};

struct AttestOutcome {
  // The agent SVID with the private key the agent made for it.
  X509Svid agent_svid;
  // "type:value" selectors the server attested for this node.
  std::vector<std::string> node_selectors;
  // The trust domain's bundle, when the server sent one.
  std::optional<TrustBundle> bundle;
};

// One X.509-SVID to have signed: the entry and the public half of a key the agent made.
struct X509SvidSigningRequest {
  std::string entry_id;
  PublicKey public_key;
};

// The server's answer for one request: the chain (leaf first) or the per-item refusal.
struct X509SvidSigningResult {
  std::string entry_id;
  absl::StatusOr<std::vector<Certificate>> chain;
};

// A Sync stream. Read blocks until the next update or the end of the stream; Cancel (from any
// thread) makes a blocked Read return false at once.
class SyncStream {
 public:
  SyncStream(std::unique_ptr<grpc::ClientContext> context,
             std::unique_ptr<grpc::ClientReader<nodeapi::SyncUpdate>> reader)
      : context_(std::move(context)), reader_(std::move(reader)) {}

  // False when the stream has ended; then call Finish for the reason.
  bool Read(nodeapi::SyncUpdate* update) { return reader_->Read(update); }
  // The stream's final status (call once, after Read returned false).
  absl::Status Finish();
  void Cancel() { context_->TryCancel(); }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<nodeapi::SyncUpdate>> reader_;
};

class NodeClient {
 public:
  explicit NodeClient(NodeClientOptions options);
  NodeClient(const NodeClient&) = delete;
  NodeClient& operator=(const NodeClient&) = delete;

  // Attests with `attestor` for an agent key `agent_key` (made by the caller, P-256): sends
  // the payload and public key, answers every challenge, and returns the agent SVID. With
  // `insecure` the server's certificate is not checked at all (--insecure-bootstrap; the
  // caller should verify the returned bundle against the server it then talks to). Fails with
  // the server's status (kPermissionDenied: token unknown, used or expired; banned node) or
  // kInternal when the server's answer is malformed (no SVID, an SVID for another key).
  absl::StatusOr<AttestOutcome> Attest(NodeAttestorClient& attestor, const PrivateKey& agent_key,
                                       bool insecure);

  // Uses `svid` as the client certificate of every later call. Fails with kInvalidArgument
  // when the key or chain cannot be encoded.
  absl::Status SetIdentity(const X509Svid& svid);

  // Asks for a new agent SVID for `new_key` (RenewAgent). The caller then SetIdentity()s it.
  absl::StatusOr<X509Svid> RenewAgent(const PrivateKey& new_key);

  // Signs a batch (SignX509Svids). The whole call fails like any RPC; otherwise one result per
  // request, in request order, each OK or the server's per-item refusal.
  absl::StatusOr<std::vector<X509SvidSigningResult>> SignX509Svids(
      absl::Span<const X509SvidSigningRequest> requests);

  // A JWT-SVID for `entry_id` and `audiences` (SignJwtSvid).
  absl::StatusOr<SecretBytes> SignJwtSvid(const std::string& entry_id,
                                          absl::Span<const std::string> audiences);

  // Opens a Sync stream resuming after `last_revision` (0: from scratch). Fails with
  // kFailedPrecondition before SetIdentity.
  absl::StatusOr<std::unique_ptr<SyncStream>> OpenSync(int64_t last_revision);

 private:
  std::shared_ptr<grpc::Channel> MakeChannel(const X509Svid* identity, bool insecure) const;
  // The stub for authenticated calls, or kFailedPrecondition before SetIdentity.
  absl::StatusOr<std::shared_ptr<nodeapi::NodeService::Stub>> AuthenticatedStub() const;
  std::unique_ptr<grpc::ClientContext> UnaryContext() const;

  const NodeClientOptions options_;
  mutable absl::Mutex mu_;
  std::shared_ptr<nodeapi::NodeService::Stub> stub_ ABSL_GUARDED_BY(mu_);
};

// grpc::Status → absl::Status with the same code and message.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_NODECLIENT_NODE_CLIENT_H_
