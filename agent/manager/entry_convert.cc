#include "agent/manager/entry_convert.h"

#include "absl/strings/str_cat.h"

#include "sigil/status.h"

namespace sigil::agent {

absl::StatusOr<AgentEntry> EntryFromProto(const sigil::node::v1::Entry& in) {
  auto bad = [&](std::string_view field, const absl::Status& s) {
    return absl::InvalidArgumentError(
        absl::StrCat("entry ", in.id(), ": ", AsAbsl(field), ": ", s.message()));
  };
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(in.spiffe_id());
  if (!id.ok()) {
    return bad("spiffe_id", id.status());
  }
  AgentEntry out{.entry_id = in.id(), .spiffe_id = *std::move(id)};
  if (in.selectors_size() > static_cast<int>(kMaxEntrySelectors) ||
      in.federates_with_size() > static_cast<int>(kMaxEntryFederatesWith) ||
      in.dns_names_size() > static_cast<int>(kMaxEntryDnsNames)) {
    return absl::InvalidArgumentError(absl::StrCat("entry ", in.id(), ": too many selectors, ",
                                                   "federated trust domains or DNS names"));
  }
  for (const sigil::node::v1::Selector& s : in.selectors()) {
    out.selectors.push_back({s.type(), s.value()});
  }
  for (const std::string& name : in.federates_with()) {
    absl::StatusOr<TrustDomain> td = TrustDomain::FromString(name);
    if (!td.ok()) {
      return bad("federates_with", td.status());
    }
    out.federates_with.push_back(*std::move(td));
  }
  out.dns_names.assign(in.dns_names().begin(), in.dns_names().end());
  out.x509_svid_ttl = absl::Seconds(in.x509_svid_ttl());
  out.jwt_svid_ttl = absl::Seconds(in.jwt_svid_ttl());
  out.hint = in.hint();
  out.revision = in.revision();
  out.created_at = absl::FromUnixSeconds(in.created_at());
  SIGIL_RETURN_IF_ERROR(ValidateAgentEntry(out));
  return out;
}

}  // namespace sigil::agent
