#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <openssl/hmac.h>

#include "jwt/jws.h"
#include "jwt/jwt_test_util.h"
#include "sigil/base64.h"
#include "sigil/certificate.h"
#include "sigil/jwt_svid.h"

namespace sigil {
namespace {

using ::sigil::jwt_testing::Authority;
using ::sigil::jwt_testing::CraftToken;
using ::sigil::jwt_testing::ExampleBundles;
using ::sigil::jwt_testing::Header;
using ::sigil::jwt_testing::Id;
using ::sigil::jwt_testing::kNow;
using ::sigil::jwt_testing::Td;
using ::sigil::jwt_testing::TestKey;
using ::sigil::jwt_testing::ValidClaims;
using ::testing::HasSubstr;
using Json = nlohmann::json;

const PrivateKey& P256() { return TestKey(KeyType::kEcP256); }

class JwtSvidValidateTest : public ::testing::Test {
 protected:
  absl::StatusOr<JwtSvid> Validate(std::string_view token,
                                   std::vector<std::string> audiences = {"api"},
                                   absl::Time now = kNow, JwtValidationOptions options = {}) {
    return ValidateJwtSvid(token, bundles_, audiences, now, options);
  }

  // Validates and expects a failure with `code` whose message contains `reason`. The message
  // must never carry the token itself.
  void ExpectRejected(std::string_view token, absl::StatusCode code, std::string_view reason,
                      std::vector<std::string> audiences = {"api"}, absl::Time now = kNow) {
    absl::StatusOr<JwtSvid> svid = Validate(token, audiences, now);
    ASSERT_FALSE(svid.ok()) << "token was accepted; expected: " << reason;
    EXPECT_EQ(svid.status().code(), code) << svid.status();
    EXPECT_THAT(std::string(svid.status().message()), HasSubstr(std::string(reason)));
    const std::string_view last_segment = token.substr(token.rfind('.') + 1);
    if (last_segment.size() > 8) {
      EXPECT_EQ(std::string(svid.status().message()).find(last_segment), std::string::npos)
          << "error message contains the token's signature";
    }
  }

  // ES256 token with kid k256 over `claims`.
  static std::string Es256(std::string_view claims) {
    return CraftToken(Header("ES256", "k256"), claims, P256(), JwtAlgorithm::kEs256);
  }

  BundleSet bundles_ = ExampleBundles();
};

JwtSvidClaims BasicClaims() {
  return JwtSvidClaims{.subject = Id("spiffe://example.org/workload"),
                       .audiences = {"api"},
                       .expires_at = kNow + absl::Minutes(5),
                       .extra_claims = nullptr};
}

// ---- Tokens we issue are accepted, with their content returned ----

TEST_F(JwtSvidValidateTest, AcceptsTokensSignedWithEveryAlgorithm) {
  const std::pair<JwtAlgorithm, std::pair<KeyType, const char*>> cases[] = {
      {JwtAlgorithm::kEs256, {KeyType::kEcP256, "k256"}},
      {JwtAlgorithm::kEs384, {KeyType::kEcP384, "k384"}},
      {JwtAlgorithm::kEs512, {KeyType::kEcP521, "k521"}},
      {JwtAlgorithm::kRs256, {KeyType::kRsa2048, "krsa"}},
      {JwtAlgorithm::kRs384, {KeyType::kRsa2048, "krsa"}},
      {JwtAlgorithm::kRs512, {KeyType::kRsa2048, "krsa"}},
      {JwtAlgorithm::kPs256, {KeyType::kRsa2048, "krsa"}},
      {JwtAlgorithm::kPs384, {KeyType::kRsa2048, "krsa"}},
      {JwtAlgorithm::kPs512, {KeyType::kRsa2048, "krsa"}},
  };
  for (const auto& [alg, key] : cases) {
    absl::StatusOr<SecretBytes> token =
        SignJwtSvid(BasicClaims(), TestKey(key.first), key.second, alg, kNow);
    ASSERT_TRUE(token.ok()) << token.status();
    absl::StatusOr<JwtSvid> svid = Validate(token->view());
    ASSERT_TRUE(svid.ok()) << JwtAlgorithmName(alg) << ": " << svid.status();
    EXPECT_EQ(svid->algorithm, alg);
  }
}

TEST_F(JwtSvidValidateTest, ReturnsTheTokenContent) {
  JwtSvidClaims claims = BasicClaims();
  claims.audiences = {"other", "api"};
  claims.extra_claims = {{"jti", "j1"}};
  absl::StatusOr<SecretBytes> token = SignJwtSvid(claims, P256(), "k256", kNow);
  ASSERT_TRUE(token.ok());

  absl::StatusOr<JwtSvid> svid = Validate(token->view(), {"api"}, kNow + absl::Seconds(10));
  ASSERT_TRUE(svid.ok()) << svid.status();
  EXPECT_EQ(svid->spiffe_id, Id("spiffe://example.org/workload"));
  EXPECT_EQ(svid->audiences, (std::vector<std::string>{"other", "api"}));
  EXPECT_EQ(svid->expires_at, kNow + absl::Minutes(5));
  EXPECT_EQ(svid->issued_at, kNow);
  EXPECT_EQ(svid->claims["jti"], "j1");
  EXPECT_TRUE(svid->token == *token);
  EXPECT_EQ(svid->key_id, "k256");
  EXPECT_EQ(svid->algorithm, JwtAlgorithm::kEs256);
}

// JWT-07: a root-path sub is not forbidden by the spec.
TEST_F(JwtSvidValidateTest, AcceptsTrustDomainIdAsSubject) {
  absl::StatusOr<JwtSvid> svid =
      Validate(Es256(R"({"sub":"spiffe://example.org","aud":"api","exp":1700000300})"));
  ASSERT_TRUE(svid.ok()) << svid.status();
  EXPECT_TRUE(svid->spiffe_id.IsTrustDomainId());
  EXPECT_FALSE(svid->issued_at.has_value());
}

// ---- JWT-01, JWT-17: shape ----

TEST_F(JwtSvidValidateTest, RejectsJwsJsonSerialization) {
  const std::string token = Es256(ValidClaims());
  const std::string json = Json{
      {"payload", token.substr(token.find('.') + 1, 20)},
      {"signatures",
       Json::array()}}.dump();
  ExpectRejected(json, absl::StatusCode::kInvalidArgument, "JWS JSON serialization");
}

TEST_F(JwtSvidValidateTest, RejectsTwoSegments) {
  const std::string token = Es256(ValidClaims());
  ExpectRejected(token.substr(0, token.rfind('.')), absl::StatusCode::kInvalidArgument,
                 "token has 2 segments, expected 3");
}

TEST_F(JwtSvidValidateTest, RejectsFourSegments) {
  ExpectRejected(Es256(ValidClaims()) + ".AAAA", absl::StatusCode::kInvalidArgument,
                 "token has 4 segments, expected 3");
}

TEST_F(JwtSvidValidateTest, RejectsFiveSegmentJwe) {
  ExpectRejected("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d", absl::StatusCode::kInvalidArgument,
                 "JWE is not accepted");
}

TEST_F(JwtSvidValidateTest, RejectsEmptyToken) {
  ExpectRejected("", absl::StatusCode::kInvalidArgument, "token is empty");
}

TEST_F(JwtSvidValidateTest, RejectsPaddedBase64) {
  // Claims chosen so that the encoded payload needs padding.
  const std::string claims = ValidClaims() + " ";
  std::string token = Es256(claims);
  ASSERT_NE(Base64UrlEncode(claims).size() % 4, 0u);
  const size_t second_dot = token.rfind('.');
  token.insert(second_dot, Base64UrlEncode(claims).size() % 4 == 2 ? "==" : "=");
  ExpectRejected(token, absl::StatusCode::kInvalidArgument, "padding");
}

TEST_F(JwtSvidValidateTest, RejectsStandardBase64Alphabet) {
  std::string token = Es256(ValidClaims());
  // Turn the signature segment's first character into '+', outside base64url.
  token[token.rfind('.') + 1] = '+';
  ExpectRejected(token, absl::StatusCode::kInvalidArgument, "JWT signature: base64url");
}

TEST_F(JwtSvidValidateTest, RejectsWhitespaceInsideToken) {
  std::string token = Es256(ValidClaims());
  token.insert(5, " ");
  ExpectRejected(token, absl::StatusCode::kInvalidArgument, "JWT header: base64url");
}

TEST_F(JwtSvidValidateTest, RejectsOversizedToken) {
  const std::string claims = R"({"sub":"spiffe://example.org/workload","aud":"api",)"
                             R"("exp":1700000300,"pad":")" +
                             std::string(kMaxJwtSvidSize, 'x') + "\"}";
  ExpectRejected(Es256(claims), absl::StatusCode::kInvalidArgument, "more than the limit");
}

TEST_F(JwtSvidValidateTest, RejectsOversizedHeader) {
  const std::string header =
      R"({"alg":"ES256","kid":"k256","x":")" + std::string(kMaxJwtHeaderSize, 'x') + "\"}";
  ExpectRejected(CraftToken(header, ValidClaims(), P256(), JwtAlgorithm::kEs256),
                 absl::StatusCode::kInvalidArgument, "JWT header is");
}

TEST_F(JwtSvidValidateTest, RejectsHeaderThatIsNotJson) {
  ExpectRejected(CraftToken("not json", ValidClaims(), P256(), JwtAlgorithm::kEs256),
                 absl::StatusCode::kInvalidArgument, "JWT header: malformed JSON");
}

TEST_F(JwtSvidValidateTest, RejectsClaimsThatAreNotAnObject) {
  ExpectRejected(Es256(R"(["spiffe://example.org/workload"])"), absl::StatusCode::kInvalidArgument,
                 "JWT claims is not a JSON object");
}

TEST_F(JwtSvidValidateTest, RejectsDuplicateSubMember) {
  ExpectRejected(Es256(R"({"sub":"spiffe://example.org/workload","aud":"api",)"
                       R"("exp":1700000300,"sub":"spiffe://example.org/admin"})"),
                 absl::StatusCode::kInvalidArgument, "duplicate member name \"sub\"");
}

TEST_F(JwtSvidValidateTest, RejectsDuplicateAlgMember) {
  ExpectRejected(CraftToken(R"({"alg":"ES256","kid":"k256","alg":"none"})", ValidClaims(), P256(),
                            JwtAlgorithm::kEs256),
                 absl::StatusCode::kInvalidArgument, "duplicate member name \"alg\"");
}

TEST_F(JwtSvidValidateTest, RejectsTamperedClaims) {
  const std::string token = Es256(ValidClaims());
  const std::string forged_claims = Base64UrlEncode(
      R"({"sub":"spiffe://example.org/admin","aud":"api","exp":1700000300,"iat":1700000000})");
  const size_t first_dot = token.find('.');
  const size_t second_dot = token.rfind('.');
  const std::string forged =
      token.substr(0, first_dot + 1) + forged_claims + token.substr(second_dot);
  ExpectRejected(forged, absl::StatusCode::kPermissionDenied, "signature does not verify");
}

TEST_F(JwtSvidValidateTest, RejectsTamperedSignature) {
  std::string token = Es256(ValidClaims());
  char& c = token[token.size() - 5];
  c = c == 'A' ? 'B' : 'A';
  ExpectRejected(token, absl::StatusCode::kPermissionDenied, "signature does not verify");
}

// JWT-17: a DER ECDSA-Sig-Value is refused by its size before any key is tried.
TEST_F(JwtSvidValidateTest, RejectsDerEncodedEcdsaSignature) {
  const std::string input =
      Base64UrlEncode(Header("ES256", "k256")) + "." + Base64UrlEncode(ValidClaims());
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  ASSERT_EQ(
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, P256().get(), nullptr),
      1);
  unsigned char der[80];
  size_t der_len = sizeof(der);
  ASSERT_EQ(EVP_DigestSign(ctx.get(), der, &der_len,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()),
            1);
  const std::string token =
      input + "." + Base64UrlEncode(std::string(reinterpret_cast<char*>(der), der_len));
  ExpectRejected(token, absl::StatusCode::kInvalidArgument, "DER is not accepted");
}

// ---- JWT-02, JWT-03: alg ----

TEST_F(JwtSvidValidateTest, RejectsAlgNone) {
  const std::string token =
      Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." + Base64UrlEncode(ValidClaims()) + ".";
  ExpectRejected(token, absl::StatusCode::kInvalidArgument, "alg none is not allowed");
}

TEST_F(JwtSvidValidateTest, RejectsLowercaseAlg) {
  ExpectRejected(CraftToken(Header("es256", "k256"), ValidClaims(), P256(), JwtAlgorithm::kEs256),
                 absl::StatusCode::kInvalidArgument, "alg es256 is not allowed");
}

TEST_F(JwtSvidValidateTest, RejectsMissingAlg) {
  ExpectRejected(
      CraftToken(R"({"kid":"k256","typ":"JWT"})", ValidClaims(), P256(), JwtAlgorithm::kEs256),
      absl::StatusCode::kInvalidArgument, "JWT header has no alg");
}

TEST_F(JwtSvidValidateTest, RejectsNonStringAlg) {
  ExpectRejected(
      CraftToken(R"({"alg":["ES256"],"kid":"k256"})", ValidClaims(), P256(), JwtAlgorithm::kEs256),
      absl::StatusCode::kInvalidArgument, "alg is not a string");
}

// JWT-03: the classic confusion attack, HS256 keyed with the verifier's public key, in both
// the DER and PEM forms an attacker might guess. The alg check stops it before any key is used.
TEST_F(JwtSvidValidateTest, RejectsHmacKeyedWithThePublicKey) {
  for (const std::string& secret :
       {P256().public_key().ToSpkiDer(), P256().public_key().ToSpkiPem()}) {
    const std::string input =
        Base64UrlEncode(Header("HS256", "k256")) + "." + Base64UrlEncode(ValidClaims());
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    ASSERT_NE(
        HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len),
        nullptr);
    const std::string token =
        input + "." + Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), mac_len));
    ExpectRejected(token, absl::StatusCode::kInvalidArgument, "alg HS256 is not allowed");
  }
}

// JWT-03: ES256 named, but the kid's key is on P-384.
TEST_F(JwtSvidValidateTest, RejectsKeyOnTheWrongCurveForAlg) {
  ExpectRejected(CraftToken(Header("ES256", "k384"), ValidClaims(), P256(), JwtAlgorithm::kEs256),
                 absl::StatusCode::kPermissionDenied, "cannot verify");
}

TEST_F(JwtSvidValidateTest, RejectsRsaAlgWithEcKey) {
  ExpectRejected(CraftToken(Header("RS256", "k256"), ValidClaims(), TestKey(KeyType::kRsa2048),
                            JwtAlgorithm::kRs256),
                 absl::StatusCode::kPermissionDenied, "cannot verify");
}

TEST_F(JwtSvidValidateTest, RejectsPs256SignatureLabelledRs256) {
  const std::string input =
      Base64UrlEncode(Header("RS256", "krsa")) + "." + Base64UrlEncode(ValidClaims());
  absl::StatusOr<std::string> pss =
      jwt_internal::SignJws(JwtAlgorithm::kPs256, TestKey(KeyType::kRsa2048).get(), input);
  ASSERT_TRUE(pss.ok());
  ExpectRejected(input + "." + Base64UrlEncode(*pss), absl::StatusCode::kPermissionDenied,
                 "signature does not verify");
}

// ---- JWT-05, JWT-06, JWT-18: header members ----

TEST_F(JwtSvidValidateTest, AcceptsTypJose) {
  EXPECT_TRUE(Validate(CraftToken(R"({"alg":"ES256","kid":"k256","typ":"JOSE"})", ValidClaims(),
                                  P256(), JwtAlgorithm::kEs256))
                  .ok());
}

TEST_F(JwtSvidValidateTest, AcceptsMissingTyp) {
  EXPECT_TRUE(Validate(CraftToken(R"({"alg":"ES256","kid":"k256"})", ValidClaims(), P256(),
                                  JwtAlgorithm::kEs256))
                  .ok());
}

// JWT-18: a WIT-SVID must never pass as a JWT-SVID.
TEST_F(JwtSvidValidateTest, RejectsWitTyp) {
  ExpectRejected(CraftToken(R"({"alg":"ES256","kid":"k256","typ":"wit+jwt"})", ValidClaims(),
                            P256(), JwtAlgorithm::kEs256),
                 absl::StatusCode::kInvalidArgument, "typ \"wit+jwt\" is not JWT or JOSE");
}

TEST_F(JwtSvidValidateTest, RejectsOtherTypValues) {
  for (const char* typ : {R"("at+jwt")", R"("jwt")", R"("")", "1"}) {
    ExpectRejected(CraftToken(std::string(R"({"alg":"ES256","kid":"k256","typ":)") + typ + "}",
                              ValidClaims(), P256(), JwtAlgorithm::kEs256),
                   absl::StatusCode::kInvalidArgument, "is not JWT or JOSE");
  }
}

TEST_F(JwtSvidValidateTest, RejectsCrit) {
  ExpectRejected(CraftToken(R"({"alg":"ES256","kid":"k256","crit":["exp"],"exp":1})", ValidClaims(),
                            P256(), JwtAlgorithm::kEs256),
                 absl::StatusCode::kInvalidArgument, "crit");
}

// JWT-06: an embedded jwk is never used as the verification key.
TEST_F(JwtSvidValidateTest, IgnoresJwkHeader) {
  absl::StatusOr<PrivateKey> attacker = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(attacker.ok());
  const Json header = {{"alg", "ES256"},
                       {"typ", "JWT"},
                       {"jwk", {{"kty", "EC"}, {"crv", "P-256"}, {"x", "AAAA"}, {"y", "AAAA"}}},
                       {"jku", "https://attacker.example/jwks"},
                       {"x5c", Json::array({"AAAA"})}};
  ExpectRejected(CraftToken(header.dump(), ValidClaims(), *attacker, JwtAlgorithm::kEs256),
                 absl::StatusCode::kPermissionDenied, "no JWT authority");
}

TEST_F(JwtSvidValidateTest, RejectsEmptyKid) {
  ExpectRejected(CraftToken(Header("ES256", ""), ValidClaims(), P256(), JwtAlgorithm::kEs256),
                 absl::StatusCode::kInvalidArgument, "kid is not a non-empty string");
}

// ---- JWT-04, JWT-12: key selection ----

TEST_F(JwtSvidValidateTest, RejectsUnknownKid) {
  ExpectRejected(CraftToken(Header("ES256", "nope"), ValidClaims(), P256(), JwtAlgorithm::kEs256),
                 absl::StatusCode::kPermissionDenied,
                 "kid \"nope\" is not a JWT authority of trust domain example.org");
}

TEST_F(JwtSvidValidateTest, AcceptsMissingKidWhenExactlyOneKeyVerifies) {
  absl::StatusOr<PrivateKey> second = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(second.ok());
  TrustBundle bundle = *bundles_.Find(Td("example.org"));
  ASSERT_TRUE(bundle.AddJwtAuthority(Authority("second", *second)).ok());
  bundles_.Put(bundle);

  absl::StatusOr<JwtSvid> svid = Validate(
      CraftToken(R"({"alg":"ES256","typ":"JWT"})", ValidClaims(), P256(), JwtAlgorithm::kEs256));
  ASSERT_TRUE(svid.ok()) << svid.status();
  EXPECT_EQ(svid->key_id, "");
}

TEST_F(JwtSvidValidateTest, RejectsMissingKidWhenTwoKeysVerify) {
  TrustBundle bundle = *bundles_.Find(Td("example.org"));
  ASSERT_TRUE(bundle.AddJwtAuthority(Authority("k256-again", P256())).ok());
  bundles_.Put(bundle);

  ExpectRejected(
      CraftToken(R"({"alg":"ES256","typ":"JWT"})", ValidClaims(), P256(), JwtAlgorithm::kEs256),
      absl::StatusCode::kPermissionDenied, "token has no kid and 2 JWT authorities");
}

TEST_F(JwtSvidValidateTest, RejectsMissingKidWhenNoKeyVerifies) {
  absl::StatusOr<PrivateKey> stranger = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(stranger.ok());
  ExpectRejected(CraftToken(R"({"alg":"ES256"})", ValidClaims(), *stranger, JwtAlgorithm::kEs256),
                 absl::StatusCode::kPermissionDenied,
                 "token has no kid and no JWT authority of trust domain example.org verifies");
}

TEST_F(JwtSvidValidateTest, RejectsKeyFromAnotherTrustDomain) {
  absl::StatusOr<PrivateKey> other_key = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(other_key.ok());
  TrustBundle other(Td("other.org"));
  ASSERT_TRUE(other.AddJwtAuthority(Authority("k256", *other_key)).ok());
  bundles_.Put(other);

  // Signed by example.org's k256, but sub says other.org: only other.org's keys count.
  ExpectRejected(Es256(R"({"sub":"spiffe://other.org/w","aud":"api","exp":1700000300})"),
                 absl::StatusCode::kPermissionDenied, "signature does not verify");
}

TEST_F(JwtSvidValidateTest, RejectsSubjectWithoutBundle) {
  ExpectRejected(Es256(R"({"sub":"spiffe://unknown.org/w","aud":"api","exp":1700000300})"),
                 absl::StatusCode::kPermissionDenied, "no bundle for trust domain unknown.org");
}

// JWT-12: an X.509 authority's key never verifies a JWT-SVID, even when it made the signature.
TEST_F(JwtSvidValidateTest, NeverUsesX509AuthorityKey) {
  X509Ptr x509(X509_new());
  ASSERT_NE(x509, nullptr);
  ASSERT_EQ(X509_set_version(x509.get(), 2), 1);
  ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), 3600);
  ASSERT_EQ(X509_NAME_add_entry_by_txt(X509_get_subject_name(x509.get()), "O", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>("ca"), -1, -1, 0),
            1);
  ASSERT_EQ(X509_set_issuer_name(x509.get(), X509_get_subject_name(x509.get())), 1);
  ASSERT_EQ(X509_set_pubkey(x509.get(), P256().get()), 1);
  ASSERT_GT(X509_sign(x509.get(), P256().get(), EVP_sha256()), 0);
  absl::StatusOr<Certificate> ca = Certificate::FromX509(std::move(x509));
  ASSERT_TRUE(ca.ok()) << ca.status();

  TrustBundle x509_only(Td("example.org"));
  ASSERT_TRUE(x509_only.AddX509Authority(*ca));
  bundles_.Put(x509_only);

  ExpectRejected(Es256(ValidClaims()), absl::StatusCode::kPermissionDenied,
                 "kid \"k256\" is not a JWT authority");
  ExpectRejected(CraftToken(R"({"alg":"ES256"})", ValidClaims(), P256(), JwtAlgorithm::kEs256),
                 absl::StatusCode::kPermissionDenied, "has no JWT authority usable with ES256");
}

TEST_F(JwtSvidValidateTest, RejectsExpiredAuthority) {
  TrustBundle bundle(Td("example.org"));
  JwtAuthority authority = Authority("k256", P256());
  authority.expires_at = kNow - absl::Seconds(1);
  ASSERT_TRUE(bundle.AddJwtAuthority(authority).ok());
  bundles_.Put(bundle);
  ExpectRejected(Es256(ValidClaims()), absl::StatusCode::kPermissionDenied,
                 "JWT authority \"k256\" expired at");
}

// ---- JWT-07: sub ----

TEST_F(JwtSvidValidateTest, RejectsMissingSub) {
  ExpectRejected(Es256(R"({"aud":"api","exp":1700000300})"), absl::StatusCode::kInvalidArgument,
                 "claim sub is missing");
}

TEST_F(JwtSvidValidateTest, RejectsSubThatIsNotASpiffeId) {
  for (const char* sub : {"https://example.org/w", "spiffe://Example.org/w", "spiffe://ex/a//b"}) {
    ExpectRejected(Es256(Json{{"sub", sub}, {"aud", "api"}, {"exp", 1700000300}}.dump()),
                   absl::StatusCode::kInvalidArgument, "claim sub is not a SPIFFE ID");
  }
}

// ---- JWT-08, JWT-09: aud ----

TEST_F(JwtSvidValidateTest, RejectsMissingAud) {
  ExpectRejected(Es256(R"({"sub":"spiffe://example.org/w","exp":1700000300})"),
                 absl::StatusCode::kInvalidArgument, "claim aud is missing");
}

TEST_F(JwtSvidValidateTest, RejectsEmptyAud) {
  for (const char* aud : {R"("")", "[]"}) {
    ExpectRejected(Es256(std::string(R"({"sub":"spiffe://example.org/w","exp":1700000300,"aud":)") +
                         aud + "}"),
                   absl::StatusCode::kInvalidArgument, "claim aud is empty");
  }
}

TEST_F(JwtSvidValidateTest, RejectsAudWithNonStringElement) {
  ExpectRejected(Es256(R"({"sub":"spiffe://example.org/w","exp":1700000300,"aud":["api",1]})"),
                 absl::StatusCode::kInvalidArgument, "not a string");
}

TEST_F(JwtSvidValidateTest, RejectsAudienceMismatch) {
  ExpectRejected(Es256(ValidClaims()), absl::StatusCode::kPermissionDenied,
                 "audience api.example.org not in token", {"api.example.org"});
}

TEST_F(JwtSvidValidateTest, ComparesAudienceCaseSensitively) {
  ExpectRejected(Es256(ValidClaims()), absl::StatusCode::kPermissionDenied, "not in token",
                 {"API"});
}

TEST_F(JwtSvidValidateTest, AcceptsWhenAnyExpectedAudienceIsInAudArray) {
  EXPECT_TRUE(Validate(Es256(R"({"sub":"spiffe://example.org/w","exp":1700000300,)"
                             R"("aud":["x","y","z"]})"),
                       {"q", "y"})
                  .ok());
}

TEST_F(JwtSvidValidateTest, NamesAllExpectedAudiencesWhenNoneMatches) {
  ExpectRejected(Es256(ValidClaims()), absl::StatusCode::kPermissionDenied,
                 "none of the expected audiences (a, b) is in token", {"a", "b"});
}

// JWT-09: no expected audience is a caller error, not a skipped check.
TEST_F(JwtSvidValidateTest, RefusesToValidateWithoutExpectedAudience) {
  absl::StatusOr<JwtSvid> svid = Validate(Es256(ValidClaims()), {});
  EXPECT_EQ(svid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(svid.status().message()), HasSubstr("no expected audience"));
}

// ---- JWT-10, JWT-11, JWT-19: times ----

TEST_F(JwtSvidValidateTest, RejectsExpiredToken) {
  ExpectRejected(Es256(ValidClaims()), absl::StatusCode::kPermissionDenied,
                 "token expired at 2023-11-14T22:18:20Z", {"api"}, kNow + absl::Seconds(300 + 60));
}

TEST_F(JwtSvidValidateTest, AcceptsRecentlyExpiredTokenWithinLeeway) {
  EXPECT_TRUE(Validate(Es256(ValidClaims()), {"api"}, kNow + absl::Seconds(300 + 59)).ok());
}

TEST_F(JwtSvidValidateTest, AppliesConfiguredLeeway) {
  absl::StatusOr<JwtSvid> svid = Validate(Es256(ValidClaims()), {"api"}, kNow + absl::Seconds(300),
                                          JwtValidationOptions{.leeway = absl::ZeroDuration()});
  EXPECT_EQ(svid.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(JwtSvidValidateTest, RefusesLeewayAboveOneMinute) {
  absl::StatusOr<JwtSvid> svid = Validate(Es256(ValidClaims()), {"api"}, kNow,
                                          JwtValidationOptions{.leeway = absl::Seconds(61)});
  EXPECT_EQ(svid.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(JwtSvidValidateTest, RejectsMissingExp) {
  ExpectRejected(Es256(R"({"sub":"spiffe://example.org/w","aud":"api"})"),
                 absl::StatusCode::kInvalidArgument, "claim exp is missing");
}

TEST_F(JwtSvidValidateTest, RejectsExpEncodedAsString) {
  ExpectRejected(Es256(R"({"sub":"spiffe://example.org/w","aud":"api","exp":"1700000300"})"),
                 absl::StatusCode::kInvalidArgument, "claim exp is not a JSON number");
}

TEST_F(JwtSvidValidateTest, RejectsExpAsFloat) {
  ExpectRejected(Es256(R"({"sub":"spiffe://example.org/w","aud":"api","exp":1700000300.0})"),
                 absl::StatusCode::kInvalidArgument, "claim exp is not an integer");
}

TEST_F(JwtSvidValidateTest, RejectsExpInExponentForm) {
  ExpectRejected(Es256(R"({"sub":"spiffe://example.org/w","aud":"api","exp":1.7000003e9})"),
                 absl::StatusCode::kInvalidArgument, "claim exp is not an integer");
}

TEST_F(JwtSvidValidateTest, RejectsExpBeyondInt64) {
  ExpectRejected(
      Es256(R"({"sub":"spiffe://example.org/w","aud":"api","exp":18446744073709551615})"),
      absl::StatusCode::kInvalidArgument, "claim exp is out of range");
}

TEST_F(JwtSvidValidateTest, RejectsNbfInTheFuture) {
  ExpectRejected(Es256(R"({"sub":"spiffe://example.org/w","aud":"api","exp":1700000300,)"
                       R"("nbf":1700000061})"),
                 absl::StatusCode::kPermissionDenied, "token is not valid before");
}

TEST_F(JwtSvidValidateTest, AcceptsNbfWithinLeeway) {
  EXPECT_TRUE(Validate(Es256(R"({"sub":"spiffe://example.org/w","aud":"api","exp":1700000300,)"
                             R"("nbf":1700000060})"))
                  .ok());
}

TEST_F(JwtSvidValidateTest, RejectsIatInTheFuture) {
  ExpectRejected(Es256(R"({"sub":"spiffe://example.org/w","aud":"api","exp":1700000300,)"
                       R"("iat":1700000100})"),
                 absl::StatusCode::kPermissionDenied, "token is issued in the future");
}

TEST_F(JwtSvidValidateTest, RejectsNbfAsString) {
  ExpectRejected(Es256(R"({"sub":"spiffe://example.org/w","aud":"api","exp":1700000300,)"
                       R"("nbf":"0"})"),
                 absl::StatusCode::kInvalidArgument, "claim nbf is not a JSON number");
}

// JWT-17: strict base64url gives every token one encoding, so no altered byte and no
// truncation of a valid token may validate, and none may crash the parser.
TEST_F(JwtSvidValidateTest, RejectsEverySingleByteChangeAndTruncation) {
  const std::string token = Es256(ValidClaims());
  ASSERT_TRUE(Validate(token).ok());
  const std::string replacements("A_-.=+/ \0\xff{", 11);
  for (size_t i = 0; i < token.size(); ++i) {
    for (char r : replacements) {
      if (token[i] == r) {
        continue;
      }
      std::string mutated = token;
      mutated[i] = r;
      EXPECT_FALSE(Validate(mutated).ok()) << "byte " << i << " replaced by " << int(r);
    }
    EXPECT_FALSE(Validate(std::string_view(token).substr(0, i)).ok()) << "truncated at " << i;
  }
}

// ---- ParseJwtSvidInsecure ----

TEST(JwtSvidInsecureParseTest, DecodesWithoutVerifying) {
  // alg none and an empty signature: nothing is checked but the shape.
  const std::string token =
      Base64UrlEncode(R"({"alg":"none"})") + "." + Base64UrlEncode(ValidClaims()) + ".";
  absl::StatusOr<UnverifiedJwt> parsed = ParseJwtSvidInsecure(token);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->header["alg"], "none");
  EXPECT_EQ(parsed->claims["sub"], "spiffe://example.org/workload");
  EXPECT_EQ(parsed->signature_size, 0u);
}

TEST(JwtSvidInsecureParseTest, ReportsSignatureSize) {
  absl::StatusOr<UnverifiedJwt> parsed = ParseJwtSvidInsecure(
      CraftToken(Header("ES256", "k"), ValidClaims(), P256(), JwtAlgorithm::kEs256));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->signature_size, 64u);
}

TEST(JwtSvidInsecureParseTest, StillRejectsMalformedShape) {
  EXPECT_EQ(ParseJwtSvidInsecure("a.b").status().message(), "token has 2 segments, expected 3");
  EXPECT_EQ(ParseJwtSvidInsecure(Base64UrlEncode("{}") + "." + Base64UrlEncode("{}") + ".A=")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sigil
