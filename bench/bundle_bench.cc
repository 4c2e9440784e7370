// SPIFFE bundle decoding and encoding, and SPIFFE ID parsing. The bundle is a typical federated
// one: 3 x509-svid authorities (self-signed P-256 CAs) and 3 jwt-svid authorities (P-256 keys).
// Decoding is JSON parsing plus crypto parsing; the raw lines measure those parts alone on the
// same data, so the reader can see what fraction of a decode is OpenSSL:
//   BM_RawJsonParse          nlohmann::json::parse of the document (no duplicate checks)
//   BM_RawD2iX509            d2i_X509 of the 3 CA certificates
//   BM_RawEcPointImport      EVP_PKEY_fromdata of the 6 EC public keys (3 CA keys, 3 JWT keys)
//   BM_DecodeSpiffeBundle    ParseSpiffeBundle: all of the above plus validation
//   BM_EncodeSpiffeBundle    EncodeSpiffeBundle of the same bundle
//   BM_SpiffeIdParse         SpiffeId::Parse of "spiffe://example.org/ns/production/sa/frontend"
// items_per_second is bundles (or IDs) per second.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include <nlohmann/json.hpp>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509v3.h>

#include "sigil/bundle.h"
#include "sigil/keys.h"
#include "sigil/ossl.h"
#include "sigil/spiffe_id.h"

namespace sigil {
namespace {

template <typename T>
T Must(absl::StatusOr<T> value) {
  if (!value.ok()) {
    std::fprintf(stderr, "benchmark set-up failed: %s\n", value.status().ToString().c_str());
    std::abort();
  }
  return *std::move(value);
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "benchmark set-up failed: %s\n", what);
    std::abort();
  }
}

// A self-signed P-256 CA for spiffe://example.org, made with raw OpenSSL so that this program
// needs nothing beyond the bundle library.
Certificate MakeCa(const PrivateKey& key, long serial) {
  X509Ptr x509(X509_new());
  X509_set_version(x509.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), serial);
  X509_NAME* name = X509_get_subject_name(x509.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("example.org"), -1, -1, 0);
  X509_set_issuer_name(x509.get(), name);
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), 86400);
  X509_set_pubkey(x509.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x509.get(), x509.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                            std::pair{NID_subject_alt_name, "URI:spiffe://example.org"}}) {
    X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    Check(ext != nullptr && X509_add_ext(x509.get(), ext.get(), -1) == 1, "extension");
  }
  Check(X509_sign(x509.get(), key.get(), EVP_sha256()) > 0, "signing");
  return Must(Certificate::FromX509(std::move(x509)));
}

struct Fixture {
  Fixture() : td(Must(TrustDomain::FromString("example.org"))), bundle(td) {
    for (int i = 0; i < 3; ++i) {
      PrivateKey ca_key = Must(PrivateKey::Generate(KeyType::kEcP256));
      bundle.AddX509Authority(MakeCa(ca_key, i + 1));
      PrivateKey jwt_key = Must(PrivateKey::Generate(KeyType::kEcP256));
      Check(bundle.AddJwtAuthority({"jwt-key-" + std::to_string(i), jwt_key.public_key(), {}}).ok(),
            "adding a JWT authority");
    }
    bundle.set_sequence_number(12);
    bundle.set_refresh_hint(absl::Minutes(5));
    json = Must(EncodeSpiffeBundle(bundle));

    for (const Certificate& cert : bundle.x509_authorities()) {
      points.push_back(UncompressedPoint(Must(cert.public_key())));
    }
    for (const JwtAuthority& authority : bundle.jwt_authorities()) {
      points.push_back(UncompressedPoint(authority.public_key));
    }
  }

  static std::string UncompressedPoint(const PublicKey& key) {
    unsigned char buf[65];
    size_t len = 0;
    Check(EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf,
                                          sizeof(buf), &len) == 1,
          "exporting a point");
    return std::string(reinterpret_cast<char*>(buf), len);
  }

  TrustDomain td;
  TrustBundle bundle;
  std::string json;
  std::vector<std::string> points;
};

const Fixture& GetFixture() {
  static const Fixture fixture;
  return fixture;
}

void BM_RawJsonParse(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    nlohmann::json doc = nlohmann::json::parse(f.json);
    benchmark::DoNotOptimize(doc);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(f.json.size()));
}
BENCHMARK(BM_RawJsonParse);

void BM_RawD2iX509(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    for (const Certificate& cert : f.bundle.x509_authorities()) {
      const auto* cursor = reinterpret_cast<const unsigned char*>(cert.der().data());
      X509Ptr x509(d2i_X509(nullptr, &cursor, static_cast<long>(cert.der().size())));
      benchmark::DoNotOptimize(x509.get());
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawD2iX509);

void BM_RawEcPointImport(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    for (const std::string& point : f.points) {
      std::unique_ptr<OSSL_PARAM_BLD, OsslFree<&OSSL_PARAM_BLD_free>> bld(OSSL_PARAM_BLD_new());
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size());
      std::unique_ptr<OSSL_PARAM, OsslFree<&OSSL_PARAM_free>> params(
          OSSL_PARAM_BLD_to_param(bld.get()));
      EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
      EVP_PKEY* raw = nullptr;
      if (EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
          EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        state.SkipWithError("EVP_PKEY_fromdata failed");
        return;
      }
      EvpPkeyPtr pkey(raw);
      benchmark::DoNotOptimize(pkey.get());
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawEcPointImport);

void BM_DecodeSpiffeBundle(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    absl::StatusOr<TrustBundle> bundle = ParseSpiffeBundle(f.td, f.json);
    if (!bundle.ok()) {
      state.SkipWithError("ParseSpiffeBundle failed");
      return;
    }
    benchmark::DoNotOptimize(bundle);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(f.json.size()));
}
BENCHMARK(BM_DecodeSpiffeBundle);

void BM_EncodeSpiffeBundle(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    absl::StatusOr<std::string> json = EncodeSpiffeBundle(f.bundle);
    if (!json.ok()) {
      state.SkipWithError("EncodeSpiffeBundle failed");
      return;
    }
    benchmark::DoNotOptimize(json);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeSpiffeBundle);

void BM_SpiffeIdParse(benchmark::State& state) {
  const std::string id = "spiffe://example.org/ns/production/sa/frontend";
  for (auto _ : state) {
    absl::StatusOr<SpiffeId> parsed = SpiffeId::Parse(id);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SpiffeIdParse);

}  // namespace
}  // namespace sigil
