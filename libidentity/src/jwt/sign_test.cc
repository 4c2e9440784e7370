#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "jwt/jws.h"
#include "jwt/jwt_test_util.h"
#include "sigil/base64.h"
#include "sigil/jwt_svid.h"

namespace sigil {
namespace {

using ::sigil::jwt_testing::Id;
using ::sigil::jwt_testing::kNow;
using ::sigil::jwt_testing::TestKey;
using ::testing::HasSubstr;
using Json = nlohmann::json;

JwtSvidClaims BasicClaims() {
  return JwtSvidClaims{.subject = Id("spiffe://example.org/workload"),
                       .audiences = {"api.example.org"},
                       .expires_at = kNow + absl::Minutes(5),
                       .extra_claims = nullptr};
}

std::vector<std::string> Segments(const SecretBytes& token) {
  std::vector<std::string> out;
  std::string_view rest = token.view();
  for (size_t dot; (dot = rest.find('.')) != std::string_view::npos; rest.remove_prefix(dot + 1)) {
    out.emplace_back(rest.substr(0, dot));
  }
  out.emplace_back(rest);
  return out;
}

std::string DecodedSegment(const SecretBytes& token, size_t index) {
  return *Base64UrlDecode(Segments(token)[index]);
}

// JWT-06, JWT-18: the header is exactly alg, kid, typ "JWT".
TEST(JwtSvidSignTest, WritesExactlyAlgKidAndTyp) {
  absl::StatusOr<SecretBytes> token =
      SignJwtSvid(BasicClaims(), TestKey(KeyType::kEcP256), "key-1", kNow);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(DecodedSegment(*token, 0), R"({"alg":"ES256","kid":"key-1","typ":"JWT"})");
}

// JWT-18, JWT-19: sub, aud, exp, iat with times as plain integers.
TEST(JwtSvidSignTest, WritesSubAudExpIatAsIntegers) {
  absl::StatusOr<SecretBytes> token =
      SignJwtSvid(BasicClaims(), TestKey(KeyType::kEcP256), "key-1", kNow);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(DecodedSegment(*token, 1),
            R"({"sub":"spiffe://example.org/workload","aud":"api.example.org",)"
            R"("exp":1700000300,"iat":1700000000})");
}

TEST(JwtSvidSignTest, RoundsTimesDownToWholeSeconds) {
  JwtSvidClaims claims = BasicClaims();
  claims.expires_at = kNow + absl::Seconds(90) + absl::Milliseconds(999);
  absl::StatusOr<SecretBytes> token =
      SignJwtSvid(claims, TestKey(KeyType::kEcP256), "k", kNow + absl::Milliseconds(700));
  ASSERT_TRUE(token.ok());
  const Json payload = Json::parse(DecodedSegment(*token, 1));
  EXPECT_EQ(payload["exp"], 1700000090);
  EXPECT_EQ(payload["iat"], 1700000000);
}

// JWT-08: several audiences become an array, in the given order.
TEST(JwtSvidSignTest, WritesSeveralAudiencesAsArray) {
  JwtSvidClaims claims = BasicClaims();
  claims.audiences = {"b", "a"};
  absl::StatusOr<SecretBytes> token = SignJwtSvid(claims, TestKey(KeyType::kEcP256), "k", kNow);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(Json::parse(DecodedSegment(*token, 1))["aud"], Json::array({"b", "a"}));
}

TEST(JwtSvidSignTest, EscapesAudienceWithQuotesAndNonAscii) {
  JwtSvidClaims claims = BasicClaims();
  claims.audiences = {"a\"b\\c\n\xc3\xa9"};
  absl::StatusOr<SecretBytes> token = SignJwtSvid(claims, TestKey(KeyType::kEcP256), "k", kNow);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(Json::parse(DecodedSegment(*token, 1))["aud"], "a\"b\\c\n\xc3\xa9");
}

TEST(JwtSvidSignTest, RefusesAudienceThatIsNotUtf8) {
  JwtSvidClaims claims = BasicClaims();
  claims.audiences = {"bad\xff"};
  EXPECT_EQ(SignJwtSvid(claims, TestKey(KeyType::kEcP256), "k", kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(JwtSvidSignTest, RefusesEmptyAudienceList) {
  JwtSvidClaims claims = BasicClaims();
  claims.audiences.clear();
  EXPECT_EQ(SignJwtSvid(claims, TestKey(KeyType::kEcP256), "k", kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(JwtSvidSignTest, RefusesEmptyAudienceString) {
  JwtSvidClaims claims = BasicClaims();
  claims.audiences = {"a", ""};
  EXPECT_EQ(SignJwtSvid(claims, TestKey(KeyType::kEcP256), "k", kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(JwtSvidSignTest, RefusesEmptyKeyId) {
  EXPECT_EQ(SignJwtSvid(BasicClaims(), TestKey(KeyType::kEcP256), "", kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(JwtSvidSignTest, RefusesExpiryNotAfterNow) {
  JwtSvidClaims claims = BasicClaims();
  claims.expires_at = kNow + absl::Milliseconds(500);
  absl::StatusOr<SecretBytes> token = SignJwtSvid(claims, TestKey(KeyType::kEcP256), "k", kNow);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(token.status().message()), HasSubstr("not after"));
}

// JWT-03 on the issuing side.
TEST(JwtSvidSignTest, RefusesAlgorithmThatDoesNotFitTheKey) {
  EXPECT_EQ(SignJwtSvid(BasicClaims(), TestKey(KeyType::kEcP384), "k", JwtAlgorithm::kEs256, kNow)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SignJwtSvid(BasicClaims(), TestKey(KeyType::kEcP256), "k", JwtAlgorithm::kRs256, kNow)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(JwtSvidSignTest, DefaultAlgorithmFollowsKeyType) {
  for (auto [type, name] :
       std::vector<std::pair<KeyType, std::string>>{{KeyType::kEcP384, "ES384"},
                                                    {KeyType::kEcP521, "ES512"},
                                                    {KeyType::kRsa2048, "RS256"}}) {
    absl::StatusOr<SecretBytes> token = SignJwtSvid(BasicClaims(), TestKey(type), "k", kNow);
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(Json::parse(DecodedSegment(*token, 0))["alg"], name);
  }
}

// The signature covers the first two segments and verifies with the public key, for an
// explicitly chosen PS256 too.
TEST(JwtSvidSignTest, SignatureVerifiesOverHeaderAndClaims) {
  const PrivateKey& key = TestKey(KeyType::kRsa2048);
  absl::StatusOr<SecretBytes> token =
      SignJwtSvid(BasicClaims(), key, "k", JwtAlgorithm::kPs256, kNow);
  ASSERT_TRUE(token.ok());
  const std::vector<std::string> parts = Segments(*token);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_TRUE(jwt_internal::VerifyJws(JwtAlgorithm::kPs256, key.public_key().get(),
                                      parts[0] + "." + parts[1], *Base64UrlDecode(parts[2])));
}

// JWT-13: extra claims are carried after the standard ones.
TEST(JwtSvidSignTest, AddsExtraClaims) {
  JwtSvidClaims claims = BasicClaims();
  claims.extra_claims = {{"jti", "abc"}, {"groups", Json::array({"x", "y"})}};
  absl::StatusOr<SecretBytes> token = SignJwtSvid(claims, TestKey(KeyType::kEcP256), "k", kNow);
  ASSERT_TRUE(token.ok());
  const Json payload = Json::parse(DecodedSegment(*token, 1));
  EXPECT_EQ(payload["jti"], "abc");
  EXPECT_EQ(payload["groups"], Json::array({"x", "y"}));
  EXPECT_EQ(payload["sub"], "spiffe://example.org/workload");
}

TEST(JwtSvidSignTest, RefusesExtraClaimsThatOverrideStandardOnes) {
  for (const char* name : {"sub", "aud", "exp", "iat"}) {
    JwtSvidClaims claims = BasicClaims();
    claims.extra_claims = {{name, 1}};
    EXPECT_EQ(SignJwtSvid(claims, TestKey(KeyType::kEcP256), "k", kNow).status().code(),
              absl::StatusCode::kInvalidArgument)
        << name;
  }
}

TEST(JwtSvidSignTest, RefusesExtraClaimsThatAreNotAnObject) {
  JwtSvidClaims claims = BasicClaims();
  claims.extra_claims = Json::array({1});
  EXPECT_EQ(SignJwtSvid(claims, TestKey(KeyType::kEcP256), "k", kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// JWT-19: an nbf that arrived as a double (from a protobuf Struct) is written as an integer.
TEST(JwtSvidSignTest, WritesIntegralFloatNbfAsInteger) {
  JwtSvidClaims claims = BasicClaims();
  claims.extra_claims = {{"nbf", 1700000000.0}};
  absl::StatusOr<SecretBytes> token = SignJwtSvid(claims, TestKey(KeyType::kEcP256), "k", kNow);
  ASSERT_TRUE(token.ok());
  EXPECT_THAT(DecodedSegment(*token, 1), HasSubstr(R"("nbf":1700000000})"));
}

TEST(JwtSvidSignTest, RefusesFractionalNbf) {
  JwtSvidClaims claims = BasicClaims();
  claims.extra_claims = {{"nbf", 1700000000.5}};
  EXPECT_EQ(SignJwtSvid(claims, TestKey(KeyType::kEcP256), "k", kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(JwtSvidSignTest, EscapesUnusualKeyId) {
  absl::StatusOr<SecretBytes> token =
      SignJwtSvid(BasicClaims(), TestKey(KeyType::kEcP256), "k\"1", kNow);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(Json::parse(DecodedSegment(*token, 0))["kid"], "k\"1");
}

TEST(JwtSvidSignTest, ProducesUnpaddedUrlSafeSegments) {
  absl::StatusOr<SecretBytes> token =
      SignJwtSvid(BasicClaims(), TestKey(KeyType::kEcP521), "k", kNow);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->view().find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
            std::string_view::npos);
}

}  // namespace
}  // namespace sigil
