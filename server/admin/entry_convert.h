// Registration entries and filters between the admin API's protobuf messages and the
// datastore's records. Parsing validates the syntax of every field (SPIFFE IDs, selectors,
// trust domains) and names the field in its error; the rules that need the server's state
// (trust domain, parents, TTL caps) are entry_rules.h's.
#ifndef SIGIL_SERVER_ADMIN_ENTRY_CONVERT_H_
#define SIGIL_SERVER_ADMIN_ENTRY_CONVERT_H_

#include "absl/status/statusor.h"

#include "admin.pb.h"
#include "server/datastore/datastore.h"
#include "server/datastore/types.h"

namespace sigil::server {

// The caller-owned fields of `proto` as a record; revision and times are ignored. Fails with
// kInvalidArgument naming the field and the rule: "spiffe_id is required", "parent_id: trust
// domain has an uppercase letter at byte 12", "selectors[1]: selector type is empty",
// "federates_with[0]: ...", "x509_svid_ttl is negative", and every rule of
// ValidateRegistrationEntry.
absl::StatusOr<RegistrationEntry> EntryFromProto(const sigil::admin::v1::Entry& proto);

void EntryToProto(const RegistrationEntry& entry, sigil::admin::v1::Entry* proto);

// An empty string member does not filter. kInvalidArgument naming "filter.<field>".
absl::StatusOr<EntryFilter> EntryFilterFromProto(const sigil::admin::v1::EntryFilter& proto);

void SelectorToProto(const Selector& selector, sigil::admin::v1::Selector* proto);

// Unix seconds, 0 for absl::InfinitePast() and anything before the epoch.
int64_t ToUnixSecondsOrZero(absl::Time t);

}  // namespace sigil::server

#endif  // SIGIL_SERVER_ADMIN_ENTRY_CONVERT_H_
