// The agent's link to its server once it has an agent SVID: the Sync stream feeding the
// identity cache, the rotation loop that gets workload X.509-SVIDs signed, and the agent SVID's
// own renewal. Also the JwtSvidSigner the Workload API uses.
//
// Sync: opens Sync with the last revision applied, applies every update to the cache (entries,
// bundles; tainted authorities force a re-key of every SVID chained to them), and when the
// stream breaks reconnects with Backoff (1 s doubling to 30 s, jittered), resuming from that
// revision. While the server is away nothing is dropped: the cache keeps serving what it has.
//
// Rotation (every rotation_interval, and at once when the cache signals demand): asks the cache
// which entries need an SVID (missing, changed, past their rotation time), makes a P-256 key
// per entry locally, sends the public keys in batches to SignX509Svids and puts the resulting
// SVIDs into the cache, which pushes them to Workload API streams. The agent SVID is renewed
// through RenewAgent at half its life, stored, and a fresh channel built for it.
//
// Refusal: when the server answers PermissionDenied to Sync or RenewAgent (agent evicted,
// banned or unknown), an attestor that can attest again (x509pop) does so; a join_token agent
// cannot, so the stored SVID is removed and on_fatal is called with a message telling the
// operator to issue a new token.
//
// Thread-safety: Start/Stop from one thread; everything else from any thread.
#ifndef SIGIL_AGENT_MANAGER_MANAGER_H_
#define SIGIL_AGENT_MANAGER_MANAGER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "agent/cache/identity_cache.h"
#include "agent/cache/jwt_svid_cache.h"
#include "agent/manager/agent_store.h"
#include "agent/manager/backoff.h"
#include "agent/nodeclient/node_client.h"

namespace sigil::agent {

struct ManagerOptions {
  // All borrowed; they must outlive the manager.
  IdentityCache* cache = nullptr;
  NodeClient* client = nullptr;
  ServerTrust* trust = nullptr;
  const AgentStore* store = nullptr;
  // For attesting again after a refusal; may be null (then a refusal is fatal).
  NodeAttestorClient* attestor = nullptr;
  Clock clock = [] { return absl::Now(); };
  absl::Duration rotation_interval = absl::Seconds(1);
  size_t sign_batch_size = 100;
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(30);
  // After the server refuses one entry, it is not asked again for this long.
  absl::Duration entry_retry_delay = absl::Seconds(5);
  // Called once, from a manager thread, when the agent cannot continue (refused and unable
  // to attest again). The manager stops working; the caller should shut down.
  std::function<void(const absl::Status&)> on_fatal;
};

// Health as the admin socket reports it.
struct ManagerHealth {
  bool ready = false;
  std::string reason;
  std::string agent_id;
  absl::Time agent_svid_expires_at = absl::InfinitePast();
  bool connected = false;
  int64_t last_revision = 0;
};

class Manager {
 public:
  // `agent_svid` is the current agent SVID (from Bootstrap); the client must already use it.
  Manager(ManagerOptions options, X509Svid agent_svid);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Starts the sync and rotation threads.
  void Start();
  // Stops both threads (cancelling an open Sync stream); idempotent.
  void Stop();
  // Makes the rotation loop run now (the cache's on_svid_demand).
  void Wake();

  // One Sync update applied to the cache. Entries that fail to convert are skipped with an
  // error logged (one bad entry must not hide the others); returns the first such error.
  absl::Status ApplyUpdate(const nodeapi::SyncUpdate& update);
  // One rotation round at `now`: the agent SVID if due, then every workload SVID the cache
  // needs. Returns the number of workload SVIDs put into the cache.
  size_t RotateOnce(absl::Time now);

  X509Svid agent_svid() const;
  int64_t last_revision() const;
  ManagerHealth Health(absl::Time now) const;

 private:
  struct Issued {
    int64_t revision = 0;
    std::string hint;
    std::vector<std::string> authority_ids;
  };

  void SyncLoop();
  void RotationLoop();
  // Waits up to `d` or until Stop; returns false when stopping.
  bool SleepFor(absl::Duration d);
  void RenewAgentSvidIfDue(absl::Time now);
  size_t RenewWorkloadSvids(absl::Time now);
  // Handles PermissionDenied from the server: attest again, or give up via on_fatal.
  void HandleRefusal(const absl::Status& status);
  void Fatal(const absl::Status& status);
  void ApplyBundles(const nodeapi::SyncUpdate& update);
  void InstallAgentSvid(X509Svid svid);

  const ManagerOptions options_;
  mutable absl::Mutex mu_;
  X509Svid agent_svid_ ABSL_GUARDED_BY(mu_);
  bool agent_rekey_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time agent_retry_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t last_revision_ ABSL_GUARDED_BY(mu_) = 0;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  bool server_down_logged_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  // Set when the Sync stream was cancelled to move it to a new channel.
  bool reopen_sync_ ABSL_GUARDED_BY(mu_) = false;
  SyncStream* sync_stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  BundleSet bundles_ ABSL_GUARDED_BY(mu_);
  // What each cached SVID was issued for and chains through (for taints).
  absl::flat_hash_map<std::string, Issued> issued_ ABSL_GUARDED_BY(mu_);
  // Entries to re-key regardless of the cache's view (their authority was tainted).
  absl::flat_hash_set<std::string> forced_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::Time> retry_at_ ABSL_GUARDED_BY(mu_);
  std::thread sync_thread_;
  std::thread rotation_thread_;
};

// The JwtSvidSigner of a running agent: SignJwtSvid on the node API.
class NodeJwtSvidSigner final : public JwtSvidSigner {
 public:
  explicit NodeJwtSvidSigner(NodeClient& client) : client_(client) {}
  absl::StatusOr<SecretBytes> Sign(const AgentEntry& entry, absl::Span<const std::string> audiences,
                                   absl::Time now) override;

 private:
  NodeClient& client_;
};

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_MANAGER_MANAGER_H_
