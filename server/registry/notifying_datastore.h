// A DataStore that forwards every call to another one and, after each write that appends to
// the change log, calls a hook. The server wraps its datastore in one whose hook refreshes the
// registry, so that a change made through any API (admin, node, CA) is in the in-memory
// registry, and pushed to connected agents, by the time the write returns to its caller.
#ifndef SIGIL_SERVER_REGISTRY_NOTIFYING_DATASTORE_H_
#define SIGIL_SERVER_REGISTRY_NOTIFYING_DATASTORE_H_

#include <functional>
#include <memory>

#include "server/datastore/datastore.h"

namespace sigil::server {

class NotifyingDataStore final : public DataStore {
 public:
  // Called after a successful logged write, on the writer's thread, with no datastore lock
  // held. It may read the datastore (Registry::Refresh does) but must not write to it.
  using WriteHook = std::function<void()>;

  // Owns `inner`. The hook may be set later (the registry is made after the datastore).
  explicit NotifyingDataStore(std::unique_ptr<DataStore> inner) : inner_(std::move(inner)) {}

  // Not thread-safe against concurrent writes: set it before writers start.
  void set_write_hook(WriteHook hook) { hook_ = std::move(hook); }
  DataStore& inner() { return *inner_; }

  absl::StatusOr<RegistrationEntry> CreateEntry(RegistrationEntry entry) override;
  absl::StatusOr<std::vector<RegistrationEntry>> CreateEntries(
      std::vector<RegistrationEntry> entries) override;
  absl::StatusOr<RegistrationEntry> UpdateEntry(const RegistrationEntry& entry,
                                                std::optional<int64_t> expected_revision) override;
  absl::StatusOr<RegistrationEntry> DeleteEntry(std::string_view entry_id) override;
  absl::StatusOr<RegistrationEntry> FetchEntry(std::string_view entry_id) override;
  absl::StatusOr<Page<RegistrationEntry>> ListEntries(const EntryFilter& filter,
                                                      const PageRequest& page) override;
  absl::StatusOr<int64_t> CountEntries(const EntryFilter& filter) override;

  absl::StatusOr<AttestedNode> CreateNode(const AttestedNode& node) override;
  absl::StatusOr<AttestedNode> UpdateNode(const AttestedNode& node) override;
  absl::Status RecordNodeSeen(const SpiffeId& node_id, absl::Time seen_at,
                              std::string_view address) override;
  absl::StatusOr<AttestedNode> FetchNode(const SpiffeId& node_id) override;
  absl::StatusOr<Page<AttestedNode>> ListNodes(const NodeFilter& filter,
                                               const PageRequest& page) override;
  absl::StatusOr<int64_t> CountNodes(const NodeFilter& filter) override;
  absl::StatusOr<AttestedNode> BanNode(const SpiffeId& node_id) override;
  absl::StatusOr<AttestedNode> EvictNode(const SpiffeId& node_id) override;

  absl::Status CreateJoinToken(const JoinToken& token) override;
  absl::StatusOr<JoinToken> ConsumeJoinToken(const SecretBytes& token) override;
  absl::StatusOr<int64_t> PruneJoinTokens(absl::Time expired_before) override;

  absl::StatusOr<BundleRecord> SetBundle(const BundleRecord& bundle) override;
  absl::StatusOr<BundleRecord> FetchBundle(const TrustDomain& trust_domain) override;
  absl::StatusOr<std::vector<BundleRecord>> ListBundles() override;
  absl::Status DeleteBundle(const TrustDomain& trust_domain) override;

  absl::StatusOr<AuthorityRecord> UpsertAuthority(const AuthorityRecord& authority) override;
  absl::StatusOr<AuthorityRecord> FetchAuthority(AuthorityKind kind,
                                                 std::string_view authority_id) override;
  absl::StatusOr<std::vector<AuthorityRecord>> ListAuthorities(
      std::optional<AuthorityKind> kind) override;
  absl::Status DeleteAuthority(AuthorityKind kind, std::string_view authority_id) override;

  absl::StatusOr<FederationRelationship> SetFederationRelationship(
      const FederationRelationship& relationship) override;
  absl::StatusOr<FederationRelationship> FetchFederationRelationship(
      const TrustDomain& trust_domain) override;
  absl::StatusOr<std::vector<FederationRelationship>> ListFederationRelationships() override;
  absl::Status DeleteFederationRelationship(const TrustDomain& trust_domain) override;
  absl::Status RecordFederationRefresh(const TrustDomain& trust_domain,
                                       const FederationRefreshState& refresh) override;

  absl::Status AppendIssuances(absl::Span<const IssuanceRecord> records) override;
  absl::StatusOr<Page<IssuanceRecord>> ListIssuances(const IssuanceFilter& filter,
                                                     const PageRequest& page) override;
  absl::StatusOr<int64_t> PruneIssuances(absl::Time issued_before) override;

  absl::StatusOr<std::vector<Event>> ListEventsSince(int64_t after_revision,
                                                     int32_t limit) override;
  absl::StatusOr<int64_t> CurrentRevision() override;
  absl::StatusOr<int64_t> PruneEvents(absl::Time recorded_before) override;

 private:
  // Passes `result` through, calling the hook first when it is OK.
  template <typename T>
  T Notified(T result) {
    if (result.ok() && hook_) {
      hook_();
    }
    return result;
  }

  std::unique_ptr<DataStore> inner_;
  WriteHook hook_;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_REGISTRY_NOTIFYING_DATASTORE_H_
