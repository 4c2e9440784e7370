#include "server/registry/notifying_datastore.h"

namespace sigil::server {

absl::StatusOr<RegistrationEntry> NotifyingDataStore::CreateEntry(RegistrationEntry entry) {
  return Notified(inner_->CreateEntry(std::move(entry)));
}
absl::StatusOr<std::vector<RegistrationEntry>> NotifyingDataStore::CreateEntries(
    std::vector<RegistrationEntry> entries) {
  return Notified(inner_->CreateEntries(std::move(entries)));
}
absl::StatusOr<RegistrationEntry> NotifyingDataStore::UpdateEntry(
    const RegistrationEntry& entry, std::optional<int64_t> expected_revision) {
  return Notified(inner_->UpdateEntry(entry, expected_revision));
}
absl::StatusOr<RegistrationEntry> NotifyingDataStore::DeleteEntry(std::string_view entry_id) {
  return Notified(inner_->DeleteEntry(entry_id));
}
absl::StatusOr<RegistrationEntry> NotifyingDataStore::FetchEntry(std::string_view entry_id) {
  return inner_->FetchEntry(entry_id);
}
absl::StatusOr<Page<RegistrationEntry>> NotifyingDataStore::ListEntries(const EntryFilter& filter,
                                                                        const PageRequest& page) {
  return inner_->ListEntries(filter, page);
}
absl::StatusOr<int64_t> NotifyingDataStore::CountEntries(const EntryFilter& filter) {
  return inner_->CountEntries(filter);
}

absl::StatusOr<AttestedNode> NotifyingDataStore::CreateNode(const AttestedNode& node) {
  return Notified(inner_->CreateNode(node));
}
absl::StatusOr<AttestedNode> NotifyingDataStore::UpdateNode(const AttestedNode& node) {
  return Notified(inner_->UpdateNode(node));
}
absl::Status NotifyingDataStore::RecordNodeSeen(const SpiffeId& node_id, absl::Time seen_at,
                                                std::string_view address) {
  return inner_->RecordNodeSeen(node_id, seen_at, address);
}
absl::StatusOr<AttestedNode> NotifyingDataStore::FetchNode(const SpiffeId& node_id) {
  return inner_->FetchNode(node_id);
}
absl::StatusOr<Page<AttestedNode>> NotifyingDataStore::ListNodes(const NodeFilter& filter,
                                                                 const PageRequest& page) {
  return inner_->ListNodes(filter, page);
}
absl::StatusOr<int64_t> NotifyingDataStore::CountNodes(const NodeFilter& filter) {
  return inner_->CountNodes(filter);
}
absl::StatusOr<AttestedNode> NotifyingDataStore::BanNode(const SpiffeId& node_id) {
  return Notified(inner_->BanNode(node_id));
}
absl::StatusOr<AttestedNode> NotifyingDataStore::EvictNode(const SpiffeId& node_id) {
  return Notified(inner_->EvictNode(node_id));
}

absl::Status NotifyingDataStore::CreateJoinToken(const JoinToken& token) {
  return inner_->CreateJoinToken(token);
}
absl::StatusOr<JoinToken> NotifyingDataStore::ConsumeJoinToken(const SecretBytes& token) {
  return inner_->ConsumeJoinToken(token);
}
absl::StatusOr<int64_t> NotifyingDataStore::PruneJoinTokens(absl::Time expired_before) {
  return inner_->PruneJoinTokens(expired_before);
}

absl::StatusOr<BundleRecord> NotifyingDataStore::SetBundle(const BundleRecord& bundle) {
  return Notified(inner_->SetBundle(bundle));
}
absl::StatusOr<BundleRecord> NotifyingDataStore::FetchBundle(const TrustDomain& trust_domain) {
  return inner_->FetchBundle(trust_domain);
}
absl::StatusOr<std::vector<BundleRecord>> NotifyingDataStore::ListBundles() {
  return inner_->ListBundles();
}
absl::Status NotifyingDataStore::DeleteBundle(const TrustDomain& trust_domain) {
  return Notified(inner_->DeleteBundle(trust_domain));
}

absl::StatusOr<AuthorityRecord> NotifyingDataStore::UpsertAuthority(
    const AuthorityRecord& authority) {
  return Notified(inner_->UpsertAuthority(authority));
}
absl::StatusOr<AuthorityRecord> NotifyingDataStore::FetchAuthority(AuthorityKind kind,
                                                                   std::string_view authority_id) {
  return inner_->FetchAuthority(kind, authority_id);
}
absl::StatusOr<std::vector<AuthorityRecord>> NotifyingDataStore::ListAuthorities(
    std::optional<AuthorityKind> kind) {
  return inner_->ListAuthorities(kind);
}
absl::Status NotifyingDataStore::DeleteAuthority(AuthorityKind kind,
                                                 std::string_view authority_id) {
  return Notified(inner_->DeleteAuthority(kind, authority_id));
}

absl::StatusOr<FederationRelationship> NotifyingDataStore::SetFederationRelationship(
    const FederationRelationship& relationship) {
  return Notified(inner_->SetFederationRelationship(relationship));
}
absl::StatusOr<FederationRelationship> NotifyingDataStore::FetchFederationRelationship(
    const TrustDomain& trust_domain) {
  return inner_->FetchFederationRelationship(trust_domain);
}
absl::StatusOr<std::vector<FederationRelationship>>
NotifyingDataStore::ListFederationRelationships() {
  return inner_->ListFederationRelationships();
}
absl::Status NotifyingDataStore::DeleteFederationRelationship(const TrustDomain& trust_domain) {
  return Notified(inner_->DeleteFederationRelationship(trust_domain));
}
absl::Status NotifyingDataStore::RecordFederationRefresh(const TrustDomain& trust_domain,
                                                         const FederationRefreshState& refresh) {
  return inner_->RecordFederationRefresh(trust_domain, refresh);
}

absl::Status NotifyingDataStore::AppendIssuances(absl::Span<const IssuanceRecord> records) {
  return inner_->AppendIssuances(records);
}
absl::StatusOr<Page<IssuanceRecord>> NotifyingDataStore::ListIssuances(const IssuanceFilter& filter,
                                                                       const PageRequest& page) {
  return inner_->ListIssuances(filter, page);
}
absl::StatusOr<int64_t> NotifyingDataStore::PruneIssuances(absl::Time issued_before) {
  return inner_->PruneIssuances(issued_before);
}

absl::StatusOr<std::vector<Event>> NotifyingDataStore::ListEventsSince(int64_t after_revision,
                                                                       int32_t limit) {
  return inner_->ListEventsSince(after_revision, limit);
}
absl::StatusOr<int64_t> NotifyingDataStore::CurrentRevision() { return inner_->CurrentRevision(); }
absl::StatusOr<int64_t> NotifyingDataStore::PruneEvents(absl::Time recorded_before) {
  return inner_->PruneEvents(recorded_before);
}

}  // namespace sigil::server
