// The SQLite implementation of DataStore: one database file (plus SQLite's -wal and -shm
// beside it, all mode 0600) in write-ahead-log mode with synchronous=FULL, so an acknowledged
// write is on disk before the call returns and a killed process loses nothing it acknowledged.
// One connection serves every call under a mutex: the server keeps its working set in memory,
// so the datastore is off the hot path and a single writer is enough.
//
// Limitation: every call waits for the one before it, reads included, so a 100,000-entry
// CreateEntries (about 3 s) stalls other datastore calls for that long. Each single write
// costs one fsync (0.3 to 4 ms on the build machine), about 250 to 3,000 writes a second;
// concurrent single writes are not grouped into one commit.
#ifndef SIGIL_SERVER_DATASTORE_SQLITE_DATASTORE_H_
#define SIGIL_SERVER_DATASTORE_SQLITE_DATASTORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

#include "server/datastore/datastore.h"

namespace sigil::server {

namespace sqlite {
class Connection;
}

struct SqliteDataStoreOptions {
  // How long a call waits for another process holding the database lock before failing with
  // kUnavailable.
  absl::Duration busy_timeout = absl::Seconds(5);
  DataStoreClock clock = [] { return absl::Now(); };
};

// Opens the database at `path`, creating the file (mode 0600) when absent, and applies every
// schema migration it lacks. Fails with kFailedPrecondition when the file's schema is newer
// than this binary's, kDataLoss when the file is not an SQLite database, kUnavailable or
// kPermissionDenied when it cannot be opened or written. The caller owns the store; closing
// it (destroying it) closes the file.
absl::StatusOr<std::unique_ptr<DataStore>> OpenSqliteDataStore(const std::string& path,
                                                               SqliteDataStoreOptions options);

// The schema version this binary creates and accepts at most.
int64_t SqliteSchemaVersion();

class SqliteDataStore final : public DataStore {
 public:
  SqliteDataStore(std::unique_ptr<sqlite::Connection> db, DataStoreClock clock);
  ~SqliteDataStore() override;

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
  absl::Mutex mu_;
  const std::unique_ptr<sqlite::Connection> db_ ABSL_GUARDED_BY(mu_);
  const DataStoreClock clock_;
};

}  // namespace sigil::server

#endif  // SIGIL_SERVER_DATASTORE_SQLITE_DATASTORE_H_
