#include "server/registry/registry_index.h"

#include <algorithm>
#include <deque>

#include "sigil/status.h"

namespace sigil::server::registry_internal {
namespace {

bool SubsetOf(const std::vector<Selector>& required, const std::vector<Selector>& held) {
  return std::includes(held.begin(), held.end(), required.begin(), required.end());
}

template <typename Value>
void Insert(absl::flat_hash_set<Value>& set, Value value) {
  set.insert(std::move(value));
}
template <typename Value>
void Insert(absl::InlinedVector<Value, 1>& list, Value value) {
  list.push_back(value);
}
template <typename Value>
void Erase(absl::flat_hash_set<Value>& set, const Value& value) {
  set.erase(value);
}
template <typename Value>
void Erase(absl::InlinedVector<Value, 1>& list, const Value& value) {
  list.erase(std::remove(list.begin(), list.end(), value), list.end());
}

}  // namespace

template <typename Index, typename Value>
void RegistryIndex::AddTo(Index& index, const std::string& key, Value value) {
  Insert(index[key], std::move(value));
}

template <typename Index, typename Value>
void RegistryIndex::RemoveFrom(Index& index, const std::string& key, Value value) {
  auto it = index.find(key);
  if (it == index.end()) {
    return;
  }
  Erase(it->second, value);
  if (it->second.empty()) {
    index.erase(it);
  }
}

void RegistryIndex::PutEntry(std::shared_ptr<const RegistryEntry> stored) {
  const RegistrationEntry& entry = stored->entry;
  RemoveEntry(entry.entry_id);
  const RegistryEntry* ptr = stored.get();
  AddTo(children_, entry.parent_id.str(), ptr);
  AddTo(by_spiffe_id_, entry.spiffe_id.str(), ptr);
  if (IsNodeAlias(entry)) {
    for (const Selector& s : entry.selectors) {
      AddTo(aliases_by_selector_, s.ToString(), ptr);
    }
  }
  // The key views the stored entry's own id, which lives exactly as long as the slot.
  const absl::string_view key(entry.entry_id);
  entries_.emplace(key, std::move(stored));
}

void RegistryIndex::RemoveEntry(std::string_view entry_id) {
  auto it = entries_.find(AsAbsl(entry_id));
  if (it == entries_.end()) {
    return;
  }
  const std::shared_ptr<const RegistryEntry> old = std::move(it->second);
  entries_.erase(it);
  const RegistrationEntry& entry = old->entry;
  const RegistryEntry* ptr = old.get();
  RemoveFrom(children_, entry.parent_id.str(), ptr);
  RemoveFrom(by_spiffe_id_, entry.spiffe_id.str(), ptr);
  if (IsNodeAlias(entry)) {
    for (const Selector& s : entry.selectors) {
      RemoveFrom(aliases_by_selector_, s.ToString(), ptr);
    }
  }
}

void RegistryIndex::PutNode(std::shared_ptr<const AttestedNode> node) {
  const std::string id = node->spiffe_id.str();
  RemoveNode(id);
  for (const Selector& s : node->selectors) {
    AddTo(nodes_by_selector_, s.ToString(), id);
  }
  nodes_[id] = std::move(node);
}

void RegistryIndex::RemoveNode(std::string_view agent_id) {
  auto it = nodes_.find(AsAbsl(agent_id));
  if (it == nodes_.end()) {
    return;
  }
  const std::string id = it->first;
  for (const Selector& s : it->second->selectors) {
    RemoveFrom(nodes_by_selector_, s.ToString(), id);
  }
  nodes_.erase(it);
}

void RegistryIndex::PutBundle(std::shared_ptr<const RegistryBundle> bundle) {
  const std::string td = bundle->record.trust_domain.name();
  bundles_[td] = std::move(bundle);
}

void RegistryIndex::RemoveBundle(std::string_view trust_domain) {
  bundles_.erase(AsAbsl(trust_domain));
}

std::shared_ptr<const RegistryEntry> RegistryIndex::FindEntry(std::string_view entry_id) const {
  auto it = entries_.find(AsAbsl(entry_id));
  return it == entries_.end() ? nullptr : it->second;
}

std::shared_ptr<const AttestedNode> RegistryIndex::FindNode(std::string_view agent_id) const {
  auto it = nodes_.find(AsAbsl(agent_id));
  return it == nodes_.end() ? nullptr : it->second;
}

std::shared_ptr<const RegistryBundle> RegistryIndex::FindBundle(
    std::string_view trust_domain) const {
  auto it = bundles_.find(AsAbsl(trust_domain));
  return it == bundles_.end() ? nullptr : it->second;
}

std::vector<const RegistryEntry*> RegistryIndex::AliasesMatching(
    const std::vector<Selector>& node_selectors) const {
  // Every alias carries at least one selector, so each matching alias is found under one of
  // the node's selectors; the subset check then weeds out partial matches.
  EntrySet seen;
  std::vector<const RegistryEntry*> out;
  for (const Selector& s : node_selectors) {
    auto it = aliases_by_selector_.find(s.ToString());
    if (it == aliases_by_selector_.end()) {
      continue;
    }
    for (const RegistryEntry* alias : it->second) {
      if (seen.insert(alias).second && SubsetOf(alias->entry.selectors, node_selectors)) {
        out.push_back(alias);
      }
    }
  }
  return out;
}

void RegistryIndex::AgentsMatching(const std::vector<Selector>& selectors, IdSet& out) const {
  // Candidates are the nodes holding the alias's rarest selector.
  const IdSet* smallest = nullptr;
  for (const Selector& s : selectors) {
    auto it = nodes_by_selector_.find(s.ToString());
    if (it == nodes_by_selector_.end()) {
      return;  // no node has this selector, so none has them all
    }
    if (smallest == nullptr || it->second.size() < smallest->size()) {
      smallest = &it->second;
    }
  }
  if (smallest == nullptr) {
    return;
  }
  for (const std::string& agent : *smallest) {
    if (SubsetOf(selectors, nodes_.at(agent)->selectors)) {
      out.insert(agent);
    }
  }
}

std::vector<std::shared_ptr<const RegistryEntry>> RegistryIndex::EntriesFor(
    std::string_view agent_id) const {
  std::deque<std::string> parents;
  IdSet visited_parents;
  parents.emplace_back(agent_id);
  visited_parents.insert(std::string(agent_id));
  if (std::shared_ptr<const AttestedNode> node = FindNode(agent_id); node != nullptr) {
    for (const RegistryEntry* alias : AliasesMatching(node->selectors)) {
      if (visited_parents.insert(alias->entry.spiffe_id.str()).second) {
        parents.push_back(alias->entry.spiffe_id.str());
      }
    }
  }
  // Entries parented on the server are aliases, reachable only through selectors above; an
  // entry whose spiffe_id is the server's ID must not open that door.
  visited_parents.insert(server_id_.str());

  std::vector<std::shared_ptr<const RegistryEntry>> out;
  EntrySet included;
  while (!parents.empty()) {
    const std::string parent = std::move(parents.front());
    parents.pop_front();
    auto it = children_.find(parent);
    if (it == children_.end()) {
      continue;
    }
    for (const RegistryEntry* child : it->second) {
      if (!included.insert(child).second) {
        continue;
      }
      out.push_back(entries_.at(child->entry.entry_id));
      if (visited_parents.insert(child->entry.spiffe_id.str()).second) {
        parents.push_back(child->entry.spiffe_id.str());
      }
    }
  }
  return out;
}

bool RegistryIndex::Reaches(const std::string& parent, std::string_view agent_id,
                            const std::vector<Selector>* agent_selectors, IdSet& visited) const {
  // Iterative, so that a long chain of entries cannot exhaust the stack.
  std::vector<std::string> pending = {parent};
  while (!pending.empty()) {
    const std::string id = std::move(pending.back());
    pending.pop_back();
    if (id == agent_id) {
      return true;
    }
    if (id == server_id_.str() || !visited.insert(id).second) {
      continue;
    }
    auto it = by_spiffe_id_.find(id);
    if (it == by_spiffe_id_.end()) {
      continue;
    }
    for (const RegistryEntry* named : it->second) {
      if (IsNodeAlias(named->entry)) {
        if (agent_selectors != nullptr && SubsetOf(named->entry.selectors, *agent_selectors)) {
          return true;
        }
      } else {
        pending.push_back(named->entry.parent_id.str());
      }
    }
  }
  return false;
}

bool RegistryIndex::IsAuthorized(const RegistrationEntry& entry, std::string_view agent_id) const {
  if (IsNodeAlias(entry)) {
    return false;
  }
  std::shared_ptr<const AttestedNode> node = FindNode(agent_id);
  IdSet visited;
  return Reaches(entry.parent_id.str(), agent_id, node != nullptr ? &node->selectors : nullptr,
                 visited);
}

void RegistryIndex::CollectAgentsUp(const std::string& parent, IdSet& visited, IdSet& out) const {
  std::vector<std::string> pending = {parent};
  while (!pending.empty()) {
    const std::string id = std::move(pending.back());
    pending.pop_back();
    if (id == server_id_.str() || !visited.insert(id).second) {
      continue;
    }
    out.insert(id);
    auto it = by_spiffe_id_.find(id);
    if (it == by_spiffe_id_.end()) {
      continue;
    }
    for (const RegistryEntry* named : it->second) {
      if (IsNodeAlias(named->entry)) {
        AgentsMatching(named->entry.selectors, out);
      } else {
        pending.push_back(named->entry.parent_id.str());
      }
    }
  }
}

void RegistryIndex::AgentsConcernedBy(const RegistrationEntry& entry, IdSet& out) const {
  if (IsNodeAlias(entry)) {
    AgentsMatching(entry.selectors, out);
    return;
  }
  IdSet visited;
  CollectAgentsUp(entry.parent_id.str(), visited, out);
}

}  // namespace sigil::server::registry_internal
