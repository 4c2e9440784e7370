// The node API's own TLS identity: an X509-SVID for spiffe://<td>/sigil/server with a key made
// here, written as one file <directory>/svid.pem (mode 0600: the PKCS#8 key, then the leaf,
// then any intermediates) that gRPC's FileWatcherCertificateProvider serves. Key and chain
// share one file so that one atomic rename swaps both: with two files the watcher could read a
// new certificate with the old key between the two renames.
//
// The SVID is renewed at half its life, and at once when the authority that signed it is
// tainted or removed from the bundle; a thread checks every few seconds and whenever the CA's
// bundle changes.
#ifndef SIGIL_SERVER_NODEAPI_SERVER_SVID_H_
#define SIGIL_SERVER_NODEAPI_SERVER_SVID_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "server/ca/ca_manager.h"
#include "sigil/spiffe_id.h"

namespace sigil::server {

inline constexpr std::string_view kServerSvidFileName = "svid.pem";

struct ServerSvidOptions {
  TrustDomain trust_domain;
  // Created with mode 0700 when missing.
  std::string directory;
  absl::Duration ttl = absl::Hours(1);
  std::function<absl::Time()> clock;
  absl::Duration check_interval = absl::Seconds(5);
};

class ServerSvidRotator {
 public:
  // Mints and writes the first SVID, then starts the renewal thread. Borrows `ca`, which must
  // outlive the rotator. Fails with kFailedPrecondition when the directory cannot be made
  // private, and passes on signing and write errors.
  static absl::StatusOr<std::unique_ptr<ServerSvidRotator>> Start(ServerSvidOptions options,
                                                                  CaManager& ca);
  ~ServerSvidRotator();
  ServerSvidRotator(const ServerSvidRotator&) = delete;
  ServerSvidRotator& operator=(const ServerSvidRotator&) = delete;

  // The file gRPC watches.
  std::string path() const;
  // Mints and writes a new SVID now.
  absl::Status Rotate();
  // Serial (hex) and notAfter of the SVID last written.
  std::string serial() const;
  absl::Time not_after() const;

 private:
  struct Wake;

  ServerSvidRotator(ServerSvidOptions options, CaManager& ca);
  bool Due(absl::Time now) const;
  void Run();

  const ServerSvidOptions options_;
  const SpiffeId server_id_;
  CaManager& ca_;

  mutable absl::Mutex mu_;
  std::string serial_ ABSL_GUARDED_BY(mu_);
  std::string authority_id_ ABSL_GUARDED_BY(mu_);
  absl::Time issued_at_ ABSL_GUARDED_BY(mu_);
  absl::Time not_after_ ABSL_GUARDED_BY(mu_);

  // Shared with the CA subscription, which outlives this object (CaManager has no
  // unsubscribe).
  std::shared_ptr<Wake> wake_;
  std::thread thread_;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_NODEAPI_SERVER_SVID_H_
