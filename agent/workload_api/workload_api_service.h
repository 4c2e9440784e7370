// The SPIFFE Workload API (CONFORMANCE.md section 5) over gRPC's callback API.
//
// Every call:
// 1. must carry exactly one `workload.spiffe.io: true` metadata value, or it ends at once with
//    INVALID_ARGUMENT "security header missing from request" before any other work (WAPI-08);
// 2. is identified by the kernel's peer credentials of its connection (WAPI-10) and attested on
//    the work pool with every enabled workload attestor; an unknown connection or a failed
//    attestation ends it with UNAVAILABLE "workload attestation failed" (WAPI-11), as does a
//    full work queue ("agent is overloaded");
// 3. gets the identities whose entries' selectors the caller holds; none ends it with
//    PERMISSION_DENIED "no identity issued" (WAPI-12).
//
// Streams (FetchX509SVID, FetchX509Bundles, FetchJWTBundles) send the complete state at once
// (WAPI-16, WAPI-17) and again whenever the cache reports a change, skipping a message equal
// to the previous one (WAPI-18); a stream whose caller loses every identity ends with
// PERMISSION_DENIED (WAPI-21). Streams end on client cancel and on Shutdown(); each reactor
// deletes itself in OnDone.
//
// Private keys and tokens are never logged: log lines carry pid, uid, SPIFFE IDs and entry ids.
#ifndef SIGIL_AGENT_WORKLOAD_API_WORKLOAD_API_SERVICE_H_
#define SIGIL_AGENT_WORKLOAD_API_WORKLOAD_API_SERVICE_H_

#include <atomic>
#include <functional>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "agent/cache/identity_cache.h"
#include "agent/cache/jwt_svid_cache.h"
#include "agent/proto/workload_api_proto.h"
#include "agent/workload_api/work_pool.h"
#include "attestors/workload/attestation.h"
#include "common/grpc/unix_socket_server.h"

namespace sigil::agent {

inline constexpr char kSecurityHeaderMissing[] = "security header missing from request";
inline constexpr char kAttestationFailed[] = "workload attestation failed";

struct WorkloadApiDependencies {
  // All borrowed; they must outlive the service.
  IdentityCache* cache = nullptr;
  JwtSvidCache* jwt_cache = nullptr;
  JwtSvidSigner* jwt_signer = nullptr;
  const attestors::WorkloadAttestation* attestation = nullptr;
  WorkPool* pool = nullptr;
  // The caller of a call, from the socket server (UnixSocketServer::PeerOf).
  std::function<std::optional<grpcutil::PeerCredentials>(const grpc::ServerContextBase&)> peer_of;
  // The one clock every time check uses.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

// Counters, read with stats(); for metrics.
struct WorkloadApiStats {
  uint64_t calls = 0;
  uint64_t security_header_rejections = 0;
  uint64_t attestation_failures = 0;
  uint64_t no_identity = 0;
  uint64_t overloaded = 0;
  uint64_t stream_messages = 0;
  size_t open_streams = 0;
};

class WorkloadApiService : public wapi::Service::CallbackService {
 public:
  explicit WorkloadApiService(WorkloadApiDependencies deps);
  // Shutdown() must have run and every stream must have ended (the gRPC server waited for
  // them) before destruction.
  ~WorkloadApiService() override;

  // Ends every open stream with UNAVAILABLE "agent is shutting down" and refuses new calls the
  // same way. Thread-safe, idempotent. Call before shutting the gRPC server down so that it
  // does not wait out its grace period on streams that never end by themselves.
  void Shutdown();

  WorkloadApiStats stats() const;

  grpc::ServerWriteReactor<wapi::X509SvidResponse>* FetchX509SVID(
      grpc::CallbackServerContext* context, const wapi::X509SvidRequest* request) override;
  grpc::ServerWriteReactor<wapi::X509BundlesResponse>* FetchX509Bundles(
      grpc::CallbackServerContext* context, const wapi::X509BundlesRequest* request) override;
  grpc::ServerUnaryReactor* FetchJWTSVID(grpc::CallbackServerContext* context,
                                         const wapi::JwtSvidRequest* request,
                                         wapi::JwtSvidResponse* response) override;
  grpc::ServerWriteReactor<wapi::JwtBundlesResponse>* FetchJWTBundles(
      grpc::CallbackServerContext* context, const wapi::JwtBundlesRequest* request) override;
  grpc::ServerUnaryReactor* ValidateJWTSVID(grpc::CallbackServerContext* context,
                                            const wapi::ValidateJwtSvidRequest* request,
                                            wapi::ValidateJwtSvidResponse* response) override;
  grpc::ServerWriteReactor<wapi::WitSvidResponse>* FetchWITSVID(
      grpc::CallbackServerContext* context, const wapi::WitSvidRequest* request) override;
  grpc::ServerWriteReactor<wapi::WitBundlesResponse>* FetchWITBundles(
      grpc::CallbackServerContext* context, const wapi::WitBundlesRequest* request) override;

 private:
  // The stream reactors (defined in the .cc) reach the service's internals as nested classes.
  class StreamBase;
  template <typename Response>
  class Stream;
  class X509SvidStream;
  class X509BundlesStream;
  class JwtBundlesStream;

  // The caller's selectors, or UNAVAILABLE "workload attestation failed" (the cause logged).
  absl::StatusOr<std::vector<Selector>> AttestCaller(
      const std::optional<grpcutil::PeerCredentials>& peer, std::string_view method);
  // False when shutting down (the stream must then finish itself).
  bool Register(StreamBase* stream);
  void Unregister(StreamBase* stream);
  // Counts the call and checks WAPI-08; the status to finish with when the header is wrong.
  std::optional<grpc::Status> CheckCall(const grpc::CallbackServerContext& context);
  template <typename Fn>
  grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context, std::string_view method,
                                     Fn work);

  const WorkloadApiDependencies deps_;
  mutable absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<StreamBase*> streams_ ABSL_GUARDED_BY(mu_);

  std::atomic<uint64_t> calls_{0};
  std::atomic<uint64_t> header_rejections_{0};
  std::atomic<uint64_t> attestation_failures_{0};
  std::atomic<uint64_t> no_identity_{0};
  std::atomic<uint64_t> overloaded_{0};
  std::atomic<uint64_t> stream_messages_{0};
};

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_WORKLOAD_API_WORKLOAD_API_SERVICE_H_
