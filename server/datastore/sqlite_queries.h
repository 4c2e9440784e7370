// Query pieces shared by the SQLite datastore's record families: WHERE clauses built from
// filters (including the four selector matches), keyset page tokens, the change-log append
// and entry ID generation. The SQL here sticks to what PostgreSQL also accepts (row values,
// VALUES lists, RETURNING, ON CONFLICT), so a PostgreSQL store can reuse the shapes.
#ifndef SIGIL_SERVER_DATASTORE_SQLITE_QUERIES_H_
#define SIGIL_SERVER_DATASTORE_SQLITE_QUERIES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "server/datastore/datastore.h"
#include "server/datastore/sqlite_db.h"
#include "server/datastore/types.h"

namespace sigil::server::sqlite {

// Names the tables a selector condition joins: `parent_table` has an integer `id` and a
// `selector_count` column; `child_table` holds (`child_key`, type, value) rows.
struct SelectorTables {
  absl::string_view parent_table;  // e.g. "registered_entries"
  absl::string_view parent_alias;  // the alias the outer query uses, e.g. "e"
  absl::string_view child_table;   // e.g. "entry_selectors"
  absl::string_view child_key;     // e.g. "entry_rowid"
};

// A conjunction of conditions with their parameters, bound in order of addition.
class WhereClause {
 public:
  using Value = std::variant<int64_t, std::string>;

  void Add(std::string condition, std::vector<Value> params = {});
  // Adds the condition for `match` over `selectors` (duplicates ignored); nothing when
  // `selectors` is empty.
  void AddSelectors(const SelectorTables& tables, const std::vector<Selector>& selectors,
                    SelectorMatch match);

  // "" or " WHERE c1 AND c2 ...".
  std::string Sql() const;
  void BindTo(Statement& stmt) const;

 private:
  std::vector<std::string> conditions_;
  std::vector<Value> params_;
};

// Checks a page request and returns the page size to use (kDefaultPageSize for 0) and the
// integer key to continue after (0 for the first page).
struct PageCursor {
  int32_t size;
  int64_t after_id;
};
absl::StatusOr<PageCursor> ParsePage(const PageRequest& page);
std::string MakePageToken(int64_t last_id);

// Appends one change-log event inside the caller's transaction.
absl::Status AppendEvent(Connection& db, EventKind kind, std::string_view subject, absl::Time now);

// A random (version 4) UUID in lowercase text form.
absl::StatusOr<std::string> NewUuid();

// Key for the (spiffe_id, parent_id, selector set) rule: the SHA-256 hex of the sorted,
// newline-joined "type:value" list. Unambiguous because types cannot hold ':' and values
// cannot hold newlines.
std::string SelectorSetHash(std::vector<Selector> selectors);

}  // namespace sigil::server::sqlite

#endif  // SIGIL_SERVER_DATASTORE_SQLITE_QUERIES_H_
