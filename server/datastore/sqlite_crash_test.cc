// Crash safety of the SQLite datastore: a child process writes and reports each acknowledged
// write to the parent over a pipe; the parent kills it with SIGKILL at a random moment, reopens
// the database and checks that every acknowledged write is there and the file is intact.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include <sqlite3.h>

#include "server/datastore/datastore_suite.h"
#include "server/datastore/sqlite_datastore.h"
#include "server/datastore/test_temp_dir.h"

namespace sigil::server::testing {
namespace {

constexpr int kRounds = 3;
constexpr int kChildWriteCap = 20000;  // the child stops on its own if never killed
constexpr int kBatchSize = 1000;

// Writes `line` + '\n' to `fd`; lines are shorter than PIPE_BUF, so each write is atomic.
bool Report(int fd, const std::string& line) {
  const std::string out = line + "\n";
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// The child: single creates, with a small batch every seventh step, each entry ID reported
// only after the call that wrote it returned OK.
[[noreturn]] void WriteEntriesUntilKilled(const std::string& path, int fd) {
  ::signal(SIGPIPE, SIG_IGN);
  absl::StatusOr<std::unique_ptr<DataStore>> store = OpenSqliteDataStore(path, {});
  if (!store.ok()) {
    ::_exit(2);
  }
  for (int i = 0; i < kChildWriteCap; ++i) {
    const std::string n = std::to_string(i);
    std::vector<std::string> ids;
    if (i % 7 == 6) {
      absl::StatusOr<std::vector<RegistrationEntry>> batch = (*store)->CreateEntries(
          {MakeEntry("b" + n + "/0", {"unix:uid:" + n}), MakeEntry("b" + n + "/1", {"a:b"}),
           MakeEntry("b" + n + "/2", {"a:b", "k8s:ns:" + n})});
      if (!batch.ok()) {
        ::_exit(3);
      }
      for (const RegistrationEntry& e : *batch) {
        ids.push_back(e.entry_id);
      }
    } else {
      absl::StatusOr<RegistrationEntry> e =
          (*store)->CreateEntry(MakeEntry("s" + n, {"unix:uid:" + n}));
      if (!e.ok()) {
        ::_exit(3);
      }
      ids.push_back(e->entry_id);
    }
    for (const std::string& id : ids) {
      if (!Report(fd, id)) {
        ::_exit(4);
      }
    }
  }
  ::_exit(0);
}

// The child: whole batches of kBatchSize, each reported as one line after it committed. The
// next batch is built before the report, so that from the report on the child is inside
// CreateEntries until the next report.
[[noreturn]] void WriteBatchesUntilKilled(const std::string& path, int fd) {
  ::signal(SIGPIPE, SIG_IGN);
  absl::StatusOr<std::unique_ptr<DataStore>> store = OpenSqliteDataStore(path, {});
  if (!store.ok()) {
    ::_exit(2);
  }
  auto make_batch = [](int b) {
    std::vector<RegistrationEntry> batch;
    for (int i = 0; i < kBatchSize; ++i) {
      batch.push_back(MakeEntry("b" + std::to_string(b) + "/" + std::to_string(i), {"a:b"}));
    }
    return batch;
  };
  std::vector<RegistrationEntry> next = make_batch(0);
  for (int b = 0; b < kChildWriteCap / kBatchSize; ++b) {
    if (!(*store)->CreateEntries(std::move(next)).ok()) {
      ::_exit(3);
    }
    next = make_batch(b + 1);
    if (!Report(fd, std::to_string(b))) {
      ::_exit(4);
    }
  }
  ::_exit(0);
}

// Forks `child`, reads its reports until `kill_after` arrived, SIGKILLs it, then drains what
// it had already written. Returns every report. With `rng`, the kill waits a random part of
// the mean interval between reports, so that it lands anywhere inside the next write rather
// than right after a report.
template <typename Child>
std::vector<std::string> RunAndKill(Child child, size_t kill_after, std::mt19937* rng) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const auto started = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork failed";
    return {};
  }
  if (pid == 0) {
    ::close(fds[0]);
    child(fds[1]);
    ::_exit(5);
  }
  ::close(fds[1]);

  std::vector<std::string> reports;
  std::string pending;
  bool killed = false;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;  // EOF: the child is gone and everything it wrote has been read
    }
    pending.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      reports.push_back(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
    if (!killed && reports.size() >= kill_after) {
      if (rng != nullptr) {
        const auto mean = (std::chrono::steady_clock::now() - started) / reports.size();
        std::uniform_int_distribution<int64_t> fraction(0, 999);
        std::this_thread::sleep_for(mean * fraction(*rng) / 1000);
      }
      ::kill(pid, SIGKILL);
      killed = true;
    }
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child ended on its own with status " << status << " after " << reports.size()
      << " reports";
  return reports;
}

std::string IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  std::string result = "could not open";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return result;
}

TEST(SqliteCrashTest, SigkillLosesNoAcknowledgedEntry) {
  std::random_device seed_source;
  const unsigned seed = seed_source();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<size_t> kill_after(50, 500);

  for (int round = 0; round < kRounds; ++round) {
    const size_t target = kill_after(rng);
    SCOPED_TRACE("seed " + std::to_string(seed) + ", round " + std::to_string(round) +
                 ", killed after " + std::to_string(target) + " acknowledgements");
    TempDir dir;
    const std::string path = dir.File("datastore.db");
    const std::vector<std::string> acked =
        RunAndKill([&](int fd) { WriteEntriesUntilKilled(path, fd); }, target, nullptr);
    ASSERT_GE(acked.size(), target);

    // Opening is the repair: SQLite replays the log on its own, and nothing else is needed.
    DS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<DataStore> store, OpenSqliteDataStore(path, {}));
    int missing = 0;
    for (const std::string& id : acked) {
      if (!store->FetchEntry(id).ok()) {
        ++missing;
      }
    }
    EXPECT_EQ(missing, 0) << "of " << acked.size() << " acknowledged entries";
    EXPECT_GE(*store->CountEntries({}), static_cast<int64_t>(acked.size()));
    store.reset();
    EXPECT_EQ(IntegrityCheck(path), "ok");
  }
}

TEST(SqliteCrashTest, SigkillDuringABatchLeavesAllOrNothingOfIt) {
  std::random_device seed_source;
  const unsigned seed = seed_source();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<size_t> kill_after(2, 8);

  for (int round = 0; round < kRounds; ++round) {
    const size_t target = kill_after(rng);
    SCOPED_TRACE("seed " + std::to_string(seed) + ", round " + std::to_string(round));
    TempDir dir;
    const std::string path = dir.File("datastore.db");
    const std::vector<std::string> acked =
        RunAndKill([&](int fd) { WriteBatchesUntilKilled(path, fd); }, target, &rng);
    ASSERT_GE(acked.size(), target);

    DS_ASSERT_OK_AND_ASSIGN(std::unique_ptr<DataStore> store, OpenSqliteDataStore(path, {}));
    DS_ASSERT_OK_AND_ASSIGN(int64_t count, store->CountEntries({}));
    EXPECT_EQ(count % kBatchSize, 0) << count << " entries: a batch was half written";
    EXPECT_GE(count, static_cast<int64_t>(acked.size()) * kBatchSize);
    store.reset();
    EXPECT_EQ(IntegrityCheck(path), "ok");
  }
}

}  // namespace
}  // namespace sigil::server::testing
