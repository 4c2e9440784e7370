// The agent's view of the identities it serves: the registration entries authorized for it,
// the current X.509-SVID of each, and the trust bundles. The sync client (node API) feeds it;
// the Workload API reads it and subscribes to its changes.
//
// Matching: an entry applies to a workload when every selector of the entry is among the
// workload's attested selectors. A workload's identities come back in PresentedBefore order
// (oldest entry first, then entry_id), stable across messages (WAPI-27).
//
// Bundles relevant to a workload: the agent's own trust domain plus every trust domain in
// federates_with of its matching entries.
//
// Memory bounds (everything is capped, ARCHITECTURE.md section 4):
// - entries: at most options.max_entries (default 100,000); an update beyond that is refused.
// - X.509-SVIDs: at most options.max_x509_svids (default 1,000) cached, least recently used
//   evicted first, EXCEPT that an SVID whose entry matches a live subscriber is never evicted;
//   so the true bound is max(max_x509_svids, entries matched by subscribers). An SVID with its
//   key and encodings takes about 3 KB (P-256, two-certificate chain).
// - subscribers: at most options.max_subscribers (default 20,000, the socket's connection cap).
// - bundles: whatever the server sends; each trust bundle is itself bounded by the bundle
//   codecs (kMaxBundleCertificates, kMaxBundleJwtAuthorities).
//
// Thread-safety: every method may be called from any thread. Subscriber callbacks run on the
// thread that made the change, after the cache's lock is released.
#ifndef SIGIL_AGENT_CACHE_IDENTITY_CACHE_H_
#define SIGIL_AGENT_CACHE_IDENTITY_CACHE_H_

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "agent/cache/agent_entry.h"
#include "sigil/bundle.h"
#include "sigil/secret_bytes.h"
#include "sigil/x509_svid.h"

namespace sigil::agent {

struct IdentityCacheOptions {
  // The agent's own trust domain: its bundle goes to every workload.
  TrustDomain trust_domain;
  size_t max_entries = 100'000;
  size_t max_x509_svids = 1'000;
  size_t max_subscribers = 20'000;
  // An SVID is due for rotation at half its lifetime minus up to this fraction of the lifetime,
  // spread per SVID so that SVIDs issued together are not all renewed at the same instant.
  double rotation_jitter = 0.1;
  // Called (without any cache lock held) when a workload starts waiting for an SVID the cache
  // lacks: a subscription matched an entry without one, or entries were added. The sync
  // client's rotation loop uses it to call SvidsNeeded at once instead of at its next tick.
  std::function<void()> on_svid_demand;
};

// An X.509-SVID as the cache holds it, with its Workload API encodings made once (encoding a
// PKCS#8 key costs OpenSSL tens of microseconds; a stream may send it many times).
struct CachedX509Svid {
  X509Svid svid;
  // DER chain, leaf first (X509SVID.x509_svid).
  std::string chain_der;
  // PKCS#8 DER key (X509SVID.x509_svid_key).
  SecretBytes key_der;
  // The entry revision this SVID was issued for.
  int64_t entry_revision = 0;
  // When SvidsNeeded starts asking for a replacement.
  absl::Time rotate_at;
};

// One trust bundle with its Workload API encodings, made once per SetBundles.
struct BundleMaterial {
  TrustBundle bundle;
  // X.509 authorities as concatenated DER.
  std::string x509_der;
  // JWT authorities as a plain JWK Set (EncodeJwks); "{"keys":[]}" if they could not be encoded.
  std::string jwks;
};

// Every bundle the agent holds, immutable once built.
class BundleSnapshot {
 public:
  // Null when no bundle of `td` is known.
  const BundleMaterial* Find(const TrustDomain& td) const;
  const std::map<TrustDomain, BundleMaterial>& all() const { return bundles_; }

 private:
  friend class IdentityCache;
  std::map<TrustDomain, BundleMaterial> bundles_;
};

struct WorkloadIdentity {
  std::shared_ptr<const AgentEntry> entry;
  // Null until an SVID for the entry has been set (or after it was dropped).
  std::shared_ptr<const CachedX509Svid> svid;
};

// What one workload may see at one moment.
struct WorkloadView {
  // Every matching entry, in PresentedBefore order.
  std::vector<WorkloadIdentity> identities;
  std::shared_ptr<const BundleSnapshot> bundles;
  // The agent's trust domain followed by the union of the identities' federates_with (sorted,
  // without the agent's own): the trust domains whose bundles the workload receives.
  std::vector<TrustDomain> trust_domains;
};

// Why SvidsNeeded lists an entry.
enum class SvidNeed {
  // No SVID and a live subscriber waits for one: most urgent.
  kMissingForSubscriber,
  // The entry changed (its revision grew) since the SVID was issued.
  kEntryChanged,
  // The SVID passed its rotation time.
  kRotation,
  // No SVID yet and the cache has room: fetched ahead so that a first request is fast.
  kMissing,
};

struct SvidRequest {
  std::shared_ptr<const AgentEntry> entry;
  SvidNeed need;
};

// Bit flags passed to subscriber callbacks.
enum ChangeFlags : uint32_t {
  // An entry began or stopped matching, or a matching entry's content (hint, federates_with,
  // ...) changed.
  kIdentitiesChanged = 1,
  // An SVID of a matching entry was set or dropped.
  kSvidsChanged = 2,
  // A relevant trust bundle changed.
  kBundlesChanged = 4,
};

struct IdentityCacheStats {
  size_t entries = 0;
  size_t x509_svids = 0;
  size_t subscribers = 0;
  size_t bundles = 0;
  uint64_t x509_svid_evictions = 0;
};

class IdentityCache;

// A live interest in one workload's view. Destroying it unsubscribes: once the destructor
// returns, the callback is not running and will not run again. Must not be destroyed from
// inside its own callback, and must not outlive the cache.
class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // The current view for the subscribed selectors. Marks its SVIDs recently used.
  WorkloadView View() const;

 private:
  friend class IdentityCache;
  struct State;
  Subscription(IdentityCache* cache, std::shared_ptr<State> state)
      : cache_(cache), state_(std::move(state)) {}
  IdentityCache* const cache_;
  const std::shared_ptr<State> state_;
};

class IdentityCache {
 public:
  explicit IdentityCache(IdentityCacheOptions options);
  ~IdentityCache();
  IdentityCache(const IdentityCache&) = delete;
  IdentityCache& operator=(const IdentityCache&) = delete;

  // ---- Inputs from the sync client ----

  // Makes `entries` the complete set (entries not in it are removed with their SVIDs). Atomic:
  // fails with kInvalidArgument (ValidateAgentEntry, or two entries with one entry_id) or
  // kResourceExhausted (more than max_entries) and changes nothing.
  absl::Status ReplaceEntries(std::vector<AgentEntry> entries);
  // Inserts or replaces `upserted` (by entry_id) and removes `removed_ids` (unknown ids are
  // ignored). Same atomicity and errors as ReplaceEntries. A changed spiffe_id drops the
  // entry's SVID at once (it names another identity); any other change keeps the SVID in
  // service and SvidsNeeded reports kEntryChanged.
  absl::Status UpdateEntries(std::vector<AgentEntry> upserted,
                             const std::vector<std::string>& removed_ids);
  // Sets the current X.509-SVID of `entry_id`, issued for `entry_revision`. Fails with
  // kNotFound for an unknown entry and kInvalidArgument when the SVID's SPIFFE ID is not the
  // entry's. May evict least recently used SVIDs of entries without subscribers.
  absl::Status SetX509Svid(std::string_view entry_id, int64_t entry_revision, X509Svid svid);
  // Replaces every bundle. The agent's own trust domain should be among them: without it no
  // X.509-SVID can be served (the SVID message's bundle is mandatory).
  void SetBundles(const BundleSet& bundles);
  // Entries that need an SVID from the server at `now`, most urgent first (the order of
  // SvidNeed). Rotation itself (making keys, calling the server) is the caller's job; the
  // answer is recomputed each call, so an entry stays listed until SetX509Svid fixes it.
  // kMissing entries are listed only while the cache has room for them.
  std::vector<SvidRequest> SvidsNeeded(absl::Time now) const;

  // ---- Workload queries ----

  // The view for a workload holding `selectors` (any order, duplicates allowed).
  WorkloadView Lookup(std::vector<Selector> selectors);
  // Registers `on_change`, called with ChangeFlags whenever the view for `selectors` may have
  // changed. Fails with kResourceExhausted when max_subscribers are live.
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      std::vector<Selector> selectors, std::function<void(uint32_t changes)> on_change);

  std::shared_ptr<const BundleSnapshot> bundles() const;
  IdentityCacheStats stats() const;
  const TrustDomain& trust_domain() const { return options_.trust_domain; }

 private:
  friend class Subscription;
  struct EntryState {
    std::shared_ptr<const AgentEntry> entry;
    std::shared_ptr<const CachedX509Svid> svid;
    // Position in lru_ while svid is set.
    std::list<std::string>::iterator lru_position;
    // Live subscribers this entry matches; while positive the SVID is never evicted.
    size_t subscribers = 0;
  };
  // Flags gathered per subscriber under the lock, delivered after it is released.
  using Notifications =
      absl::flat_hash_map<uint64_t, std::pair<std::shared_ptr<Subscription::State>, uint32_t>>;
  static void Notify(Notifications& out, const std::shared_ptr<Subscription::State>& state,
                     uint32_t flags);

  // Validates and normalizes `upserted`; checks that the result fits max_entries.
  absl::Status PrepareBatch(std::vector<AgentEntry>& upserted,
                            const std::vector<std::string>& removed_ids) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void RemoveEntry(const std::string& entry_id, Notifications& out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpsertEntry(AgentEntry entry, Notifications& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropSvid(EntryState& state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictOverCapacity() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void IndexAdd(const AgentEntry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void IndexRemove(const AgentEntry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::string> MatchingIds(const std::vector<Selector>& selectors) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  WorkloadView BuildView(const std::vector<std::string>& entry_ids)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<TrustDomain> TrustDomainsOf(const absl::flat_hash_set<std::string>& entry_ids) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void Unsubscribe(Subscription::State& state);
  WorkloadView ViewOf(const Subscription::State& state);
  static void Deliver(Notifications& notifications);
  void SignalDemand() const;

  const IdentityCacheOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, EntryState> entries_ ABSL_GUARDED_BY(mu_);
  // Entries by their first (smallest) selector: a workload's candidates are the entries filed
  // under one of its selectors, each found exactly once.
  absl::flat_hash_map<Selector, absl::flat_hash_set<std::string>> index_ ABSL_GUARDED_BY(mu_);
  // Entry ids whose SVID is cached, most recently used first.
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const BundleSnapshot> bundles_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, std::shared_ptr<Subscription::State>> subscribers_
      ABSL_GUARDED_BY(mu_);
  uint64_t next_subscriber_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t evictions_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_CACHE_IDENTITY_CACHE_H_
