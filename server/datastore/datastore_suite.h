// The DataStore conformance suite: behaviour every backend must show, written once against the
// interface. A backend joins by instantiating the suite with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, DataStoreTest,
//                            ::testing::Values(DataStoreBackendFactory{"Sqlite", MakeSqlite}),
//                            [](const auto& info) { return info.param.name; });
//
// and linking datastore_suite_test.cc into its test program.
#ifndef SIGIL_SERVER_DATASTORE_DATASTORE_SUITE_H_
#define SIGIL_SERVER_DATASTORE_DATASTORE_SUITE_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

#include "server/datastore/datastore.h"

// Assertions on absl::Status / absl::StatusOr for the datastore tests. Status messages here
// never hold secrets, so printing them on failure is safe.
#define DS_ASSERT_OK(expr)                      \
  do {                                          \
    const absl::Status ds_status_ = (expr);     \
    ASSERT_TRUE(ds_status_.ok()) << ds_status_; \
  } while (false)
#define DS_CONCAT_INNER_(a, b) a##b
#define DS_CONCAT_(a, b) DS_CONCAT_INNER_(a, b)
#define DS_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  DS_ASSERT_OK_AND_ASSIGN_IMPL_(DS_CONCAT_(ds_result_, __LINE__), lhs, expr)
#define DS_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  ASSERT_TRUE(tmp.ok()) << tmp.status();              \
  lhs = std::move(tmp).value()

namespace sigil::server::testing {

// One empty store, private to one test.
class DataStoreBackend {
 public:
  virtual ~DataStoreBackend() = default;
  // Opens the store. Called again after the previous instance was destroyed, it must open the
  // same data (the suite checks that data survives a reopen).
  virtual absl::StatusOr<std::unique_ptr<DataStore>> Open(DataStoreClock clock) = 0;
};

struct DataStoreBackendFactory {
  std::string name;  // the test-name suffix, e.g. "Sqlite"
  std::function<std::unique_ptr<DataStoreBackend>()> make;
};
inline void PrintTo(const DataStoreBackendFactory& factory, std::ostream* os) {
  *os << factory.name;
}

// A clock the test moves by hand. Starts at a fixed instant with a sub-microsecond part, so
// that storage precision shows.
class FakeClock {
 public:
  absl::Time Now() const { return now_; }
  void Advance(absl::Duration d) { now_ += d; }
  DataStoreClock AsDataStoreClock() {
    return [this] { return now_; };
  }

 private:
  absl::Time now_ = absl::FromUnixNanos(1'700'000'000'123'456'789);
};

// Test shorthands; they abort the test program on malformed literals.
SpiffeId Id(std::string_view text);
TrustDomain Td(std::string_view name);
std::vector<Selector> Sels(std::initializer_list<std::string_view> texts);

// A valid entry: spiffe://example.org/<path>, parented on spiffe://example.org/agent/a.
RegistrationEntry MakeEntry(std::string_view path,
                            std::initializer_list<std::string_view> selectors,
                            std::string_view parent = "spiffe://example.org/agent/a");

class DataStoreTest : public ::testing::TestWithParam<DataStoreBackendFactory> {
 protected:
  void SetUp() override;
  // Closes the store and opens it again through the backend.
  void Reopen();
  DataStore& store() { return *store_; }

  FakeClock clock_;

 private:
  std::unique_ptr<DataStoreBackend> backend_;
  std::unique_ptr<DataStore> store_;
};

}  // namespace sigil::server::testing

#endif  // SIGIL_SERVER_DATASTORE_DATASTORE_SUITE_H_
