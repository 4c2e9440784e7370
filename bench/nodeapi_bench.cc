// X.509-SVID issuance through the node API, beside what bounds it, measured in the same run:
//   BM_RawDigestSign              EVP_DigestSignInit + EVP_DigestSign (P-256) of 32 bytes
//   BM_IssuerSignSvidForSpki      libidentity's leaf rate: X509Issuer::SignSvidForSpki
//   BM_CaManagerSignX509Svid      the same through the CA manager's snapshot
//   BM_CheckSubjectPublicKey      the node API's check of an agent's EC public key
//   BM_PublicKeyFromSpkiDer       the full decode it replaces (d2i_PUBKEY)
//   BM_NodeApiSignX509Svids/<n>   SignX509Svids over TLS on 127.0.0.1 with batches of n:
//                                 authentication, authorization, key check, signing, ledger
//   BM_SyncPushLatency            an entry created through the datastore (one SQLite commit,
//                                 the registry refresh it triggers) until the agent's open Sync
//                                 stream has read the delta carrying it
// The server (gRPC, registry, ledger writer) and the client share this machine's cores, so
// the node API line counts wall-clock items per second. Compare it with the issuer line.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include <openssl/evp.h>

#include "server/nodeapi/node_api_harness.h"
#include "server/nodeapi/public_key_check.h"
#include "sigil/keys.h"
#include "sigil/ossl.h"
#include "sigil/x509_issuer.h"

namespace sigil::server {
namespace {

namespace nodev1 = ::sigil::node::v1;

template <typename T>
T Must(absl::StatusOr<T> value) {
  if (!value.ok()) {
    std::fprintf(stderr, "benchmark set-up failed: %s\n", value.status().ToString().c_str());
    std::abort();
  }
  return *std::move(value);
}

void MustOk(const absl::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "benchmark set-up failed: %s\n", status.ToString().c_str());
    std::abort();
  }
}

void BM_RawDigestSign(benchmark::State& state) {
  const PrivateKey key = Must(PrivateKey::Generate(KeyType::kEcP256));
  const std::string message(32, 'm');
  unsigned char signature[160];
  for (auto _ : state) {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    size_t length = sizeof(signature);
    if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), signature, &length,
                       reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1) {
      state.SkipWithError("EVP_DigestSign failed");
      break;
    }
    benchmark::DoNotOptimize(signature);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawDigestSign);

void BM_IssuerSignSvidForSpki(benchmark::State& state) {
  const absl::Time now = absl::Now();
  const PrivateKey ca_key = Must(PrivateKey::Generate(KeyType::kEcP256));
  const Certificate ca = Must(
      SelfSignX509Ca({.trust_domain = Must(TrustDomain::FromString("example.org"))}, ca_key, now));
  const X509Issuer issuer = Must(X509Issuer::Create(ca, ca_key));
  const std::string spki = Must(PrivateKey::Generate(KeyType::kEcP256)).public_key().ToSpkiDer();
  const X509SvidParams params{.spiffe_id = Must(SpiffeId::Parse("spiffe://example.org/web"))};
  for (auto _ : state) {
    benchmark::DoNotOptimize(issuer.SignSvidForSpki(params, spki, now));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IssuerSignSvidForSpki);

// One server for the whole run: starting one costs more than many iterations.
struct Fixture {
  Fixture() {
    harness = Must(testing::NodeApiHarness::Start([](NodeApiServerOptions& o) {
      o.service.sign_rate_limit = 0;  // measure the service, not the limiter
    }));
    MustOk(harness->AddJoinToken("bench-token"));
    agent = std::make_unique<testing::TestAgent>(
        Must(testing::AttestWithJoinToken(*harness, "bench-token")));
    for (int i = 0; i < 100; ++i) {
      entry_ids.push_back(Must(harness->AddEntry(
          "spiffe://example.org/workload/" + std::to_string(i), agent->id.str())));
    }
    for (int i = 0; i < 1000; ++i) {
      spkis.push_back(Must(PrivateKey::Generate(KeyType::kEcP256)).public_key().ToSpkiDer());
    }
  }

  nodev1::SignX509SvidsRequest Batch(int n) const {
    nodev1::SignX509SvidsRequest request;
    for (int i = 0; i < n; ++i) {
      nodev1::X509SvidRequest* item = request.add_requests();
      item->set_entry_id(entry_ids[i % entry_ids.size()]);
      item->set_public_key(spkis[i % spkis.size()]);
    }
    return request;
  }

  std::unique_ptr<testing::NodeApiHarness> harness;
  std::unique_ptr<testing::TestAgent> agent;
  std::vector<std::string> entry_ids;
  std::vector<std::string> spkis;
};

Fixture& Shared() {
  static Fixture* fixture = new Fixture();  // never destroyed: the process ends with the run
  return *fixture;
}

void BM_CaManagerSignX509Svid(benchmark::State& state) {
  Fixture& f = Shared();
  const X509SvidParams params{.spiffe_id = Must(SpiffeId::Parse("spiffe://example.org/web"))};
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.harness->ca().SignX509Svid(params, f.spkis[0]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CaManagerSignX509Svid);

void BM_CheckSubjectPublicKey(benchmark::State& state) {
  const std::string spki = Must(PrivateKey::Generate(KeyType::kEcP256)).public_key().ToSpkiDer();
  for (auto _ : state) {
    benchmark::DoNotOptimize(CheckSubjectPublicKey(spki));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckSubjectPublicKey);

void BM_PublicKeyFromSpkiDer(benchmark::State& state) {
  const std::string spki = Must(PrivateKey::Generate(KeyType::kEcP256)).public_key().ToSpkiDer();
  for (auto _ : state) {
    benchmark::DoNotOptimize(PublicKey::FromSpkiDer(spki));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PublicKeyFromSpkiDer);

void BM_NodeApiSignX509Svids(benchmark::State& state) {
  Fixture& f = Shared();
  const int batch = static_cast<int>(state.range(0));
  const nodev1::SignX509SvidsRequest request = f.Batch(batch);
  for (auto _ : state) {
    grpc::ClientContext ctx;
    nodev1::SignX509SvidsResponse response;
    grpc::Status status = f.agent->stub->SignX509Svids(&ctx, request, &response);
    if (!status.ok() || response.results_size() != batch || response.results(0).error_code() != 0) {
      state.SkipWithError("SignX509Svids failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_NodeApiSignX509Svids)->Arg(1)->Arg(10)->Arg(100)->Arg(1000)->UseRealTime();

void BM_SyncPushLatency(benchmark::State& state) {
  Fixture& f = Shared();
  grpc::ClientContext ctx;
  auto reader = f.agent->stub->Sync(&ctx, nodev1::SyncRequest());
  nodev1::SyncUpdate update;
  if (!reader->Read(&update)) {
    state.SkipWithError("Sync stream ended before its first update");
    return;
  }
  static int n = 0;  // the benchmark body runs several times; names must stay unique
  for (auto _ : state) {
    MustOk(
        f.harness->AddEntry("spiffe://example.org/pushed/" + std::to_string(n++), f.agent->id.str())
            .status());
    if (!reader->Read(&update) || update.entries_size() != 1) {
      state.SkipWithError("no delta with the new entry");
      break;
    }
  }
  ctx.TryCancel();
  nodev1::SyncUpdate drain;
  while (reader->Read(&drain)) {
  }
  (void)reader->Finish();
}
BENCHMARK(BM_SyncPushLatency)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace sigil::server
