// Opening the SQLite datastore, and the change log. The record families live in
// sqlite_entries.cc, sqlite_nodes.cc and sqlite_records.cc.
#include "server/datastore/sqlite_datastore.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

#include "server/datastore/sqlite_db.h"
#include "server/datastore/sqlite_queries.h"
#include "server/datastore/sqlite_schema.h"
#include "sigil/status.h"

namespace sigil::server {

using sqlite::Connection;
using sqlite::Statement;
using sqlite::Transaction;

namespace {

absl::Status ConfigureConnection(Connection& db) {
  // WAL lets readers proceed during a write and makes each commit one append to the log.
  SIGIL_ASSIGN_OR_RETURN(std::string mode, db.QueryPragma("PRAGMA journal_mode = WAL"));
  if (absl::AsciiStrToLower(mode) != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat("database refused write-ahead logging (journal mode is ", mode, ")"));
  }
  // FULL syncs the log on every commit: an acknowledged write survives a crash of the process
  // and of the machine. NORMAL would only protect against the former.
  SIGIL_RETURN_IF_ERROR(db.Exec("PRAGMA synchronous = FULL"));
  SIGIL_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = ON"));
  // 16 MiB of page cache instead of SQLite's 2 MiB: a bulk load of 100,000 entries touches
  // more index pages than 2 MiB holds, and spilling them mid-transaction cost 40% of the time.
  SIGIL_RETURN_IF_ERROR(db.Exec("PRAGMA cache_size = -16384"));
  SIGIL_ASSIGN_OR_RETURN(std::string fk, db.QueryPragma("PRAGMA foreign_keys"));
  if (fk != "1") {
    return absl::FailedPreconditionError("this SQLite build does not enforce foreign keys");
  }
  return absl::OkStatus();
}

}  // namespace

int64_t SqliteSchemaVersion() { return sqlite::LatestSchemaVersion(); }

absl::StatusOr<std::unique_ptr<DataStore>> OpenSqliteDataStore(const std::string& path,
                                                               SqliteDataStoreOptions options) {
  if (path.empty()) {
    return absl::InvalidArgumentError("database path is empty");
  }
  if (!options.clock) {
    return absl::InvalidArgumentError("datastore clock is unset");
  }
  SIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Connection> db,
                         Connection::Open(path, options.busy_timeout));
  SIGIL_RETURN_IF_ERROR(ConfigureConnection(*db));
  SIGIL_RETURN_IF_ERROR(sqlite::ApplyMigrations(*db, sqlite::SchemaMigrations()));
  return std::make_unique<SqliteDataStore>(std::move(db), std::move(options.clock));
}

SqliteDataStore::SqliteDataStore(std::unique_ptr<Connection> db, DataStoreClock clock)
    : db_(std::move(db)), clock_(std::move(clock)) {}

SqliteDataStore::~SqliteDataStore() = default;

absl::StatusOr<int64_t> SqliteDataStore::CurrentRevision() {
  absl::MutexLock lock(&mu_);
  // sqlite_sequence remembers the highest AUTOINCREMENT value ever used, even once the events
  // holding it are pruned.
  SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                         db_->Prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'"));
  SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  return row ? stmt.Int(0) : 0;
}

absl::StatusOr<std::vector<Event>> SqliteDataStore::ListEventsSince(int64_t after_revision,
                                                                    int32_t limit) {
  if (after_revision < 0) {
    return absl::InvalidArgumentError("after_revision is negative");
  }
  if (limit < 0 || limit > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("limit must be between 0 and ", kMaxPageSize));
  }
  const int32_t count = limit == 0 ? kDefaultPageSize : limit;

  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginRead(*db_));
  std::vector<Event> events;
  {
    SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare("SELECT revision, kind, subject, recorded_at FROM events "
                                        "WHERE revision > ? ORDER BY revision LIMIT ?"));
    stmt.Bind(after_revision).Bind(count);
    while (true) {
      SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
      if (!row) {
        break;
      }
      SIGIL_ASSIGN_OR_RETURN(const EventKind kind, ParseEventKind(stmt.Text(1)));
      events.push_back(Event{.revision = stmt.Int(0),
                             .kind = kind,
                             .subject = stmt.Text(2),
                             .recorded_at = stmt.Time(3)});
    }
  }

  // Revisions in SQLite have no holes (a rolled-back insert also rolls back the sequence), so
  // a jump past after_revision + 1 means the events in between were pruned.
  int64_t current = 0;
  {
    SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'"));
    SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    current = row ? stmt.Int(0) : 0;
  }
  if (after_revision > current) {
    return absl::OutOfRangeError(absl::StrCat("revision ", after_revision,
                                              " is ahead of the change log, which ends at ",
                                              current, ": the database was replaced; reload"));
  }
  const int64_t next = events.empty() ? current + 1 : events.front().revision;
  if (after_revision < current && next > after_revision + 1) {
    return absl::OutOfRangeError(absl::StrCat("events after revision ", after_revision,
                                              " were pruned; reload and resume from revision ",
                                              current));
  }
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return events;
}

absl::StatusOr<int64_t> SqliteDataStore::PruneEvents(absl::Time recorded_before) {
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  SIGIL_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("DELETE FROM events WHERE recorded_at < ?"));
  stmt.BindTime(recorded_before);
  SIGIL_RETURN_IF_ERROR(stmt.Run());
  const int64_t deleted = stmt.Changes();
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return deleted;
}

}  // namespace sigil::server
