#include "jwk.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "bundle_test_util.h"
#include "sigil/base64.h"

namespace sigil::bundle_internal {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;

// The EC public key of RFC 7517 appendix A.1, a known point on P-256.
constexpr const char* kRfcX = "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4";
constexpr const char* kRfcY = "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM";

Json RfcEcKey() { return Json{{"kty", "EC"}, {"crv", "P-256"}, {"x", kRfcX}, {"y", kRfcY}}; }

Json ToJson(const nlohmann::ordered_json& j) { return Json::parse(j.dump()); }

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// RSA key generation is slow; the RSA cases share one key.
Json RsaJwk() {
  static const PublicKey key = testing::NewKey(KeyType::kRsa2048).public_key();
  return ToJson(*PublicKeyToJwk(key));
}

TEST(JwkTest, ReadsRfc7517EcKey) {
  absl::StatusOr<JwkKey> parsed = PublicKeyFromJwk(RfcEcKey());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(parsed->key.has_value());
  EXPECT_EQ(parsed->key->type(), KeyType::kEcP256);
}

TEST(JwkTest, WritesRfc7517EcKeyBackUnchanged) {
  absl::StatusOr<JwkKey> parsed = PublicKeyFromJwk(RfcEcKey());
  ASSERT_TRUE(parsed.ok() && parsed->key.has_value());
  absl::StatusOr<nlohmann::ordered_json> jwk = PublicKeyToJwk(*parsed->key);
  ASSERT_TRUE(jwk.ok()) << jwk.status();
  EXPECT_EQ(ToJson(*jwk), RfcEcKey());
}

class JwkRoundTripTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(JwkRoundTripTest, WritesAndReadsTheSameKey) {
  PublicKey key = testing::NewKey(GetParam()).public_key();
  absl::StatusOr<nlohmann::ordered_json> jwk = PublicKeyToJwk(key);
  ASSERT_TRUE(jwk.ok()) << jwk.status();
  absl::StatusOr<JwkKey> parsed = PublicKeyFromJwk(ToJson(*jwk));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(parsed->key.has_value()) << parsed->skip_reason;
  EXPECT_TRUE(parsed->key->Equals(key));
  EXPECT_EQ(parsed->key->type(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(AllKeyTypes, JwkRoundTripTest,
                         ::testing::Values(KeyType::kEcP256, KeyType::kEcP384, KeyType::kEcP521,
                                           KeyType::kRsa2048));

TEST(JwkTest, EcCoordinatesMatchTheUncompressedPoint) {
  PublicKey key = testing::NewKey(KeyType::kEcP521).public_key();
  testing::EcCoordinates expected = testing::EcCoordinatesOf(key);
  absl::StatusOr<nlohmann::ordered_json> jwk = PublicKeyToJwk(key);
  ASSERT_TRUE(jwk.ok());
  EXPECT_EQ((*jwk)["x"], expected.x);
  EXPECT_EQ((*jwk)["y"], expected.y);
  EXPECT_EQ(Base64UrlDecode((*jwk)["x"].get<std::string>())->size(), 66u);
}

TEST(JwkTest, LeftPadsShortCoordinatesToTheCurveSize) {
  // About one P-256 key in 128 has a coordinate below 2^248; find one.
  for (int attempt = 0; attempt < 5000; ++attempt) {
    PublicKey key = testing::NewKey(KeyType::kEcP256).public_key();
    testing::EcCoordinates point = testing::EcCoordinatesOf(key);
    const std::string x = *Base64UrlDecode(point.x);
    const std::string y = *Base64UrlDecode(point.y);
    if (x[0] != 0 && y[0] != 0) {
      continue;
    }
    absl::StatusOr<nlohmann::ordered_json> jwk = PublicKeyToJwk(key);
    ASSERT_TRUE(jwk.ok());
    EXPECT_EQ((*jwk)["x"], point.x);
    EXPECT_EQ((*jwk)["y"], point.y);
    return;
  }
  FAIL() << "no key with a leading zero byte in 5000 attempts";
}

TEST(JwkTest, RsaExponentIsMinimal) {
  Json jwk = RsaJwk();
  EXPECT_EQ(jwk["e"], "AQAB");
  EXPECT_EQ(Base64UrlDecode(jwk["n"].get<std::string>())->size(), 256u);
}

TEST(JwkTest, RejectsCoordinateOfWrongLength) {
  Json jwk = RfcEcKey();
  jwk["x"] = Base64UrlEncode(std::string(31, '\x01'));
  absl::StatusOr<JwkKey> parsed = PublicKeyFromJwk(jwk);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(parsed.status()), HasSubstr("x is 31 bytes, P-256 needs 32"));
}

TEST(JwkTest, RejectsP384CoordinatesOnP256) {
  PublicKey key = testing::NewKey(KeyType::kEcP384).public_key();
  testing::EcCoordinates point = testing::EcCoordinatesOf(key);
  Json jwk{{"kty", "EC"}, {"crv", "P-256"}, {"x", point.x}, {"y", point.y}};
  EXPECT_FALSE(PublicKeyFromJwk(jwk).ok());
}

TEST(JwkTest, RejectsPointNotOnTheCurve) {
  Json jwk = RfcEcKey();
  std::string y = *Base64UrlDecode(kRfcY);
  y.back() ^= 1;
  jwk["y"] = Base64UrlEncode(y);
  absl::StatusOr<JwkKey> parsed = PublicKeyFromJwk(jwk);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(parsed.status()), HasSubstr("not a point on the curve"));
}

TEST(JwkTest, RejectsPaddedBase64Url) {
  Json jwk = RfcEcKey();
  jwk["x"] = std::string(kRfcX) + "=";
  absl::StatusOr<JwkKey> parsed = PublicKeyFromJwk(jwk);
  EXPECT_THAT(Message(parsed.status()), HasSubstr("x is not valid base64url"));
}

TEST(JwkTest, RejectsStandardAlphabetInCoordinate) {
  Json jwk = RfcEcKey();
  std::string x = kRfcX;
  x[0] = '+';
  jwk["x"] = x;
  EXPECT_FALSE(PublicKeyFromJwk(jwk).ok());
}

TEST(JwkTest, RejectsMissingY) {
  Json jwk = RfcEcKey();
  jwk.erase("y");
  EXPECT_THAT(Message(PublicKeyFromJwk(jwk).status()), HasSubstr("y is missing"));
}

TEST(JwkTest, RejectsNonStringCoordinate) {
  Json jwk = RfcEcKey();
  jwk["x"] = 12;
  EXPECT_THAT(Message(PublicKeyFromJwk(jwk).status()), HasSubstr("x is not a string"));
}

TEST(JwkTest, RejectsEcKeyWithoutCrv) {
  Json jwk = RfcEcKey();
  jwk.erase("crv");
  EXPECT_FALSE(PublicKeyFromJwk(jwk).ok());
}

TEST(JwkTest, SkipsUnsupportedCurve) {
  Json jwk = RfcEcKey();
  jwk["crv"] = "secp256k1";
  absl::StatusOr<JwkKey> parsed = PublicKeyFromJwk(jwk);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->key.has_value());
  EXPECT_THAT(parsed->skip_reason, HasSubstr("crv"));
}

TEST(JwkTest, SkipsUnknownKty) {
  absl::StatusOr<JwkKey> parsed = PublicKeyFromJwk(Json{{"kty", "OKP"}, {"crv", "Ed25519"}});
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->key.has_value());
}

TEST(JwkTest, SkipsMissingKty) {
  absl::StatusOr<JwkKey> parsed = PublicKeyFromJwk(Json{{"x", kRfcX}});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->skip_reason, "kty is missing");
}

TEST(JwkTest, RejectsRsaKeyWithoutE) {
  Json jwk = RsaJwk();
  jwk.erase("e");
  EXPECT_THAT(Message(PublicKeyFromJwk(jwk).status()), HasSubstr("e is missing"));
}

TEST(JwkTest, RejectsRsaKeyWithoutN) {
  Json jwk = RsaJwk();
  jwk.erase("n");
  EXPECT_THAT(Message(PublicKeyFromJwk(jwk).status()), HasSubstr("n is missing"));
}

TEST(JwkTest, RejectsEvenRsaExponent) {
  Json jwk = RsaJwk();
  jwk["e"] = Base64UrlEncode(std::string("\x01\x00\x00", 3));
  EXPECT_FALSE(PublicKeyFromJwk(jwk).ok());
}

TEST(JwkTest, RejectsRsaExponentOfOne) {
  Json jwk = RsaJwk();
  jwk["e"] = "AQ";
  EXPECT_FALSE(PublicKeyFromJwk(jwk).ok());
}

TEST(JwkTest, RejectsEvenRsaModulus) {
  Json jwk = RsaJwk();
  std::string n = *Base64UrlDecode(jwk["n"].get<std::string>());
  n.back() &= '\xfe';
  jwk["n"] = Base64UrlEncode(n);
  EXPECT_THAT(Message(PublicKeyFromJwk(jwk).status()), HasSubstr("n is even"));
}

TEST(JwkTest, AcceptsLeadingZeroInRsaModulus) {
  Json jwk = RsaJwk();
  std::string n = *Base64UrlDecode(jwk["n"].get<std::string>());
  jwk["n"] = Base64UrlEncode(std::string(1, '\0') + n);
  absl::StatusOr<JwkKey> parsed = PublicKeyFromJwk(jwk);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->key.has_value());
}

TEST(JwkTest, SkipsRsaKeyOfUnsupportedSize) {
  Json jwk = RsaJwk();
  std::string n = *Base64UrlDecode(jwk["n"].get<std::string>());
  std::string short_n = n.substr(128);  // still odd
  short_n[0] |= '\x80';                 // exactly 1024 bits
  jwk["n"] = Base64UrlEncode(short_n);
  absl::StatusOr<JwkKey> parsed = PublicKeyFromJwk(jwk);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->key.has_value());
  EXPECT_THAT(parsed->skip_reason, HasSubstr("1024 bits"));
}

TEST(JwkTest, FindsPrivateMembers) {
  for (const char* name : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    Json jwk = RfcEcKey();
    jwk[name] = "AAAA";
    EXPECT_TRUE(HasPrivateKeyMember(jwk)) << name;
  }
  EXPECT_FALSE(HasPrivateKeyMember(RfcEcKey()));
}

TEST(JwkTest, EncodingHasNoPrivateMembers) {
  PrivateKey key = testing::NewKey(KeyType::kEcP256);
  absl::StatusOr<nlohmann::ordered_json> jwk = PublicKeyToJwk(key.public_key());
  ASSERT_TRUE(jwk.ok());
  EXPECT_FALSE(HasPrivateKeyMember(ToJson(*jwk)));
}

}  // namespace
}  // namespace sigil::bundle_internal
