#include "server/registry/registry.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"

#include "server/registry/registry_index.h"
#include "sigil/log.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {
constexpr std::string_view kLogComponent = "registry";

using registry_internal::IdSet;
using registry_internal::RegistryIndex;

constexpr int32_t kEventBatch = 1000;

// The same record version: no event can change an entry without changing one of these.
bool SameVersion(const RegistrationEntry& a, const RegistrationEntry& b) {
  return a.revision == b.revision && a.created_at == b.created_at && a.updated_at == b.updated_at;
}

bool SameBundle(const BundleRecord& a, const BundleRecord& b) {
  return a.sequence_number == b.sequence_number && a.document == b.document;
}

template <typename T, typename Fn>
absl::Status ForEachPage(Fn list, std::vector<T>& out) {
  PageRequest page{.page_size = kMaxPageSize};
  for (;;) {
    absl::StatusOr<Page<T>> result = list(page);
    if (!result.ok()) {
      return result.status();
    }
    for (T& item : result->items) {
      out.push_back(std::move(item));
    }
    if (result->next_page_token.empty()) {
      return absl::OkStatus();
    }
    page.page_token = std::move(result->next_page_token);
  }
}

absl::StatusOr<std::vector<std::string>> ReadTainted(DataStore& datastore) {
  SIGIL_ASSIGN_OR_RETURN(std::vector<AuthorityRecord> authorities,
                         datastore.ListAuthorities(std::nullopt));
  std::vector<std::string> tainted;
  for (const AuthorityRecord& authority : authorities) {
    if (authority.tainted) {
      tainted.push_back(authority.authority_id);
    }
  }
  std::sort(tainted.begin(), tainted.end());
  tainted.erase(std::unique(tainted.begin(), tainted.end()), tainted.end());
  return tainted;
}

std::shared_ptr<const AttestedNode> SortedNode(AttestedNode node) {
  std::sort(node.selectors.begin(), node.selectors.end());
  return std::make_shared<const AttestedNode>(std::move(node));
}

}  // namespace

// The registry's whole state; swapped as one on reload.
struct Registry::Index : RegistryIndex {
  using RegistryIndex::RegistryIndex;
};

// What one batch of events changed, fetched before the writer lock is taken. A missing value
// means the record is gone.
struct Registry::Changes {
  std::map<std::string, std::optional<RegistrationEntry>> entries;
  std::map<std::string, std::optional<AttestedNode>> nodes;
  std::map<std::string, std::optional<BundleRecord>> bundles;
  std::optional<std::vector<std::string>> tainted;
};

Registry::Registry(RegistryOptions options)
    : options_(std::move(options)),
      server_id_(*SpiffeId::FromPath(options_.trust_domain, kRegistryServerIdPath)) {}

absl::StatusOr<std::unique_ptr<Registry>> Registry::Load(RegistryOptions options) {
  if (options.datastore == nullptr) {
    return absl::InvalidArgumentError("registry: datastore is required");
  }
  std::unique_ptr<Registry> registry(new Registry(std::move(options)));
  {
    absl::MutexLock lock(&registry->refresh_mu_);
    SIGIL_RETURN_IF_ERROR(registry->Reload());
  }
  if (registry->options_.poll_interval > absl::ZeroDuration()) {
    registry->poller_ = std::thread([r = registry.get()] { r->PollLoop(); });
  }
  return registry;
}

Registry::~Registry() {
  stop_.Notify();
  if (poller_.joinable()) {
    poller_.join();
  }
}

void Registry::PollLoop() {
  bool failing = false;
  while (!stop_.WaitForNotificationWithTimeout(options_.poll_interval)) {
    absl::Status status = Refresh();
    // One line when refreshing starts failing and one when it recovers, not one a second.
    if (!status.ok() && !failing) {
      SIGIL_LOG(kWarn, "registry.refresh_failed", {{"error", std::string(status.message())}});
    } else if (status.ok() && failing) {
      SIGIL_LOG(kInfo, "registry.refresh_recovered", {});
    }
    failing = !status.ok();
  }
}

absl::StatusOr<std::unique_ptr<Registry::Index>> Registry::ReadEverything(int64_t revision) {
  DataStore& ds = *options_.datastore;
  auto index = std::make_unique<Index>(server_id_);
  index->set_revision(revision);

  // Entries go into the new index page by page, and an entry unchanged since the previous
  // index is shared with it rather than copied (keeping the revision it was stored at, so sync
  // streams do not resend it): a reload never holds the whole listing twice.
  PageRequest page{.page_size = kMaxPageSize};
  for (;;) {
    SIGIL_ASSIGN_OR_RETURN(Page<RegistrationEntry> listed, ds.ListEntries(EntryFilter{}, page));
    absl::ReaderMutexLock lock(&mu_);
    for (RegistrationEntry& entry : listed.items) {
      std::shared_ptr<const RegistryEntry> old =
          index_ != nullptr ? index_->FindEntry(entry.entry_id) : nullptr;
      if (old != nullptr && SameVersion(old->entry, entry)) {
        index->PutEntry(std::move(old));
      } else {
        index->PutEntry(std::make_shared<const RegistryEntry>(
            RegistryEntry{.entry = std::move(entry), .changed_at = revision}));
      }
    }
    if (listed.next_page_token.empty()) {
      break;
    }
    page.page_token = std::move(listed.next_page_token);
  }

  std::vector<AttestedNode> nodes;
  SIGIL_RETURN_IF_ERROR(ForEachPage<AttestedNode>(
      [&](const PageRequest& request) { return ds.ListNodes(NodeFilter{}, request); }, nodes));
  for (AttestedNode& node : nodes) {
    index->PutNode(SortedNode(std::move(node)));
  }
  SIGIL_ASSIGN_OR_RETURN(std::vector<BundleRecord> bundles, ds.ListBundles());
  {
    absl::ReaderMutexLock lock(&mu_);
    for (BundleRecord& bundle : bundles) {
      std::shared_ptr<const RegistryBundle> old =
          index_ != nullptr ? index_->FindBundle(bundle.trust_domain.name()) : nullptr;
      if (old != nullptr && SameBundle(old->record, bundle)) {
        index->PutBundle(std::move(old));
      } else {
        index->PutBundle(std::make_shared<const RegistryBundle>(
            RegistryBundle{.record = std::move(bundle), .changed_at = revision}));
      }
    }
  }
  SIGIL_ASSIGN_OR_RETURN(std::vector<std::string> tainted, ReadTainted(ds));
  index->set_tainted(std::move(tainted));
  return index;
}

absl::Status Registry::Reload() {
  // The revision is read first: changes made while listing are then both in the listing and
  // in events after it, and applying an event twice is harmless.
  SIGIL_ASSIGN_OR_RETURN(int64_t revision, options_.datastore->CurrentRevision());
  SIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Index> index, ReadEverything(revision));
  const std::string entries = absl::StrCat(index->entry_count());
  const std::string nodes = absl::StrCat(index->node_count());
  {
    absl::MutexLock lock(&mu_);
    index_ = std::move(index);
  }
  SIGIL_LOG(kInfo, "registry.loaded",
            {{"revision", absl::StrCat(revision)}, {"entries", entries}, {"nodes", nodes}});
  Notify({}, /*everyone=*/true);
  return absl::OkStatus();
}

absl::Status Registry::Refresh() {
  absl::MutexLock refresh_lock(&refresh_mu_);
  for (;;) {
    const int64_t after = revision();
    absl::StatusOr<bool> more = ApplyEventsAfter(after);
    if (more.status().code() == absl::StatusCode::kOutOfRange) {
      SIGIL_LOG(kInfo, "registry.reload", {{"reason", "change log pruned"}});
      return Reload();
    }
    if (!more.ok()) {
      return more.status();
    }
    if (!*more) {
      return absl::OkStatus();
    }
  }
}

absl::StatusOr<bool> Registry::ApplyEventsAfter(int64_t after) {
  DataStore& ds = *options_.datastore;
  SIGIL_ASSIGN_OR_RETURN(std::vector<Event> events, ds.ListEventsSince(after, kEventBatch));
  if (events.empty()) {
    return false;
  }
  if (events.size() == static_cast<size_t>(kEventBatch)) {
    SIGIL_ASSIGN_OR_RETURN(int64_t current, ds.CurrentRevision());
    if (current - after > options_.reload_threshold) {
      SIGIL_LOG(kInfo, "registry.reload",
                {{"reason", "large backlog"}, {"events", absl::StrCat(current - after)}});
      SIGIL_RETURN_IF_ERROR(Reload());
      return true;
    }
  }

  // Fetch the current state of everything the events name, once each.
  Changes changes;
  for (const Event& event : events) {
    switch (event.kind) {
      case EventKind::kEntryCreated:
      case EventKind::kEntryUpdated:
      case EventKind::kEntryDeleted:
        changes.entries.emplace(event.subject, std::nullopt);
        break;
      case EventKind::kNodeCreated:
      case EventKind::kNodeUpdated:
      case EventKind::kNodeBanned:
      case EventKind::kNodeEvicted:
        changes.nodes.emplace(event.subject, std::nullopt);
        break;
      case EventKind::kBundleSet:
      case EventKind::kBundleDeleted:
        changes.bundles.emplace(event.subject, std::nullopt);
        break;
      case EventKind::kAuthoritySet:
      case EventKind::kAuthorityDeleted:
        changes.tainted.emplace();
        break;
      case EventKind::kFederationSet:
      case EventKind::kFederationDeleted:
        break;
    }
  }
  for (auto& [id, value] : changes.entries) {
    absl::StatusOr<RegistrationEntry> entry = ds.FetchEntry(id);
    if (entry.ok()) {
      value = *std::move(entry);
    } else if (entry.status().code() != absl::StatusCode::kNotFound) {
      return entry.status();
    }
  }
  for (auto& [id, value] : changes.nodes) {
    absl::StatusOr<SpiffeId> node_id = SpiffeId::Parse(id);
    if (!node_id.ok()) {
      continue;  // the store only records valid IDs; nothing to fetch for anything else
    }
    absl::StatusOr<AttestedNode> node = ds.FetchNode(*node_id);
    if (node.ok()) {
      value = *std::move(node);
    } else if (node.status().code() != absl::StatusCode::kNotFound) {
      return node.status();
    }
  }
  for (auto& [td, value] : changes.bundles) {
    absl::StatusOr<TrustDomain> trust_domain = TrustDomain::FromString(td);
    if (!trust_domain.ok()) {
      continue;
    }
    absl::StatusOr<BundleRecord> bundle = ds.FetchBundle(*trust_domain);
    if (bundle.ok()) {
      value = *std::move(bundle);
    } else if (bundle.status().code() != absl::StatusCode::kNotFound) {
      return bundle.status();
    }
  }
  if (changes.tainted.has_value()) {
    SIGIL_ASSIGN_OR_RETURN(changes.tainted, ReadTainted(ds));
  }

  // Apply. Agents concerned are gathered from the old versions before anything moves and from
  // the new ones after everything moved, so a change anywhere on an entry's path is caught.
  const int64_t revision = events.back().revision;
  IdSet concerned;
  bool everyone = false;
  {
    absl::MutexLock lock(&mu_);
    Index& index = *index_;
    for (const auto& [id, value] : changes.entries) {
      if (auto old = index.FindEntry(id); old != nullptr) {
        index.AgentsConcernedBy(old->entry, concerned);
      }
    }
    for (const auto& [id, value] : changes.nodes) {
      concerned.insert(id);
    }
    for (auto& [id, value] : changes.entries) {
      std::shared_ptr<const RegistryEntry> old = index.FindEntry(id);
      if (!value.has_value()) {
        index.RemoveEntry(id);
      } else if (old == nullptr || !SameVersion(old->entry, *value)) {
        index.PutEntry(std::make_shared<const RegistryEntry>(
            RegistryEntry{.entry = *std::move(value), .changed_at = revision}));
      }
    }
    for (auto& [id, value] : changes.nodes) {
      if (value.has_value()) {
        index.PutNode(SortedNode(*std::move(value)));
      } else {
        index.RemoveNode(id);
      }
    }
    for (auto& [td, value] : changes.bundles) {
      std::shared_ptr<const RegistryBundle> old = index.FindBundle(td);
      if (!value.has_value()) {
        everyone |= old != nullptr;
        index.RemoveBundle(td);
      } else if (old == nullptr || !SameBundle(old->record, *value)) {
        everyone = true;
        index.PutBundle(std::make_shared<const RegistryBundle>(
            RegistryBundle{.record = *std::move(value), .changed_at = revision}));
      }
    }
    if (changes.tainted.has_value() && *changes.tainted != index.tainted()) {
      everyone = true;
      index.set_tainted(*std::move(changes.tainted));
    }
    for (const auto& [id, value] : changes.entries) {
      if (auto now = index.FindEntry(id); now != nullptr) {
        index.AgentsConcernedBy(now->entry, concerned);
      }
    }
    index.set_revision(revision);
  }
  Notify(concerned, everyone);
  return events.size() == static_cast<size_t>(kEventBatch);
}

void Registry::Notify(const IdSet& agents, bool everyone) {
  absl::MutexLock lock(&subscribers_mu_);
  if (everyone) {
    for (const auto& [agent, subscriptions] : subscribers_) {
      for (Subscription* s : subscriptions) {
        s->callback_();
      }
    }
    return;
  }
  // Walk whichever side is smaller: a bulk change may concern many agents few of which are
  // connected to this server, or few agents among many connections.
  if (agents.size() <= subscribers_.size()) {
    for (const std::string& agent : agents) {
      auto it = subscribers_.find(agent);
      if (it != subscribers_.end()) {
        for (Subscription* s : it->second) {
          s->callback_();
        }
      }
    }
  } else {
    for (const auto& [agent, subscriptions] : subscribers_) {
      if (agents.contains(agent)) {
        for (Subscription* s : subscriptions) {
          s->callback_();
        }
      }
    }
  }
}

int64_t Registry::revision() const {
  absl::ReaderMutexLock lock(&mu_);
  return index_->revision();
}

std::shared_ptr<const AttestedNode> Registry::FindNode(const SpiffeId& agent_id) const {
  absl::ReaderMutexLock lock(&mu_);
  return index_->FindNode(agent_id.str());
}

AgentView Registry::ViewFor(const SpiffeId& agent_id) const {
  AgentView view;
  absl::ReaderMutexLock lock(&mu_);
  const Index& index = *index_;
  view.revision = index.revision();
  view.entries = index.EntriesFor(agent_id.str());
  view.tainted_authorities = index.tainted();

  std::vector<std::string> domains = {options_.trust_domain.name()};
  for (const auto& stored : view.entries) {
    for (const TrustDomain& td : stored->entry.federates_with) {
      domains.push_back(td.name());
    }
  }
  std::sort(domains.begin(), domains.end());
  domains.erase(std::unique(domains.begin(), domains.end()), domains.end());
  for (const std::string& td : domains) {
    if (auto bundle = index.FindBundle(td); bundle != nullptr) {
      view.bundles.push_back(std::move(bundle));
    }
  }
  return view;
}

std::vector<absl::StatusOr<std::shared_ptr<const RegistryEntry>>> Registry::AuthorizedEntries(
    const SpiffeId& agent_id, const std::vector<std::string_view>& entry_ids) const {
  std::vector<absl::StatusOr<std::shared_ptr<const RegistryEntry>>> out;
  out.reserve(entry_ids.size());
  absl::ReaderMutexLock lock(&mu_);
  for (std::string_view id : entry_ids) {
    std::shared_ptr<const RegistryEntry> entry = index_->FindEntry(id);
    if (entry == nullptr) {
      out.push_back(absl::NotFoundError(absl::StrCat("entry ", AsAbsl(id), " does not exist")));
    } else if (!index_->IsAuthorized(entry->entry, agent_id.str())) {
      out.push_back(absl::PermissionDeniedError(
          absl::StrCat("entry ", AsAbsl(id), " is not authorized for agent ", agent_id.str())));
    } else {
      out.push_back(std::move(entry));
    }
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const RegistryEntry>> Registry::AuthorizedEntry(
    const SpiffeId& agent_id, std::string_view entry_id) const {
  return std::move(AuthorizedEntries(agent_id, {entry_id}).front());
}

std::unique_ptr<Registry::Subscription> Registry::Subscribe(const SpiffeId& agent_id,
                                                            ChangeCallback callback) {
  std::unique_ptr<Subscription> subscription(
      new Subscription(this, agent_id.str(), std::move(callback)));
  absl::MutexLock lock(&subscribers_mu_);
  subscribers_[subscription->agent_id_].push_back(subscription.get());
  return subscription;
}

Registry::Subscription::~Subscription() {
  absl::MutexLock lock(&registry_->subscribers_mu_);
  auto it = registry_->subscribers_.find(agent_id_);
  if (it == registry_->subscribers_.end()) {
    return;
  }
  std::vector<Subscription*>& list = it->second;
  list.erase(std::remove(list.begin(), list.end(), this), list.end());
  if (list.empty()) {
    registry_->subscribers_.erase(it);
  }
}

size_t Registry::entry_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return index_->entry_count();
}

size_t Registry::node_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return index_->node_count();
}

}  // namespace sigil::server
