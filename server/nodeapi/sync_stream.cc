#include "server/nodeapi/sync_stream.h"

#include "absl/strings/str_cat.h"

#include "server/nodeapi/node_call.h"
#include "sigil/log.h"

namespace sigil::server {
namespace {
constexpr std::string_view kLogComponent = "nodeapi";

namespace nodev1 = ::sigil::node::v1;
using nodeapi_internal::ToGrpc;

// A Sync call refused before it began.
class RefusedSync final : public grpc::ServerWriteReactor<nodev1::SyncUpdate> {
 public:
  explicit RefusedSync(const absl::Status& status) { Finish(ToGrpc(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<nodev1::SyncUpdate>* NodeService::Sync(
    grpc::CallbackServerContext* ctx, const nodev1::SyncRequest* request) {
  absl::StatusOr<AuthenticatedAgent> agent = Authenticate(*ctx);
  if (!agent.ok()) {
    return new RefusedSync(agent.status());
  }
  return SyncStream::Open(*this, *std::move(agent), request->last_revision());
}

grpc::ServerWriteReactor<nodev1::SyncUpdate>* SyncStream::Open(NodeService& service,
                                                               AuthenticatedAgent agent,
                                                               int64_t last_revision) {
  std::shared_ptr<SyncStream> stream(new SyncStream(service, std::move(agent)));
  if (!service.AddStream(stream.get())) {
    return new RefusedSync(absl::UnavailableError("server is shutting down"));
  }
  const std::string agent_id = stream->agent_.id.str();
  {
    absl::MutexLock lock(&stream->mu_);
    stream->self_ = stream;
    if (last_revision > 0) {
      if (std::optional<SentState> parked = service.resume_cache_.Take(agent_id, last_revision)) {
        stream->sent_ = *std::move(parked);
        stream->next_kind_ = SyncUpdateKind::kDelta;
      }
    }
  }
  SyncStream* raw = stream.get();
  stream->subscription_ = service.registry_.Subscribe(
      stream->agent_.id, [raw, &service] { service.Schedule(raw->shared_from_this()); });
  SIGIL_LOG(kDebug, "nodeapi.sync_opened",
            {{"agent_id", agent_id}, {"last_revision", absl::StrCat(last_revision)}});
  service.Schedule(stream);
  return raw;
}

absl::Status SyncStream::StillAuthorized() const {
  std::shared_ptr<const AttestedNode> node = service_.registry_.FindNode(agent_.id);
  if (node == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("agent ", agent_.id.str(), " is no longer attested"));
  }
  if (node->banned) {
    return absl::PermissionDeniedError(absl::StrCat("agent ", agent_.id.str(), " is banned"));
  }
  if (agent_.serial != node->serial && agent_.serial != node->new_serial) {
    return absl::UnauthenticatedError(
        "the agent SVID this stream was opened with is no longer current: reconnect with the "
        "renewed one");
  }
  if (service_.options_.clock() >= agent_.svid_expires_at) {
    return absl::UnauthenticatedError("the agent SVID this stream was opened with has expired");
  }
  return absl::OkStatus();
}

bool SyncStream::TakeFinish() {
  if (finished_) {
    return false;
  }
  finished_ = true;
  return true;
}

void SyncStream::Work() {
  queued_.store(false);
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (finished_ || done_) {
      return;
    }
    if (writing_) {
      owed_ = true;
      return;
    }
    refused = StillAuthorized();
    if (refused.ok()) {
      const AgentView view = service_.registry_.ViewFor(agent_.id);
      if (!BuildSyncUpdate(view, next_kind_, sent_, &message_)) {
        return;
      }
      next_kind_ = SyncUpdateKind::kDeltaIfChanged;
      writing_ = true;
    } else if (!TakeFinish()) {
      return;
    }
  }
  // gRPC calls are made without mu_: a completion may run on this very thread.
  if (!refused.ok()) {
    SIGIL_LOG(kInfo, "nodeapi.sync_ended",
              {{"agent_id", agent_.id.str()}, {"reason", std::string(refused.message())}});
    Finish(ToGrpc(refused));
    return;
  }
  StartWrite(&message_);
}

void SyncStream::OnWriteDone(bool ok) {
  std::optional<absl::Status> finish;
  bool again = false;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The agent is gone; there is nobody to tell.
      if (TakeFinish()) {
        finish = absl::CancelledError("sync stream write failed");
      }
    } else if (stop_.has_value()) {
      if (TakeFinish()) {
        finish = *stop_;
      }
    } else if (owed_) {
      owed_ = false;
      again = true;
    }
  }
  if (finish.has_value()) {
    Finish(ToGrpc(*finish));
  } else if (again) {
    service_.Schedule(shared_from_this());
  }
}

void SyncStream::Stop(absl::Status status) {
  {
    absl::MutexLock lock(&mu_);
    if (writing_) {
      stop_ = std::move(status);
      return;
    }
    if (!TakeFinish()) {
      return;
    }
  }
  Finish(ToGrpc(status));
}

void SyncStream::OnCancel() { Stop(absl::CancelledError("sync stream cancelled")); }

std::shared_ptr<SyncStream> SyncStream::Alive() {
  absl::MutexLock lock(&mu_);
  return self_;
}

void SyncStream::OnDone() {
  // No notification can arrive once the subscription is gone.
  subscription_.reset();
  std::shared_ptr<SyncStream> keep;
  {
    absl::MutexLock lock(&mu_);
    done_ = true;
    if (sent_.revision >= 0) {
      service_.resume_cache_.Park(agent_.id.str(), std::move(sent_));
    }
    keep = std::move(self_);
  }
  // Last, so that a stream no longer counted has its state parked already.
  service_.RemoveStream(this);
  // `keep` (or a dispatcher queue entry) is the last reference; the object may go when this
  // returns.
}

}  // namespace sigil::server
