// Shared pieces of the CA tests: a settable clock, a scratch directory holding a real SQLite
// datastore and a disk key directory, and a CaManager started on them.
#ifndef SIGIL_SERVER_CA_CA_TEST_UTIL_H_
#define SIGIL_SERVER_CA_CA_TEST_UTIL_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

#include "server/ca/ca_manager.h"
#include "server/ca/key_manager.h"
#include "server/datastore/datastore.h"
#include "server/datastore/test_temp_dir.h"
#include "sigil/bundle.h"
#include "sigil/certificate.h"
#include "sigil/keys.h"
#include "sigil/spiffe_id.h"

namespace sigil::server::testing {

// 2030-01-01T00:00:00Z: far enough from the build machine's clock that no test passes by
// accident of the real time.
inline constexpr int64_t kTestEpochSeconds = 1893456000;

class FakeClock {
 public:
  absl::Time Now() const {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  std::function<absl::Time()> AsFunction() {
    return [this] { return Now(); };
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ = absl::FromUnixSeconds(kTestEpochSeconds);
};

TrustDomain TestTrustDomain();

// Options for CaEnvironment::Start; each member mirrors CaManagerConfig.
struct StartOptions {
  bool memory_keys = false;
  std::unique_ptr<UpstreamAuthority> upstream;
  absl::Duration ca_ttl = absl::Hours(24);
  absl::Duration grace = kDefaultOldAuthorityGrace;
};

// A temp directory with "datastore.sqlite3" and "keys/", kept across manager restarts.
class CaEnvironment {
 public:
  CaEnvironment();

  FakeClock& clock() { return clock_; }
  DataStore& datastore() { return *datastore_; }
  const std::string& key_dir() const { return key_dir_; }
  const TempDir& dir() const { return dir_; }

  // Starts a manager (the previous one, if any, is destroyed first, as a restart would).
  absl::StatusOr<CaManager*> Start(StartOptions options = {});
  CaManager& ca() { return *ca_; }
  // Destroys the manager and reopens the datastore, as a process restart does.
  void Stop();

 private:
  TempDir dir_;
  std::string key_dir_;
  FakeClock clock_;
  std::unique_ptr<DataStore> datastore_;
  std::unique_ptr<CaManager> ca_;
};

// The bundle of `ca` as a BundleSet, for the validators.
BundleSet BundleSetOf(const CaManager& ca);

// A fresh P-256 key; fails the test (returns a key anyway) if generation fails.
PrivateKey NewTestKey();

// The authority of `kind` in `state`, or an empty id.
std::string IdInState(const CaManager& ca, AuthorityKind kind, AuthorityState state);
int CountInState(const CaManager& ca, AuthorityKind kind, AuthorityState state);

// Signs a leaf for spiffe://example.org/workload and returns leaf + intermediates.
absl::StatusOr<std::vector<Certificate>> SignTestLeaf(const CaManager& ca,
                                                      absl::Duration ttl = absl::Hours(1));

}  // namespace sigil::server::testing

#endif  // SIGIL_SERVER_CA_CA_TEST_UTIL_H_
