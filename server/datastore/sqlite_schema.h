// The SQLite datastore's schema as a list of numbered migrations, and the routine that brings a
// database up to date at start. The schema version lives in SQLite's `PRAGMA user_version`,
// which is part of the database header and so changes atomically with the migration that sets
// it.
#ifndef SIGIL_SERVER_DATASTORE_SQLITE_SCHEMA_H_
#define SIGIL_SERVER_DATASTORE_SQLITE_SCHEMA_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/types/span.h"

#include "server/datastore/sqlite_db.h"

namespace sigil::server::sqlite {

struct Migration {
  int64_t version;       // 1, 2, 3, ... with no gaps
  std::string_view sql;  // one or more statements
};

// Every migration this binary knows, oldest first.
absl::Span<const Migration> SchemaMigrations();

// The schema version this binary writes: the last migration's version.
int64_t LatestSchemaVersion();

// Applies, in order, each migration newer than the database's version, each in its own
// transaction together with the version bump, so a crash leaves the database at a whole
// version. Fails with kFailedPrecondition when the database's version is newer than the last
// of `migrations` (written by a newer binary), and with the migration's number and SQLite's
// text when one fails (that migration is rolled back; earlier ones stay).
absl::Status ApplyMigrations(Connection& db, absl::Span<const Migration> migrations);

// The database's current schema version (0 for a new, empty file).
absl::StatusOr<int64_t> ReadSchemaVersion(Connection& db);

}  // namespace sigil::server::sqlite

#endif  // SIGIL_SERVER_DATASTORE_SQLITE_SCHEMA_H_
