#include "agent/cache/identity_cache.h"

#include <algorithm>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"

#include "sigil/status.h"

#define SIGIL_LOG_COMPONENT "agent.cache"
#include "sigil/log.h"

namespace sigil::agent {

struct Subscription::State {
  uint64_t id = 0;
  std::vector<Selector> selectors;
  // Ids of the entries this subscriber matches. Guarded by the cache's mutex.
  absl::flat_hash_set<std::string> matched;
  // Serialises callbacks with each other and with unsubscribing.
  absl::Mutex callback_mu;
  bool alive ABSL_GUARDED_BY(callback_mu) = true;
  std::function<void(uint32_t)> on_change;
};

namespace {

constexpr char kEmptyJwks[] = R"({"keys":[]})";

// Half the lifetime, minus a per-SVID share of the jitter, so SVIDs issued in one batch do not
// all come due at the same instant. The share is derived from the serial, so it is stable for
// one SVID and needs no random source.
absl::Time RotationTime(const X509Svid& svid, double jitter) {
  const absl::Time not_before = svid.leaf().not_before();
  const absl::Duration lifetime = svid.expires_at() - not_before;
  const double share =
      static_cast<double>(absl::Hash<std::string>()(svid.leaf().SerialHex()) % 1000) / 1000.0;
  return not_before + lifetime / 2 - lifetime * (jitter * share);
}

}  // namespace

// ---- Subscription ----

Subscription::~Subscription() { cache_->Unsubscribe(*state_); }

WorkloadView Subscription::View() const { return cache_->ViewOf(*state_); }

// ---- BundleSnapshot ----

const BundleMaterial* BundleSnapshot::Find(const TrustDomain& td) const {
  auto it = bundles_.find(td);
  return it == bundles_.end() ? nullptr : &it->second;
}

// ---- IdentityCache ----

IdentityCache::IdentityCache(IdentityCacheOptions options)
    : options_(std::move(options)), bundles_(std::make_shared<const BundleSnapshot>()) {}

IdentityCache::~IdentityCache() = default;

void IdentityCache::Notify(Notifications& out, const std::shared_ptr<Subscription::State>& state,
                           uint32_t flags) {
  auto [it, inserted] = out.try_emplace(state->id, state, flags);
  if (!inserted) {
    it->second.second |= flags;
  }
}

void IdentityCache::Deliver(Notifications& notifications) {
  for (auto& [id, pending] : notifications) {
    Subscription::State& state = *pending.first;
    absl::MutexLock lock(&state.callback_mu);
    if (state.alive) {
      state.on_change(pending.second);
    }
  }
}

void IdentityCache::SignalDemand() const {
  if (options_.on_svid_demand) {
    options_.on_svid_demand();
  }
}

absl::Status IdentityCache::PrepareBatch(std::vector<AgentEntry>& upserted,
                                         const std::vector<std::string>& removed_ids) const {
  absl::flat_hash_set<std::string_view> seen;
  size_t added = 0;
  for (AgentEntry& entry : upserted) {
    if (absl::Status s = ValidateAgentEntry(entry); !s.ok()) {
      return s;
    }
    if (!seen.insert(entry.entry_id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("entry \"", entry.entry_id, "\" appears twice in one update"));
    }
    attestors::NormalizeSelectors(entry.selectors);
    if (!entries_.contains(entry.entry_id)) {
      ++added;
    }
  }
  size_t removed = 0;
  for (const std::string& id : removed_ids) {
    if (entries_.contains(id) && !seen.contains(id)) {
      ++removed;
    }
  }
  if (entries_.size() + added - removed > options_.max_entries) {
    return absl::ResourceExhaustedError(
        absl::StrCat("update would hold ", entries_.size() + added - removed,
                     " entries, more than the ", options_.max_entries, " allowed"));
  }
  return absl::OkStatus();
}

absl::Status IdentityCache::ReplaceEntries(std::vector<AgentEntry> entries) {
  Notifications notifications;
  {
    absl::MutexLock lock(&mu_);
    absl::flat_hash_set<std::string_view> keep;
    for (const AgentEntry& entry : entries) {
      keep.insert(entry.entry_id);
    }
    std::vector<std::string> removed;
    for (const auto& [id, state] : entries_) {
      if (!keep.contains(id)) {
        removed.push_back(id);
      }
    }
    if (absl::Status s = PrepareBatch(entries, removed); !s.ok()) {
      return s;
    }
    for (const std::string& id : removed) {
      RemoveEntry(id, notifications);
    }
    for (AgentEntry& entry : entries) {
      UpsertEntry(std::move(entry), notifications);
    }
  }
  Deliver(notifications);
  SignalDemand();
  return absl::OkStatus();
}

absl::Status IdentityCache::UpdateEntries(std::vector<AgentEntry> upserted,
                                          const std::vector<std::string>& removed_ids) {
  Notifications notifications;
  {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = PrepareBatch(upserted, removed_ids); !s.ok()) {
      return s;
    }
    for (const std::string& id : removed_ids) {
      RemoveEntry(id, notifications);
    }
    for (AgentEntry& entry : upserted) {
      UpsertEntry(std::move(entry), notifications);
    }
  }
  Deliver(notifications);
  SignalDemand();
  return absl::OkStatus();
}

void IdentityCache::RemoveEntry(const std::string& entry_id, Notifications& out) {
  auto it = entries_.find(entry_id);
  if (it == entries_.end()) {
    return;
  }
  if (it->second.subscribers > 0) {
    for (auto& [id, sub] : subscribers_) {
      if (sub->matched.erase(entry_id) > 0) {
        Notify(out, sub, kIdentitiesChanged);
      }
    }
  }
  DropSvid(it->second);
  IndexRemove(*it->second.entry);
  entries_.erase(it);
}

void IdentityCache::UpsertEntry(AgentEntry entry, Notifications& out) {
  auto fresh = std::make_shared<const AgentEntry>(std::move(entry));
  auto it = entries_.find(fresh->entry_id);
  if (it == entries_.end()) {
    EntryState& state = entries_[fresh->entry_id];
    state.entry = fresh;
    IndexAdd(*fresh);
    for (auto& [id, sub] : subscribers_) {
      if (attestors::SelectorsSubsetOf(fresh->selectors, sub->selectors)) {
        sub->matched.insert(fresh->entry_id);
        ++state.subscribers;
        Notify(out, sub, kIdentitiesChanged);
      }
    }
    return;
  }

  EntryState& state = it->second;
  const std::shared_ptr<const AgentEntry> old = state.entry;
  if (*old == *fresh) {
    return;
  }
  state.entry = fresh;
  if (old->selectors != fresh->selectors) {
    IndexRemove(*old);
    IndexAdd(*fresh);
  }
  uint32_t flags = kIdentitiesChanged;
  if (old->spiffe_id != fresh->spiffe_id && state.svid != nullptr) {
    // The SVID names the old identity: serving it under the new one would be wrong.
    DropSvid(state);
    flags |= kSvidsChanged;
  }
  for (auto& [id, sub] : subscribers_) {
    const bool was = sub->matched.contains(fresh->entry_id);
    const bool is = attestors::SelectorsSubsetOf(fresh->selectors, sub->selectors);
    if (was && !is) {
      sub->matched.erase(fresh->entry_id);
      --state.subscribers;
    } else if (!was && is) {
      sub->matched.insert(fresh->entry_id);
      ++state.subscribers;
    }
    if (was || is) {
      Notify(out, sub, flags);
    }
  }
}

void IdentityCache::DropSvid(EntryState& state) {
  if (state.svid == nullptr) {
    return;
  }
  lru_.erase(state.lru_position);
  state.svid.reset();
}

void IdentityCache::IndexAdd(const AgentEntry& entry) {
  index_[entry.selectors.front()].insert(entry.entry_id);
}

void IdentityCache::IndexRemove(const AgentEntry& entry) {
  auto it = index_.find(entry.selectors.front());
  if (it == index_.end()) {
    return;
  }
  it->second.erase(entry.entry_id);
  if (it->second.empty()) {
    index_.erase(it);
  }
}

absl::Status IdentityCache::SetX509Svid(std::string_view entry_id, int64_t entry_revision,
                                        X509Svid svid) {
  // Encoding the key is the expensive part; do it before taking the lock.
  std::string chain_der = svid.ChainDer();
  SecretBytes key_der = svid.KeyPkcs8Der();
  const absl::Time rotate_at = RotationTime(svid, options_.rotation_jitter);
  auto cached = std::make_shared<const CachedX509Svid>(CachedX509Svid{
      std::move(svid), std::move(chain_der), std::move(key_der), entry_revision, rotate_at});

  Notifications notifications;
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(AsAbsl(entry_id));
    if (it == entries_.end()) {
      return absl::NotFoundError(absl::StrCat("no entry \"", AsAbsl(entry_id), "\" in the cache"));
    }
    EntryState& state = it->second;
    if (cached->svid.spiffe_id() != state.entry->spiffe_id) {
      return absl::InvalidArgumentError(
          absl::StrCat("SVID for ", cached->svid.spiffe_id().str(), " does not match entry \"",
                       AsAbsl(entry_id), "\", whose SPIFFE ID is ", state.entry->spiffe_id.str()));
    }
    if (state.svid != nullptr) {
      lru_.splice(lru_.begin(), lru_, state.lru_position);
    } else {
      lru_.push_front(state.entry->entry_id);
      state.lru_position = lru_.begin();
    }
    state.svid = std::move(cached);
    if (state.subscribers > 0) {
      for (auto& [id, sub] : subscribers_) {
        if (sub->matched.contains(state.entry->entry_id)) {
          Notify(notifications, sub, kSvidsChanged);
        }
      }
    }
    EvictOverCapacity();
  }
  Deliver(notifications);
  return absl::OkStatus();
}

void IdentityCache::EvictOverCapacity() {
  auto candidate = lru_.end();
  while (lru_.size() > options_.max_x509_svids && candidate != lru_.begin()) {
    --candidate;
    EntryState& state = entries_.find(*candidate)->second;
    if (state.subscribers > 0) {
      continue;  // in use by a live stream: never evicted
    }
    // Step off the element before DropSvid erases it.
    auto next = std::next(candidate);
    DropSvid(state);
    ++evictions_;
    candidate = next;
  }
}

void IdentityCache::SetBundles(const BundleSet& bundles) {
  auto snapshot = std::make_shared<BundleSnapshot>();
  for (const auto& [td, bundle] : bundles) {
    BundleMaterial material{bundle, ConcatDer(bundle.x509_authorities()), kEmptyJwks};
    if (auto jwks = EncodeJwks(bundle); jwks.ok()) {
      material.jwks = *std::move(jwks);
    } else {
      SIGIL_LOG(kWarn, "bundle.jwks_unencodable",
                {{"trust_domain", td.name()}, {"error", std::string(jwks.status().message())}});
    }
    snapshot->bundles_.emplace(td, std::move(material));
  }
  if (snapshot->Find(options_.trust_domain) == nullptr) {
    SIGIL_LOG(kWarn, "bundle.own_missing", {{"trust_domain", options_.trust_domain.name()}});
  }

  Notifications notifications;
  {
    absl::MutexLock lock(&mu_);
    absl::flat_hash_set<TrustDomain> changed;
    for (const auto& [td, material] : snapshot->all()) {
      const BundleMaterial* before = bundles_->Find(td);
      if (before == nullptr || !(before->bundle == material.bundle)) {
        changed.insert(td);
      }
    }
    for (const auto& [td, material] : bundles_->all()) {
      if (snapshot->Find(td) == nullptr) {
        changed.insert(td);
      }
    }
    bundles_ = std::move(snapshot);
    for (auto& [id, sub] : subscribers_) {
      for (const TrustDomain& td : TrustDomainsOf(sub->matched)) {
        if (changed.contains(td)) {
          Notify(notifications, sub, kBundlesChanged);
          break;
        }
      }
    }
  }
  Deliver(notifications);
}

std::vector<TrustDomain> IdentityCache::TrustDomainsOf(
    const absl::flat_hash_set<std::string>& entry_ids) const {
  std::vector<TrustDomain> federated;
  for (const std::string& id : entry_ids) {
    auto it = entries_.find(id);
    if (it == entries_.end()) {
      continue;
    }
    for (const TrustDomain& td : it->second.entry->federates_with) {
      if (td != options_.trust_domain) {
        federated.push_back(td);
      }
    }
  }
  std::sort(federated.begin(), federated.end());
  federated.erase(std::unique(federated.begin(), federated.end()), federated.end());
  federated.insert(federated.begin(), options_.trust_domain);
  return federated;
}

std::vector<SvidRequest> IdentityCache::SvidsNeeded(absl::Time now) const {
  std::vector<SvidRequest> urgent;
  std::vector<SvidRequest> changed;
  std::vector<SvidRequest> rotation;
  std::vector<SvidRequest> missing;
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& [id, state] : entries_) {
    if (state.svid == nullptr) {
      if (state.subscribers > 0) {
        urgent.push_back({state.entry, SvidNeed::kMissingForSubscriber});
      } else {
        missing.push_back({state.entry, SvidNeed::kMissing});
      }
    } else if (state.svid->entry_revision < state.entry->revision) {
      changed.push_back({state.entry, SvidNeed::kEntryChanged});
    } else if (now >= state.svid->rotate_at) {
      rotation.push_back({state.entry, SvidNeed::kRotation});
    }
  }
  auto by_presentation = [](const SvidRequest& a, const SvidRequest& b) {
    return PresentedBefore(*a.entry, *b.entry);
  };
  std::sort(urgent.begin(), urgent.end(), by_presentation);
  std::sort(changed.begin(), changed.end(), by_presentation);
  std::sort(rotation.begin(), rotation.end(), by_presentation);
  std::sort(missing.begin(), missing.end(), by_presentation);
  const size_t occupied = lru_.size() + urgent.size();
  const size_t room = occupied >= options_.max_x509_svids ? 0 : options_.max_x509_svids - occupied;
  if (missing.size() > room) {
    missing.resize(room);
  }

  std::vector<SvidRequest> out = std::move(urgent);
  for (auto* list : {&changed, &rotation, &missing}) {
    out.insert(out.end(), std::make_move_iterator(list->begin()),
               std::make_move_iterator(list->end()));
  }
  return out;
}

std::vector<std::string> IdentityCache::MatchingIds(const std::vector<Selector>& selectors) const {
  std::vector<std::string> ids;
  for (const Selector& selector : selectors) {
    auto it = index_.find(selector);
    if (it == index_.end()) {
      continue;
    }
    for (const std::string& id : it->second) {
      const EntryState& state = entries_.find(id)->second;
      if (attestors::SelectorsSubsetOf(state.entry->selectors, selectors)) {
        ids.push_back(id);
      }
    }
  }
  return ids;
}

WorkloadView IdentityCache::BuildView(const std::vector<std::string>& entry_ids) {
  WorkloadView view;
  view.identities.reserve(entry_ids.size());
  absl::flat_hash_set<std::string> ids;
  for (const std::string& id : entry_ids) {
    EntryState& state = entries_.find(id)->second;
    view.identities.push_back({state.entry, state.svid});
    if (state.svid != nullptr) {
      lru_.splice(lru_.begin(), lru_, state.lru_position);
    }
    ids.insert(id);
  }
  std::sort(view.identities.begin(), view.identities.end(),
            [](const WorkloadIdentity& a, const WorkloadIdentity& b) {
              return PresentedBefore(*a.entry, *b.entry);
            });
  view.trust_domains = TrustDomainsOf(ids);
  view.bundles = bundles_;
  return view;
}

WorkloadView IdentityCache::Lookup(std::vector<Selector> selectors) {
  attestors::NormalizeSelectors(selectors);
  absl::MutexLock lock(&mu_);
  return BuildView(MatchingIds(selectors));
}

absl::StatusOr<std::unique_ptr<Subscription>> IdentityCache::Subscribe(
    std::vector<Selector> selectors, std::function<void(uint32_t)> on_change) {
  attestors::NormalizeSelectors(selectors);
  auto state = std::make_shared<Subscription::State>();
  state->selectors = std::move(selectors);
  state->on_change = std::move(on_change);
  bool waits_for_svid = false;
  {
    absl::MutexLock lock(&mu_);
    if (subscribers_.size() >= options_.max_subscribers) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the agent already serves ", subscribers_.size(), " streams"));
    }
    state->id = next_subscriber_id_++;
    for (std::string& id : MatchingIds(state->selectors)) {
      EntryState& entry = entries_.find(id)->second;
      ++entry.subscribers;
      waits_for_svid |= entry.svid == nullptr;
      state->matched.insert(std::move(id));
    }
    subscribers_.emplace(state->id, state);
  }
  if (waits_for_svid) {
    SignalDemand();
  }
  return absl::WrapUnique(new Subscription(this, std::move(state)));
}

void IdentityCache::Unsubscribe(Subscription::State& state) {
  {
    // Waits for a running callback; none starts afterwards.
    absl::MutexLock lock(&state.callback_mu);
    state.alive = false;
  }
  absl::MutexLock lock(&mu_);
  for (const std::string& id : state.matched) {
    auto it = entries_.find(id);
    if (it != entries_.end()) {
      --it->second.subscribers;
    }
  }
  subscribers_.erase(state.id);
  EvictOverCapacity();
}

WorkloadView IdentityCache::ViewOf(const Subscription::State& state) {
  absl::MutexLock lock(&mu_);
  return BuildView(std::vector<std::string>(state.matched.begin(), state.matched.end()));
}

std::shared_ptr<const BundleSnapshot> IdentityCache::bundles() const {
  absl::ReaderMutexLock lock(&mu_);
  return bundles_;
}

IdentityCacheStats IdentityCache::stats() const {
  absl::ReaderMutexLock lock(&mu_);
  return IdentityCacheStats{entries_.size(), lru_.size(), subscribers_.size(),
                            bundles_->all().size(), evictions_};
}

}  // namespace sigil::agent
