// Registration entries in SQLite: the registered_entries row plus its selectors, DNS names and
// federated trust domains in child tables.
#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

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

constexpr sqlite::SelectorTables kEntrySelectorTables{
    .parent_table = "registered_entries",
    .parent_alias = "e",
    .child_table = "entry_selectors",
    .child_key = "entry_rowid",
};

constexpr absl::string_view kEntryColumns =
    "e.id, e.entry_id, e.spiffe_id, e.parent_id, e.x509_svid_ttl, e.jwt_svid_ttl, e.admin, "
    "e.downstream, e.hint, e.expires_at, e.revision, e.owner, e.description, e.created_at, "
    "e.updated_at";

// Rounds `t` to what the store keeps, so a returned record equals a later fetch of it.
absl::Time Stored(absl::Time t) { return sqlite::DecodeTime(sqlite::EncodeTime(t)); }

absl::StatusOr<SpiffeId> ParseStoredId(std::string_view text, std::string_view what,
                                       std::string_view entry_id) {
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(text);
  if (!id.ok()) {
    return absl::DataLossError(absl::StrCat("stored entry ", AsAbsl(entry_id), " has a malformed ",
                                            AsAbsl(what), ": ", id.status().message()));
  }
  return id;
}

// Reads the columns of kEntryColumns; the child tables are filled in by LoadEntryChildren.
absl::StatusOr<RegistrationEntry> EntryFromRow(const Statement& s) {
  std::string entry_id = s.Text(1);
  SIGIL_ASSIGN_OR_RETURN(SpiffeId spiffe_id, ParseStoredId(s.Text(2), "spiffe_id", entry_id));
  SIGIL_ASSIGN_OR_RETURN(SpiffeId parent_id, ParseStoredId(s.Text(3), "parent_id", entry_id));
  return RegistrationEntry{
      .entry_id = std::move(entry_id),
      .spiffe_id = std::move(spiffe_id),
      .parent_id = std::move(parent_id),
      .x509_svid_ttl_seconds = static_cast<int32_t>(s.Int(4)),
      .jwt_svid_ttl_seconds = static_cast<int32_t>(s.Int(5)),
      .admin = s.Bool(6),
      .downstream = s.Bool(7),
      .hint = s.Text(8),
      .expires_at = s.OptionalTime(9),
      .revision = s.Int(10),
      .owner = s.Text(11),
      .description = s.Text(12),
      .created_at = s.Time(13),
      .updated_at = s.Time(14),
  };
}

using EntryIndex = absl::flat_hash_map<int64_t, RegistrationEntry*>;
using Binder = std::function<void(Statement&)>;

// Fills selectors, DNS names and federated trust domains of the entries in `index` (keyed by
// row id). `rowid_condition` restricts the child rows, with parameters bound by `bind`.
absl::Status LoadEntryChildren(Connection& db, std::string_view rowid_condition, const Binder& bind,
                               const EntryIndex& index) {
  auto for_each_row =
      [&](std::string_view table, std::string_view columns, std::string_view order,
          const std::function<absl::Status(RegistrationEntry&, Statement&)>& take) -> absl::Status {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt, db.Prepare(absl::StrCat("SELECT entry_rowid, ", AsAbsl(columns), " FROM ",
                                                AsAbsl(table), " WHERE ", AsAbsl(rowid_condition),
                                                " ORDER BY entry_rowid, ", AsAbsl(order))));
    bind(stmt);
    while (true) {
      SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
      if (!row) {
        return absl::OkStatus();
      }
      auto it = index.find(stmt.Int(0));
      if (it != index.end()) {
        SIGIL_RETURN_IF_ERROR(take(*it->second, stmt));
      }
    }
  };

  SIGIL_RETURN_IF_ERROR(for_each_row("entry_selectors", "type, value", "type, value",
                                     [](RegistrationEntry& e, Statement& s) {
                                       e.selectors.push_back(Selector{s.Text(1), s.Text(2)});
                                       return absl::OkStatus();
                                     }));
  SIGIL_RETURN_IF_ERROR(
      for_each_row("entry_dns_names", "name", "position", [](RegistrationEntry& e, Statement& s) {
        e.dns_names.push_back(s.Text(1));
        return absl::OkStatus();
      }));
  return for_each_row(
      "entry_federates_with", "trust_domain", "position",
      [](RegistrationEntry& e, Statement& s) -> absl::Status {
        absl::StatusOr<TrustDomain> td = TrustDomain::FromString(s.Text(1));
        if (!td.ok()) {
          return absl::DataLossError(absl::StrCat("stored entry ", e.entry_id,
                                                  " has a malformed federates_with trust domain"));
        }
        e.federates_with.push_back(*std::move(td));
        return absl::OkStatus();
      });
}

// Reads one entry by ID inside the caller's transaction. Also returns its row id.
absl::StatusOr<std::pair<int64_t, RegistrationEntry>> ReadEntry(Connection& db,
                                                                std::string_view entry_id) {
  std::optional<RegistrationEntry> entry;
  int64_t rowid = 0;
  {
    SIGIL_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(absl::StrCat(
                                               "SELECT ", kEntryColumns,
                                               " FROM registered_entries e WHERE e.entry_id = ?")));
    stmt.Bind(entry_id);
    SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) {
      return absl::NotFoundError(absl::StrCat("no entry with id ", AsAbsl(entry_id)));
    }
    rowid = stmt.Int(0);
    SIGIL_ASSIGN_OR_RETURN(entry, EntryFromRow(stmt));
  }
  EntryIndex index{{rowid, &*entry}};
  SIGIL_RETURN_IF_ERROR(LoadEntryChildren(
      db, "entry_rowid = ?", [rowid](Statement& s) { s.Bind(rowid); }, index));
  return std::make_pair(rowid, *std::move(entry));
}

absl::Status InsertEntryChildren(Connection& db, int64_t rowid, const RegistrationEntry& entry) {
  for (const Selector& sel : entry.selectors) {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare("INSERT INTO entry_selectors (entry_rowid, type, value) VALUES (?, ?, ?)"));
    stmt.Bind(rowid).Bind(sel.type).Bind(sel.value);
    SIGIL_RETURN_IF_ERROR(stmt.Run());
  }
  for (size_t i = 0; i < entry.dns_names.size(); ++i) {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare("INSERT INTO entry_dns_names (entry_rowid, position, name) VALUES (?, ?, ?)"));
    stmt.Bind(rowid).Bind(static_cast<int64_t>(i)).Bind(entry.dns_names[i]);
    SIGIL_RETURN_IF_ERROR(stmt.Run());
  }
  for (size_t i = 0; i < entry.federates_with.size(); ++i) {
    SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                           db.Prepare("INSERT INTO entry_federates_with "
                                      "(entry_rowid, position, trust_domain) VALUES (?, ?, ?)"));
    stmt.Bind(rowid).Bind(static_cast<int64_t>(i)).Bind(entry.federates_with[i].name());
    SIGIL_RETURN_IF_ERROR(stmt.Run());
  }
  return absl::OkStatus();
}

absl::Status DeleteEntryChildren(Connection& db, int64_t rowid) {
  for (std::string_view sql : {"DELETE FROM entry_selectors WHERE entry_rowid = ?",
                               "DELETE FROM entry_dns_names WHERE entry_rowid = ?",
                               "DELETE FROM entry_federates_with WHERE entry_rowid = ?"}) {
    SIGIL_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(sql));
    stmt.Bind(rowid);
    SIGIL_RETURN_IF_ERROR(stmt.Run());
  }
  return absl::OkStatus();
}

// Turns a uniqueness violation on `entry` into a message naming the rule and the entry that
// holds the spot. `self_rowid` is excluded (0 for a create).
absl::Status DescribeDuplicate(Connection& db, const RegistrationEntry& entry,
                               const std::string& selector_hash, int64_t self_rowid) {
  {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare("SELECT id FROM registered_entries WHERE entry_id = ? AND id <> ?"));
    stmt.Bind(entry.entry_id).Bind(self_rowid);
    SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (row) {
      return absl::AlreadyExistsError(
          absl::StrCat("entry_id ", entry.entry_id, " is already taken"));
    }
  }
  SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                         db.Prepare("SELECT entry_id FROM registered_entries WHERE spiffe_id = ? "
                                    "AND parent_id = ? AND selector_set_hash = ? AND id <> ?"));
  stmt.Bind(entry.spiffe_id.str()).Bind(entry.parent_id.str()).Bind(selector_hash).Bind(self_rowid);
  SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  if (row) {
    return absl::AlreadyExistsError(absl::StrCat(
        "entry ", stmt.Text(0), " already has the same spiffe_id, parent_id and selectors"));
  }
  return absl::AlreadyExistsError("entry violates a uniqueness rule");
}

// Inserts `entry` (already validated and given an ID) with its children and event, inside
// the caller's transaction, and completes the store-owned fields.
absl::Status InsertEntry(Connection& db, RegistrationEntry& entry, absl::Time now) {
  std::sort(entry.selectors.begin(), entry.selectors.end());
  entry.revision = 1;
  entry.created_at = entry.updated_at = now;
  const std::string hash = sqlite::SelectorSetHash(entry.selectors);

  int64_t rowid = 0;
  {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db.Prepare("INSERT INTO registered_entries (entry_id, spiffe_id, parent_id, "
                   "selector_set_hash, selector_count, x509_svid_ttl, jwt_svid_ttl, admin, "
                   "downstream, hint, expires_at, revision, owner, description, created_at, "
                   "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                   "RETURNING id"));
    stmt.Bind(entry.entry_id)
        .Bind(entry.spiffe_id.str())
        .Bind(entry.parent_id.str())
        .Bind(hash)
        .Bind(static_cast<int64_t>(entry.selectors.size()))
        .Bind(entry.x509_svid_ttl_seconds)
        .Bind(entry.jwt_svid_ttl_seconds)
        .Bind(entry.admin)
        .Bind(entry.downstream)
        .Bind(entry.hint)
        .BindOptionalTime(entry.expires_at)
        .Bind(entry.revision)
        .Bind(entry.owner)
        .Bind(entry.description)
        .BindTime(entry.created_at)
        .BindTime(entry.updated_at);
    absl::StatusOr<bool> row = stmt.Step();
    if (absl::IsAlreadyExists(row.status())) {
      return DescribeDuplicate(db, entry, hash, 0);
    }
    SIGIL_RETURN_IF_ERROR(row.status());
    rowid = stmt.Int(0);
  }
  SIGIL_RETURN_IF_ERROR(InsertEntryChildren(db, rowid, entry));
  return sqlite::AppendEvent(db, EventKind::kEntryCreated, entry.entry_id, now);
}

absl::Status ValidateForCreate(RegistrationEntry& entry) {
  SIGIL_RETURN_IF_ERROR(ValidateRegistrationEntry(entry));
  if (entry.entry_id.empty()) {
    SIGIL_ASSIGN_OR_RETURN(entry.entry_id, sqlite::NewUuid());
  }
  return absl::OkStatus();
}

absl::StatusOr<WhereClause> EntryWhere(const EntryFilter& filter) {
  if (filter.selectors.size() > kMaxNodeSelectors) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter has more than ", kMaxNodeSelectors, " selectors"));
  }
  for (const Selector& s : filter.selectors) {
    SIGIL_RETURN_IF_ERROR(ValidateSelector(s));
  }
  WhereClause where;
  if (filter.spiffe_id.has_value()) {
    where.Add("e.spiffe_id = ?", {filter.spiffe_id->str()});
  }
  if (filter.parent_id.has_value()) {
    where.Add("e.parent_id = ?", {filter.parent_id->str()});
  }
  if (filter.owner.has_value()) {
    where.Add("e.owner = ?", {*filter.owner});
  }
  where.AddSelectors(kEntrySelectorTables, filter.selectors, filter.selector_match);
  return where;
}

}  // namespace

absl::StatusOr<RegistrationEntry> SqliteDataStore::CreateEntry(RegistrationEntry entry) {
  SIGIL_RETURN_IF_ERROR(ValidateForCreate(entry));

  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  SIGIL_RETURN_IF_ERROR(InsertEntry(*db_, entry, Stored(clock_())));
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return entry;
}

absl::StatusOr<std::vector<RegistrationEntry>> SqliteDataStore::CreateEntries(
    std::vector<RegistrationEntry> entries) {
  for (size_t i = 0; i < entries.size(); ++i) {
    if (absl::Status s = ValidateForCreate(entries[i]); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("entries[", i, "]: ", s.message()));
    }
  }

  absl::MutexLock lock(&mu_);
  const absl::Time now = Stored(clock_());
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  for (size_t i = 0; i < entries.size(); ++i) {
    if (absl::Status s = InsertEntry(*db_, entries[i], now); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("entries[", i, "]: ", s.message()));
    }
  }
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return entries;
}

absl::StatusOr<RegistrationEntry> SqliteDataStore::UpdateEntry(
    const RegistrationEntry& entry, std::optional<int64_t> expected_revision) {
  if (entry.entry_id.empty()) {
    return absl::InvalidArgumentError("entry_id is empty: an update names the entry to change");
  }
  SIGIL_RETURN_IF_ERROR(ValidateRegistrationEntry(entry));
  RegistrationEntry updated = entry;
  std::sort(updated.selectors.begin(), updated.selectors.end());
  const std::string hash = sqlite::SelectorSetHash(updated.selectors);

  absl::MutexLock lock(&mu_);
  const absl::Time now = Stored(clock_());
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  int64_t rowid = 0;
  {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("SELECT id, revision, created_at FROM registered_entries WHERE entry_id = ?"));
    stmt.Bind(entry.entry_id);
    SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) {
      return absl::NotFoundError(absl::StrCat("no entry with id ", entry.entry_id));
    }
    rowid = stmt.Int(0);
    updated.revision = stmt.Int(1) + 1;
    updated.created_at = stmt.Time(2);
    updated.updated_at = now;
    if (expected_revision.has_value() && *expected_revision != stmt.Int(1)) {
      return absl::AbortedError(absl::StrCat("entry ", entry.entry_id, " is at revision ",
                                             stmt.Int(1), ", not the expected ", *expected_revision,
                                             ": read it again and retry"));
    }
  }
  {
    SIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("UPDATE registered_entries SET spiffe_id = ?, parent_id = ?, "
                     "selector_set_hash = ?, selector_count = ?, x509_svid_ttl = ?, "
                     "jwt_svid_ttl = ?, admin = ?, downstream = ?, hint = ?, expires_at = ?, "
                     "revision = ?, owner = ?, description = ?, updated_at = ? WHERE id = ?"));
    stmt.Bind(updated.spiffe_id.str())
        .Bind(updated.parent_id.str())
        .Bind(hash)
        .Bind(static_cast<int64_t>(updated.selectors.size()))
        .Bind(updated.x509_svid_ttl_seconds)
        .Bind(updated.jwt_svid_ttl_seconds)
        .Bind(updated.admin)
        .Bind(updated.downstream)
        .Bind(updated.hint)
        .BindOptionalTime(updated.expires_at)
        .Bind(updated.revision)
        .Bind(updated.owner)
        .Bind(updated.description)
        .BindTime(updated.updated_at)
        .Bind(rowid);
    if (absl::Status s = stmt.Run(); absl::IsAlreadyExists(s)) {
      return DescribeDuplicate(*db_, updated, hash, rowid);
    } else if (!s.ok()) {
      return s;
    }
  }
  SIGIL_RETURN_IF_ERROR(DeleteEntryChildren(*db_, rowid));
  SIGIL_RETURN_IF_ERROR(InsertEntryChildren(*db_, rowid, updated));
  SIGIL_RETURN_IF_ERROR(sqlite::AppendEvent(*db_, EventKind::kEntryUpdated, entry.entry_id, now));
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return updated;
}

absl::StatusOr<RegistrationEntry> SqliteDataStore::DeleteEntry(std::string_view entry_id) {
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginWrite(*db_));
  SIGIL_ASSIGN_OR_RETURN(auto found, ReadEntry(*db_, entry_id));
  {
    SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare("DELETE FROM registered_entries WHERE id = ?"));
    stmt.Bind(found.first);
    SIGIL_RETURN_IF_ERROR(stmt.Run());
  }
  SIGIL_RETURN_IF_ERROR(
      sqlite::AppendEvent(*db_, EventKind::kEntryDeleted, entry_id, Stored(clock_())));
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return std::move(found.second);
}

absl::StatusOr<RegistrationEntry> SqliteDataStore::FetchEntry(std::string_view entry_id) {
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginRead(*db_));
  SIGIL_ASSIGN_OR_RETURN(auto found, ReadEntry(*db_, entry_id));
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return std::move(found.second);
}

absl::StatusOr<Page<RegistrationEntry>> SqliteDataStore::ListEntries(const EntryFilter& filter,
                                                                     const PageRequest& page) {
  SIGIL_ASSIGN_OR_RETURN(const sqlite::PageCursor cursor, sqlite::ParsePage(page));
  SIGIL_ASSIGN_OR_RETURN(WhereClause where, EntryWhere(filter));
  where.Add("e.id > ?", {cursor.after_id});
  const std::string page_query =
      absl::StrCat(" FROM registered_entries e", where.Sql(), " ORDER BY e.id LIMIT ?");

  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginRead(*db_));
  Page<RegistrationEntry> result;
  std::vector<int64_t> rowids;
  {
    // One row more than the page tells whether another page follows.
    SIGIL_ASSIGN_OR_RETURN(Statement stmt,
                           db_->Prepare(absl::StrCat("SELECT ", kEntryColumns, page_query)));
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
      SIGIL_ASSIGN_OR_RETURN(RegistrationEntry entry, EntryFromRow(stmt));
      result.items.push_back(std::move(entry));
    }
  }
  if (!result.items.empty()) {
    EntryIndex index;
    index.reserve(rowids.size());
    for (size_t i = 0; i < rowids.size(); ++i) {
      index.emplace(rowids[i], &result.items[i]);
    }
    // The children come from the same filtered page, repeated as a subquery: exact for sparse
    // filters and a plain key range when there is no filter.
    const std::string condition = absl::StrCat("entry_rowid IN (SELECT e.id", page_query, ")");
    SIGIL_RETURN_IF_ERROR(LoadEntryChildren(
        *db_, condition,
        [&](Statement& s) {
          where.BindTo(s);
          s.Bind(static_cast<int64_t>(cursor.size));
        },
        index));
  }
  SIGIL_RETURN_IF_ERROR(txn.Commit());
  return result;
}

absl::StatusOr<int64_t> SqliteDataStore::CountEntries(const EntryFilter& filter) {
  SIGIL_ASSIGN_OR_RETURN(WhereClause where, EntryWhere(filter));
  absl::MutexLock lock(&mu_);
  SIGIL_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare(absl::StrCat("SELECT COUNT(*) FROM registered_entries e", where.Sql())));
  where.BindTo(stmt);
  SIGIL_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  return row ? stmt.Int(0) : 0;
}

}  // namespace sigil::server
