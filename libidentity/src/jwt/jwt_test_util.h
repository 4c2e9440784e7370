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

// A fixed RSA-2048 key, so that each test process (ctest runs every case in its own) does not
// spend a quarter of a second generating one. Made with `openssl genpkey -algorithm RSA
// -pkeyopt rsa_keygen_bits:2048`; it protects nothing.
inline constexpr char kRsa2048TestKeyPem[] = R"(-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDVS+ieYjtwuY5b
8pgDDTazGdsnLpkJtKMKCnnJJKpzFjbTuFCdnZJqLDTEfww2zf+t3FXqSigtBwkO
643IvGi+UGWq823m9RIiK3Za6MVENKD1uvfmRPBDpGUynlMKRrPdvudK3H2wTNqo
y47rwAGExr+uMwGT/EAMJe85EtjCXHFIssF84YxPK3HkQEsu/J2F7WR9rNNw/Rq5
wE0JEVf0iuIPv91WN2UfOw3ClqU1qp51rG4rlXajNYf92NuOg+t1XZiq2AaNkF+Z
gQSKvZ076hm048hSVC7c7MFh8Yi1fZBB8c8hFPqU/x1Jah2LXeW5Q7nh1qoCSohd
ATBho8EHAgMBAAECggEAAvvpe9BvmvvJUiQftgqvWY48UJi/08Hu/ssIdYs0Pe3x
TCeDXxRUiGOXq0MEj5f9QnYoVuHFgw1avsEoe+jrrfPMhjEjYs+XC9JmX0pJcluy
7qWv2Tv/IumGVoQV/bklf7Z8V+P5Ii6e8D5FEc2JzTvwL8RxcfEqfp7hgjteImyc
67AHoIFPfnIjguSeyYfopY42RIQQ+oJCY9oozZ3sRBnXD+4yd/p/33NYFmTPTqSW
flFfwk9Jfhg3jncXmr1QUsCAzqcNS0mfz78j4h77GZPGiRd9l7IhrcXMExBXP9jb
uiuxzbrvxJs5cCyhc+MrSeQ1Sky2/vs6oXFmV+X4sQKBgQDswA+fYrMcmgA2OKNV
5//GRET84jnjlVqeYxIU6pOzMmIM+IvoOUVoPuglrZYYLqNuZAbbYg4R6pxsJ6fR
3OQI6bYtfH+QLnKFBptL2VWMzq5kxWoDMk0BhMUnoOgw0BDEyCaybg/VPqENpfQJ
f36M8RAmenQlMGlgoOJYhvINHwKBgQDmo6kAfBcrQdOg3dDefRc5KtuWSv+iId+y
1AYGcdQG9bpseAkgapM1fulTcm+998Zyb5xRvqU2btF+yPZA7oP7xJZS3WBQV1cQ
hpHWfug3b1pQa0VZBKFwfl3sDHTmvowXovr55xAxnrj/S7HvC7erDuO1LU6vyqZ2
J5cFDydnGQKBgQDVikaNFJFJcv5N6bgpfCCPzHQNRF/Cjqw1wFZG125xazhVSrmm
tEGOTW9GzNNc7HQs1bv5lO/r6Rk91GbiO8LS5zqSvICyo7JXmiXovBcV8jYKXqXI
TE542DCcFd5YaNM3KvD8b5mIVf0eOllrV7vllGlky36HLKtfpL2D6/PXMQKBgFmj
W+irUdnnEJgh/a6rEV6PkJ598ZKS9b0r+FeC3/QAhv7nPCzUHviYpZhgDpvXc9JA
HJIMtWtNcLCE7GhaCwPL6Ny121v+RgFPO9kQo7H/3isJNf+d9ByjkF9QjBKuFgaN
ultr+Xg/hwj542LTvAOImulsfXuHGGEti91UgWzpAoGBAKsTgUcSApI8zLNDdDti
6wAoXa3EZwovLzm45Y6rwKEUld7PJ7WZHUlAT3Gk02Rrv5SXRxUPu/cg+gdcTHny
PEFlG9KPRPaq56VOI2LBH2ZBflo8zAhDnIIKFQ828VAF/EikJtFqB9MPhz8ls/wS
uoZhiFYXtyY/qaOOQagGbjst
-----END PRIVATE KEY-----
)";

// One key per type for the whole binary. EC keys are generated: that takes microseconds.
inline const PrivateKey& TestKey(KeyType type) {
  static const std::map<KeyType, PrivateKey> keys = [] {
    std::map<KeyType, PrivateKey> map;
    for (KeyType t : {KeyType::kEcP256, KeyType::kEcP384, KeyType::kEcP521, KeyType::kRsa2048}) {
      absl::StatusOr<PrivateKey> key = t == KeyType::kRsa2048
                                           ? PrivateKey::FromPkcs8Pem(kRsa2048TestKeyPem)
                                           : PrivateKey::Generate(t);
      if (!key.ok()) {
        std::fprintf(stderr, "making a test key failed\n");
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
