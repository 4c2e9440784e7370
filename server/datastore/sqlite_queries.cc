#include "server/datastore/sqlite_queries.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "sigil/keys.h"
#include "sigil/status.h"

namespace sigil::server::sqlite {

void WhereClause::Add(std::string condition, std::vector<Value> params) {
  conditions_.push_back(std::move(condition));
  for (Value& v : params) {
    params_.push_back(std::move(v));
  }
}

void WhereClause::AddSelectors(const SelectorTables& t, const std::vector<Selector>& selectors,
                               SelectorMatch match) {
  const std::set<Selector> unique(selectors.begin(), selectors.end());
  if (unique.empty()) {
    return;
  }

  std::vector<Value> params;
  std::string values = "(VALUES ";
  bool first = true;
  for (const Selector& s : unique) {
    absl::StrAppend(&values, first ? "" : ", ", "(?, ?)");
    first = false;
    params.emplace_back(s.type);
    params.emplace_back(s.value);
  }
  values += ")";
  const int64_t n = static_cast<int64_t>(unique.size());
  const std::string id = absl::StrCat(t.parent_alias, ".id");

  // Selectors are unique per record, so counting matches per record tells how many of the
  // filter's selectors it has.
  switch (match) {
    case SelectorMatch::kAny:
      Add(absl::StrCat(id, " IN (SELECT ", t.child_key, " FROM ", t.child_table,
                       " WHERE (type, value) IN ", values, ")"),
          std::move(params));
      return;
    case SelectorMatch::kSuperset:
    case SelectorMatch::kExact:
      params.emplace_back(n);
      Add(absl::StrCat(id, " IN (SELECT ", t.child_key, " FROM ", t.child_table,
                       " WHERE (type, value) IN ", values, " GROUP BY ", t.child_key,
                       " HAVING COUNT(*) = ?)"),
          std::move(params));
      if (match == SelectorMatch::kExact) {
        Add(absl::StrCat(t.parent_alias, ".selector_count = ?"), {n});
      }
      return;
    case SelectorMatch::kSubset:
      // A record qualifies when every one of its selectors matched: its match count equals
      // its own selector count.
      Add(absl::StrCat(id, " IN (SELECT s.", t.child_key, " FROM ", t.child_table, " s JOIN ",
                       t.parent_table, " p ON p.id = s.", t.child_key,
                       " WHERE (s.type, s.value) IN ", values, " GROUP BY s.", t.child_key,
                       " HAVING COUNT(*) = MAX(p.selector_count))"),
          std::move(params));
      return;
  }
}

std::string WhereClause::Sql() const {
  if (conditions_.empty()) {
    return std::string();
  }
  return absl::StrCat(" WHERE ", absl::StrJoin(conditions_, " AND "));
}

void WhereClause::BindTo(Statement& stmt) const {
  for (const Value& v : params_) {
    if (const int64_t* i = std::get_if<int64_t>(&v)) {
      stmt.Bind(*i);
    } else {
      stmt.Bind(std::get<std::string>(v));
    }
  }
}

absl::StatusOr<PageCursor> ParsePage(const PageRequest& page) {
  PageCursor cursor{page.page_size == 0 ? kDefaultPageSize : page.page_size, 0};
  if (cursor.size < 0 || cursor.size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must be between 0 and ", kMaxPageSize));
  }
  if (!page.page_token.empty() &&
      (!absl::SimpleAtoi(page.page_token, &cursor.after_id) || cursor.after_id < 0)) {
    return absl::InvalidArgumentError("page_token is malformed: pass back a next_page_token");
  }
  return cursor;
}

std::string MakePageToken(int64_t last_id) { return absl::StrCat(last_id); }

absl::Status AppendEvent(Connection& db, EventKind kind, std::string_view subject, absl::Time now) {
  SIGIL_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare("INSERT INTO events (kind, subject, recorded_at) VALUES (?, ?, ?)"));
  stmt.Bind(EventKindName(kind)).Bind(subject).BindTime(now);
  return stmt.Run();
}

absl::StatusOr<std::string> NewUuid() {
  SIGIL_ASSIGN_OR_RETURN(std::string bytes, RandomBytes(16));
  bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  const std::string hex = HexEncode(bytes);
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20));
}

std::string SelectorSetHash(std::vector<Selector> selectors) {
  std::sort(selectors.begin(), selectors.end());
  std::string canonical;
  for (const Selector& s : selectors) {
    absl::StrAppend(&canonical, s.type, ":", s.value, "\n");
  }
  return HexEncode(Sha256(canonical));
}

}  // namespace sigil::server::sqlite
