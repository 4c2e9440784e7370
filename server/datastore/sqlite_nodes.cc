// Attested nodes (with their selectors) and join tokens in SQLite.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "server/datastore/sqlite_datastore.h"
#include "server/datastore/sqlite_db.h"
#include "server/datastore/sqlite_queries.h"
#include "sigil/keys.h"
#include "sigil/status.h"

namespace sigil::server {

using sqlite::Connection;
using sqlite::Statement;
using sqlite::Transaction;
using sqlite::WhereClause;

namespace {

constexpr sqlite::SelectorTables kNodeSelectorTables{
    .parent_table = "attested_nodes",
    .parent_alias = "n",
    .child_table = "node_selectors",
    .child_key = "node_rowid",
};

constexpr absl::string_view kNodeColumns =
    "n.id, n.spiffe_id, n.attestation_type, n.serial, n.expires_at, n.new_serial, "
    "n.new_expires_at, n.banned, n.can_reattest, n.attested_at, n.last_seen_at, n.last_address";

absl::StatusOr<AttestedNode> NodeFromRow(const Statement& s) {
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(s.Text(1));
  if (!id.ok()) {
    return absl::DataLossError(
        absl::StrCat("stored node has a malformed spiffe_id: ", id.status().message()));
  }
  return AttestedNode{
      .spiffe_id = *std::move(id),
      .attestation_type = s.Text(2),
      .serial = s.Text(3),
      .expires_at = s.Time(4),
      .new_serial = s.Text(5),
      .new_expires_at = s.Time(6),
      .banned = s.Bool(7),
      .can_reattest = s.Bool(8),
      .attested_at = s.Time(9),
      .last_seen_at = s.Time(10),
      .last_address = s.Text(11),
  };
}

using NodeIndex = absl::flat_hash_map<int64_t, AttestedNode*>;

// Fills the selectors of the nodes in `index` from node_selectors rows matching
// `rowid_condition` (parameters bound by `bind`).
template <typename BindFn>
absl::Status LoadNodeSelectors(Connection& db, std::string_view rowid_condition, BindFn bind,
                               const NodeIndex& index) {
  SIGIL_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare(absl::StrCat("SELECT node_rowid, type, value FROM node_selectors WHERE ",
                              AsAbsl(rowid_condition), " ORDER BY node_rowid, type, value")));
  bind(stmt);
  while (true) {
    SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) {
      return absl::OkStatus();
    }
    if (auto it = index.find(stmt.Int(0)); it != index.end()) {
      it->second->selectors.push_back(Selector{stmt.Text(1), stmt.Text(2)});
    }
  }
}

// Reads one node inside the caller's transaction; also returns its row id.
absl::StatusOr<std::pair<int64_t, AttestedNode>> ReadNode(Connection& db, const SpiffeId& id) {
  std::optional<AttestedNode> node;
  int64_t rowid = 0;
  {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt, db.Prepare(absl::StrCat("SELECT ", kNodeColumns,
                                                " FROM attested_nodes n WHERE n.spiffe_id = ?")));
    stmt.Bind(id.str());
    SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) {
      return absl::NotFoundError(absl::StrCat("no attested node ", id.str()));
    }
    rowid = stmt.Int(0);
    SIGIL_ASSIGN_OR_RETURN(node, NodeFromRow(stmt));
  }
  NodeIndex index{{rowid, &*node}};
  SIGIL_RETURN_IF_ERROR(LoadNodeSelectors(
      db, "node_rowid = ?", [rowid](Statement& s) { s.Bind(rowid); }, index));
  return std::make_pair(rowid, *std::move(node));
}

absl::Status ReplaceNodeSelectors(Connection& db, int64_t rowid,
                                  const std::vector<Selector>& selectors) {
  {
    SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                           db.Prepare("DELETE FROM node_selectors WHERE node_rowid = ?"));
    stmt.Bind(rowid);
    SIGIL_RETURN_IF_ERROR(stmt.Run());
  }
  for (const Selector& sel : selectors) {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare("INSERT INTO node_selectors (node_rowid, type, value) VALUES (?, ?, ?)"));
    stmt.Bind(rowid).Bind(sel.type).Bind(sel.value);
    SIGIL_RETURN_IF_ERROR(stmt.Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<WhereClause> NodeWhere(const NodeFilter& filter) {
  if (filter.selectors.size() > kMaxNodeSelectors) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter has more than ", kMaxNodeSelectors, " selectors"));
  }
  for (const Selector& s : filter.selectors) {
    SIGIL_RETURN_IF_ERROR(ValidateSelector(s));
  }
  WhereClause where;
  if (filter.attestation_type.has_value()) {
    where.Add("n.attestation_type = ?", {*filter.attestation_type});
  }
  if (filter.banned.has_value()) {
    where.Add("n.banned = ?", {int64_t{*filter.banned ? 1 : 0}});
  }
  if (filter.expires_before.has_value()) {
    where.Add("n.expires_at < ?", {sqlite::EncodeTime(*filter.expires_before)});
  }
  where.AddSelectors(kNodeSelectorTables, filter.selectors, filter.selector_match);
  return where;
}

std::string TokenDigest(const SecretBytes& token) { return HexEncode(Sha256(token.view())); }

}  // namespace

absl::StatusOr<AttestedNode> SqliteDataStore::CreateNode(const AttestedNode& node) {
  SIGIL_RETURN_IF_ERROR(ValidateAttestedNode(node));
  AttestedNode stored = node;
  std::sort(stored.selectors.begin(), stored.selectors.end());

  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  int64_t rowid = 0;
  {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("INSERT INTO attested_nodes (spiffe_id, attestation_type, serial, "
                     "expires_at, new_serial, new_expires_at, banned, can_reattest, "
                     "selector_count, attested_at, last_seen_at, last_address) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
    stmt.Bind(stored.spiffe_id.str())
        .Bind(stored.attestation_type)
        .Bind(stored.serial)
        .BindTime(stored.expires_at)
        .Bind(stored.new_serial)
        .BindTime(stored.new_expires_at)
        .Bind(stored.banned)
        .Bind(stored.can_reattest)
        .Bind(static_cast<int64_t>(stored.selectors.size()))
        .BindTime(stored.attested_at)
        .BindTime(stored.last_seen_at)
        .Bind(stored.last_address);
    absl::StatusOr<bool> row = stmt.Step();
    if (absl::IsAlreadyExists(row.status())) {
      return absl::AlreadyExistsError(absl::StrCat(
          "node ", stored.spiffe_id.str(), " is already attested: evict it before re-creating"));
    }
    SIGIL_RETURN_IF_ERROR(row.status());
    rowid = stmt.Int(0);
  }
  SIGIL_RETURN_IF_ERROR(ReplaceNodeSelectors(*db_, rowid, stored.selectors));
  SIGIL_RETURN_IF_ERROR(
      sqlite::AppendEvent(*db_, EventKind::kNodeCreated, stored.spiffe_id.str(), clock_()));
  // Read back so the caller sees times as stored (microseconds).
  SIGIL_ASSIGN_OR_RETURN(auto found, ReadNode(*db_, stored.spiffe_id));
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return std::move(found.second);
}

absl::StatusOr<AttestedNode> SqliteDataStore::UpdateNode(const AttestedNode& node) {
  SIGIL_RETURN_IF_ERROR(ValidateAttestedNode(node));
  AttestedNode stored = node;
  std::sort(stored.selectors.begin(), stored.selectors.end());

  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  int64_t rowid = 0;
  {
    // `banned` is deliberately absent: only BanNode sets it.
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("UPDATE attested_nodes SET attestation_type = ?, serial = ?, "
                     "expires_at = ?, new_serial = ?, new_expires_at = ?, can_reattest = ?, "
                     "selector_count = ?, attested_at = ?, last_seen_at = ?, last_address = ? "
                     "WHERE spiffe_id = ? RETURNING id"));
    stmt.Bind(stored.attestation_type)
        .Bind(stored.serial)
        .BindTime(stored.expires_at)
        .Bind(stored.new_serial)
        .BindTime(stored.new_expires_at)
        .Bind(stored.can_reattest)
        .Bind(static_cast<int64_t>(stored.selectors.size()))
        .BindTime(stored.attested_at)
        .BindTime(stored.last_seen_at)
        .Bind(stored.last_address)
        .Bind(stored.spiffe_id.str());
    SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) {
      return absl::NotFoundError(absl::StrCat("no attested node ", stored.spiffe_id.str()));
    }
    rowid = stmt.Int(0);
    SIGIL_RETURN_IF_ERROR(stmt.Run());
  }
  SIGIL_RETURN_IF_ERROR(ReplaceNodeSelectors(*db_, rowid, stored.selectors));
  SIGIL_RETURN_IF_ERROR(
      sqlite::AppendEvent(*db_, EventKind::kNodeUpdated, stored.spiffe_id.str(), clock_()));
  SIGIL_ASSIGN_OR_RETURN(auto found, ReadNode(*db_, stored.spiffe_id));
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return std::move(found.second);
}

absl::Status SqliteDataStore::RecordNodeSeen(const SpiffeId& node_id, absl::Time seen_at,
                                             std::string_view address) {
  if (address.size() > kMaxAddressLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("last_address is more than ", kMaxAddressLength, " bytes"));
  }
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  {
    SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare("UPDATE attested_nodes SET last_seen_at = ?, "
                                        "last_address = ? WHERE spiffe_id = ?"));
    stmt.BindTime(seen_at).Bind(address).Bind(node_id.str());
    SIGIL_RETURN_IF_ERROR(stmt.Run());
    if (stmt.Changes() == 0) {
      return absl::NotFoundError(absl::StrCat("no attested node ", node_id.str()));
    }
  }
  return txn.Commit();
}

absl::StatusOr<AttestedNode> SqliteDataStore::FetchNode(const SpiffeId& node_id) {
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginRead(*db_));
  SIGIL_ASSIGN_OR_RETURN(auto found, ReadNode(*db_, node_id));
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return std::move(found.second);
}

absl::StatusOr<Page<AttestedNode>> SqliteDataStore::ListNodes(const NodeFilter& filter,
                                                              const PageRequest& page) {
  SIGIL_ASSIGN_OR_RETURN(const sqlite::PageCursor cursor, sqlite::ParsePage(page));
  SIGIL_ASSIGN_OR_RETURN(WhereClause where, NodeWhere(filter));
  where.Add("n.id > ?", {cursor.after_id});
  const std::string page_query =
      absl::StrCat(" FROM attested_nodes n", where.Sql(), " ORDER BY n.id LIMIT ?");

  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginRead(*db_));
  Page<AttestedNode> result;
  std::vector<int64_t> rowids;
  {
    SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare(absl::StrCat("SELECT ", kNodeColumns, page_query)));
    where.BindTo(stmt);
    stmt.Bind(static_cast<int64_t>(cursor.size) + 1);
    while (true) {
      SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
      if (!row) {
        break;
      }
      if (result.items.size() == static_cast<size_t>(cursor.size)) {
        result.next_page_token = sqlite::MakePageToken(rowids.back());
        break;
      }
      rowids.push_back(stmt.Int(0));
      SIGIL_ASSIGN_OR_RETURN(AttestedNode node, NodeFromRow(stmt));
      result.items.push_back(std::move(node));
    }
  }
  if (!result.items.empty()) {
    NodeIndex index;
    for (size_t i = 0; i < rowids.size(); ++i) {
      index.emplace(rowids[i], &result.items[i]);
    }
    SIGIL_RETURN_IF_ERROR(LoadNodeSelectors(
        *db_, absl::StrCat("node_rowid IN (SELECT n.id", page_query, ")"),
        [&](Statement& s) {
          where.BindTo(s);
          s.Bind(static_cast<int64_t>(cursor.size));
        },
        index));
  }
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return result;
}

absl::StatusOr<int64_t> SqliteDataStore::CountNodes(const NodeFilter& filter) {
  SIGIL_ASSIGN_OR_RETURN(WhereClause where, NodeWhere(filter));
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare(absl::StrCat("SELECT COUNT(*) FROM attested_nodes n", where.Sql())));
  where.BindTo(stmt);
  SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  return row ? stmt.Int(0) : 0;
}

absl::StatusOr<AttestedNode> SqliteDataStore::BanNode(const SpiffeId& node_id) {
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt, db_->Prepare("UPDATE attested_nodes SET banned = 1 WHERE spiffe_id = ?"));
    stmt.Bind(node_id.str());
    SIGIL_RETURN_IF_ERROR(stmt.Run());
    if (stmt.Changes() == 0) {
      return absl::NotFoundError(absl::StrCat("no attested node ", node_id.str()));
    }
  }
  SIGIL_RETURN_IF_ERROR(sqlite::AppendEvent(*db_, EventKind::kNodeBanned, node_id.str(), clock_()));
  SIGIL_ASSIGN_OR_RETURN(auto found, ReadNode(*db_, node_id));
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return std::move(found.second);
}

absl::StatusOr<AttestedNode> SqliteDataStore::EvictNode(const SpiffeId& node_id) {
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  SIGIL_ASSIGN_OR_RETURN(auto found, ReadNode(*db_, node_id));
  {
    SIGIL_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("DELETE FROM attested_nodes WHERE id = ?"));
    stmt.Bind(found.first);
    SIGIL_RETURN_IF_ERROR(stmt.Run());
  }
  SIGIL_RETURN_IF_ERROR(
      sqlite::AppendEvent(*db_, EventKind::kNodeEvicted, node_id.str(), clock_()));
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return std::move(found.second);
}

absl::Status SqliteDataStore::CreateJoinToken(const JoinToken& token) {
  SIGIL_RETURN_IF_ERROR(ValidateJoinToken(token));
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare(
            "INSERT INTO join_tokens (token_sha256, expires_at, alias_id) VALUES (?, ?, ?)"));
    stmt.Bind(TokenDigest(token.token)).BindTime(token.expires_at);
    if (token.alias_id.has_value()) {
      stmt.Bind(token.alias_id->str());
    } else {
      stmt.BindNull();
    }
    if (absl::Status s = stmt.Run(); absl::IsAlreadyExists(s)) {
      return absl::AlreadyExistsError("a join token with the same value already exists");
    } else if (!s.ok()) {
      return s;
    }
  }
  return txn.Commit();
}

absl::StatusOr<JoinToken> SqliteDataStore::ConsumeJoinToken(const SecretBytes& token) {
  if (token.empty() || token.size() > kMaxJoinTokenLength) {
    return absl::NotFoundError("join token not found");
  }
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  JoinToken result{.token = token};
  {
    SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare("DELETE FROM join_tokens WHERE token_sha256 = ? "
                                        "RETURNING expires_at, alias_id"));
    stmt.Bind(TokenDigest(token));
    SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) {
      return absl::NotFoundError("join token not found (unknown or already used)");
    }
    result.expires_at = stmt.Time(0);
    if (!stmt.IsNull(1)) {
      absl::StatusOr<SpiffeId> alias = SpiffeId::Parse(stmt.Text(1));
      if (!alias.ok()) {
        return absl::DataLossError("stored join token has a malformed alias_id");
      }
      result.alias_id = *std::move(alias);
    }
    SIGIL_RETURN_IF_ERROR(stmt.Run());
  }
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  if (result.expires_at <= clock_()) {
    return absl::FailedPreconditionError(
        absl::StrCat("join token expired at ",
                     absl::FormatTime(absl::RFC3339_sec, result.expires_at, absl::UTCTimeZone())));
  }
  return result;
}

absl::StatusOr<int64_t> SqliteDataStore::PruneJoinTokens(absl::Time expired_before) {
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  int64_t deleted = 0;
  {
    SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare("DELETE FROM join_tokens WHERE expires_at < ?"));
    stmt.BindTime(expired_before);
    SIGIL_RETURN_IF_ERROR(stmt.Run());
    deleted = stmt.Changes();
  }
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return deleted;
}

}  // namespace sigil::server
