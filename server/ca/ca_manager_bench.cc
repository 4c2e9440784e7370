// CaManager costs: signing through the manager's snapshot beside the bare X509Issuer it wraps,
// JWT-SVID signing, an idle Tick, and a first start and a restart on SQLite and disk keys.
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "benchmark/benchmark.h"

#include "server/ca/ca_manager.h"
#include "server/ca/key_manager.h"
#include "server/datastore/sqlite_datastore.h"
#include "server/datastore/test_temp_dir.h"

namespace sigil::server {
namespace {

using ::sigil::server::testing::TempDir;

struct Setup {
  TempDir dir;
  std::unique_ptr<DataStore> datastore;
  std::unique_ptr<CaManager> ca;

  Setup() {
    datastore = *OpenSqliteDataStore(dir.File("ds.sqlite3"), {});
    Start();
  }
  void Start() {
    ca.reset();
    ca = *CaManager::Create(CaManagerConfig{
        .trust_domain = *TrustDomain::FromString("example.org"),
        .key_manager = *DiskKeyManager::Open(dir.File("keys")),
        .datastore = datastore.get(),
        .clock = [] { return absl::Now(); },
    });
  }
};

const X509SvidParams& Params() {
  static const X509SvidParams params{.spiffe_id =
                                         *SpiffeId::Parse("spiffe://example.org/ns/web/sa/api")};
  return params;
}

const std::string& Spki() {
  static const std::string spki = PrivateKey::Generate(KeyType::kEcP256)->public_key().ToSpkiDer();
  return spki;
}

void BM_CaManagerSignX509SvidFromSpki(benchmark::State& state) {
  static Setup* setup = new Setup();
  for (auto _ : state) {
    absl::StatusOr<IssuedX509Svid> svid = setup->ca->SignX509Svid(Params(), Spki());
    benchmark::DoNotOptimize(svid);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CaManagerSignX509SvidFromSpki)->Threads(1)->Threads(2)->UseRealTime();

// The same signature with the issuer held directly: what the snapshot indirection costs.
void BM_BareIssuerSignX509SvidFromSpki(benchmark::State& state) {
  static Setup* setup = new Setup();
  static X509Issuer* issuer = [] {
    const AuthorityRecord active = setup->ca->List(AuthorityKind::kX509).front();
    absl::StatusOr<std::unique_ptr<DiskKeyManager>> keys =
        DiskKeyManager::Open(setup->dir.File("keys"));
    for (const char* slot : {"x509-ca-a", "x509-ca-b"}) {
      absl::StatusOr<PrivateKey> key = (*keys)->GetKey(slot);
      if (key.ok() && key->Matches(*PublicKey::FromSpkiDer(active.public_key_der))) {
        return new X509Issuer(*X509Issuer::Create(*setup->ca->ActiveX509Ca(), *key));
      }
    }
    return static_cast<X509Issuer*>(nullptr);
  }();
  for (auto _ : state) {
    absl::StatusOr<SignedCertificate> leaf = issuer->SignSvidForSpki(Params(), Spki(), absl::Now());
    benchmark::DoNotOptimize(leaf);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BareIssuerSignX509SvidFromSpki);

void BM_CaManagerSignJwtSvid(benchmark::State& state) {
  static Setup* setup = new Setup();
  const JwtSvidClaims claims{.subject = Params().spiffe_id,
                             .audiences = {"db"},
                             .expires_at = absl::Now() + absl::Minutes(5)};
  for (auto _ : state) {
    absl::StatusOr<SecretBytes> token = setup->ca->SignJwtSvid(claims);
    benchmark::DoNotOptimize(token);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CaManagerSignJwtSvid);

// A Tick with nothing due: rebuild and encode the bundle, compare it with the stored one.
void BM_CaManagerIdleTick(benchmark::State& state) {
  static Setup* setup = new Setup();
  for (auto _ : state) {
    benchmark::DoNotOptimize(setup->ca->Tick());
  }
}
BENCHMARK(BM_CaManagerIdleTick);

// First start: two keys written atomically, two journal records, one bundle, on SQLite.
void BM_CaManagerFirstStart(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto dir = std::make_unique<TempDir>();
    auto datastore = *OpenSqliteDataStore(dir->File("ds.sqlite3"), {});
    state.ResumeTiming();
    auto ca = CaManager::Create(CaManagerConfig{
        .trust_domain = *TrustDomain::FromString("example.org"),
        .key_manager = *DiskKeyManager::Open(dir->File("keys")),
        .datastore = datastore.get(),
        .clock = [] { return absl::Now(); },
    });
    benchmark::DoNotOptimize(ca);
    state.PauseTiming();
    ca->reset();
    datastore.reset();
    dir.reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_CaManagerFirstStart)->Unit(benchmark::kMillisecond)->Iterations(10);

// Restart: journal, stored bundle and keys read back; nothing written.
void BM_CaManagerRestart(benchmark::State& state) {
  static Setup* setup = new Setup();
  for (auto _ : state) {
    setup->Start();
  }
}
BENCHMARK(BM_CaManagerRestart)->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace
}  // namespace sigil::server
