#include "server/datastore/sqlite_schema.h"

#include <cstdint>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "sigil/status.h"

namespace sigil::server::sqlite {
namespace {

// Version 1. Times are INTEGER Unix microseconds. Child tables refer to their parent's integer
// key with ON DELETE CASCADE, so deleting an entry or node takes its selectors with it.
// Entries carry a hash of their sorted selector set so that the uniqueness rule (spiffe_id,
// parent_id, selector set) is one fixed-size UNIQUE index, which PostgreSQL can hold too.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE registered_entries (
  id INTEGER PRIMARY KEY,
  entry_id TEXT NOT NULL UNIQUE,
  spiffe_id TEXT NOT NULL,
  parent_id TEXT NOT NULL,
  selector_set_hash TEXT NOT NULL,
  selector_count INTEGER NOT NULL,
  x509_svid_ttl INTEGER NOT NULL,
  jwt_svid_ttl INTEGER NOT NULL,
  admin INTEGER NOT NULL,
  downstream INTEGER NOT NULL,
  hint TEXT NOT NULL,
  expires_at INTEGER,
  revision INTEGER NOT NULL,
  owner TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (spiffe_id, parent_id, selector_set_hash)
);
CREATE INDEX registered_entries_by_parent_id ON registered_entries (parent_id);

CREATE TABLE entry_selectors (
  entry_rowid INTEGER NOT NULL REFERENCES registered_entries (id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (entry_rowid, type, value)
) WITHOUT ROWID;
CREATE INDEX entry_selectors_by_selector ON entry_selectors (type, value);

CREATE TABLE entry_dns_names (
  entry_rowid INTEGER NOT NULL REFERENCES registered_entries (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (entry_rowid, position)
) WITHOUT ROWID;

CREATE TABLE entry_federates_with (
  entry_rowid INTEGER NOT NULL REFERENCES registered_entries (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  trust_domain TEXT NOT NULL,
  PRIMARY KEY (entry_rowid, position)
) WITHOUT ROWID;

CREATE TABLE attested_nodes (
  id INTEGER PRIMARY KEY,
  spiffe_id TEXT NOT NULL UNIQUE,
  attestation_type TEXT NOT NULL,
  serial TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  new_serial TEXT NOT NULL,
  new_expires_at INTEGER NOT NULL,
  banned INTEGER NOT NULL,
  can_reattest INTEGER NOT NULL,
  selector_count INTEGER NOT NULL,
  attested_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  last_address TEXT NOT NULL
);

CREATE TABLE node_selectors (
  node_rowid INTEGER NOT NULL REFERENCES attested_nodes (id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (node_rowid, type, value)
) WITHOUT ROWID;
CREATE INDEX node_selectors_by_selector ON node_selectors (type, value);

CREATE TABLE join_tokens (
  token_sha256 TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL,
  alias_id TEXT
);
CREATE INDEX join_tokens_by_expiry ON join_tokens (expires_at);

CREATE TABLE bundles (
  trust_domain TEXT PRIMARY KEY,
  document TEXT NOT NULL,
  sequence_number INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE ca_authorities (
  kind TEXT NOT NULL CHECK (kind IN ('x509', 'jwt')),
  authority_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('prepared', 'active', 'old')),
  tainted INTEGER NOT NULL,
  revoked INTEGER NOT NULL,
  public_key_der BLOB NOT NULL,
  certificate_der BLOB NOT NULL,
  upstream_authority_id TEXT NOT NULL,
  not_before INTEGER NOT NULL,
  not_after INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (kind, authority_id)
);

CREATE TABLE federation_relationships (
  trust_domain TEXT PRIMARY KEY,
  bundle_endpoint_url TEXT NOT NULL,
  profile TEXT NOT NULL CHECK (profile IN ('https_web', 'https_spiffe')),
  endpoint_spiffe_id TEXT,
  last_refresh INTEGER,
  last_error TEXT NOT NULL,
  last_sequence INTEGER NOT NULL
);

CREATE TABLE issuance_ledger (
  id INTEGER PRIMARY KEY,
  issued_at INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('x509', 'jwt')),
  spiffe_id TEXT NOT NULL,
  entry_id TEXT NOT NULL,
  agent_id TEXT,
  serial TEXT NOT NULL,
  key_fingerprint TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  audiences TEXT NOT NULL
);
CREATE INDEX issuance_ledger_by_spiffe_id ON issuance_ledger (spiffe_id, id);
CREATE INDEX issuance_ledger_by_issued_at ON issuance_ledger (issued_at);

-- AUTOINCREMENT: a revision is never reused, even after the newest events are pruned.
CREATE TABLE events (
  revision INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  recorded_at INTEGER NOT NULL
);
CREATE INDEX events_by_recorded_at ON events (recorded_at);
)sql";

constexpr Migration kMigrations[] = {
    {1, kSchemaV1},
};

absl::Status NewerSchemaError(int64_t found, int64_t latest) {
  return absl::FailedPreconditionError(absl::StrCat(
      "database schema version ", found, " is newer than this binary's version ", latest,
      ": it was written by a newer sigil-server; run that version or restore a backup"));
}

}  // namespace

absl::Span<const Migration> SchemaMigrations() { return kMigrations; }

int64_t LatestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

absl::StatusOr<int64_t> ReadSchemaVersion(Connection& db) {
  SIGIL_ASSIGN_OR_RETURN(const std::string text, db.QueryPragma("PRAGMA user_version"));
  int64_t version = 0;
  if (!absl::SimpleAtoi(text, &version)) {
    return absl::DataLossError("database schema version is not a number");
  }
  return version;
}

absl::Status ApplyMigrations(Connection& db, absl::Span<const Migration> migrations) {
  const int64_t latest = migrations.empty() ? 0 : migrations.back().version;
  SIGIL_ASSIGN_OR_RETURN(const int64_t initial, ReadSchemaVersion(db));
  if (initial > latest) {
    return NewerSchemaError(initial, latest);
  }

  for (const Migration& migration : migrations) {
    if (migration.version <= initial) {
      continue;
    }
    // The version is read again under the write lock: another process starting on the same
    // file may have applied this migration since.
    SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(db));
    SIGIL_ASSIGN_OR_RETURN(const int64_t current, ReadSchemaVersion(db));
    if (current > latest) {
      return NewerSchemaError(current, latest);
    }
    if (migration.version <= current) {
      continue;  // `txn` rolls back an empty transaction
    }
    if (absl::Status s = db.Exec(migration.sql); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("schema migration to version ", migration.version,
                                                 " failed: ", s.message()));
    }
    SIGIL_RETURN_IF_ERROR(db.Exec(absl::StrCat("PRAGMA user_version = ", migration.version)));
    SIGIL_RETURN_IF_ERROR(txn.Commit());
  }
  return absl::OkStatus();
}

}  // namespace sigil::server::sqlite
