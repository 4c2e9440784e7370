#include "server/datastore/sqlite_db.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include <sqlite3.h>

#include "sigil/status.h"

namespace sigil::server::sqlite {
namespace {

constexpr int64_t kInfiniteFutureMicros = std::numeric_limits<int64_t>::max();
constexpr int64_t kInfinitePastMicros = std::numeric_limits<int64_t>::min();
constexpr size_t kMaxCachedStatements = 256;

// Creates the file owner-only before SQLite sees it: SQLite gives its -wal and -shm files the
// main file's permission bits, so this one step covers all three.
absl::Status PrepareDatabaseFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("opening database file ", path, ": ", std::strerror(errno)));
  }
  struct stat st;
  absl::Status status;
  if (::fstat(fd, &st) != 0) {
    status = absl::UnavailableError(
        absl::StrCat("inspecting database file ", path, ": ", std::strerror(errno)));
  } else if (!S_ISREG(st.st_mode)) {
    status = absl::FailedPreconditionError(
        absl::StrCat("database path ", path, " is not a regular file"));
  } else if ((st.st_mode & 077) != 0 && ::fchmod(fd, 0600) != 0) {
    status = absl::PermissionDeniedError(
        absl::StrCat("narrowing database file ", path, " to mode 0600: ", std::strerror(errno)));
  }
  ::close(fd);
  return status;
}

}  // namespace

absl::Status SqliteStatus(sqlite3* db, int rc, std::string_view what) {
  const char* text = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string message = absl::StrCat(AsAbsl(what), ": ", text);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return absl::UnavailableError(message);
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return absl::AlreadyExistsError(message);
      }
      return absl::FailedPreconditionError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::ResourceExhaustedError(message);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::PermissionDeniedError(message);
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return absl::InvalidArgumentError(message);
    default:
      return absl::InternalError(message);
  }
}

int64_t EncodeTime(absl::Time t) {
  if (t == absl::InfiniteFuture()) {
    return kInfiniteFutureMicros;
  }
  if (t == absl::InfinitePast()) {
    return kInfinitePastMicros;
  }
  // ToUnixMicros truncates toward negative infinity and saturates far out of range, where the
  // saturated values then read back as the infinities.
  return absl::ToUnixMicros(t);
}

absl::Time DecodeTime(int64_t micros) {
  if (micros == kInfiniteFutureMicros) {
    return absl::InfiniteFuture();
  }
  if (micros == kInfinitePastMicros) {
    return absl::InfinitePast();
  }
  return absl::FromUnixMicros(micros);
}

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt, bool owned, bool* in_use)
    : db_(db), stmt_(stmt), owned_(owned), in_use_(in_use) {
  if (in_use_ != nullptr) {
    *in_use_ = true;
  }
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      owned_(other.owned_),
      in_use_(std::exchange(other.in_use_, nullptr)),
      next_index_(other.next_index_),
      bind_rc_(other.bind_rc_) {}

Statement::~Statement() {
  if (stmt_ == nullptr) {
    return;
  }
  if (owned_) {
    sqlite3_finalize(stmt_);
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (in_use_ != nullptr) {
    *in_use_ = false;
  }
}

Statement& Statement::Record(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
    bind_rc_ = rc;
  }
  ++next_index_;
  return *this;
}

Statement& Statement::Bind(int64_t value) {
  return Record(sqlite3_bind_int64(stmt_, next_index_, value));
}

Statement& Statement::Bind(std::string_view text) {
  return Record(sqlite3_bind_text64(stmt_, next_index_, text.data(), text.size(), SQLITE_TRANSIENT,
                                    SQLITE_UTF8));
}

Statement& Statement::BindBlob(std::string_view bytes) {
  // A zero-length blob would otherwise bind as NULL when data() is null.
  static const char kEmpty = 0;
  const char* data = bytes.empty() ? &kEmpty : bytes.data();
  return Record(sqlite3_bind_blob64(stmt_, next_index_, data, bytes.size(), SQLITE_TRANSIENT));
}

Statement& Statement::BindNull() { return Record(sqlite3_bind_null(stmt_, next_index_)); }

absl::StatusOr<bool> Statement::Step() {
  if (bind_rc_ != SQLITE_OK) {
    return SqliteStatus(db_, bind_rc_, "binding a query parameter");
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return SqliteStatus(db_, sqlite3_extended_errcode(db_), "running a query");
}

absl::Status Statement::Run() {
  while (true) {
    SIGIL_ASSIGN_OR_RETURN(const bool row, Step());
    if (!row) {
      return absl::OkStatus();
    }
  }
}

int64_t Statement::Changes() const { return sqlite3_changes64(db_); }

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::optional<absl::Time> Statement::OptionalTime(int column) const {
  if (IsNull(column)) {
    return std::nullopt;
  }
  return Time(column);
}

std::string Statement::Text(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) {
    return std::string();
  }
  return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                             absl::Duration busy_timeout) {
  SIGIL_RETURN_IF_ERROR(PrepareDatabaseFile(path));

  sqlite3* db = nullptr;
  // NOMUTEX: the datastore's own mutex serialises every use of this connection.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  auto conn = std::make_unique<Connection>(db);  // closes `db` even when opening failed
  if (rc != SQLITE_OK) {
    return SqliteStatus(db, rc, absl::StrCat("opening database ", path));
  }
  sqlite3_extended_result_codes(db, 1);
  const int64_t ms = absl::ToInt64Milliseconds(busy_timeout);
  sqlite3_busy_timeout(db, static_cast<int>(std::min<int64_t>(ms, 1 << 30)));
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, cached] : cache_) {
    sqlite3_finalize(cached.stmt);
  }
  sqlite3_close_v2(db_);
}

absl::StatusOr<Statement> Connection::Prepare(std::string_view sql) {
  auto it = cache_.find(AsAbsl(sql));
  if (it != cache_.end() && !*it->second.in_use) {
    return Statement(db_, it->second.stmt, /*owned=*/false, it->second.in_use.get());
  }

  // Filters make statements of many shapes (one per selector count); past the cap they are
  // prepared per use rather than kept forever.
  const bool cache = it == cache_.end() && cache_.size() < kMaxCachedStatements;
  sqlite3_stmt* stmt = nullptr;
  const int flags = cache ? SQLITE_PREPARE_PERSISTENT : 0;
  const int rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), flags, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(db_, rc, "preparing a query");
  }
  if (!cache) {
    return Statement(db_, stmt, /*owned=*/true, nullptr);
  }
  CachedStatement& slot = cache_[std::string(sql)];
  slot.stmt = stmt;
  return Statement(db_, stmt, /*owned=*/false, slot.in_use.get());
}

absl::Status Connection::Exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(db_, sqlite3_extended_errcode(db_), "running a statement");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Connection::QueryPragma(std::string_view sql) {
  SIGIL_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  if (!row) {
    return absl::InternalError(absl::StrCat("pragma returned no value: ", AsAbsl(sql)));
  }
  return stmt.Text(0);
}

absl::StatusOr<Transaction> Transaction::BeginWrite(Connection& db) {
  SIGIL_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

absl::StatusOr<Transaction> Transaction::BeginRead(Connection& db) {
  SIGIL_RETURN_IF_ERROR(db.Exec("BEGIN"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr && !sqlite3_get_autocommit(db_->raw())) {
    // Nothing useful can be done with a failed rollback here; SQLite rolls back on its own
    // when the next transaction starts or the connection closes.
    sqlite3_exec(db_->raw(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

absl::Status Transaction::Commit() {
  SIGIL_RETURN_IF_ERROR(db_->Exec("COMMIT"));
  db_ = nullptr;
  return absl::OkStatus();
}

}  // namespace sigil::server::sqlite
