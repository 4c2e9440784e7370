// A thin RAII layer over one SQLite connection, private to the SQLite datastore: a cache of
// prepared statements, a statement handle that binds in order and resets itself, a
// transaction that rolls back unless committed, and the mapping from SQLite result codes to
// absl::Status. Not thread-safe: the datastore serialises all use under its own mutex.
#ifndef SIGIL_SERVER_DATASTORE_SQLITE_DB_H_
#define SIGIL_SERVER_DATASTORE_SQLITE_DB_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <sqlite3.h>

namespace sigil::server::sqlite {

// Turns an SQLite result code into the most specific status: busy/locked -> kUnavailable,
// unique and primary-key violations -> kAlreadyExists, other constraints ->
// kFailedPrecondition, corruption -> kDataLoss, a full disk -> kResourceExhausted, I/O and
// open failures -> kUnavailable, the rest -> kInternal. The message is "`what`: " followed by
// SQLite's text, which names tables and columns but never a bound value. `db` may be null.
absl::Status SqliteStatus(sqlite3* db, int rc, std::string_view what);

// Stored form of a time: Unix microseconds, with the infinities mapped to the int64 limits.
int64_t EncodeTime(absl::Time t);
absl::Time DecodeTime(int64_t micros);

// One prepared statement in use. Binds parameters left to right; the first binding error is
// reported by the next Step(). Resets and clears its bindings when destroyed, so a cached
// statement is ready for the next user. Move-only.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int64_t value);
  Statement& Bind(std::string_view text);
  Statement& Bind(bool value) { return Bind(static_cast<int64_t>(value ? 1 : 0)); }
  Statement& Bind(int32_t value) { return Bind(static_cast<int64_t>(value)); }
  Statement& Bind(const char* text) { return Bind(std::string_view(text)); }
  Statement& Bind(const std::string& text) { return Bind(std::string_view(text)); }
  Statement& BindBlob(std::string_view bytes);
  Statement& BindTime(absl::Time t) { return Bind(EncodeTime(t)); }
  Statement& BindNull();
  template <typename T>
  Statement& BindOptional(const std::optional<T>& value) {
    return value.has_value() ? Bind(*value) : BindNull();
  }
  Statement& BindOptionalTime(const std::optional<absl::Time>& t) {
    return t.has_value() ? BindTime(*t) : BindNull();
  }

  // Advances: true when a row is ready to read, false when the statement is done.
  absl::StatusOr<bool> Step();
  // Steps to the end, ignoring rows. For INSERT/UPDATE/DELETE.
  absl::Status Run();
  // Rows changed by the last Run() of this connection.
  int64_t Changes() const;

  bool IsNull(int column) const;
  int64_t Int(int column) const;
  bool Bool(int column) const { return Int(column) != 0; }
  absl::Time Time(int column) const { return DecodeTime(Int(column)); }
  std::optional<absl::Time> OptionalTime(int column) const;
  std::string Text(int column) const;  // text or blob bytes; empty for NULL

 private:
  friend class Connection;
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool owned, bool* in_use);
  Statement& Record(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool owned_;    // finalise on destruction (not from the cache)
  bool* in_use_;  // the cache slot's flag, or null
  int next_index_ = 1;
  int bind_rc_ = SQLITE_OK;
};

// One open connection and its statement cache.
class Connection {
 public:
  // Opens (creating when absent) the database file at `path`. The file is created with mode
  // 0600, and an existing file readable by group or others is narrowed to 0600, so that the
  // -wal and -shm files SQLite derives from it are owner-only too.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path,
                                                          absl::Duration busy_timeout);
  // Takes ownership of an open handle; Open() is the usual way in.
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Returns a prepared statement for `sql`, from the cache when possible. A statement already
  // in use (a nested query with the same text), or one arriving when the cache holds 256
  // statements, gets a fresh copy finalised after use.
  absl::StatusOr<Statement> Prepare(std::string_view sql);
  // Runs one or more statements without caching (schema, pragmas, transaction control).
  absl::Status Exec(std::string_view sql);
  // Runs a pragma that returns one value and returns it as text.
  absl::StatusOr<std::string> QueryPragma(std::string_view sql);

  sqlite3* raw() const { return db_; }

 private:
  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    std::unique_ptr<bool> in_use = std::make_unique<bool>(false);
  };

  sqlite3* db_;
  absl::flat_hash_map<std::string, CachedStatement> cache_;
};

// A transaction that rolls back when destroyed uncommitted. Writes use BEGIN IMMEDIATE, which
// takes the write lock up front so a reader never has to upgrade (and deadlock) mid-way.
class Transaction {
 public:
  static absl::StatusOr<Transaction> BeginWrite(Connection& db);
  static absl::StatusOr<Transaction> BeginRead(Connection& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  absl::Status Commit();

 private:
  explicit Transaction(Connection* db) : db_(db) {}
  Connection* db_;  // null once committed or rolled back
};

}  // namespace sigil::server::sqlite

#endif  // SIGIL_SERVER_DATASTORE_SQLITE_DB_H_
