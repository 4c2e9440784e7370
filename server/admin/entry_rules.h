// The registration entry rules that depend on the server rather than on the entry alone:
// which trust domain entries may name, how long their SVIDs may live, and which parents exist.
// EntryService applies them to every create and update before anything is written.
#ifndef SIGIL_SERVER_ADMIN_ENTRY_RULES_H_
#define SIGIL_SERVER_ADMIN_ENTRY_RULES_H_

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

#include "server/datastore/datastore.h"
#include "server/datastore/types.h"
#include "sigil/spiffe_id.h"

namespace sigil::server {

struct EntryPolicy {
  TrustDomain trust_domain;
  // No SVID outlives the CA that signs it, so a longer TTL could never be honoured.
  absl::Duration max_svid_ttl;
};

// Checks what EntryFromProto cannot: spiffe_id and parent_id belong to the server's trust
// domain and have a path; federates_with does not name the server's own trust domain; TTLs
// are at most the CA TTL; expires_at is after `now`. kInvalidArgument naming the field and
// the rule, e.g. "spiffe_id spiffe://other.org/x is outside the server's trust domain
// example.org".
absl::Status CheckEntryPolicy(const RegistrationEntry& entry, const EntryPolicy& policy,
                              absl::Time now);

// Decides whether a parent_id names something that exists, as SPIRE understands parents: the
// server's node-alias parent (spiffe://<td>/sigil/server), an attested agent, or the
// spiffe_id of another entry (stored, or created in the same batch). Answers are cached for
// the resolver's life, which is one request. Not thread-safe; borrows `datastore`.
class ParentResolver {
 public:
  ParentResolver(DataStore& datastore, const TrustDomain& trust_domain);

  // Counts `id` as an existing entry SPIFFE ID (one being created in the same batch).
  void AddPending(const SpiffeId& id);

  // OK when `parent` exists; kInvalidArgument "parent_id <id> is unknown: ..." naming what a
  // parent may be when it does not; the datastore's error when it cannot tell.
  absl::Status CheckKnown(const SpiffeId& parent);

 private:
  DataStore& datastore_;
  const SpiffeId server_id_;
  absl::flat_hash_set<SpiffeId> pending_;
  absl::flat_hash_map<SpiffeId, bool> known_;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_ADMIN_ENTRY_RULES_H_
