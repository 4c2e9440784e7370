// Fixtures shared by the JWT tests: keys generated once per test binary, a bundle set holding
// them, and a way to sign arbitrary header and claims text so that malformed-but-signed tokens
// can be built.
#ifndef SIGIL_JWT_JWT_TEST_UTIL_H_
#define SIGIL_JWT_JWT_TEST_UTIL_H_

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "gtest/gtest.h"

#include "jwt/jws.h"
#include "sigil/base64.h"
#include "sigil/bundle.h"
#include "sigil/jwt_svid.h"
#include "sigil/keys.h"

namespace sigil::jwt_testing {

inline const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

// One key per type for the whole binary: RSA generation is slow enough to matter.
inline const PrivateKey& TestKey(KeyType type) {
  static const std::map<KeyType, PrivateKey> keys = [] {
    std::map<KeyType, PrivateKey> map;
    for (KeyType t : {KeyType::kEcP256, KeyType::kEcP384, KeyType::kEcP521, KeyType::kRsa2048}) {
      absl::StatusOr<PrivateKey> key = PrivateKey::Generate(t);
      if (!key.ok()) {
        std::fprintf(stderr, "generating a test key failed\n");
        std::abort();
      }
      map.emplace(t, *std::move(key));
    }
    return map;
  }();
  return keys.at(type);
}

inline SpiffeId Id(std::string_view id) { return *SpiffeId::Parse(id); }
inline TrustDomain Td(std::string_view name) { return *TrustDomain::FromString(name); }

// Signs `header_json`.`claims_json` as given, without any checks.
inline std::string CraftToken(std::string_view header_json, std::string_view claims_json,
                              const PrivateKey& key, JwtAlgorithm alg) {
  std::string input = Base64UrlEncode(header_json) + "." + Base64UrlEncode(claims_json);
  absl::StatusOr<std::string> signature = jwt_internal::SignJws(alg, key.get(), input);
  if (!signature.ok()) {
    ADD_FAILURE() << "signing: " << signature.status();
    return "";
  }
  return input + "." + Base64UrlEncode(*signature);
}

// A standard, valid claims object for spiffe://example.org/workload, audience "api".
inline std::string ValidClaims() {
  return R"({"sub":"spiffe://example.org/workload","aud":"api","exp":1700000300,)"
         R"("iat":1700000000})";
}

inline std::string Header(std::string_view alg, std::string_view kid) {
  return std::string(R"({"alg":")") + std::string(alg) + R"(","kid":")" + std::string(kid) +
         R"(","typ":"JWT"})";
}

inline JwtAuthority Authority(std::string_view kid, const PrivateKey& key) {
  return JwtAuthority{
      .key_id = std::string(kid), .public_key = key.public_key(), .expires_at = std::nullopt};
}

// A bundle set with example.org holding the P-256 key as "k256", the P-384 key as "k384", the
// P-521 key as "k521" and the RSA key as "krsa".
inline BundleSet ExampleBundles() {
  TrustBundle bundle(Td("example.org"));
  EXPECT_TRUE(bundle.AddJwtAuthority(Authority("k256", TestKey(KeyType::kEcP256))).ok());
  EXPECT_TRUE(bundle.AddJwtAuthority(Authority("k384", TestKey(KeyType::kEcP384))).ok());
  EXPECT_TRUE(bundle.AddJwtAuthority(Authority("k521", TestKey(KeyType::kEcP521))).ok());
  EXPECT_TRUE(bundle.AddJwtAuthority(Authority("krsa", TestKey(KeyType::kRsa2048))).ok());
  BundleSet set;
  set.Put(std::move(bundle));
  return set;
}

}  // namespace sigil::jwt_testing

#endif  // SIGIL_JWT_JWT_TEST_UTIL_H_
