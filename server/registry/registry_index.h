// Internal to sigil_registry: the indexes behind Registry, as a plain in-memory structure with
// no locking and no datastore, so the authorization rule can be tested on its own.
#ifndef SIGIL_SERVER_REGISTRY_REGISTRY_INDEX_H_
#define SIGIL_SERVER_REGISTRY_REGISTRY_INDEX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"

#include "server/datastore/types.h"
#include "server/registry/registry.h"
#include "sigil/spiffe_id.h"

namespace sigil::server::registry_internal {

using IdSet = absl::flat_hash_set<std::string>;
// Entries are immutable and owned by `entries_`, so the secondary indexes hold plain pointers
// (8 bytes each, where a copy of the id would cost about 80): the registry holds every entry,
// and memory per entry is what limits how many it can hold.
using EntrySet = absl::flat_hash_set<const RegistryEntry*>;

class RegistryIndex {
 public:
  // `server_id` is spiffe://<td>/sigil/server, the parent of node alias entries.
  explicit RegistryIndex(SpiffeId server_id) : server_id_(std::move(server_id)) {}

  // --- Changes (the caller holds the registry's writer lock) -----------------------------
  // Put replaces any record with the same key.
  void PutEntry(std::shared_ptr<const RegistryEntry> entry);
  void RemoveEntry(std::string_view entry_id);
  void PutNode(std::shared_ptr<const AttestedNode> node);
  void RemoveNode(std::string_view agent_id);
  void PutBundle(std::shared_ptr<const RegistryBundle> bundle);
  void RemoveBundle(std::string_view trust_domain);
  void set_tainted(std::vector<std::string> tainted) { tainted_ = std::move(tainted); }
  void set_revision(int64_t revision) { revision_ = revision; }

  // --- Queries ----------------------------------------------------------------------------
  int64_t revision() const { return revision_; }
  const std::vector<std::string>& tainted() const { return tainted_; }
  std::shared_ptr<const RegistryEntry> FindEntry(std::string_view entry_id) const;
  std::shared_ptr<const AttestedNode> FindNode(std::string_view agent_id) const;
  std::shared_ptr<const RegistryBundle> FindBundle(std::string_view trust_domain) const;
  size_t entry_count() const { return entries_.size(); }
  size_t node_count() const { return nodes_.size(); }

  bool IsNodeAlias(const RegistrationEntry& entry) const { return entry.parent_id == server_id_; }

  // Every entry authorized for `agent_id` (see registry.h), found by walking down from the
  // agent's ID and the IDs of the node aliases its selectors match.
  std::vector<std::shared_ptr<const RegistryEntry>> EntriesFor(std::string_view agent_id) const;

  // True when `entry` is authorized for `agent_id`, found by walking up from its parent.
  bool IsAuthorized(const RegistrationEntry& entry, std::string_view agent_id) const;

  // Adds to `out` every agent ID for which `entry` is (or, being a node alias, makes other
  // entries) authorized: the agents whose sets change when `entry` appears or goes. IDs that
  // are parents but not attested nodes may be included; callers ignore those.
  void AgentsConcernedBy(const RegistrationEntry& entry, IdSet& out) const;

 private:
  // Agents whose node selectors include every one of `selectors`.
  void AgentsMatching(const std::vector<Selector>& selectors, IdSet& out) const;
  // Node alias entries whose selectors are all among `node_selectors`.
  std::vector<const RegistryEntry*> AliasesMatching(
      const std::vector<Selector>& node_selectors) const;
  bool Reaches(const std::string& parent, std::string_view agent_id,
               const std::vector<Selector>* agent_selectors, IdSet& visited) const;
  void CollectAgentsUp(const std::string& parent, IdSet& visited, IdSet& out) const;

  template <typename Index, typename Value>
  static void AddTo(Index& index, const std::string& key, Value value);
  template <typename Index, typename Value>
  static void RemoveFrom(Index& index, const std::string& key, Value value);

  const SpiffeId server_id_;
  int64_t revision_ = 0;
  // Keyed by a view of the stored entry's own entry_id.
  absl::flat_hash_map<absl::string_view, std::shared_ptr<const RegistryEntry>> entries_;
  // parent_id → entries with that parent (an agent may parent thousands).
  absl::flat_hash_map<std::string, EntrySet> children_;
  // spiffe_id → entries with that spiffe_id (usually one).
  absl::flat_hash_map<std::string, absl::InlinedVector<const RegistryEntry*, 1>> by_spiffe_id_;
  // "type:value" → node alias entries carrying that selector.
  absl::flat_hash_map<std::string, EntrySet> aliases_by_selector_;
  absl::flat_hash_map<std::string, std::shared_ptr<const AttestedNode>> nodes_;
  // "type:value" → SPIFFE IDs of nodes carrying that selector.
  absl::flat_hash_map<std::string, IdSet> nodes_by_selector_;
  absl::flat_hash_map<std::string, std::shared_ptr<const RegistryBundle>> bundles_;
  std::vector<std::string> tainted_;
};

}  // namespace sigil::server::registry_internal

#endif  // SIGIL_SERVER_REGISTRY_REGISTRY_INDEX_H_
