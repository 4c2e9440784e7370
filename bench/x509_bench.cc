// X.509-SVID issuance and verification rates, each beside the raw OpenSSL operation that bounds
// it, measured in the same run:
//   BM_RawDigestSign/<curve>   EVP_DigestSignInit + EVP_DigestSign of 32 bytes
//   BM_SignSvid/<curve>        X509Issuer::SignSvid: build, sign and encode one leaf to DER
//   BM_SignSvidForSpki/<curve> the same from the agent's SPKI DER
//   BM_RawDigestVerify/<curve> EVP_DigestVerifyInit + EVP_DigestVerify of 32 bytes
//   BM_RawVerifyCert           X509_verify_cert with a prepared X509_STORE (leaf + one root)
//   BM_VerifyX509Svid          VerifyX509Svid (leaf + one root) through a BundleSet
// Compare items_per_second of each sigil line with the raw line above it.
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>

#include "sigil/bundle.h"
#include "sigil/keys.h"
#include "sigil/ossl.h"
#include "sigil/x509_issuer.h"
#include "sigil/x509_verify.h"

namespace sigil {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

template <typename T>
T Must(absl::StatusOr<T> value) {
  if (!value.ok()) {
    std::fprintf(stderr, "benchmark set-up failed: %s\n", value.status().ToString().c_str());
    std::abort();
  }
  return *std::move(value);
}

KeyType CurveArg(const benchmark::State& state) {
  return state.range(0) == 384 ? KeyType::kEcP384 : KeyType::kEcP256;
}

const EVP_MD* DigestFor(KeyType type) {
  return type == KeyType::kEcP384 ? EVP_sha384() : EVP_sha256();
}

struct Pki {
  explicit Pki(KeyType type)
      : root_key(Must(PrivateKey::Generate(type))),
        root(Must(SelfSignX509Ca({.trust_domain = Must(TrustDomain::FromString("example.org"))},
                                 root_key, kNow))),
        issuer(Must(X509Issuer::Create(root, root_key))),
        leaf_key(Must(PrivateKey::Generate(type))),
        params{.spiffe_id = Must(SpiffeId::Parse("spiffe://example.org/ns/prod/sa/web"))} {}

  PrivateKey root_key;
  Certificate root;
  X509Issuer issuer;
  PrivateKey leaf_key;
  X509SvidParams params;
};

void BM_RawDigestSign(benchmark::State& state) {
  const PrivateKey key = Must(PrivateKey::Generate(CurveArg(state)));
  const EVP_MD* md = DigestFor(CurveArg(state));
  const std::string message(32, 'm');
  unsigned char signature[160];
  for (auto _ : state) {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    size_t length = sizeof(signature);
    if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key.get()) != 1 ||
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
BENCHMARK(BM_RawDigestSign)->Arg(256)->Arg(384);

void BM_SignSvid(benchmark::State& state) {
  const Pki pki(CurveArg(state));
  const PublicKey subject = pki.leaf_key.public_key();
  size_t bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<SignedCertificate> leaf = pki.issuer.SignSvid(pki.params, subject, kNow);
    if (!leaf.ok()) {
      state.SkipWithError("SignSvid failed");
      break;
    }
    bytes = leaf->der.size();
    benchmark::DoNotOptimize(leaf->der.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["der_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_SignSvid)->Arg(256)->Arg(384);

void BM_SignSvidForSpki(benchmark::State& state) {
  const Pki pki(CurveArg(state));
  const std::string spki = pki.leaf_key.public_key().ToSpkiDer();
  for (auto _ : state) {
    absl::StatusOr<SignedCertificate> leaf = pki.issuer.SignSvidForSpki(pki.params, spki, kNow);
    if (!leaf.ok()) {
      state.SkipWithError("SignSvidForSpki failed");
      break;
    }
    benchmark::DoNotOptimize(leaf->der.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignSvidForSpki)->Arg(256)->Arg(384);

void BM_RawDigestVerify(benchmark::State& state) {
  const PrivateKey key = Must(PrivateKey::Generate(CurveArg(state)));
  const EVP_MD* md = DigestFor(CurveArg(state));
  const std::string message(32, 'm');
  unsigned char signature[160];
  size_t length = sizeof(signature);
  {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key.get());
    EVP_DigestSign(ctx.get(), signature, &length,
                   reinterpret_cast<const unsigned char*>(message.data()), message.size());
  }
  const PublicKey pub = key.public_key();
  for (auto _ : state) {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pub.get()) != 1 ||
        EVP_DigestVerify(ctx.get(), signature, length,
                         reinterpret_cast<const unsigned char*>(message.data()),
                         message.size()) != 1) {
      state.SkipWithError("EVP_DigestVerify failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawDigestVerify)->Arg(256)->Arg(384);

void BM_RawVerifyCert(benchmark::State& state) {
  const Pki pki(CurveArg(state));
  const Certificate leaf =
      Must(Must(pki.issuer.SignSvid(pki.params, pki.leaf_key.public_key(), kNow)).ToCertificate());
  X509StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), pki.root.get());
  for (auto _ : state) {
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr);
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), absl::ToTimeT(kNow));
    if (X509_verify_cert(ctx.get()) != 1) {
      state.SkipWithError("X509_verify_cert failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawVerifyCert)->Arg(256)->Arg(384);

void BM_VerifyX509Svid(benchmark::State& state) {
  const Pki pki(CurveArg(state));
  const std::vector<Certificate> chain = {
      Must(Must(pki.issuer.SignSvid(pki.params, pki.leaf_key.public_key(), kNow)).ToCertificate())};
  TrustBundle bundle(*pki.issuer.trust_domain());
  bundle.AddX509Authority(pki.root);
  BundleSet bundles;
  bundles.Put(std::move(bundle));
  for (auto _ : state) {
    absl::StatusOr<VerifiedX509Svid> verified = VerifyX509Svid(chain, bundles, kNow);
    if (!verified.ok()) {
      state.SkipWithError("VerifyX509Svid failed");
      break;
    }
    benchmark::DoNotOptimize(verified->spiffe_id);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyX509Svid)->Arg(256)->Arg(384);

}  // namespace
}  // namespace sigil
