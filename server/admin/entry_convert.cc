#include "server/admin/entry_convert.h"

#include <string>

#include "absl/strings/str_cat.h"

#include "sigil/status.h"

namespace sigil::server {
namespace {

absl::StatusOr<SpiffeId> ParseIdField(std::string_view field, const std::string& text) {
  if (text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), " is required"));
  }
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(text);
  if (!id.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": ", id.status().message()));
  }
  return id;
}

absl::StatusOr<Selector> SelectorFromProto(std::string_view field,
                                           const sigil::admin::v1::Selector& proto) {
  Selector selector{proto.type(), proto.value()};
  if (absl::Status s = ValidateSelector(selector); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": ", s.message()));
  }
  return selector;
}

}  // namespace

absl::StatusOr<RegistrationEntry> EntryFromProto(const sigil::admin::v1::Entry& proto) {
  SIGIL_ASSIGN_OR_RETURN(SpiffeId spiffe_id, ParseIdField("spiffe_id", proto.spiffe_id()));
  SIGIL_ASSIGN_OR_RETURN(SpiffeId parent_id, ParseIdField("parent_id", proto.parent_id()));
  RegistrationEntry entry{
      .entry_id = proto.id(), .spiffe_id = std::move(spiffe_id), .parent_id = std::move(parent_id)};
  if (proto.selectors_size() > static_cast<int>(kMaxEntrySelectors)) {
    return absl::InvalidArgumentError(absl::StrCat("selectors has ", proto.selectors_size(),
                                                   " selectors, more than ", kMaxEntrySelectors));
  }
  for (int i = 0; i < proto.selectors_size(); ++i) {
    SIGIL_ASSIGN_OR_RETURN(Selector selector, SelectorFromProto(absl::StrCat("selectors[", i, "]"),
                                                                proto.selectors(i)));
    entry.selectors.push_back(std::move(selector));
  }
  entry.x509_svid_ttl_seconds = proto.x509_svid_ttl();
  entry.jwt_svid_ttl_seconds = proto.jwt_svid_ttl();
  entry.dns_names.assign(proto.dns_names().begin(), proto.dns_names().end());
  if (proto.federates_with_size() > static_cast<int>(kMaxFederatesWith)) {
    return absl::InvalidArgumentError(
        absl::StrCat("federates_with has ", proto.federates_with_size(),
                     " trust domains, more than ", kMaxFederatesWith));
  }
  for (int i = 0; i < proto.federates_with_size(); ++i) {
    absl::StatusOr<TrustDomain> td = TrustDomain::FromString(proto.federates_with(i));
    if (!td.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("federates_with[", i, "]: ", td.status().message()));
    }
    entry.federates_with.push_back(*std::move(td));
  }
  entry.admin = proto.admin();
  entry.downstream = proto.downstream();
  entry.hint = proto.hint();
  if (proto.expires_at() < 0) {
    return absl::InvalidArgumentError("expires_at is negative: it is Unix seconds, 0 for never");
  }
  if (proto.expires_at() != 0) {
    entry.expires_at = absl::FromUnixSeconds(proto.expires_at());
  }
  entry.owner = proto.owner();
  entry.description = proto.description();
  SIGIL_RETURN_IF_ERROR(ValidateRegistrationEntry(entry));
  return entry;
}

int64_t ToUnixSecondsOrZero(absl::Time t) {
  if (t <= absl::UnixEpoch()) {
    return 0;
  }
  return absl::ToUnixSeconds(t);
}

void SelectorToProto(const Selector& selector, sigil::admin::v1::Selector* proto) {
  proto->set_type(selector.type);
  proto->set_value(selector.value);
}

void EntryToProto(const RegistrationEntry& entry, sigil::admin::v1::Entry* proto) {
  proto->set_id(entry.entry_id);
  proto->set_spiffe_id(entry.spiffe_id.str());
  proto->set_parent_id(entry.parent_id.str());
  for (const Selector& selector : entry.selectors) {
    SelectorToProto(selector, proto->add_selectors());
  }
  proto->set_x509_svid_ttl(entry.x509_svid_ttl_seconds);
  proto->set_jwt_svid_ttl(entry.jwt_svid_ttl_seconds);
  for (const std::string& name : entry.dns_names) {
    proto->add_dns_names(name);
  }
  for (const TrustDomain& td : entry.federates_with) {
    proto->add_federates_with(td.name());
  }
  proto->set_admin(entry.admin);
  proto->set_downstream(entry.downstream);
  proto->set_hint(entry.hint);
  proto->set_expires_at(entry.expires_at.has_value() ? ToUnixSecondsOrZero(*entry.expires_at) : 0);
  proto->set_revision(entry.revision);
  proto->set_owner(entry.owner);
  proto->set_description(entry.description);
  proto->set_created_at(ToUnixSecondsOrZero(entry.created_at));
  proto->set_updated_at(ToUnixSecondsOrZero(entry.updated_at));
}

absl::StatusOr<EntryFilter> EntryFilterFromProto(const sigil::admin::v1::EntryFilter& proto) {
  EntryFilter filter;
  if (!proto.spiffe_id().empty()) {
    SIGIL_ASSIGN_OR_RETURN(filter.spiffe_id, ParseIdField("filter.spiffe_id", proto.spiffe_id()));
  }
  if (!proto.parent_id().empty()) {
    SIGIL_ASSIGN_OR_RETURN(filter.parent_id, ParseIdField("filter.parent_id", proto.parent_id()));
  }
  if (proto.selectors_size() > static_cast<int>(kMaxEntrySelectors)) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter.selectors has more than ", kMaxEntrySelectors, " selectors"));
  }
  for (int i = 0; i < proto.selectors_size(); ++i) {
    SIGIL_ASSIGN_OR_RETURN(
        Selector selector,
        SelectorFromProto(absl::StrCat("filter.selectors[", i, "]"), proto.selectors(i)));
    filter.selectors.push_back(std::move(selector));
  }
  filter.selector_match = SelectorMatch::kSuperset;
  if (!proto.owner().empty()) {
    filter.owner = proto.owner();
  }
  return filter;
}

}  // namespace sigil::server
