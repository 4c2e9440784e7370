#include "agent/cache/agent_entry.h"

#include <tuple>

#include "absl/strings/str_cat.h"

#include "sigil/status.h"

namespace sigil::agent {
namespace {

absl::Status Invalid(const AgentEntry& entry, std::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat("entry \"", entry.entry_id, "\": ", AsAbsl(rule)));
}

}  // namespace

absl::Status ValidateAgentEntry(const AgentEntry& entry) {
  if (entry.entry_id.empty() || entry.entry_id.size() > kMaxEntryIdLength) {
    return Invalid(entry, absl::StrCat("entry_id must be 1 to ", kMaxEntryIdLength, " bytes"));
  }
  if (entry.spiffe_id.IsTrustDomainId()) {
    return Invalid(entry, "spiffe_id must have a path");
  }
  if (entry.selectors.empty() || entry.selectors.size() > kMaxEntrySelectors) {
    return Invalid(entry, absl::StrCat("must have 1 to ", kMaxEntrySelectors, " selectors"));
  }
  for (const Selector& s : entry.selectors) {
    if (s.type.empty() || s.value.empty()) {
      return Invalid(entry, "selector type and value must not be empty");
    }
  }
  if (entry.federates_with.size() > kMaxEntryFederatesWith) {
    return Invalid(
        entry, absl::StrCat("federates with more than ", kMaxEntryFederatesWith, " trust domains"));
  }
  if (entry.dns_names.size() > kMaxEntryDnsNames) {
    return Invalid(entry, absl::StrCat("has more than ", kMaxEntryDnsNames, " DNS names"));
  }
  if (entry.hint.size() > kMaxEntryHintLength) {
    return Invalid(entry, absl::StrCat("hint is longer than ", kMaxEntryHintLength, " bytes"));
  }
  if (entry.x509_svid_ttl < absl::ZeroDuration() || entry.jwt_svid_ttl < absl::ZeroDuration()) {
    return Invalid(entry, "TTLs must not be negative");
  }
  return absl::OkStatus();
}

bool PresentedBefore(const AgentEntry& a, const AgentEntry& b) {
  return std::tie(a.created_at, a.entry_id) < std::tie(b.created_at, b.entry_id);
}

}  // namespace sigil::agent
