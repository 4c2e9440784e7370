// What a Sync stream has sent an agent, and how to bring the agent from there to the
// registry's current view: a full update, or a delta of what changed, or nothing.
//
// Revisions: every update carries the registry revision its view was read at. The registry
// changes its content only together with its revision, so an agent that applied the update of
// revision R holds exactly the state this server sent with R. When a stream ends, its sent
// state is parked in a SyncResumeCache under the agent's ID and the last revision sent; an
// agent that reconnects with that revision as last_revision gets a delta from it, anything
// else gets a full update.
#ifndef SIGIL_SERVER_NODEAPI_SYNC_STATE_H_
#define SIGIL_SERVER_NODEAPI_SYNC_STATE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

#include "node.pb.h"
#include "server/registry/registry.h"

namespace sigil::server {

// Limitation: an entry that reaches its expires_at stays in the agent's set until something
// else changes it (the server signs nothing for it any more); agents are expected to drop
// entries past their expires_at themselves.

// What one agent holds, as far as the server knows.
struct SentState {
  // Revision of the last update sent; -1 before the first.
  int64_t revision = -1;
  // Entry id / bundle trust domain → the registry's changed_at of the version sent.
  absl::flat_hash_map<std::string, int64_t> entries;
  absl::flat_hash_map<std::string, int64_t> bundles;
  std::vector<std::string> tainted;
};

enum class SyncUpdateKind {
  // Everything (entries, bundles, tainted authorities); replaces what the agent holds.
  kFull,
  // What was added or changed, and the ids and trust domains removed; sent even when empty
  // (the first message of a resumed stream).
  kDelta,
  // As kDelta, but nothing is sent when nothing changed.
  kDeltaIfChanged,
};

// Fills `out` with the update of `kind` that brings an agent holding `sent` to `view` and
// records it in `sent`. Tainted authorities are always sent complete. Returns false, touching
// neither, when `kind` is kDeltaIfChanged and nothing changed.
bool BuildSyncUpdate(const AgentView& view, SyncUpdateKind kind, SentState& sent,
                     sigil::node::v1::SyncUpdate* out);

// The wire form of an entry and a bundle.
void EntryToProto(const RegistrationEntry& entry, sigil::node::v1::Entry* out);
void BundleToProto(const BundleRecord& bundle, sigil::node::v1::Bundle* out);

inline constexpr size_t kDefaultResumeCacheAgents = 10000;

// Sent states of recently closed streams, by agent, at most `max_agents` (least recently
// parked go first). Thread-safe.
class SyncResumeCache {
 public:
  explicit SyncResumeCache(size_t max_agents = kDefaultResumeCacheAgents)
      : max_agents_(max_agents) {}

  // Keeps `state` for `agent_id`, replacing an older one.
  void Park(const std::string& agent_id, SentState state);
  // The parked state of `agent_id` when it was parked at exactly `revision`; it is removed
  // either way (a stream resumes once).
  std::optional<SentState> Take(const std::string& agent_id, int64_t revision);
  size_t size() const;

 private:
  using Lru = std::list<std::pair<std::string, SentState>>;
  const size_t max_agents_;
  mutable absl::Mutex mu_;
  Lru lru_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Lru::iterator> by_agent_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_NODEAPI_SYNC_STATE_H_
