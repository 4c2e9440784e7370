#include "agent/workload_api/workload_api_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "agent/workload_api/responses.h"
#include "sigil/jwt_svid.h"
#include "sigil/keys.h"
#include "sigil/secret_bytes.h"
#include "sigil/status.h"

#define SIGIL_LOG_COMPONENT "workload_api"
#include "sigil/log.h"

namespace sigil::agent {
namespace {

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

grpc::Status ShuttingDown() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "agent is shutting down");
}

grpc::Status Overloaded() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "agent is overloaded");
}

// A stream that ends as soon as it starts (security header missing, WIT not implemented).
template <typename Response>
class FinishedWriteReactor : public grpc::ServerWriteReactor<Response> {
 public:
  explicit FinishedWriteReactor(grpc::Status status) { this->Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

std::string PidOf(const std::optional<grpcutil::PeerCredentials>& peer) {
  return peer.has_value() ? std::to_string(peer->pid) : "unknown";
}

std::string UidOf(const std::optional<grpcutil::PeerCredentials>& peer) {
  return peer.has_value() ? std::to_string(peer->uid) : "unknown";
}

}  // namespace

// ---- Streams ----

// What the service needs of every live stream: a way to end it.
class WorkloadApiService::StreamBase {
 public:
  virtual ~StreamBase() = default;
  // Ends the stream with `status` unless it already ended. Thread-safe.
  virtual void Stop(grpc::Status status) = 0;
};

// A server-streaming call: attested on the pool, then subscribed to the cache, writing the
// composed state whenever it changes. Life cycle:
//   kStarting  (handler ran, start queued on the pool)
//   kStreaming (subscribed; writes in flight one at a time)
//   kFinished  (Finish called exactly once; OnDone follows and deletes the reactor)
// A cancel or Stop during kStarting is recorded and acted on by Start(), which owns the reactor
// until it has run. StartWrite and Finish are called without holding mu_ (gRPC may run
// OnWriteDone inline, on the calling thread), so a Stop that finds a write pending leaves the
// Finish to OnWriteDone: Finish never precedes a StartWrite already decided on.
template <typename Response>
class WorkloadApiService::Stream : public grpc::ServerWriteReactor<Response>, public StreamBase {
 public:
  Stream(WorkloadApiService* service, grpc::CallbackServerContext* context, std::string_view method,
         uint32_t interesting_changes)
      : service_(service),
        context_(context),
        method_(method),
        interesting_changes_(interesting_changes) {}

  // Runs on the handler's thread.
  void Begin() {
    if (std::optional<grpc::Status> rejected = service_->CheckCall(*context_)) {
      FinishNow(*std::move(rejected));
      return;
    }
    peer_ = service_->deps_.peer_of(*context_);
    if (!service_->Register(this)) {
      FinishNow(ShuttingDown());
      return;
    }
    registered_ = true;
    if (!service_->deps_.pool->TrySubmit([this] { Start(); })) {
      ++service_->overloaded_;
      FinishNow(Overloaded());
    }
  }

  void Stop(grpc::Status status) override {
    {
      absl::MutexLock lock(&mu_);
      if (phase_ == Phase::kStarting) {
        stop_requested_ = true;
        stop_status_ = std::move(status);
        return;
      }
      if (phase_ == Phase::kFinished) {
        return;
      }
      phase_ = Phase::kFinished;
      if (writing_) {
        // Refresh may be about to call StartWrite outside the lock; Finish must come after
        // it, so OnWriteDone finishes.
        finish_after_write_ = std::move(status);
        return;
      }
    }
    this->Finish(std::move(status));
  }

  void OnCancel() override { Stop(grpc::Status::CANCELLED); }

  void OnWriteDone(bool ok) override {
    std::optional<grpc::Status> finish;
    bool refresh = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (phase_ == Phase::kFinished) {
        finish = std::exchange(finish_after_write_, std::nullopt);
      } else if (!ok) {
        // The client went away mid-write.
        phase_ = Phase::kFinished;
        finish = grpc::Status::CANCELLED;
      } else {
        refresh = dirty_;
      }
    }
    if (finish.has_value()) {
      this->Finish(*std::move(finish));
    } else if (refresh) {
      Refresh();
    }
  }

  void OnDone() override {
    std::unique_ptr<Subscription> subscription;
    {
      absl::MutexLock lock(&mu_);
      subscription = std::move(subscription_);
    }
    // Waits for a cache callback in progress; none reaches this reactor afterwards.
    subscription.reset();
    if (registered_) {
      service_->Unregister(this);
    }
    delete this;
  }

 protected:
  // The message for `view`: a response to send, nullopt when there is nothing to send yet, or
  // an error to end the stream with.
  virtual absl::StatusOr<std::optional<Response>> Compose(const WorkloadView& view) = 0;

 private:
  enum class Phase { kStarting, kStreaming, kFinished };

  // Before registration or when start could not be queued: nobody else can finish it.
  void FinishNow(grpc::Status status) {
    {
      absl::MutexLock lock(&mu_);
      phase_ = Phase::kFinished;
    }
    this->Finish(std::move(status));
  }

  // Runs on the pool.
  void Start() {
    if (std::optional<grpc::Status> stop = TakeStopRequest()) {
      FinishNow(*std::move(stop));
      return;
    }
    auto selectors = service_->AttestCaller(peer_, method_);
    if (!selectors.ok()) {
      FinishNow(ToGrpc(selectors.status()));
      return;
    }
    auto subscription =
        service_->deps_.cache->Subscribe(*std::move(selectors), [this](uint32_t changes) {
          if ((changes & interesting_changes_) != 0) {
            Refresh();
          }
        });
    if (!subscription.ok()) {
      ++service_->overloaded_;
      SIGIL_LOG(kWarn, "stream.refused",
                {{"method", method_},
                 {"pid", PidOf(peer_)},
                 {"error", std::string(subscription.status().message())}});
      FinishNow(Overloaded());
      return;
    }
    std::optional<grpc::Status> stop;
    {
      absl::MutexLock lock(&mu_);
      if (stop_requested_) {
        stop = std::move(stop_status_);
        phase_ = Phase::kFinished;
      } else {
        subscription_ = *std::move(subscription);
        phase_ = Phase::kStreaming;
      }
    }
    if (stop.has_value()) {
      subscription->reset();  // outside our lock: unsubscribing may wait for a callback
      this->Finish(*std::move(stop));
      return;
    }
    SIGIL_LOG(kDebug, "stream.started",
              {{"method", method_}, {"pid", PidOf(peer_)}, {"uid", UidOf(peer_)}});
    Refresh();
  }

  std::optional<grpc::Status> TakeStopRequest() {
    absl::MutexLock lock(&mu_);
    if (!stop_requested_) {
      return std::nullopt;
    }
    return std::move(stop_status_);
  }

  // Composes the current state and writes it unless it equals the last message; ends the
  // stream when Compose says so. Called on start, on cache changes and after each write.
  void Refresh() {
    std::optional<grpc::Status> finish;
    bool write = false;
    {
      absl::MutexLock lock(&mu_);
      if (phase_ != Phase::kStreaming) {
        return;
      }
      if (writing_) {
        dirty_ = true;
        return;
      }
      dirty_ = false;
      absl::StatusOr<std::optional<Response>> composed = Compose(subscription_->View());
      if (!composed.ok()) {
        if (composed.status().code() == absl::StatusCode::kPermissionDenied) {
          ++service_->no_identity_;
          SIGIL_LOG(kInfo, "stream.no_identity",
                    {{"method", method_}, {"pid", PidOf(peer_)}, {"uid", UidOf(peer_)}});
        }
        phase_ = Phase::kFinished;
        finish = ToGrpc(composed.status());
      } else if (composed->has_value()) {
        // Hashing the serialised message tells a real change from a notification that changed
        // nothing this caller sees. The serialisation may hold a private key: wiped at once.
        std::string bytes = (*composed)->SerializeAsString();
        std::string digest = Sha256(bytes);
        WipeString(bytes);
        if (digest != last_digest_) {
          last_digest_ = std::move(digest);
          pending_ = **std::move(composed);
          writing_ = true;
          write = true;
        }
      }
    }
    if (finish.has_value()) {
      this->Finish(*std::move(finish));
    } else if (write) {
      ++service_->stream_messages_;
      this->StartWrite(&pending_);
    }
  }

  WorkloadApiService* const service_;
  grpc::CallbackServerContext* const context_;
  const std::string method_;
  const uint32_t interesting_changes_;
  std::optional<grpcutil::PeerCredentials> peer_;
  bool registered_ = false;

  absl::Mutex mu_;
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kStarting;
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status stop_status_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;
  // A Stop that arrived while a write was pending: finished once the write completes.
  std::optional<grpc::Status> finish_after_write_ ABSL_GUARDED_BY(mu_);
  std::string last_digest_ ABSL_GUARDED_BY(mu_);
  // The message in flight; untouched until OnWriteDone.
  Response pending_;
  std::unique_ptr<Subscription> subscription_ ABSL_GUARDED_BY(mu_);
};

class WorkloadApiService::X509SvidStream : public Stream<wapi::X509SvidResponse> {
 public:
  X509SvidStream(WorkloadApiService* service, grpc::CallbackServerContext* context)
      : Stream(service, context, "FetchX509SVID",
               kIdentitiesChanged | kSvidsChanged | kBundlesChanged) {}

 protected:
  absl::StatusOr<std::optional<wapi::X509SvidResponse>> Compose(const WorkloadView& view) override {
    return BuildX509SvidResponse(view);
  }
};

class WorkloadApiService::X509BundlesStream : public Stream<wapi::X509BundlesResponse> {
 public:
  X509BundlesStream(WorkloadApiService* service, grpc::CallbackServerContext* context)
      : Stream(service, context, "FetchX509Bundles", kIdentitiesChanged | kBundlesChanged) {}

 protected:
  absl::StatusOr<std::optional<wapi::X509BundlesResponse>> Compose(
      const WorkloadView& view) override {
    return BuildX509BundlesResponse(view);
  }
};

class WorkloadApiService::JwtBundlesStream : public Stream<wapi::JwtBundlesResponse> {
 public:
  JwtBundlesStream(WorkloadApiService* service, grpc::CallbackServerContext* context)
      : Stream(service, context, "FetchJWTBundles", kIdentitiesChanged | kBundlesChanged) {}

 protected:
  absl::StatusOr<std::optional<wapi::JwtBundlesResponse>> Compose(
      const WorkloadView& view) override {
    return BuildJwtBundlesResponse(view);
  }
};

// ---- Service ----

WorkloadApiService::WorkloadApiService(WorkloadApiDependencies deps) : deps_(std::move(deps)) {}

WorkloadApiService::~WorkloadApiService() = default;

std::optional<grpc::Status> WorkloadApiService::CheckCall(
    const grpc::CallbackServerContext& context) {
  ++calls_;
  const auto& metadata = context.client_metadata();
  const auto [first, last] = metadata.equal_range(wapi::kSecurityHeaderKey);
  if (first != last && std::next(first) == last &&
      first->second == grpc::string_ref(wapi::kSecurityHeaderValue)) {
    return std::nullopt;
  }
  ++header_rejections_;
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, kSecurityHeaderMissing);
}

absl::StatusOr<std::vector<Selector>> WorkloadApiService::AttestCaller(
    const std::optional<grpcutil::PeerCredentials>& peer, std::string_view method) {
  if (!peer.has_value()) {
    ++attestation_failures_;
    SIGIL_LOG(kWarn, "attestation.failed",
              {{"method", method}, {"error", "the caller's peer credentials are unknown"}});
    return absl::UnavailableError(kAttestationFailed);
  }
  auto selectors = deps_.attestation->Attest({peer->pid, peer->uid, peer->gid});
  if (!selectors.ok()) {
    ++attestation_failures_;
    SIGIL_LOG(kWarn, "attestation.failed",
              {{"method", method},
               {"pid", std::to_string(peer->pid)},
               {"uid", std::to_string(peer->uid)},
               {"error", std::string(selectors.status().message())}});
    return absl::UnavailableError(kAttestationFailed);
  }
  return selectors;
}

bool WorkloadApiService::Register(StreamBase* stream) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_) {
    return false;
  }
  streams_.insert(stream);
  return true;
}

void WorkloadApiService::Unregister(StreamBase* stream) {
  absl::MutexLock lock(&mu_);
  streams_.erase(stream);
}

void WorkloadApiService::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
  // Holding mu_ keeps every stream alive here: a stream unregisters (under mu_) before it
  // deletes itself.
  for (StreamBase* stream : streams_) {
    stream->Stop(ShuttingDown());
  }
}

WorkloadApiStats WorkloadApiService::stats() const {
  WorkloadApiStats stats;
  stats.calls = calls_;
  stats.security_header_rejections = header_rejections_;
  stats.attestation_failures = attestation_failures_;
  stats.no_identity = no_identity_;
  stats.overloaded = overloaded_;
  stats.stream_messages = stream_messages_;
  absl::MutexLock lock(&mu_);
  stats.open_streams = streams_.size();
  return stats;
}

template <typename Fn>
grpc::ServerUnaryReactor* WorkloadApiService::RunUnary(grpc::CallbackServerContext* context,
                                                       std::string_view method, Fn work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) {
      reactor->Finish(ShuttingDown());
      return reactor;
    }
  }
  std::optional<grpcutil::PeerCredentials> peer = deps_.peer_of(*context);
  const bool queued = deps_.pool->TrySubmit(
      [this, reactor, peer, method = std::string(method), work = std::move(work)]() mutable {
        auto selectors = AttestCaller(peer, method);
        if (!selectors.ok()) {
          reactor->Finish(ToGrpc(selectors.status()));
          return;
        }
        reactor->Finish(work(*selectors, peer));
      });
  if (!queued) {
    ++overloaded_;
    reactor->Finish(Overloaded());
  }
  return reactor;
}

grpc::ServerWriteReactor<wapi::X509SvidResponse>* WorkloadApiService::FetchX509SVID(
    grpc::CallbackServerContext* context, const wapi::X509SvidRequest*) {
  auto* stream = new X509SvidStream(this, context);
  stream->Begin();
  return stream;
}

grpc::ServerWriteReactor<wapi::X509BundlesResponse>* WorkloadApiService::FetchX509Bundles(
    grpc::CallbackServerContext* context, const wapi::X509BundlesRequest*) {
  auto* stream = new X509BundlesStream(this, context);
  stream->Begin();
  return stream;
}

grpc::ServerWriteReactor<wapi::JwtBundlesResponse>* WorkloadApiService::FetchJWTBundles(
    grpc::CallbackServerContext* context, const wapi::JwtBundlesRequest*) {
  auto* stream = new JwtBundlesStream(this, context);
  stream->Begin();
  return stream;
}

grpc::ServerUnaryReactor* WorkloadApiService::FetchJWTSVID(grpc::CallbackServerContext* context,
                                                           const wapi::JwtSvidRequest* request,
                                                           wapi::JwtSvidResponse* response) {
  if (std::optional<grpc::Status> rejected = CheckCall(*context)) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(*std::move(rejected));
    return reactor;
  }
  auto reject = [context](std::string message) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message)));
    return reactor;
  };
  if (request->audience_size() == 0) {
    return reject("audience must be specified");
  }
  for (const std::string& audience : request->audience()) {
    if (audience.empty()) {
      return reject("audience must not be an empty string");
    }
  }
  std::optional<SpiffeId> requested;
  if (!request->spiffe_id().empty()) {
    auto id = SpiffeId::Parse(request->spiffe_id());
    if (!id.ok()) {
      return reject(absl::StrCat("invalid requested SPIFFE ID: ", id.status().message()));
    }
    requested = *std::move(id);
  }

  return RunUnary(
      context, "FetchJWTSVID",
      [this, request, response, requested = std::move(requested)](
          const std::vector<Selector>& selectors,
          const std::optional<grpcutil::PeerCredentials>& peer) -> grpc::Status {
        const WorkloadView view = deps_.cache->Lookup(selectors);
        std::vector<std::shared_ptr<const AgentEntry>> chosen;
        absl::flat_hash_set<std::string_view> ids;
        absl::flat_hash_set<std::string_view> hints;
        for (const WorkloadIdentity& identity : view.identities) {
          const AgentEntry& entry = *identity.entry;
          if (requested.has_value() && entry.spiffe_id != *requested) {
            continue;
          }
          // One JWT-SVID per identity; a repeated non-empty hint is left out as
          // in FetchX509SVID (WAPI-32).
          if (!ids.insert(entry.spiffe_id.str()).second ||
              (!entry.hint.empty() && !hints.insert(entry.hint).second)) {
            continue;
          }
          chosen.push_back(identity.entry);
        }
        if (chosen.empty()) {
          ++no_identity_;
          SIGIL_LOG(kInfo, "jwt_svid.no_identity", {{"pid", PidOf(peer)}, {"uid", UidOf(peer)}});
          return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, kNoIdentityMessage);
        }

        const std::vector<std::string> audiences(request->audience().begin(),
                                                 request->audience().end());
        const absl::Time now = deps_.clock();
        for (const std::shared_ptr<const AgentEntry>& entry : chosen) {
          auto token = deps_.jwt_cache->Fetch(*entry, audiences, *deps_.jwt_signer, now);
          if (!token.ok()) {
            SIGIL_LOG(kWarn, "jwt_svid.fetch_failed",
                      {{"spiffe_id", entry->spiffe_id.str()},
                       {"entry_id", entry->entry_id},
                       {"error", std::string(token.status().message())}});
            return grpc::Status(
                grpc::StatusCode::UNAVAILABLE,
                absl::StrCat("could not fetch JWT-SVID: ", token.status().message()));
          }
          wapi::JwtSvidMessage* out = response->add_svids();
          out->set_spiffe_id(entry->spiffe_id.str());
          out->set_svid(token->view().data(), token->size());
          out->set_hint(entry->hint);
        }
        SIGIL_LOG(
            kDebug, "jwt_svid.fetched",
            {{"pid", PidOf(peer)}, {"uid", UidOf(peer)}, {"count", std::to_string(chosen.size())}});
        return grpc::Status::OK;
      });
}

grpc::ServerUnaryReactor* WorkloadApiService::ValidateJWTSVID(
    grpc::CallbackServerContext* context, const wapi::ValidateJwtSvidRequest* request,
    wapi::ValidateJwtSvidResponse* response) {
  std::optional<grpc::Status> rejected = CheckCall(*context);
  if (!rejected.has_value() && request->audience().empty()) {
    rejected = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "audience must be specified");
  }
  if (!rejected.has_value() && request->svid().empty()) {
    rejected = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "svid must be specified");
  }
  if (rejected.has_value()) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(*std::move(rejected));
    return reactor;
  }

  return RunUnary(context, "ValidateJWTSVID",
                  [this, request, response](const std::vector<Selector>& selectors,
                                            const std::optional<grpcutil::PeerCredentials>& peer) {
                    const WorkloadView view = deps_.cache->Lookup(selectors);
                    const BundleSet bundles = BundlesForValidation(view);
                    const std::vector<std::string> audiences = {request->audience()};
                    auto svid = ValidateJwtSvid(request->svid(), bundles, audiences, deps_.clock());
                    if (!svid.ok()) {
                      SIGIL_LOG(kInfo, "jwt_svid.invalid",
                                {{"pid", PidOf(peer)},
                                 {"uid", UidOf(peer)},
                                 {"error", std::string(svid.status().message())}});
                      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                          std::string(svid.status().message()));
                    }
                    auto claims = ClaimsToStruct(svid->claims);
                    if (!claims.ok()) {
                      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                          std::string(claims.status().message()));
                    }
                    response->set_spiffe_id(svid->spiffe_id.str());
                    *response->mutable_claims() = *std::move(claims);
                    return grpc::Status::OK;
                  });
}

grpc::ServerWriteReactor<wapi::WitSvidResponse>* WorkloadApiService::FetchWITSVID(
    grpc::CallbackServerContext* context, const wapi::WitSvidRequest*) {
  std::optional<grpc::Status> rejected = CheckCall(*context);
  return new FinishedWriteReactor<wapi::WitSvidResponse>(rejected.value_or(
      grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "fetching WIT-SVIDs is not implemented")));
}

grpc::ServerWriteReactor<wapi::WitBundlesResponse>* WorkloadApiService::FetchWITBundles(
    grpc::CallbackServerContext* context, const wapi::WitBundlesRequest*) {
  std::optional<grpc::Status> rejected = CheckCall(*context);
  return new FinishedWriteReactor<wapi::WitBundlesResponse>(rejected.value_or(
      grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "fetching WIT bundles is not implemented")));
}

}  // namespace sigil::agent
