// The datastore behind sigil-server: one interface for every backend (SQLite now, PostgreSQL
// later). Callers never see a query language, a connection or a file; they see records
// (types.h) and absl::Status codes.
//
// Contract common to every method:
// - Every write is one transaction: when the call returns OK the change is durable (it
//   survives the process being killed at any later moment); when it returns an error nothing
//   of it was written.
// - kInvalidArgument: a record or filter failed validation; the message names the field.
// - kNotFound: the named record does not exist. kAlreadyExists: a uniqueness rule was hit.
// - kUnavailable / kInternal / kDataLoss / kResourceExhausted: the backend failed; the message
//   carries the backend's own text, never a stored value.
// - Times are stored to the microsecond (truncated); absl::InfiniteFuture() and
//   absl::InfinitePast() round-trip exactly.
// - Implementations are thread-safe; calls may come from any thread.
#ifndef SIGIL_SERVER_DATASTORE_DATASTORE_H_
#define SIGIL_SERVER_DATASTORE_DATASTORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

#include "server/datastore/types.h"
#include "sigil/secret_bytes.h"
#include "sigil/spiffe_id.h"

namespace sigil::server {

// Where a datastore reads the time it stamps on records (created_at, updated_at, event times)
// and judges join-token expiry by. Tests inject a fixed or stepping clock.
using DataStoreClock = std::function<absl::Time()>;

inline constexpr int32_t kDefaultPageSize = 1000;
inline constexpr int32_t kMaxPageSize = 10000;

// One page of a listing. Pass `next_page_token` back to get the next page; it is empty on the
// last page. Tokens are opaque and valid only with the same filter.
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;
};

struct PageRequest {
  int32_t page_size = 0;  // 0: kDefaultPageSize; at most kMaxPageSize
  std::string page_token;
};

// How a filter's selectors are compared with a record's.
enum class SelectorMatch {
  kSuperset,  // the record has every filter selector (and maybe more)
  kExact,     // the record has exactly the filter selectors
  kSubset,    // every selector of the record is among the filter selectors
  kAny,       // the record has at least one of the filter selectors
};

// Unset members do not filter; set ones are combined with AND. Empty `selectors` does not
// filter whatever `selector_match` says.
struct EntryFilter {
  std::optional<SpiffeId> spiffe_id;
  std::optional<SpiffeId> parent_id;
  std::vector<Selector> selectors;
  SelectorMatch selector_match = SelectorMatch::kSuperset;
  std::optional<std::string> owner;
};

struct NodeFilter {
  std::optional<std::string> attestation_type;
  std::optional<bool> banned;
  std::optional<absl::Time> expires_before;  // agent SVID expires_at strictly before this
  std::vector<Selector> selectors;
  SelectorMatch selector_match = SelectorMatch::kSuperset;
};

struct IssuanceFilter {
  std::optional<SpiffeId> spiffe_id;
  std::optional<absl::Time> since;  // issued_at at or after this
};

class DataStore {
 public:
  virtual ~DataStore() = default;

  // --- Registration entries ---------------------------------------------------------------

  // Stores `entry` with a new entry_id when it has none, revision 1 and created_at = updated_at
  // = now, and appends an entry_created event. Returns the stored entry (selectors sorted).
  // kAlreadyExists when the entry_id is taken or another entry has the same spiffe_id,
  // parent_id and selector set (the message names that entry's ID).
  virtual absl::StatusOr<RegistrationEntry> CreateEntry(RegistrationEntry entry) = 0;

  // Creates all of `entries` in one transaction, or none of them: the first failure is
  // returned with "entries[i]: " in front of its message. Duplicates within the batch count.
  virtual absl::StatusOr<std::vector<RegistrationEntry>> CreateEntries(
      std::vector<RegistrationEntry> entries) = 0;

  // Replaces every caller-owned field of the entry with `entry.entry_id`, adds one to its
  // revision, sets updated_at and appends an entry_updated event. With `expected_revision`
  // set, fails with kAborted when the stored revision differs (someone else wrote it since
  // the caller read it). kNotFound when no such entry; kAlreadyExists as for CreateEntry.
  virtual absl::StatusOr<RegistrationEntry> UpdateEntry(
      const RegistrationEntry& entry, std::optional<int64_t> expected_revision) = 0;

  // Deletes the entry, appends an entry_deleted event and returns what was deleted.
  virtual absl::StatusOr<RegistrationEntry> DeleteEntry(std::string_view entry_id) = 0;

  virtual absl::StatusOr<RegistrationEntry> FetchEntry(std::string_view entry_id) = 0;

  // Entries matching `filter`, in creation order. kInvalidArgument for a malformed page token
  // or page size.
  virtual absl::StatusOr<Page<RegistrationEntry>> ListEntries(const EntryFilter& filter,
                                                              const PageRequest& page) = 0;

  virtual absl::StatusOr<int64_t> CountEntries(const EntryFilter& filter) = 0;

  // --- Attested nodes ---------------------------------------------------------------------
  // Node fields are all the caller's; the store stamps nothing on them.

  // Stores a newly attested node and appends a node_created event. kAlreadyExists when a
  // node with that SPIFFE ID exists (evict it first).
  virtual absl::StatusOr<AttestedNode> CreateNode(const AttestedNode& node) = 0;

  // Replaces every field of the stored node except `banned`, which only BanNode changes, so a
  // renewal racing a ban cannot lift it. Appends a node_updated event. kNotFound when absent.
  virtual absl::StatusOr<AttestedNode> UpdateNode(const AttestedNode& node) = 0;

  // Records that the node was seen; appends no event (this is frequent and only inventory).
  virtual absl::Status RecordNodeSeen(const SpiffeId& node_id, absl::Time seen_at,
                                      std::string_view address) = 0;

  virtual absl::StatusOr<AttestedNode> FetchNode(const SpiffeId& node_id) = 0;

  // Nodes matching `filter`, in attestation order.
  virtual absl::StatusOr<Page<AttestedNode>> ListNodes(const NodeFilter& filter,
                                                       const PageRequest& page) = 0;

  virtual absl::StatusOr<int64_t> CountNodes(const NodeFilter& filter) = 0;

  // Marks the node banned (it stays banned until evicted) and appends a node_banned event.
  virtual absl::StatusOr<AttestedNode> BanNode(const SpiffeId& node_id) = 0;

  // Deletes the node (it must attest again), appends a node_evicted event and returns what
  // was deleted.
  virtual absl::StatusOr<AttestedNode> EvictNode(const SpiffeId& node_id) = 0;

  // --- Join tokens ------------------------------------------------------------------------

  // Stores the token's SHA-256, its expiry and alias. kAlreadyExists when the same token is
  // already stored (the message never contains the token).
  virtual absl::Status CreateJoinToken(const JoinToken& token) = 0;

  // Deletes the token and returns it, in one transaction, so a token works once. kNotFound
  // when unknown or already used; kFailedPrecondition when it had expired (it is deleted all
  // the same).
  virtual absl::StatusOr<JoinToken> ConsumeJoinToken(const SecretBytes& token) = 0;

  // Deletes tokens that expired before `expired_before`; returns how many.
  virtual absl::StatusOr<int64_t> PruneJoinTokens(absl::Time expired_before) = 0;

  // --- Bundles ----------------------------------------------------------------------------

  // Creates or replaces the bundle of `bundle.trust_domain`, sets updated_at and appends a
  // bundle_set event.
  virtual absl::StatusOr<BundleRecord> SetBundle(const BundleRecord& bundle) = 0;
  virtual absl::StatusOr<BundleRecord> FetchBundle(const TrustDomain& trust_domain) = 0;
  // Every bundle, own and federated, ordered by trust domain name.
  virtual absl::StatusOr<std::vector<BundleRecord>> ListBundles() = 0;
  // Appends a bundle_deleted event. Entries federating with the trust domain are left alone.
  virtual absl::Status DeleteBundle(const TrustDomain& trust_domain) = 0;

  // --- CA journal -------------------------------------------------------------------------

  // Creates or replaces the authority (kind, authority_id), keeping created_at of an existing
  // record, and appends an authority_set event.
  virtual absl::StatusOr<AuthorityRecord> UpsertAuthority(const AuthorityRecord& authority) = 0;
  virtual absl::StatusOr<AuthorityRecord> FetchAuthority(AuthorityKind kind,
                                                         std::string_view authority_id) = 0;
  // Authorities of `kind` (all when unset), oldest first.
  virtual absl::StatusOr<std::vector<AuthorityRecord>> ListAuthorities(
      std::optional<AuthorityKind> kind) = 0;
  virtual absl::Status DeleteAuthority(AuthorityKind kind, std::string_view authority_id) = 0;

  // --- Federation relationships -----------------------------------------------------------

  // Creates or replaces the relationship's configuration and appends a federation_set event.
  // An existing relationship keeps its refresh state; a new one starts with `refresh` empty
  // whatever the argument holds.
  virtual absl::StatusOr<FederationRelationship> SetFederationRelationship(
      const FederationRelationship& relationship) = 0;
  virtual absl::StatusOr<FederationRelationship> FetchFederationRelationship(
      const TrustDomain& trust_domain) = 0;
  // Ordered by trust domain name.
  virtual absl::StatusOr<std::vector<FederationRelationship>> ListFederationRelationships() = 0;
  virtual absl::Status DeleteFederationRelationship(const TrustDomain& trust_domain) = 0;
  // Records the outcome of a bundle refresh; appends no event.
  virtual absl::Status RecordFederationRefresh(const TrustDomain& trust_domain,
                                               const FederationRefreshState& refresh) = 0;

  // --- Issuance ledger --------------------------------------------------------------------

  // Appends all records in one transaction (batching keeps a renewal burst to one commit).
  virtual absl::Status AppendIssuances(absl::Span<const IssuanceRecord> records) = 0;
  // Records matching `filter`, in append order.
  virtual absl::StatusOr<Page<IssuanceRecord>> ListIssuances(const IssuanceFilter& filter,
                                                             const PageRequest& page) = 0;
  // Deletes records issued before `issued_before`; returns how many.
  virtual absl::StatusOr<int64_t> PruneIssuances(absl::Time issued_before) = 0;

  // --- Change log -------------------------------------------------------------------------

  // Up to `limit` events (1 to kMaxPageSize; 0 means kDefaultPageSize) with a revision
  // greater than `after_revision`, in revision order. kOutOfRange when events right after
  // `after_revision` were already pruned: the caller must reload everything and resume from
  // CurrentRevision().
  virtual absl::StatusOr<std::vector<Event>> ListEventsSince(int64_t after_revision,
                                                             int32_t limit) = 0;
  // The revision of the newest event ever appended (0 when none), pruned or not.
  virtual absl::StatusOr<int64_t> CurrentRevision() = 0;
  // Deletes events recorded before `recorded_before`; returns how many.
  virtual absl::StatusOr<int64_t> PruneEvents(absl::Time recorded_before) = 0;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_DATASTORE_DATASTORE_H_
