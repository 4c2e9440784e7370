// What the agent knows of one registration entry authorized for it: the part of the server's
// entry that the Workload API and SVID rotation need. The sync client converts node API
// messages into these; nothing here knows the wire form.
#ifndef SIGIL_AGENT_CACHE_AGENT_ENTRY_H_
#define SIGIL_AGENT_CACHE_AGENT_ENTRY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

#include "attestors/workload/selector.h"
#include "sigil/spiffe_id.h"

namespace sigil::agent {

using attestors::Selector;

inline constexpr size_t kMaxEntryIdLength = 255;
inline constexpr size_t kMaxEntrySelectors = 64;
inline constexpr size_t kMaxEntryFederatesWith = 64;
inline constexpr size_t kMaxEntryDnsNames = 64;
inline constexpr size_t kMaxEntryHintLength = 1024;

struct AgentEntry {
  std::string entry_id;
  // The identity a matching workload gets; never a bare trust domain ID.
  SpiffeId spiffe_id;
  // The entry applies to a workload holding every one of these. The cache keeps them sorted
  // and without duplicates.
  std::vector<Selector> selectors;
  // Trust domains whose bundles a workload with this identity also receives.
  std::vector<TrustDomain> federates_with;
  // For signing: DNS SANs and TTLs (zero means the server's default).
  std::vector<std::string> dns_names;
  absl::Duration x509_svid_ttl = absl::ZeroDuration();
  absl::Duration jwt_svid_ttl = absl::ZeroDuration();
  // Workload API hint (WAPI-26); empty for none.
  std::string hint;
  // Server-side revision; grows on every change of the entry.
  int64_t revision = 0;
  // When the server created the entry: the first key of the presentation order.
  absl::Time created_at = absl::InfinitePast();

  friend bool operator==(const AgentEntry&, const AgentEntry&) = default;
};

// OK when `entry` can be served: entry_id 1 to kMaxEntryIdLength bytes; spiffe_id with a path;
// 1 to kMaxEntrySelectors selectors, each with a non-empty type and value; at most
// kMaxEntryFederatesWith trust domains and kMaxEntryDnsNames DNS names; a hint of at most
// kMaxEntryHintLength bytes; non-negative TTLs. Otherwise kInvalidArgument naming the entry and
// the rule.
absl::Status ValidateAgentEntry(const AgentEntry& entry);

// The order in which a workload's identities are presented (WAPI-27): oldest entry first by
// created_at, ties broken by entry_id. It depends only on the entries, so it is the same in
// every message of a stream and across agent restarts: svids[0], the default identity, stays
// the default until its entry is deleted.
bool PresentedBefore(const AgentEntry& a, const AgentEntry& b);

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_CACHE_AGENT_ENTRY_H_
