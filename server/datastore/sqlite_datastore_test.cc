// Runs the DataStore conformance suite on SQLite, plus what only SQLite has: the file, its
// permissions, the pragmas and the schema migrations.
#include "server/datastore/sqlite_datastore.h"

#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <sqlite3.h>

#include "server/datastore/datastore_suite.h"
#include "server/datastore/sqlite_db.h"
#include "server/datastore/sqlite_schema.h"
#include "server/datastore/test_temp_dir.h"
#include "sigil/keys.h"

namespace sigil::server::testing {
namespace {

using ::testing::HasSubstr;

class SqliteBackend : public DataStoreBackend {
 public:
  absl::StatusOr<std::unique_ptr<DataStore>> Open(DataStoreClock clock) override {
    return OpenSqliteDataStore(dir_.File("datastore.db"), {.clock = std::move(clock)});
  }

 private:
  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Sqlite, DataStoreTest,
                         ::testing::Values(DataStoreBackendFactory{
                             "Sqlite", [] { return std::make_unique<SqliteBackend>(); }}),
                         [](const auto& info) { return info.param.name; });

// Runs `sql` on its own connection and returns the first column of the first row ("" if none).
std::string RawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string result;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return result;
}

int FileMode(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class SqliteDataStoreTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<DataStore>> Open() {
    return OpenSqliteDataStore(path_, {.clock = clock_.AsDataStoreClock()});
  }

  TempDir dir_;
  const std::string path_ = dir_.File("datastore.db");
  FakeClock clock_;
};

TEST_F(SqliteDataStoreTest, NewDatabaseIsAtTheLatestSchemaVersion) {
  DS_ASSERT_OK_AND_ASSIGN(auto store, Open());
  EXPECT_EQ(RawQuery(path_, "PRAGMA user_version"), std::to_string(SqliteSchemaVersion()));
}

TEST_F(SqliteDataStoreTest, UsesTheWriteAheadLog) {
  DS_ASSERT_OK_AND_ASSIGN(auto store, Open());
  EXPECT_EQ(RawQuery(path_, "PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteDataStoreTest, CreatesEveryDatabaseFileOwnerOnly) {
  const mode_t old_umask = ::umask(022);
  DS_ASSERT_OK_AND_ASSIGN(auto store, Open());
  ::umask(old_umask);
  DS_ASSERT_OK(store->CreateEntry(MakeEntry("web", {"unix:uid:1"})).status());
  EXPECT_EQ(FileMode(path_), 0600);
  EXPECT_EQ(FileMode(path_ + "-wal"), 0600);
  EXPECT_EQ(FileMode(path_ + "-shm"), 0600);
}

TEST_F(SqliteDataStoreTest, NarrowsAnExistingWorldReadableFile) {
  { std::ofstream touch(path_); }
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  DS_ASSERT_OK_AND_ASSIGN(auto store, Open());
  EXPECT_EQ(FileMode(path_), 0600);
}

TEST_F(SqliteDataStoreTest, RefusesADatabaseWrittenByANewerBinary) {
  { DS_ASSERT_OK_AND_ASSIGN(auto store, Open()); }
  RawQuery(path_, "PRAGMA user_version = " + std::to_string(SqliteSchemaVersion() + 1));
  absl::StatusOr<std::unique_ptr<DataStore>> store = Open();
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("newer than this binary"));
}

TEST_F(SqliteDataStoreTest, RefusesAFileThatIsNotADatabase) {
  {
    std::ofstream out(path_, std::ios::binary);
    out << std::string(4096, 'x');
  }
  EXPECT_EQ(Open().status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(SqliteDataStoreTest, RefusesAnEmptyPath) {
  EXPECT_EQ(OpenSqliteDataStore("", {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteDataStoreTest, DeletingAnEntryCascadesToItsChildRows) {
  DS_ASSERT_OK_AND_ASSIGN(auto store, Open());
  RegistrationEntry in = MakeEntry("web", {"unix:uid:1", "unix:gid:1"});
  in.dns_names = {"a.example.org"};
  in.federates_with = {Td("partner.org")};
  DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e, store->CreateEntry(in));
  DS_ASSERT_OK(store->DeleteEntry(e.entry_id).status());
  EXPECT_EQ(RawQuery(path_, "SELECT COUNT(*) FROM entry_selectors"), "0");
  EXPECT_EQ(RawQuery(path_, "SELECT COUNT(*) FROM entry_dns_names"), "0");
  EXPECT_EQ(RawQuery(path_, "SELECT COUNT(*) FROM entry_federates_with"), "0");
}

TEST_F(SqliteDataStoreTest, JoinTokensAreStoredOnlyAsDigests) {
  const std::string token = "join-token-that-must-not-be-on-disk";
  {
    DS_ASSERT_OK_AND_ASSIGN(auto store, Open());
    DS_ASSERT_OK(store->CreateJoinToken(
        JoinToken{.token = SecretBytes(token), .expires_at = clock_.Now() + absl::Hours(1)}));
  }
  EXPECT_EQ(RawQuery(path_, "SELECT token_sha256 FROM join_tokens"), HexEncode(Sha256(token)));
  const std::string bytes = ReadFile(path_) + ReadFile(path_ + "-wal");
  EXPECT_EQ(bytes.find(token), std::string::npos);
}

TEST_F(SqliteDataStoreTest, DatabasePassesIntegrityCheckAfterWrites) {
  {
    DS_ASSERT_OK_AND_ASSIGN(auto store, Open());
    for (int i = 0; i < 20; ++i) {
      DS_ASSERT_OK_AND_ASSIGN(RegistrationEntry e,
                              store->CreateEntry(MakeEntry("w" + std::to_string(i), {"a:b"})));
      if (i % 2 == 0) {
        DS_ASSERT_OK(store->DeleteEntry(e.entry_id).status());
      }
    }
  }
  EXPECT_EQ(RawQuery(path_, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(RawQuery(path_, "PRAGMA foreign_key_check"), "");
}

TEST_F(SqliteDataStoreTest, ConcurrentCallersShareOneStore) {
  DS_ASSERT_OK_AND_ASSIGN(auto store, Open());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string path = "t" + std::to_string(t) + "/" + std::to_string(i);
        if (!store->CreateEntry(MakeEntry(path, {"a:b"})).ok()) {
          ++failures;
        }
        if (!store->CountEntries({}).ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& th : threads) {
    th.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*store->CountEntries({}), 100);
}

TEST_F(SqliteDataStoreTest, FiltersOfManyShapesStayCorrectPastTheStatementCache) {
  DS_ASSERT_OK_AND_ASSIGN(auto store, Open());
  DS_ASSERT_OK(store->CreateEntry(MakeEntry("web", {"a:0"})).status());
  // Each selector count is a distinct statement; 300 of them overflow the 256-slot cache.
  std::vector<Selector> selectors;
  for (int i = 0; i < 300; ++i) {
    selectors.push_back(Selector{"a", std::to_string(i)});
    DS_ASSERT_OK_AND_ASSIGN(
        int64_t n,
        store->CountEntries({.selectors = selectors, .selector_match = SelectorMatch::kAny}));
    ASSERT_EQ(n, 1) << "with " << selectors.size() << " selectors";
  }
  DS_ASSERT_OK_AND_ASSIGN(int64_t again, store->CountEntries({.selectors = Sels({"a:0"})}));
  EXPECT_EQ(again, 1);
}

// --- Migrations, through the schema module directly ---

class SqliteMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DS_ASSERT_OK_AND_ASSIGN(db_, sqlite::Connection::Open(dir_.File("m.db"), absl::Seconds(1)));
  }

  TempDir dir_;
  std::unique_ptr<sqlite::Connection> db_;
};

TEST_F(SqliteMigrationTest, AppliesEveryMigrationToAnEmptyDatabase) {
  const sqlite::Migration migrations[] = {{1, "CREATE TABLE a (x)"}, {2, "CREATE TABLE b (y)"}};
  DS_ASSERT_OK(sqlite::ApplyMigrations(*db_, migrations));
  EXPECT_EQ(*sqlite::ReadSchemaVersion(*db_), 2);
}

TEST_F(SqliteMigrationTest, AppliesOnlyTheMigrationsADatabaseLacks) {
  const sqlite::Migration v1[] = {{1, "CREATE TABLE a (x)"}};
  DS_ASSERT_OK(sqlite::ApplyMigrations(*db_, v1));
  // Re-running version 1 would fail: table a exists.
  const sqlite::Migration v2[] = {{1, "CREATE TABLE a (x)"}, {2, "CREATE TABLE b (y)"}};
  DS_ASSERT_OK(sqlite::ApplyMigrations(*db_, v2));
  EXPECT_EQ(*sqlite::ReadSchemaVersion(*db_), 2);
}

TEST_F(SqliteMigrationTest, FailedMigrationRollsBackAndKeepsTheEarlierVersion) {
  const sqlite::Migration migrations[] = {
      {1, "CREATE TABLE a (x)"},
      {2, "CREATE TABLE b (y); THIS IS NOT SQL"},
  };
  const absl::Status s = sqlite::ApplyMigrations(*db_, migrations);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("version 2"));
  EXPECT_EQ(*sqlite::ReadSchemaVersion(*db_), 1);
  EXPECT_EQ(RawQuery(dir_.File("m.db"),
                     "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'b'"),
            "0");
}

TEST_F(SqliteMigrationTest, RefusesADatabaseNewerThanTheMigrations) {
  DS_ASSERT_OK(db_->Exec("PRAGMA user_version = 9"));
  const sqlite::Migration migrations[] = {{1, "CREATE TABLE a (x)"}};
  EXPECT_EQ(sqlite::ApplyMigrations(*db_, migrations).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*sqlite::ReadSchemaVersion(*db_), 9);
}

TEST(SqliteTimeEncodingTest, InfinitiesRoundTrip) {
  EXPECT_EQ(sqlite::DecodeTime(sqlite::EncodeTime(absl::InfiniteFuture())), absl::InfiniteFuture());
  EXPECT_EQ(sqlite::DecodeTime(sqlite::EncodeTime(absl::InfinitePast())), absl::InfinitePast());
}

TEST(SqliteTimeEncodingTest, KeepsWholeMicrosecondsBeforeTheEpoch) {
  const absl::Time t = absl::FromUnixMicros(-1'234'567);
  EXPECT_EQ(sqlite::DecodeTime(sqlite::EncodeTime(t)), t);
}

}  // namespace
}  // namespace sigil::server::testing
