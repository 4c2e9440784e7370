#include "server/admin/entry_rules.h"

#include <string>

#include "absl/strings/str_cat.h"

#include "server/admin/well_known_ids.h"
#include "sigil/status.h"

namespace sigil::server {
namespace {

absl::Status CheckOwnTrustDomain(std::string_view field, const SpiffeId& id,
                                 const TrustDomain& td) {
  if (!id.MemberOf(td)) {
    return absl::InvalidArgumentError(absl::StrCat(
        AsAbsl(field), " ", id.str(), " is outside the server's trust domain ", td.name()));
  }
  if (id.IsTrustDomainId()) {
    return absl::InvalidArgumentError(absl::StrCat(
        AsAbsl(field), " ", id.str(), " names the trust domain itself: it needs a path"));
  }
  return absl::OkStatus();
}

absl::Status CheckTtl(std::string_view field, int32_t seconds, absl::Duration max) {
  if (seconds < 0) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), " is negative"));
  }
  if (absl::Seconds(seconds) > max) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), " ", seconds,
                                                   "s is longer than the CA TTL (",
                                                   absl::ToInt64Seconds(max), "s)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckEntryPolicy(const RegistrationEntry& entry, const EntryPolicy& policy,
                              absl::Time now) {
  SIGIL_RETURN_IF_ERROR(CheckOwnTrustDomain("spiffe_id", entry.spiffe_id, policy.trust_domain));
  SIGIL_RETURN_IF_ERROR(CheckOwnTrustDomain("parent_id", entry.parent_id, policy.trust_domain));
  SIGIL_RETURN_IF_ERROR(
      CheckTtl("x509_svid_ttl", entry.x509_svid_ttl_seconds, policy.max_svid_ttl));
  SIGIL_RETURN_IF_ERROR(CheckTtl("jwt_svid_ttl", entry.jwt_svid_ttl_seconds, policy.max_svid_ttl));
  for (size_t i = 0; i < entry.federates_with.size(); ++i) {
    if (entry.federates_with[i] == policy.trust_domain) {
      return absl::InvalidArgumentError(
          absl::StrCat("federates_with[", i, "] ", policy.trust_domain.name(),
                       " is the server's own trust domain: only foreign ones are federated"));
    }
  }
  if (entry.expires_at.has_value() && *entry.expires_at <= now) {
    return absl::InvalidArgumentError(
        absl::StrCat("expires_at ",
                     absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *entry.expires_at, absl::UTCTimeZone()),
                     " is in the past"));
  }
  return absl::OkStatus();
}

ParentResolver::ParentResolver(DataStore& datastore, const TrustDomain& trust_domain)
    : datastore_(datastore), server_id_(ServerSpiffeId(trust_domain)) {}

void ParentResolver::AddPending(const SpiffeId& id) { pending_.insert(id); }

absl::Status ParentResolver::CheckKnown(const SpiffeId& parent) {
  if (parent == server_id_ || pending_.contains(parent)) {
    return absl::OkStatus();
  }
  auto cached = known_.find(parent);
  if (cached == known_.end()) {
    bool exists = false;
    absl::StatusOr<AttestedNode> node = datastore_.FetchNode(parent);
    if (node.ok()) {
      exists = true;
    } else if (!absl::IsNotFound(node.status())) {
      return node.status();
    } else {
      EntryFilter filter;
      filter.spiffe_id = parent;
      SIGIL_ASSIGN_OR_RETURN(const int64_t count, datastore_.CountEntries(filter));
      exists = count > 0;
    }
    cached = known_.emplace(parent, exists).first;
  }
  if (!cached->second) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parent_id ", parent.str(),
        " is unknown: a parent must be an attested agent, another entry's spiffe_id, or ",
        server_id_.str(), " for a node alias"));
  }
  return absl::OkStatus();
}

}  // namespace sigil::server
