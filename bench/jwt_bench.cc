// JWT-SVID signing and validation through the public API, beside raw OpenSSL signing and
// verifying of a 32-byte digest with the same key types, measured in the same run. The ratio
// of the two is the API's overhead: JSON building, base64url, the R||S conversion, parsing.
#include <string>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include <openssl/rsa.h>

#include "sigil/jwt_svid.h"
#include "sigil/keys.h"

namespace sigil {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

const PrivateKey& Key(KeyType type) {
  static const std::map<KeyType, PrivateKey> keys = [] {
    std::map<KeyType, PrivateKey> map;
    for (KeyType t : {KeyType::kEcP256, KeyType::kEcP384, KeyType::kRsa2048}) {
      map.emplace(t, *PrivateKey::Generate(t));
    }
    return map;
  }();
  return keys.at(type);
}

JwtSvidClaims Claims() {
  return JwtSvidClaims{.subject = *SpiffeId::Parse("spiffe://example.org/ns/prod/sa/frontend"),
                       .audiences = {"api.example.org"},
                       .expires_at = kNow + absl::Minutes(5),
                       .extra_claims = nullptr};
}

// ---- Raw OpenSSL: one EVP_PKEY_CTX set up once, signing a fixed SHA-256/384 digest ----

void RawSign(benchmark::State& state, KeyType type, size_t digest_size, bool rsa) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, Key(type).get(), nullptr));
  if (ctx == nullptr || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      (rsa && (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
               EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1))) {
    state.SkipWithError("raw sign setup failed");
    return;
  }
  const std::string digest(digest_size, '\x5a');
  unsigned char sig[1024];
  for (auto _ : state) {
    size_t len = sizeof(sig);
    if (EVP_PKEY_sign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(digest.data()),
                      digest.size()) != 1) {
      state.SkipWithError("raw sign failed");
      break;
    }
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RawEcdsaP256Sign(benchmark::State& state) { RawSign(state, KeyType::kEcP256, 32, false); }
BENCHMARK(BM_RawEcdsaP256Sign);

void BM_RawEcdsaP384Sign(benchmark::State& state) { RawSign(state, KeyType::kEcP384, 48, false); }
BENCHMARK(BM_RawEcdsaP384Sign);

void BM_RawRsa2048Sign(benchmark::State& state) { RawSign(state, KeyType::kRsa2048, 32, true); }
BENCHMARK(BM_RawRsa2048Sign);

void BM_RawEcdsaP256Verify(benchmark::State& state) {
  const std::string digest(32, '\x5a');
  const auto* dgst = reinterpret_cast<const unsigned char*>(digest.data());
  EvpPkeyCtxPtr sign_ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, Key(KeyType::kEcP256).get(), nullptr));
  unsigned char sig[128];
  size_t sig_len = sizeof(sig);
  if (sign_ctx == nullptr || EVP_PKEY_sign_init(sign_ctx.get()) != 1 ||
      EVP_PKEY_sign(sign_ctx.get(), sig, &sig_len, dgst, digest.size()) != 1) {
    state.SkipWithError("raw sign failed");
    return;
  }
  const PublicKey pub = Key(KeyType::kEcP256).public_key();
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pub.get(), nullptr));
  if (ctx == nullptr || EVP_PKEY_verify_init(ctx.get()) != 1) {
    state.SkipWithError("raw verify setup failed");
    return;
  }
  for (auto _ : state) {
    if (EVP_PKEY_verify(ctx.get(), sig, sig_len, dgst, digest.size()) != 1) {
      state.SkipWithError("raw verify failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawEcdsaP256Verify);

// ---- Through the API ----

void SignJwt(benchmark::State& state, KeyType type) {
  const JwtSvidClaims claims = Claims();
  const PrivateKey& key = Key(type);
  for (auto _ : state) {
    absl::StatusOr<SecretBytes> token = SignJwtSvid(claims, key, "key-1", kNow);
    if (!token.ok()) {
      state.SkipWithError("SignJwtSvid failed");
      break;
    }
    benchmark::DoNotOptimize(token->data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_JwtSvidSignEs256(benchmark::State& state) { SignJwt(state, KeyType::kEcP256); }
BENCHMARK(BM_JwtSvidSignEs256);

void BM_JwtSvidSignEs384(benchmark::State& state) { SignJwt(state, KeyType::kEcP384); }
BENCHMARK(BM_JwtSvidSignEs384);

void BM_JwtSvidSignRs256(benchmark::State& state) { SignJwt(state, KeyType::kRsa2048); }
BENCHMARK(BM_JwtSvidSignRs256);

void BM_JwtSvidValidateEs256(benchmark::State& state) {
  const PrivateKey& key = Key(KeyType::kEcP256);
  TrustBundle bundle(*TrustDomain::FromString("example.org"));
  if (!bundle.AddJwtAuthority({.key_id = "key-1", .public_key = key.public_key()}).ok()) {
    state.SkipWithError("bundle setup failed");
    return;
  }
  BundleSet bundles;
  bundles.Put(std::move(bundle));
  const SecretBytes token = *SignJwtSvid(Claims(), key, "key-1", kNow);
  const std::string audience[] = {"api.example.org"};
  for (auto _ : state) {
    absl::StatusOr<JwtSvid> svid = ValidateJwtSvid(token.view(), bundles, audience, kNow);
    if (!svid.ok()) {
      state.SkipWithError("ValidateJwtSvid failed");
      break;
    }
    benchmark::DoNotOptimize(svid->expires_at);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JwtSvidValidateEs256);

}  // namespace
}  // namespace sigil
