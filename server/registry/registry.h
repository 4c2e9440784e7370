// The in-memory registry: every registration entry, attested node, bundle and tainted authority
// the server knows, indexed so that the node API answers "which entries is agent X authorized
// for?" and "may agent X sign entry Y?" without reading the datastore.
//
// The registry follows the datastore's change log. Load() reads everything once; Refresh()
// applies the events appended since the last one it saw (fetching each changed record once)
// and tells subscribers which agents the change may concern. The server calls Refresh() after
// every local write (NotifyingDataStore does it for every writer) and a poll thread calls it
// every second to pick up writes made by other servers sharing the database.
//
// Authorization (ARCHITECTURE.md section 5, SPIRE's rule): an entry is authorized for agent A
// when its parent_id is A's SPIFFE ID, or the spiffe_id of a node alias entry (an entry
// parented on spiffe://<td>/sigil/server) whose selectors are all among A's node selectors,
// or, recursively, the spiffe_id of an entry authorized for A (SPIRE's descendants). Node
// alias entries themselves describe nodes, not workloads, and are never in an agent's set.
//
// Indexes: entries by id, by parent_id and by spiffe_id; node alias entries by selector;
// attested nodes by SPIFFE ID and by selector. Listing an agent's entries walks down from its
// roots and costs in proportion to what it is authorized for; checking one entry walks up
// from the entry's parent and costs in proportion to the entry's depth.
//
// Thread-safety: every method may be called from any thread. Readers share one lock with the
// writer that applies a refresh, held only for in-memory work; datastore reads happen outside
// it. Refresh() calls are serialised.
#ifndef SIGIL_SERVER_REGISTRY_REGISTRY_H_
#define SIGIL_SERVER_REGISTRY_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

#include "server/datastore/datastore.h"
#include "server/datastore/types.h"
#include "sigil/spiffe_id.h"

namespace sigil::server {

// Entry paths the registry gives meaning to (the admin API's well_known_ids.h agrees).
inline constexpr std::string_view kRegistryServerIdPath = "/sigil/server";

// A registration entry as the registry holds it: immutable once stored.
struct RegistryEntry {
  RegistrationEntry entry;
  // The change-log revision at which the registry stored this version. A sync stream compares
  // it with what it last sent to tell whether the entry changed.
  int64_t changed_at = 0;
};

struct RegistryBundle {
  BundleRecord record;
  int64_t changed_at = 0;
};

// Everything one agent is owed at one revision.
struct AgentView {
  int64_t revision = 0;
  // The entries authorized for the agent, in no particular order.
  std::vector<std::shared_ptr<const RegistryEntry>> entries;
  // The server's own bundle and those of the trust domains the entries federate with (when
  // the server has them), in trust domain order.
  std::vector<std::shared_ptr<const RegistryBundle>> bundles;
  // Ids of tainted authorities, both kinds (X.509 subject key ids, JWT kids), sorted.
  std::vector<std::string> tainted_authorities;
};

struct RegistryOptions {
  TrustDomain trust_domain;
  // Borrowed; must outlive the registry. Read only.
  DataStore* datastore = nullptr;
  // How often a background thread calls Refresh(); zero for none (tests call it).
  absl::Duration poll_interval = absl::Seconds(1);
  // When more events than this wait, Refresh() reloads everything instead of fetching each
  // changed record (a bulk import of entries, say).
  int64_t reload_threshold = 20000;
};

class Registry {
 public:
  // Called with no lock held after a refresh changed something that may concern the
  // subscribed agent. It runs on the refreshing thread and must return quickly (mark work and
  // return); it must not call Subscribe, or destroy a Subscription.
  using ChangeCallback = std::function<void()>;

  // Unsubscribes when destroyed; after that the callback is never called again.
  class Subscription {
   public:
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    friend class Registry;
    Subscription(Registry* registry, std::string agent_id, ChangeCallback callback)
        : registry_(registry), agent_id_(std::move(agent_id)), callback_(std::move(callback)) {}
    Registry* const registry_;
    const std::string agent_id_;
    const ChangeCallback callback_;
  };

  // Reads every entry, node, bundle and authority, and starts the poll thread. Fails with
  // kInvalidArgument for a missing datastore and with the datastore's error when a read fails.
  static absl::StatusOr<std::unique_ptr<Registry>> Load(RegistryOptions options);
  // Stops the poll thread. Subscriptions must be gone first.
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Applies the change-log events after revision(); reloads everything when the log was
  // pruned past that point (kOutOfRange from the datastore) or the backlog exceeds the reload
  // threshold. On a datastore error nothing is applied and the error is returned; the next
  // call retries. When it returns OK, every write that completed before the call is visible.
  absl::Status Refresh();

  // The change-log revision the registry reflects.
  int64_t revision() const;

  // The attested node, or null when none has this ID (never attested, or evicted).
  std::shared_ptr<const AttestedNode> FindNode(const SpiffeId& agent_id) const;

  // What `agent_id` is owed now: entries, bundles, tainted authorities and the revision they
  // belong to, read under one lock so they are consistent. An unknown agent gets the entries
  // parented on its ID directly and no node alias's.
  AgentView ViewFor(const SpiffeId& agent_id) const;

  // The entry `entry_id` when it is authorized for `agent_id`. kNotFound when no such entry;
  // kPermissionDenied when it exists but is not authorized for the agent (node alias entries
  // never are).
  absl::StatusOr<std::shared_ptr<const RegistryEntry>> AuthorizedEntry(
      const SpiffeId& agent_id, std::string_view entry_id) const;
  // The same for many ids under one lock, results in order.
  std::vector<absl::StatusOr<std::shared_ptr<const RegistryEntry>>> AuthorizedEntries(
      const SpiffeId& agent_id, const std::vector<std::string_view>& entry_ids) const;

  // Registers `callback` for changes that may concern `agent_id` (its authorized entries, the
  // bundles, the tainted authorities, its own node record). May be called spuriously.
  std::unique_ptr<Subscription> Subscribe(const SpiffeId& agent_id, ChangeCallback callback);

  size_t entry_count() const;
  size_t node_count() const;

 private:
  struct Index;
  struct Changes;

  explicit Registry(RegistryOptions options);

  absl::Status Reload() ABSL_EXCLUSIVE_LOCKS_REQUIRED(refresh_mu_);
  absl::StatusOr<std::unique_ptr<Index>> ReadEverything(int64_t revision);
  absl::StatusOr<bool> ApplyEventsAfter(int64_t after) ABSL_EXCLUSIVE_LOCKS_REQUIRED(refresh_mu_);
  void Notify(const absl::flat_hash_set<std::string>& agents, bool everyone);
  void PollLoop();

  const RegistryOptions options_;
  const SpiffeId server_id_;

  // Serialises Refresh(): datastore reads happen under it, not under mu_.
  absl::Mutex refresh_mu_;
  mutable absl::Mutex mu_;
  std::unique_ptr<Index> index_ ABSL_GUARDED_BY(mu_);

  mutable absl::Mutex subscribers_mu_;
  absl::flat_hash_map<std::string, std::vector<Subscription*>> subscribers_
      ABSL_GUARDED_BY(subscribers_mu_);

  absl::Notification stop_;
  std::thread poller_;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_REGISTRY_REGISTRY_H_
