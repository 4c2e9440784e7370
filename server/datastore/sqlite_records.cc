// Bundles, the CA journal, federation relationships and the issuance ledger in SQLite: flat
// records with no child tables.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include <nlohmann/json.hpp>

#include "server/datastore/sqlite_datastore.h"
#include "server/datastore/sqlite_db.h"
#include "server/datastore/sqlite_queries.h"
#include "sigil/status.h"

namespace sigil::server {

using sqlite::Connection;
using sqlite::Statement;
using sqlite::Transaction;
using sqlite::WhereClause;

namespace {

absl::StatusOr<TrustDomain> StoredTrustDomain(std::string_view text, std::string_view table) {
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString(text);
  if (!td.ok()) {
    return absl::DataLossError(
        absl::StrCat(AsAbsl(table), " holds a malformed trust domain: ", td.status().message()));
  }
  return td;
}

absl::StatusOr<SpiffeId> StoredSpiffeId(std::string_view text, std::string_view what) {
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(text);
  if (!id.ok()) {
    return absl::DataLossError(
        absl::StrCat("stored ", AsAbsl(what), " is malformed: ", id.status().message()));
  }
  return id;
}

// Runs a statement that changes at most one row and reports kNotFound with `missing` when it
// changed none.
absl::Status RunOnOne(Statement& stmt, std::string missing) {
  SIGIL_RETURN_IF_ERROR(stmt.Run());
  if (stmt.Changes() == 0) {
    return absl::NotFoundError(std::move(missing));
  }
  return absl::OkStatus();
}

// --- Bundles ---

constexpr absl::string_view kBundleColumns =
    "trust_domain, document, sequence_number, updated_at FROM bundles";

absl::StatusOr<BundleRecord> BundleFromRow(const Statement& s) {
  SIGIL_ASSIGN_OR_RETURN(TrustDomain td, StoredTrustDomain(s.Text(0), "bundles"));
  return BundleRecord{.trust_domain = std::move(td),
                      .document = s.Text(1),
                      .sequence_number = s.Int(2),
                      .updated_at = s.Time(3)};
}

absl::StatusOr<BundleRecord> ReadBundle(Connection& db, const TrustDomain& td) {
  SIGIL_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(absl::StrCat("SELECT ", kBundleColumns,
                                                                 " WHERE trust_domain = ?")));
  stmt.Bind(td.name());
  SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat("no bundle for trust domain ", td.name()));
  }
  return BundleFromRow(stmt);
}

// --- Authorities ---

constexpr absl::string_view kAuthorityColumns =
    "kind, authority_id, state, tainted, revoked, public_key_der, certificate_der, "
    "upstream_authority_id, not_before, not_after, created_at FROM ca_authorities";

absl::StatusOr<AuthorityRecord> AuthorityFromRow(const Statement& s) {
  absl::StatusOr<AuthorityKind> kind = ParseAuthorityKind(s.Text(0));
  absl::StatusOr<AuthorityState> state = ParseAuthorityState(s.Text(2));
  if (!kind.ok() || !state.ok()) {
    return absl::DataLossError("ca_authorities holds an unknown kind or state");
  }
  return AuthorityRecord{.kind = *kind,
                         .authority_id = s.Text(1),
                         .state = *state,
                         .tainted = s.Bool(3),
                         .revoked = s.Bool(4),
                         .public_key_der = s.Text(5),
                         .certificate_der = s.Text(6),
                         .upstream_authority_id = s.Text(7),
                         .not_before = s.Time(8),
                         .not_after = s.Time(9),
                         .created_at = s.Time(10)};
}

absl::StatusOr<AuthorityRecord> ReadAuthority(Connection& db, AuthorityKind kind,
                                              std::string_view id) {
  SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                         db.Prepare(absl::StrCat("SELECT ", kAuthorityColumns,
                                                 " WHERE kind = ? AND authority_id = ?")));
  stmt.Bind(AuthorityKindName(kind)).Bind(id);
  SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("no ", AsAbsl(AuthorityKindName(kind)), " authority with id ", AsAbsl(id)));
  }
  return AuthorityFromRow(stmt);
}

std::string AuthoritySubject(AuthorityKind kind, std::string_view id) {
  return absl::StrCat(AsAbsl(AuthorityKindName(kind)), ":", AsAbsl(id));
}

// --- Federation ---

constexpr absl::string_view kFederationColumns =
    "trust_domain, bundle_endpoint_url, profile, endpoint_spiffe_id, last_refresh, last_error, "
    "last_sequence FROM federation_relationships";

absl::StatusOr<FederationRelationship> FederationFromRow(const Statement& s) {
  SIGIL_ASSIGN_OR_RETURN(TrustDomain td, StoredTrustDomain(s.Text(0), "federation_relationships"));
  absl::StatusOr<FederationProfile> profile = ParseFederationProfile(s.Text(2));
  if (!profile.ok()) {
    return absl::DataLossError("federation_relationships holds an unknown profile");
  }
  std::optional<SpiffeId> endpoint_id;
  if (!s.IsNull(3)) {
    SIGIL_ASSIGN_OR_RETURN(endpoint_id, StoredSpiffeId(s.Text(3), "endpoint_spiffe_id"));
  }
  return FederationRelationship{
      .trust_domain = std::move(td),
      .bundle_endpoint_url = s.Text(1),
      .profile = *profile,
      .endpoint_spiffe_id = std::move(endpoint_id),
      .refresh = {.last_refresh = s.OptionalTime(4),
                  .last_error = s.Text(5),
                  .last_sequence = s.Int(6)},
  };
}

absl::StatusOr<FederationRelationship> ReadFederation(Connection& db, const TrustDomain& td) {
  SIGIL_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(absl::StrCat("SELECT ", kFederationColumns,
                                                                 " WHERE trust_domain = ?")));
  stmt.Bind(td.name());
  SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("no federation relationship with trust domain ", td.name()));
  }
  return FederationFromRow(stmt);
}

// --- Ledger ---

std::string EncodeAudiences(const std::vector<std::string>& audiences) {
  return nlohmann::json(audiences).dump();
}

absl::StatusOr<std::vector<std::string>> DecodeAudiences(const std::string& text) {
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) {
    return absl::DataLossError("issuance_ledger holds malformed audiences");
  }
  std::vector<std::string> audiences;
  for (const nlohmann::json& item : parsed) {
    if (!item.is_string()) {
      return absl::DataLossError("issuance_ledger holds a non-string audience");
    }
    audiences.push_back(item.get<std::string>());
  }
  return audiences;
}

absl::StatusOr<IssuanceRecord> IssuanceFromRow(const Statement& s) {
  absl::StatusOr<SvidKind> kind = ParseSvidKind(s.Text(2));
  if (!kind.ok()) {
    return absl::DataLossError("issuance_ledger holds an unknown kind");
  }
  SIGIL_ASSIGN_OR_RETURN(SpiffeId spiffe_id, StoredSpiffeId(s.Text(3), "issuance spiffe_id"));
  std::optional<SpiffeId> agent_id;
  if (!s.IsNull(5)) {
    SIGIL_ASSIGN_OR_RETURN(agent_id, StoredSpiffeId(s.Text(5), "issuance agent_id"));
  }
  SIGIL_ASSIGN_OR_RETURN(std::vector<std::string> audiences, DecodeAudiences(s.Text(9)));
  return IssuanceRecord{.issued_at = s.Time(1),
                        .kind = *kind,
                        .spiffe_id = std::move(spiffe_id),
                        .entry_id = s.Text(4),
                        .agent_id = std::move(agent_id),
                        .serial = s.Text(6),
                        .key_fingerprint = s.Text(7),
                        .expires_at = s.Time(8),
                        .audiences = std::move(audiences)};
}

}  // namespace

absl::StatusOr<BundleRecord> SqliteDataStore::SetBundle(const BundleRecord& bundle) {
  SIGIL_RETURN_IF_ERROR(ValidateBundleRecord(bundle));
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_();
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("INSERT INTO bundles (trust_domain, document, sequence_number, updated_at) "
                     "VALUES (?, ?, ?, ?) ON CONFLICT (trust_domain) DO UPDATE SET "
                     "document = excluded.document, sequence_number = excluded.sequence_number, "
                     "updated_at = excluded.updated_at"));
    stmt.Bind(bundle.trust_domain.name())
        .Bind(bundle.document)
        .Bind(bundle.sequence_number)
        .BindTime(now);
    SIGIL_RETURN_IF_ERROR(stmt.Run());
  }
  SIGIL_RETURN_IF_ERROR(
      sqlite::AppendEvent(*db_, EventKind::kBundleSet, bundle.trust_domain.name(), now));
  SIGIL_ASSIGN_OR_RETURN(BundleRecord stored, ReadBundle(*db_, bundle.trust_domain));
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return stored;
}

absl::StatusOr<BundleRecord> SqliteDataStore::FetchBundle(const TrustDomain& trust_domain) {
  absl::MutexLock lock(&mu_);
  return ReadBundle(*db_, trust_domain);
}

absl::StatusOr<std::vector<BundleRecord>> SqliteDataStore::ListBundles() {
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(absl::StrCat("SELECT ", kBundleColumns,
                                                                   " ORDER BY trust_domain")));
  std::vector<BundleRecord> bundles;
  while (true) {
    SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) {
      return bundles;
    }
    SIGIL_ASSIGN_OR_RETURN(BundleRecord bundle, BundleFromRow(stmt));
    bundles.push_back(std::move(bundle));
  }
}

absl::Status SqliteDataStore::DeleteBundle(const TrustDomain& trust_domain) {
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  {
    SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare("DELETE FROM bundles WHERE trust_domain = ?"));
    stmt.Bind(trust_domain.name());
    SIGIL_RETURN_IF_ERROR(
        RunOnOne(stmt, absl::StrCat("no bundle for trust domain ", trust_domain.name())));
  }
  SIGIL_RETURN_IF_ERROR(
      sqlite::AppendEvent(*db_, EventKind::kBundleDeleted, trust_domain.name(), clock_()));
  return txn.Commit();
}

absl::StatusOr<AuthorityRecord> SqliteDataStore::UpsertAuthority(const AuthorityRecord& authority) {
  SIGIL_RETURN_IF_ERROR(ValidateAuthorityRecord(authority));
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_();
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("INSERT INTO ca_authorities (kind, authority_id, state, tainted, revoked, "
                     "public_key_der, certificate_der, upstream_authority_id, not_before, "
                     "not_after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT (kind, authority_id) DO UPDATE SET state = excluded.state, "
                     "tainted = excluded.tainted, revoked = excluded.revoked, "
                     "public_key_der = excluded.public_key_der, "
                     "certificate_der = excluded.certificate_der, "
                     "upstream_authority_id = excluded.upstream_authority_id, "
                     "not_before = excluded.not_before, not_after = excluded.not_after"));
    stmt.Bind(AuthorityKindName(authority.kind))
        .Bind(authority.authority_id)
        .Bind(AuthorityStateName(authority.state))
        .Bind(authority.tainted)
        .Bind(authority.revoked)
        .BindBlob(authority.public_key_der)
        .BindBlob(authority.certificate_der)
        .Bind(authority.upstream_authority_id)
        .BindTime(authority.not_before)
        .BindTime(authority.not_after)
        .BindTime(now);
    SIGIL_RETURN_IF_ERROR(stmt.Run());
  }
  SIGIL_RETURN_IF_ERROR(
      sqlite::AppendEvent(*db_, EventKind::kAuthoritySet,
                          AuthoritySubject(authority.kind, authority.authority_id), now));
  SIGIL_ASSIGN_OR_RETURN(AuthorityRecord stored,
                         ReadAuthority(*db_, authority.kind, authority.authority_id));
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return stored;
}

absl::StatusOr<AuthorityRecord> SqliteDataStore::FetchAuthority(AuthorityKind kind,
                                                                std::string_view authority_id) {
  absl::MutexLock lock(&mu_);
  return ReadAuthority(*db_, kind, authority_id);
}

absl::StatusOr<std::vector<AuthorityRecord>> SqliteDataStore::ListAuthorities(
    std::optional<AuthorityKind> kind) {
  WhereClause where;
  if (kind.has_value()) {
    where.Add("kind = ?", {std::string(AuthorityKindName(*kind))});
  }
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                         db_->Prepare(absl::StrCat("SELECT ", kAuthorityColumns, where.Sql(),
                                                   " ORDER BY created_at, kind, authority_id")));
  where.BindTo(stmt);
  std::vector<AuthorityRecord> authorities;
  while (true) {
    SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) {
      return authorities;
    }
    SIGIL_ASSIGN_OR_RETURN(AuthorityRecord authority, AuthorityFromRow(stmt));
    authorities.push_back(std::move(authority));
  }
}

absl::Status SqliteDataStore::DeleteAuthority(AuthorityKind kind, std::string_view authority_id) {
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("DELETE FROM ca_authorities WHERE kind = ? AND authority_id = ?"));
    stmt.Bind(AuthorityKindName(kind)).Bind(authority_id);
    SIGIL_RETURN_IF_ERROR(
        RunOnOne(stmt, absl::StrCat("no ", AsAbsl(AuthorityKindName(kind)), " authority with id ",
                                    AsAbsl(authority_id))));
  }
  SIGIL_RETURN_IF_ERROR(sqlite::AppendEvent(*db_, EventKind::kAuthorityDeleted,
                                            AuthoritySubject(kind, authority_id), clock_()));
  return txn.Commit();
}

absl::StatusOr<FederationRelationship> SqliteDataStore::SetFederationRelationship(
    const FederationRelationship& relationship) {
  SIGIL_RETURN_IF_ERROR(ValidateFederationRelationship(relationship));
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("INSERT INTO federation_relationships (trust_domain, bundle_endpoint_url, "
                     "profile, endpoint_spiffe_id, last_refresh, last_error, last_sequence) "
                     "VALUES (?, ?, ?, ?, NULL, '', 0) ON CONFLICT (trust_domain) DO UPDATE SET "
                     "bundle_endpoint_url = excluded.bundle_endpoint_url, "
                     "profile = excluded.profile, "
                     "endpoint_spiffe_id = excluded.endpoint_spiffe_id"));
    stmt.Bind(relationship.trust_domain.name())
        .Bind(relationship.bundle_endpoint_url)
        .Bind(FederationProfileName(relationship.profile));
    if (relationship.endpoint_spiffe_id.has_value()) {
      stmt.Bind(relationship.endpoint_spiffe_id->str());
    } else {
      stmt.BindNull();
    }
    SIGIL_RETURN_IF_ERROR(stmt.Run());
  }
  SIGIL_RETURN_IF_ERROR(sqlite::AppendEvent(*db_, EventKind::kFederationSet,
                                            relationship.trust_domain.name(), clock_()));
  SIGIL_ASSIGN_OR_RETURN(FederationRelationship stored,
                         ReadFederation(*db_, relationship.trust_domain));
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return stored;
}

absl::StatusOr<FederationRelationship> SqliteDataStore::FetchFederationRelationship(
    const TrustDomain& trust_domain) {
  absl::MutexLock lock(&mu_);
  return ReadFederation(*db_, trust_domain);
}

absl::StatusOr<std::vector<FederationRelationship>> SqliteDataStore::ListFederationRelationships() {
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(absl::StrCat("SELECT ", kFederationColumns,
                                                                   " ORDER BY trust_domain")));
  std::vector<FederationRelationship> relationships;
  while (true) {
    SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) {
      return relationships;
    }
    SIGIL_ASSIGN_OR_RETURN(FederationRelationship relationship, FederationFromRow(stmt));
    relationships.push_back(std::move(relationship));
  }
}

absl::Status SqliteDataStore::DeleteFederationRelationship(const TrustDomain& trust_domain) {
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("DELETE FROM federation_relationships WHERE trust_domain = ?"));
    stmt.Bind(trust_domain.name());
    SIGIL_RETURN_IF_ERROR(RunOnOne(
        stmt, absl::StrCat("no federation relationship with trust domain ", trust_domain.name())));
  }
  SIGIL_RETURN_IF_ERROR(
      sqlite::AppendEvent(*db_, EventKind::kFederationDeleted, trust_domain.name(), clock_()));
  return txn.Commit();
}

absl::Status SqliteDataStore::RecordFederationRefresh(const TrustDomain& trust_domain,
                                                      const FederationRefreshState& refresh) {
  SIGIL_RETURN_IF_ERROR(ValidateFederationRefreshState(refresh));
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("UPDATE federation_relationships SET last_refresh = ?, last_error = ?, "
                     "last_sequence = ? WHERE trust_domain = ?"));
    stmt.BindOptionalTime(refresh.last_refresh)
        .Bind(refresh.last_error)
        .Bind(refresh.last_sequence)
        .Bind(trust_domain.name());
    SIGIL_RETURN_IF_ERROR(RunOnOne(
        stmt, absl::StrCat("no federation relationship with trust domain ", trust_domain.name())));
  }
  return txn.Commit();
}

absl::Status SqliteDataStore::AppendIssuances(absl::Span<const IssuanceRecord> records) {
  for (size_t i = 0; i < records.size(); ++i) {
    if (absl::Status s = ValidateIssuanceRecord(records[i]); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("records[", i, "]: ", s.message()));
    }
  }
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  for (const IssuanceRecord& r : records) {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("INSERT INTO issuance_ledger (issued_at, kind, spiffe_id, entry_id, "
                     "agent_id, serial, key_fingerprint, expires_at, audiences) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    stmt.BindTime(r.issued_at).Bind(SvidKindName(r.kind)).Bind(r.spiffe_id.str()).Bind(r.entry_id);
    if (r.agent_id.has_value()) {
      stmt.Bind(r.agent_id->str());
    } else {
      stmt.BindNull();
    }
    stmt.Bind(r.serial)
        .Bind(r.key_fingerprint)
        .BindTime(r.expires_at)
        .Bind(EncodeAudiences(r.audiences));
    SIGIL_RETURN_IF_ERROR(stmt.Run());
  }
  return txn.Commit();
}

absl::StatusOr<Page<IssuanceRecord>> SqliteDataStore::ListIssuances(const IssuanceFilter& filter,
                                                                    const PageRequest& page) {
  SIGIL_ASSIGN_OR_RETURN(const sqlite::PageCursor cursor, sqlite::ParsePage(page));
  WhereClause where;
  if (filter.spiffe_id.has_value()) {
    where.Add("spiffe_id = ?", {filter.spiffe_id->str()});
  }
  if (filter.since.has_value()) {
    where.Add("issued_at >= ?", {sqlite::EncodeTime(*filter.since)});
  }
  where.Add("id > ?", {cursor.after_id});

  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare(absl::StrCat("SELECT id, issued_at, kind, spiffe_id, entry_id, agent_id, "
                                "serial, key_fingerprint, expires_at, audiences "
                                "FROM issuance_ledger",
                                where.Sql(), " ORDER BY id LIMIT ?")));
  where.BindTo(stmt);
  stmt.Bind(static_cast<int64_t>(cursor.size) + 1);
  Page<IssuanceRecord> result;
  int64_t last_id = 0;
  while (true) {
    SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) {
      return result;
    }
    if (result.items.size() == static_cast<size_t>(cursor.size)) {
      result.next_page_token = sqlite::MakePageToken(last_id);
      return result;
    }
    last_id = stmt.Int(0);
    SIGIL_ASSIGN_OR_RETURN(IssuanceRecord record, IssuanceFromRow(stmt));
    result.items.push_back(std::move(record));
  }
}

absl::StatusOr<int64_t> SqliteDataStore::PruneIssuances(absl::Time issued_before) {
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  int64_t deleted = 0;
  {
    SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare("DELETE FROM issuance_ledger WHERE issued_at < ?"));
    stmt.BindTime(issued_before);
    SIGIL_RETURN_IF_ERROR(stmt.Run());
    deleted = stmt.Changes();
  }
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return deleted;
}

}  // namespace sigil::server
