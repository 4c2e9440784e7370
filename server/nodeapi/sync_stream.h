// Internal to sigil_nodeapi: one open Sync stream. It subscribes to the registry for its
// agent; each notification queues it on the NodeService's dispatcher, whose thread computes
// the agent's view and writes the update. At most one write is in flight and at most one more
// update is owed (a flag), so a slow agent costs one message of memory however much changes:
// when its write completes it gets one delta covering everything since.
#ifndef SIGIL_SERVER_NODEAPI_SYNC_STREAM_H_
#define SIGIL_SERVER_NODEAPI_SYNC_STREAM_H_

#include <atomic>
#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include <grpcpp/grpcpp.h>

#include "node.grpc.pb.h"
#include "server/nodeapi/node_service.h"
#include "server/nodeapi/peer_auth.h"
#include "server/nodeapi/sync_state.h"
#include "server/registry/registry.h"

namespace sigil::server {

class SyncStream final : public grpc::ServerWriteReactor<sigil::node::v1::SyncUpdate>,
                         public std::enable_shared_from_this<SyncStream> {
 public:
  // Opens a stream for `agent`, resuming from `last_revision` when the server still holds what
  // it sent up to exactly that revision. The reactor owns itself until gRPC calls OnDone.
  static grpc::ServerWriteReactor<sigil::node::v1::SyncUpdate>* Open(NodeService& service,
                                                                     AuthenticatedAgent agent,
                                                                     int64_t last_revision);

  // True when the stream was not queued for work yet (the caller queues it).
  bool MarkQueued() { return !queued_.exchange(true); }
  // Sends what the agent is owed, if anything (dispatcher thread).
  void Work();
  // Ends the stream with `status` once any write in flight completes.
  void Stop(absl::Status status);
  // A reference, or null once gRPC is done with the stream.
  std::shared_ptr<SyncStream> Alive();

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  SyncStream(NodeService& service, AuthenticatedAgent agent)
      : service_(service), agent_(std::move(agent)) {}

  // Why the stream may not go on, or OK.
  absl::Status StillAuthorized() const;
  // Marks the stream finished and returns true when it was not already.
  bool TakeFinish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  NodeService& service_;
  const AuthenticatedAgent agent_;
  std::atomic<bool> queued_ = false;

  absl::Mutex mu_;
  std::shared_ptr<SyncStream> self_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Registry::Subscription> subscription_;
  SentState sent_ ABSL_GUARDED_BY(mu_);
  SyncUpdateKind next_kind_ ABSL_GUARDED_BY(mu_) = SyncUpdateKind::kFull;
  sigil::node::v1::SyncUpdate message_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool owed_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<absl::Status> stop_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_NODEAPI_SYNC_STREAM_H_
