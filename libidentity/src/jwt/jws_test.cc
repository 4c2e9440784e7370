#include "jwt/jws.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "jwt/jwt_test_util.h"
#include "sigil/jwt_svid.h"

namespace sigil {
namespace {

using ::sigil::jwt_testing::TestKey;
using ::testing::HasSubstr;

constexpr JwtAlgorithm kAll[] = {JwtAlgorithm::kRs256, JwtAlgorithm::kRs384, JwtAlgorithm::kRs512,
                                 JwtAlgorithm::kEs256, JwtAlgorithm::kEs384, JwtAlgorithm::kEs512,
                                 JwtAlgorithm::kPs256, JwtAlgorithm::kPs384, JwtAlgorithm::kPs512};

KeyType KeyFor(JwtAlgorithm alg) {
  switch (alg) {
    case JwtAlgorithm::kEs256:
      return KeyType::kEcP256;
    case JwtAlgorithm::kEs384:
      return KeyType::kEcP384;
    case JwtAlgorithm::kEs512:
      return KeyType::kEcP521;
    default:
      return KeyType::kRsa2048;
  }
}

// JWT-02: the nine names round-trip exactly.
TEST(JwtAlgorithmTest, ParsesEveryAllowedNameBack) {
  for (JwtAlgorithm alg : kAll) {
    absl::StatusOr<JwtAlgorithm> parsed = ParseJwtAlgorithm(JwtAlgorithmName(alg));
    ASSERT_TRUE(parsed.ok()) << JwtAlgorithmName(alg);
    EXPECT_EQ(*parsed, alg);
  }
}

// JWT-02: none, HMAC, EdDSA, ES256K and case variants are refused by name.
TEST(JwtAlgorithmTest, RejectsNamesOutsideTheAllowlist) {
  for (std::string_view name : {"none", "None", "HS256", "HS384", "HS512", "EdDSA", "ES256K",
                                "es256", "Es256", "RS256 ", "", "PS256\n"}) {
    absl::StatusOr<JwtAlgorithm> parsed = ParseJwtAlgorithm(name);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

TEST(JwtAlgorithmTest, NamesTheRefusedAlgorithm) {
  EXPECT_EQ(ParseJwtAlgorithm("HS256").status().message(), "alg HS256 is not allowed");
}

TEST(JwtAlgorithmTest, DefaultFollowsTheKeyType) {
  EXPECT_EQ(DefaultJwtAlgorithm(KeyType::kEcP256), JwtAlgorithm::kEs256);
  EXPECT_EQ(DefaultJwtAlgorithm(KeyType::kEcP384), JwtAlgorithm::kEs384);
  EXPECT_EQ(DefaultJwtAlgorithm(KeyType::kEcP521), JwtAlgorithm::kEs512);
  EXPECT_EQ(DefaultJwtAlgorithm(KeyType::kRsa4096), JwtAlgorithm::kRs256);
}

// JWT-03: each ES algorithm needs its own curve; RS and PS need RSA.
TEST(JwtAlgorithmTest, MatchesCurveToEcdsaAlgorithm) {
  EXPECT_TRUE(CheckJwtAlgorithmKey(JwtAlgorithm::kEs256, KeyType::kEcP256).ok());
  EXPECT_FALSE(CheckJwtAlgorithmKey(JwtAlgorithm::kEs256, KeyType::kEcP384).ok());
  EXPECT_FALSE(CheckJwtAlgorithmKey(JwtAlgorithm::kEs384, KeyType::kEcP256).ok());
  EXPECT_FALSE(CheckJwtAlgorithmKey(JwtAlgorithm::kEs512, KeyType::kEcP384).ok());
  EXPECT_FALSE(CheckJwtAlgorithmKey(JwtAlgorithm::kEs256, KeyType::kRsa2048).ok());
}

TEST(JwtAlgorithmTest, AcceptsAnyRsaSizeForRsaAlgorithms) {
  for (JwtAlgorithm alg : {JwtAlgorithm::kRs256, JwtAlgorithm::kPs512}) {
    EXPECT_TRUE(CheckJwtAlgorithmKey(alg, KeyType::kRsa2048).ok());
    EXPECT_TRUE(CheckJwtAlgorithmKey(alg, KeyType::kRsa4096).ok());
    EXPECT_FALSE(CheckJwtAlgorithmKey(alg, KeyType::kEcP256).ok());
  }
}

TEST(JwsSignatureTest, VerifiesWhatItSignsForEveryAlgorithm) {
  for (JwtAlgorithm alg : kAll) {
    const PrivateKey& key = TestKey(KeyFor(alg));
    absl::StatusOr<std::string> sig = jwt_internal::SignJws(alg, key.get(), "header.payload");
    ASSERT_TRUE(sig.ok()) << JwtAlgorithmName(alg) << ": " << sig.status();
    EXPECT_TRUE(jwt_internal::VerifyJws(alg, key.public_key().get(), "header.payload", *sig))
        << JwtAlgorithmName(alg);
    EXPECT_FALSE(jwt_internal::VerifyJws(alg, key.public_key().get(), "header.payloaD", *sig))
        << JwtAlgorithmName(alg);
  }
}

// RFC 7518 section 3.4: R||S, each exactly the curve's byte size.
TEST(JwsSignatureTest, EcdsaSignaturesHaveFixedWidth) {
  const std::pair<JwtAlgorithm, size_t> cases[] = {
      {JwtAlgorithm::kEs256, 64}, {JwtAlgorithm::kEs384, 96}, {JwtAlgorithm::kEs512, 132}};
  for (auto [alg, size] : cases) {
    for (int i = 0; i < 20; ++i) {
      absl::StatusOr<std::string> sig = jwt_internal::SignJws(alg, TestKey(KeyFor(alg)).get(), "x");
      ASSERT_TRUE(sig.ok());
      EXPECT_EQ(sig->size(), size) << JwtAlgorithmName(alg);
    }
  }
}

// JWT-17: a DER ECDSA-Sig-Value over the right input is still refused.
TEST(JwsSignatureTest, RejectsDerEncodedEcdsaSignature) {
  const PrivateKey& key = TestKey(KeyType::kEcP256);
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  ASSERT_EQ(
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.get(), nullptr), 1);
  unsigned char der[80];
  size_t der_len = sizeof(der);
  const std::string input = "header.payload";
  ASSERT_EQ(EVP_DigestSign(ctx.get(), der, &der_len,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()),
            1);
  EXPECT_FALSE(jwt_internal::VerifyJws(JwtAlgorithm::kEs256, key.public_key().get(), input,
                                       std::string(reinterpret_cast<char*>(der), der_len)));
}

// RFC 7518 section 3.5: PS* is not RS*; a PKCS#1 v1.5 signature fails as PS256 and vice versa.
TEST(JwsSignatureTest, DoesNotConfusePssWithPkcs1) {
  const PrivateKey& key = TestKey(KeyType::kRsa2048);
  absl::StatusOr<std::string> rs = jwt_internal::SignJws(JwtAlgorithm::kRs256, key.get(), "x");
  absl::StatusOr<std::string> ps = jwt_internal::SignJws(JwtAlgorithm::kPs256, key.get(), "x");
  ASSERT_TRUE(rs.ok() && ps.ok());
  EXPECT_FALSE(jwt_internal::VerifyJws(JwtAlgorithm::kPs256, key.public_key().get(), "x", *rs));
  EXPECT_FALSE(jwt_internal::VerifyJws(JwtAlgorithm::kRs256, key.public_key().get(), "x", *ps));
}

TEST(JwsSignatureTest, RejectsSignatureFromAnotherKey) {
  absl::StatusOr<PrivateKey> other = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(other.ok());
  absl::StatusOr<std::string> sig = jwt_internal::SignJws(JwtAlgorithm::kEs256, other->get(), "x");
  ASSERT_TRUE(sig.ok());
  EXPECT_FALSE(jwt_internal::VerifyJws(JwtAlgorithm::kEs256,
                                       TestKey(KeyType::kEcP256).public_key().get(), "x", *sig));
}

TEST(JwtAlgorithmTest, MismatchMessageNamesKeyAndAlgorithm) {
  absl::Status status = CheckJwtAlgorithmKey(JwtAlgorithm::kEs256, KeyType::kEcP384);
  EXPECT_THAT(std::string(status.message()), HasSubstr("ec-p384"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("ES256"));
}

}  // namespace
}  // namespace sigil
