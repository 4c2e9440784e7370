#include "server/nodeapi/sync_state.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace sigil::server {
namespace {

namespace nodev1 = ::sigil::node::v1;

int64_t UnixSeconds(absl::Time t) { return absl::ToUnixSeconds(t); }

}  // namespace

void EntryToProto(const RegistrationEntry& entry, nodev1::Entry* out) {
  out->set_id(entry.entry_id);
  out->set_spiffe_id(entry.spiffe_id.str());
  out->set_parent_id(entry.parent_id.str());
  for (const Selector& s : entry.selectors) {
    nodev1::Selector* selector = out->add_selectors();
    selector->set_type(s.type);
    selector->set_value(s.value);
  }
  out->set_x509_svid_ttl(entry.x509_svid_ttl_seconds);
  out->set_jwt_svid_ttl(entry.jwt_svid_ttl_seconds);
  for (const std::string& name : entry.dns_names) {
    out->add_dns_names(name);
  }
  for (const TrustDomain& td : entry.federates_with) {
    out->add_federates_with(td.name());
  }
  out->set_admin(entry.admin);
  out->set_downstream(entry.downstream);
  out->set_hint(entry.hint);
  out->set_expires_at(entry.expires_at.has_value() ? UnixSeconds(*entry.expires_at) : 0);
  out->set_revision(entry.revision);
  out->set_created_at(UnixSeconds(entry.created_at));
}

void BundleToProto(const BundleRecord& bundle, nodev1::Bundle* out) {
  out->set_trust_domain(bundle.trust_domain.name());
  out->set_document(bundle.document);
  out->set_sequence_number(static_cast<uint64_t>(bundle.sequence_number));
}

bool BuildSyncUpdate(const AgentView& view, SyncUpdateKind kind, SentState& sent,
                     nodev1::SyncUpdate* out) {
  const bool full = kind == SyncUpdateKind::kFull;
  nodev1::SyncUpdate update;
  update.set_full(full);
  update.set_revision(view.revision);

  absl::flat_hash_set<absl::string_view> current_entries;
  current_entries.reserve(view.entries.size());
  for (const auto& stored : view.entries) {
    const std::string& id = stored->entry.entry_id;
    current_entries.insert(id);
    auto it = sent.entries.find(id);
    if (full || it == sent.entries.end() || it->second != stored->changed_at) {
      EntryToProto(stored->entry, update.add_entries());
    }
  }
  absl::flat_hash_set<absl::string_view> current_bundles;
  for (const auto& stored : view.bundles) {
    const std::string& td = stored->record.trust_domain.name();
    current_bundles.insert(td);
    auto it = sent.bundles.find(td);
    if (full || it == sent.bundles.end() || it->second != stored->changed_at) {
      BundleToProto(stored->record, update.add_bundles());
    }
  }
  if (!full) {
    for (const auto& [id, changed_at] : sent.entries) {
      if (!current_entries.contains(id)) {
        update.add_removed_entry_ids(id);
      }
    }
    for (const auto& [td, changed_at] : sent.bundles) {
      if (!current_bundles.contains(td)) {
        update.add_removed_bundles(td);
      }
    }
    // Stable order helps agents and tests; hash-map order means nothing.
    std::sort(update.mutable_removed_entry_ids()->begin(),
              update.mutable_removed_entry_ids()->end());
    std::sort(update.mutable_removed_bundles()->begin(), update.mutable_removed_bundles()->end());
  }
  for (const std::string& id : view.tainted_authorities) {
    update.add_tainted_authorities(id);
  }

  const bool changed = kind != SyncUpdateKind::kDeltaIfChanged || update.entries_size() > 0 ||
                       update.removed_entry_ids_size() > 0 || update.bundles_size() > 0 ||
                       update.removed_bundles_size() > 0 ||
                       view.tainted_authorities != sent.tainted;
  if (!changed) {
    return false;
  }

  sent.revision = view.revision;
  sent.entries.clear();
  for (const auto& stored : view.entries) {
    sent.entries.emplace(stored->entry.entry_id, stored->changed_at);
  }
  sent.bundles.clear();
  for (const auto& stored : view.bundles) {
    sent.bundles.emplace(stored->record.trust_domain.name(), stored->changed_at);
  }
  sent.tainted = view.tainted_authorities;
  *out = std::move(update);
  return true;
}

void SyncResumeCache::Park(const std::string& agent_id, SentState state) {
  if (max_agents_ == 0) {
    return;
  }
  absl::MutexLock lock(&mu_);
  if (auto it = by_agent_.find(agent_id); it != by_agent_.end()) {
    lru_.erase(it->second);
    by_agent_.erase(it);
  }
  lru_.emplace_front(agent_id, std::move(state));
  by_agent_.emplace(agent_id, lru_.begin());
  while (lru_.size() > max_agents_) {
    by_agent_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

std::optional<SentState> SyncResumeCache::Take(const std::string& agent_id, int64_t revision) {
  absl::MutexLock lock(&mu_);
  auto it = by_agent_.find(agent_id);
  if (it == by_agent_.end()) {
    return std::nullopt;
  }
  SentState state = std::move(it->second->second);
  lru_.erase(it->second);
  by_agent_.erase(it);
  if (state.revision != revision) {
    return std::nullopt;
  }
  return state;
}

size_t SyncResumeCache::size() const {
  absl::MutexLock lock(&mu_);
  return lru_.size();
}

}  // namespace sigil::server
