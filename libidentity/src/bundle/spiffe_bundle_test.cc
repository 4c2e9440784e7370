// SPIFFE bundle documents (CONFORMANCE.md section 4) and the Workload API JWKS (WAPI-33).
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <nlohmann/json.hpp>

#include "bundle_test_util.h"
#include "sigil/base64.h"
#include "sigil/bundle.h"

namespace sigil {
namespace {

using Json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// Two CAs and two JWT keys per run; RSA and P-384 are made once for the whole suite.
class SpiffeBundleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared_ = std::make_unique<Shared>(Shared{testing::NewCa("example.org"),
                                              testing::NewCa("example.org", KeyType::kRsa2048),
                                              testing::NewKey(KeyType::kEcP384).public_key(),
                                              testing::NewKey(KeyType::kRsa2048).public_key()});
  }
  static void TearDownTestSuite() { shared_.reset(); }

  const TrustDomain td_ = *TrustDomain::FromString("example.org");
  const Certificate& ec_ca() const { return shared_->ec_ca.cert; }
  const Certificate& rsa_ca() const { return shared_->rsa_ca.cert; }
  const PublicKey& ec_jwt() const { return shared_->ec_jwt; }
  const PublicKey& rsa_jwt() const { return shared_->rsa_jwt; }

  // A bundle with every kind of authority, a sequence number and a refresh hint.
  TrustBundle FullBundle() const {
    TrustBundle bundle(td_);
    bundle.AddX509Authority(ec_ca());
    bundle.AddX509Authority(rsa_ca());
    EXPECT_TRUE(bundle.AddJwtAuthority({"ec-key", ec_jwt(), std::nullopt}).ok());
    EXPECT_TRUE(bundle.AddJwtAuthority({"rsa-key", rsa_jwt(), std::nullopt}).ok());
    bundle.set_sequence_number(42);
    bundle.set_refresh_hint(absl::Seconds(300));
    return bundle;
  }

  // FullBundle() as a JSON value, for tests that alter one member.
  Json FullDocument() const { return Json::parse(*EncodeSpiffeBundle(FullBundle())); }

  absl::StatusOr<TrustBundle> Parse(const Json& doc) const {
    return ParseSpiffeBundle(td_, doc.dump());
  }

  // {"keys": [key]}
  absl::StatusOr<TrustBundle> ParseOneKey(const Json& key) const {
    return Parse(Json{{"keys", Json::array({key})}});
  }
  Json X509Key() const { return FullDocument()["keys"][0]; }
  Json JwtKey() const { return FullDocument()["keys"][2]; }

 private:
  struct Shared {
    testing::TestCa ec_ca;
    testing::TestCa rsa_ca;
    PublicKey ec_jwt;
    PublicKey rsa_jwt;
  };
  static std::unique_ptr<Shared> shared_;
};

std::unique_ptr<SpiffeBundleTest::Shared> SpiffeBundleTest::shared_;

// Round trips.

TEST_F(SpiffeBundleTest, RoundTripGivesAnEqualBundle) {
  TrustBundle bundle = FullBundle();
  absl::StatusOr<std::string> json = EncodeSpiffeBundle(bundle);
  ASSERT_TRUE(json.ok()) << json.status();
  absl::StatusOr<TrustBundle> parsed = ParseSpiffeBundle(td_, *json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(*parsed == bundle);
}

TEST_F(SpiffeBundleTest, RoundTripKeepsAuthorityOrder) {
  absl::StatusOr<TrustBundle> parsed = ParseSpiffeBundle(td_, *EncodeSpiffeBundle(FullBundle()));
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->x509_authorities().size(), 2u);
  EXPECT_EQ(parsed->x509_authorities()[0], ec_ca());
  EXPECT_EQ(parsed->x509_authorities()[1], rsa_ca());
  ASSERT_EQ(parsed->jwt_authorities().size(), 2u);
  EXPECT_EQ(parsed->jwt_authorities()[0].key_id, "ec-key");
  EXPECT_TRUE(parsed->jwt_authorities()[0].public_key.Equals(ec_jwt()));
  EXPECT_EQ(parsed->jwt_authorities()[1].key_id, "rsa-key");
}

TEST_F(SpiffeBundleTest, EncodingIsDeterministic) {
  EXPECT_EQ(*EncodeSpiffeBundle(FullBundle()), *EncodeSpiffeBundle(FullBundle()));
}

TEST_F(SpiffeBundleTest, IndentedEncodingParsesToTheSameBundle) {
  SpiffeBundleEncoding encoding;
  encoding.indent = true;
  absl::StatusOr<std::string> json = EncodeSpiffeBundle(FullBundle(), encoding);
  ASSERT_TRUE(json.ok());
  EXPECT_THAT(*json, HasSubstr("\n  \"keys\""));
  EXPECT_TRUE(*ParseSpiffeBundle(td_, *json) == FullBundle());
}

// A document laid out the way SPIRE's bundle endpoint writes one, built by hand around a CA made
// in the test; coordinates are computed without the JWK encoder.
TEST_F(SpiffeBundleTest, ReadsSpireStyleDocument) {
  testing::EcCoordinates ca_point = testing::EcCoordinatesOf(*ec_ca().public_key());
  testing::EcCoordinates jwt_point = testing::EcCoordinatesOf(ec_jwt());
  const std::string doc = absl::StrReplaceAll(
      R"({
    "keys": [
        {
            "use": "x509-svid",
            "kty": "EC",
            "crv": "P-256",
            "x": "$CAX",
            "y": "$CAY",
            "x5c": [
                "$CERT"
            ]
        },
        {
            "use": "jwt-svid",
            "kty": "EC",
            "kid": "C6vs25welZOx6WksNYfbMfiw9l96pMnD",
            "crv": "P-384",
            "x": "$JWTX",
            "y": "$JWTY"
        }
    ],
    "spiffe_refresh_hint": 2419200,
    "spiffe_sequence": 1
})",
      {{"$CAX", ca_point.x},
       {"$CAY", ca_point.y},
       {"$CERT", Base64Encode(ec_ca().der())},
       {"$JWTX", jwt_point.x},
       {"$JWTY", jwt_point.y}});

  absl::StatusOr<TrustBundle> bundle = ParseSpiffeBundle(td_, doc);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ(bundle->trust_domain(), td_);
  ASSERT_EQ(bundle->x509_authorities().size(), 1u);
  EXPECT_EQ(bundle->x509_authorities()[0], ec_ca());
  const JwtAuthority* jwt = bundle->FindJwtAuthority("C6vs25welZOx6WksNYfbMfiw9l96pMnD");
  ASSERT_NE(jwt, nullptr);
  EXPECT_TRUE(jwt->public_key.Equals(ec_jwt()));
  EXPECT_EQ(bundle->sequence_number(), 1u);
  EXPECT_EQ(bundle->refresh_hint(), absl::Hours(24 * 28));
}

// BUNDLE-01: "keys" must be present and an array.
TEST_F(SpiffeBundleTest, RejectsDocumentWithoutKeys) {
  absl::StatusOr<TrustBundle> bundle = Parse(Json{{"spiffe_sequence", 1}});
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(bundle.status()), "SPIFFE bundle: has no \"keys\" member");
}

TEST_F(SpiffeBundleTest, RejectsKeysThatIsNotAnArray) {
  for (const Json& keys : {Json::object(), Json("[]"), Json(nullptr), Json(3)}) {
    absl::StatusOr<TrustBundle> bundle = Parse(Json{{"keys", keys}});
    EXPECT_THAT(Message(bundle.status()), HasSubstr("\"keys\" is not an array")) << keys.dump();
  }
}

TEST_F(SpiffeBundleTest, RejectsDocumentThatIsNotAnObject) {
  EXPECT_THAT(Message(ParseSpiffeBundle(td_, "[]").status()), HasSubstr("not a JSON object"));
  EXPECT_FALSE(ParseSpiffeBundle(td_, "\"keys\"").ok());
}

TEST_F(SpiffeBundleTest, RejectsTextThatIsNotJson) {
  absl::StatusOr<TrustBundle> bundle = ParseSpiffeBundle(td_, "{\"keys\": [}");
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(bundle.status()), HasSubstr("SPIFFE bundle: malformed JSON"));
}

TEST_F(SpiffeBundleTest, RejectsEmptyInput) { EXPECT_FALSE(ParseSpiffeBundle(td_, "").ok()); }

TEST_F(SpiffeBundleTest, RejectsKeyThatIsNotAnObject) {
  EXPECT_EQ(Message(Parse(Json{{"keys", Json::array({"x509"})}}).status()),
            "SPIFFE bundle: keys[0]: is not a JSON object");
}

// BUNDLE-02: an empty key set revokes everything; the bundle still parses.
TEST_F(SpiffeBundleTest, EmptyKeysGivesEmptyBundle) {
  absl::StatusOr<TrustBundle> bundle = ParseSpiffeBundle(td_, R"({"keys": []})");
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_TRUE(bundle->empty());
}

TEST_F(SpiffeBundleTest, BundleWhoseKeysAreAllSkippedIsEmpty) {
  Json key = JwtKey();
  key["use"] = "enc";
  absl::StatusOr<TrustBundle> bundle = ParseOneKey(key);
  ASSERT_TRUE(bundle.ok());
  EXPECT_TRUE(bundle->empty());
}

TEST_F(SpiffeBundleTest, EncodesEmptyBundleWithEmptyKeysArray) {
  EXPECT_EQ(*EncodeSpiffeBundle(TrustBundle(td_)), R"({"keys":[]})");
}

// BUNDLE-03: spiffe_sequence is a uint64.
TEST_F(SpiffeBundleTest, ReadsLargestSequenceNumber) {
  absl::StatusOr<TrustBundle> bundle =
      ParseSpiffeBundle(td_, R"({"keys": [], "spiffe_sequence": 18446744073709551615})");
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ(bundle->sequence_number(), std::numeric_limits<uint64_t>::max());
}

TEST_F(SpiffeBundleTest, AbsentSequenceLeavesItUnset) {
  EXPECT_EQ(ParseSpiffeBundle(td_, R"({"keys": []})")->sequence_number(), std::nullopt);
}

TEST_F(SpiffeBundleTest, RejectsMalformedSequenceNumbers) {
  for (const char* value : {"-1", "1.5", "\"3\"", "18446744073709551616", "1e3", "true", "null"}) {
    absl::StatusOr<TrustBundle> bundle =
        ParseSpiffeBundle(td_, absl::StrCat(R"({"keys": [], "spiffe_sequence": )", value, "}"));
    EXPECT_EQ(bundle.status().code(), absl::StatusCode::kInvalidArgument) << value;
    EXPECT_THAT(Message(bundle.status()), HasSubstr("spiffe_sequence")) << value;
  }
}

// BUNDLE-04: spiffe_refresh_hint is whole seconds.
TEST_F(SpiffeBundleTest, ReadsRefreshHintAsSeconds) {
  absl::StatusOr<TrustBundle> bundle =
      ParseSpiffeBundle(td_, R"({"keys": [], "spiffe_refresh_hint": 300})");
  ASSERT_TRUE(bundle.ok());
  EXPECT_EQ(bundle->refresh_hint(), absl::Minutes(5));
}

TEST_F(SpiffeBundleTest, AbsentRefreshHintLeavesItUnset) {
  EXPECT_EQ(ParseSpiffeBundle(td_, R"({"keys": []})")->refresh_hint(), std::nullopt);
}

TEST_F(SpiffeBundleTest, RejectsMalformedRefreshHints) {
  for (const char* value : {"-1", "0.5", "\"300\"", "9223372036854775808", "{}"}) {
    absl::StatusOr<TrustBundle> bundle =
        ParseSpiffeBundle(td_, absl::StrCat(R"({"keys": [], "spiffe_refresh_hint": )", value, "}"));
    EXPECT_THAT(Message(bundle.status()), HasSubstr("spiffe_refresh_hint")) << value;
  }
}

TEST_F(SpiffeBundleTest, EncodesRefreshHintInWholeSeconds) {
  TrustBundle bundle(td_);
  bundle.set_refresh_hint(absl::Milliseconds(90500));
  EXPECT_EQ(*EncodeSpiffeBundle(bundle), R"({"keys":[],"spiffe_refresh_hint":90})");
}

// BUNDLE-05: unknown members are ignored.
TEST_F(SpiffeBundleTest, IgnoresUnknownTopLevelMembers) {
  Json doc = FullDocument();
  doc["spiffe_future"] = Json{{"nested", Json::array({1, 2})}};
  doc["x5u"] = "https://example.org";
  absl::StatusOr<TrustBundle> bundle = Parse(doc);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_TRUE(*bundle == FullBundle());
}

TEST_F(SpiffeBundleTest, IgnoresUnknownMembersInsideKeys) {
  Json key = JwtKey();
  key["alg"] = "ES384";
  key["key_ops"] = Json::array({"verify"});
  absl::StatusOr<TrustBundle> bundle = ParseOneKey(key);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ(bundle->jwt_authorities().size(), 1u);
}

// BUNDLE-06: a key of unknown kty is dropped, the rest of the bundle stays.
TEST_F(SpiffeBundleTest, SkipsKeyWithUnknownKtyAndKeepsTheOthers) {
  Json doc = FullDocument();
  doc["keys"][2]["kty"] = "OKP";
  doc["keys"][0]["kty"] = "oct-future";
  absl::StatusOr<TrustBundle> bundle = Parse(doc);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_THAT(bundle->x509_authorities(), ElementsAre(rsa_ca()));
  ASSERT_EQ(bundle->jwt_authorities().size(), 1u);
  EXPECT_EQ(bundle->jwt_authorities()[0].key_id, "rsa-key");
}

TEST_F(SpiffeBundleTest, SkipsKeyWithoutKty) {
  Json key = JwtKey();
  key.erase("kty");
  absl::StatusOr<TrustBundle> bundle = ParseOneKey(key);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_TRUE(bundle->empty());
}

TEST_F(SpiffeBundleTest, SkipsKeyOnUnsupportedCurve) {
  Json key = JwtKey();
  key["crv"] = "P-192";
  absl::StatusOr<TrustBundle> bundle = ParseOneKey(key);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_TRUE(bundle->empty());
}

// BUNDLE-07: "use" selects the authority kind; missing or unknown use drops the key.
TEST_F(SpiffeBundleTest, SkipsKeyWithoutUse) {
  Json key = X509Key();
  key.erase("use");
  absl::StatusOr<TrustBundle> bundle = ParseOneKey(key);
  ASSERT_TRUE(bundle.ok());
  EXPECT_TRUE(bundle->empty());
}

TEST_F(SpiffeBundleTest, SkipsKeyWithUnknownUse) {
  for (const Json& use : {Json("sig"), Json("enc"), Json(7), Json::array({"jwt-svid"})}) {
    Json key = JwtKey();
    key["use"] = use;
    absl::StatusOr<TrustBundle> bundle = ParseOneKey(key);
    ASSERT_TRUE(bundle.ok()) << use.dump();
    EXPECT_TRUE(bundle->empty()) << use.dump();
  }
}

TEST_F(SpiffeBundleTest, UseIsCaseSensitive) {
  Json key = X509Key();
  key["use"] = "X509-SVID";
  EXPECT_TRUE(ParseOneKey(key)->empty());
}

TEST_F(SpiffeBundleTest, SkipsWitSvidKeys) {
  Json key = JwtKey();
  key["use"] = "wit-svid";
  std::vector<std::string> skipped;
  absl::StatusOr<TrustBundle> bundle =
      ParseSpiffeBundle(td_, Json{{"keys", Json::array({key})}}.dump(), &skipped);
  ASSERT_TRUE(bundle.ok());
  EXPECT_TRUE(bundle->empty());
  EXPECT_THAT(skipped, ElementsAre("keys[0]: wit-svid keys are not supported"));
}

TEST_F(SpiffeBundleTest, ReportsEachSkippedKeyWithItsIndex) {
  Json doc = FullDocument();
  doc["keys"][1].erase("use");
  doc["keys"][3]["kty"] = "OKP";
  std::vector<std::string> skipped;
  ASSERT_TRUE(ParseSpiffeBundle(td_, doc.dump(), &skipped).ok());
  EXPECT_THAT(skipped, ElementsAre("keys[1]: use is missing", "keys[3]: kty is not EC or RSA"));
}

// BUNDLE-08: an x509-svid key has the CA key members, exactly one certificate and no kid.
TEST_F(SpiffeBundleTest, EncodesX509KeyWithOneCertificateAndNoKid) {
  Json key = X509Key();
  EXPECT_EQ(key["use"], "x509-svid");
  EXPECT_FALSE(key.contains("kid"));
  ASSERT_EQ(key["x5c"].size(), 1u);
  EXPECT_EQ(*Base64Decode(key["x5c"][0].get<std::string>()), ec_ca().der());
}

TEST_F(SpiffeBundleTest, EncodesX509KeyWithTheCaPublicKeyMembers) {
  Json key = X509Key();
  testing::EcCoordinates point = testing::EcCoordinatesOf(*ec_ca().public_key());
  EXPECT_EQ(key["kty"], "EC");
  EXPECT_EQ(key["crv"], "P-256");
  EXPECT_EQ(key["x"], point.x);
  EXPECT_EQ(key["y"], point.y);
  Json rsa_key = FullDocument()["keys"][1];
  EXPECT_EQ(rsa_key["kty"], "RSA");
  EXPECT_EQ(rsa_key["e"], "AQAB");
}

TEST_F(SpiffeBundleTest, RefusesToEncodeCertificateWhoseKeyIsNotAJwk) {
  EvpPkeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  ASSERT_NE(ed, nullptr);
  X509Ptr x509(X509_new());
  X509_set_version(x509.get(), 2);
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), 3600);
  X509_set_pubkey(x509.get(), ed.get());
  ASSERT_GT(X509_sign(x509.get(), ed.get(), nullptr), 0);
  absl::StatusOr<Certificate> cert = Certificate::FromX509(std::move(x509));
  ASSERT_TRUE(cert.ok()) << cert.status();
  TrustBundle bundle(td_);
  bundle.AddX509Authority(*cert);
  absl::StatusOr<std::string> json = EncodeSpiffeBundle(bundle);
  EXPECT_EQ(json.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(json.status()), HasSubstr("X.509 authority 0"));
}

// BUNDLE-09: missing or empty x5c drops the key; only the first certificate counts.
TEST_F(SpiffeBundleTest, SkipsX509KeyWithoutX5c) {
  Json key = X509Key();
  key.erase("x5c");
  absl::StatusOr<TrustBundle> bundle = ParseOneKey(key);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_TRUE(bundle->empty());
}

TEST_F(SpiffeBundleTest, SkipsX509KeyWithEmptyX5c) {
  Json key = X509Key();
  key["x5c"] = Json::array();
  absl::StatusOr<TrustBundle> bundle = ParseOneKey(key);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_TRUE(bundle->empty());
}

TEST_F(SpiffeBundleTest, UsesOnlyTheFirstCertificateOfX5c) {
  Json key = X509Key();
  key["x5c"].push_back(Base64Encode(rsa_ca().der()));
  key["x5c"].push_back("not even base64");
  absl::StatusOr<TrustBundle> bundle = ParseOneKey(key);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_THAT(bundle->x509_authorities(), ElementsAre(ec_ca()));
}

TEST_F(SpiffeBundleTest, X509AuthoritiesAreTheUnionOfAllX509Keys) {
  absl::StatusOr<TrustBundle> bundle = Parse(FullDocument());
  ASSERT_TRUE(bundle.ok());
  EXPECT_THAT(bundle->x509_authorities(), ElementsAre(ec_ca(), rsa_ca()));
}

TEST_F(SpiffeBundleTest, DropsRepeatedCertificate) {
  Json doc{{"keys", Json::array({X509Key(), X509Key()})}};
  absl::StatusOr<TrustBundle> bundle = Parse(doc);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ(bundle->x509_authorities().size(), 1u);
}

TEST_F(SpiffeBundleTest, RejectsX5cThatIsNotAnArray) {
  Json key = X509Key();
  key["x5c"] = key["x5c"][0];
  EXPECT_EQ(Message(ParseOneKey(key).status()), "SPIFFE bundle: keys[0]: x5c is not an array");
}

TEST_F(SpiffeBundleTest, RejectsX5cWithBadBase64) {
  Json key = X509Key();
  key["x5c"][0] = "MIIB*AAA";
  absl::StatusOr<TrustBundle> bundle = ParseOneKey(key);
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(bundle.status()),
              HasSubstr("SPIFFE bundle: keys[0]: x5c[0] is not valid base64"));
}

TEST_F(SpiffeBundleTest, RejectsX5cInUrlSafeBase64) {
  // The DER of a certificate nearly always has a '+' or '/' somewhere in standard base64.
  Json key = X509Key();
  std::string text = key["x5c"][0];
  std::string url = absl::StrReplaceAll(text, {{"+", "-"}, {"/", "_"}});
  ASSERT_NE(url, text);
  key["x5c"][0] = url;
  EXPECT_THAT(Message(ParseOneKey(key).status()), HasSubstr("x5c[0] is not valid base64"));
}

TEST_F(SpiffeBundleTest, RejectsX5cWithLineBreaks) {
  Json key = X509Key();
  std::string text = key["x5c"][0];
  key["x5c"][0] = text.substr(0, 64) + "\n" + text.substr(64);
  EXPECT_FALSE(ParseOneKey(key).ok());
}

TEST_F(SpiffeBundleTest, RejectsX5cThatIsNotACertificate) {
  Json key = X509Key();
  key["x5c"][0] = Base64Encode("definitely not DER");
  EXPECT_THAT(Message(ParseOneKey(key).status()),
              HasSubstr("keys[0]: x5c[0] is not a DER certificate"));
}

TEST_F(SpiffeBundleTest, RejectsX509KeyWhoseMembersDoNotMatchTheCertificate) {
  Json key = X509Key();
  key["x5c"][0] = Base64Encode(rsa_ca().der());  // members still describe the EC CA
  EXPECT_THAT(Message(ParseOneKey(key).status()),
              HasSubstr("key members do not match the key of x5c[0]"));
}

// BUNDLE-10: jwt-svid keys need a unique kid; we reject the document otherwise.
TEST_F(SpiffeBundleTest, RejectsJwtKeyWithoutKid) {
  Json doc = FullDocument();
  doc["keys"][3].erase("kid");
  absl::StatusOr<TrustBundle> bundle = Parse(doc);
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(bundle.status()), HasSubstr("keys[3]: kid is missing"));
}

TEST_F(SpiffeBundleTest, RejectsEmptyOrNonStringKid) {
  for (const Json& kid : {Json(""), Json(12), Json(nullptr)}) {
    Json key = JwtKey();
    key["kid"] = kid;
    EXPECT_THAT(Message(ParseOneKey(key).status()), HasSubstr("kid is not a non-empty string"))
        << kid.dump();
  }
}

TEST_F(SpiffeBundleTest, RejectsRepeatedKid) {
  Json doc = FullDocument();
  doc["keys"][3]["kid"] = "ec-key";
  EXPECT_THAT(Message(Parse(doc).status()), HasSubstr("keys[3]: kid is used by an earlier"));
}

TEST_F(SpiffeBundleTest, EncodesJwtKeyWithKidAndKeyMembers) {
  Json key = JwtKey();
  EXPECT_EQ(key["use"], "jwt-svid");
  EXPECT_EQ(key["kid"], "ec-key");
  EXPECT_EQ(key["kty"], "EC");
  EXPECT_EQ(key["crv"], "P-384");
  EXPECT_FALSE(key.contains("x5c"));
}

TEST_F(SpiffeBundleTest, IgnoresKidOnX509Key) {
  Json key = X509Key();
  key["kid"] = "some-kid";
  absl::StatusOr<TrustBundle> bundle = ParseOneKey(key);
  ASSERT_TRUE(bundle.ok());
  EXPECT_EQ(bundle->x509_authorities().size(), 1u);
}

// BUNDLE-11: private key members are never accepted nor written.
TEST_F(SpiffeBundleTest, RejectsKeyWithPrivateMembers) {
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    Json key = JwtKey();
    key[member] = "c2VjcmV0LWtleS1tYXRlcmlhbA";
    absl::StatusOr<TrustBundle> bundle = ParseOneKey(key);
    EXPECT_EQ(bundle.status().code(), absl::StatusCode::kInvalidArgument) << member;
    EXPECT_THAT(Message(bundle.status()), HasSubstr("keys[0]: holds private key members"));
    EXPECT_THAT(Message(bundle.status()), Not(HasSubstr("c2VjcmV0")));
  }
}

TEST_F(SpiffeBundleTest, RejectsPrivateMembersEvenOnKeysThatWouldBeSkipped) {
  Json key = JwtKey();
  key["use"] = "enc";
  key["d"] = "AAAA";
  EXPECT_FALSE(ParseOneKey(key).ok());
}

TEST_F(SpiffeBundleTest, EncodingHasNoPrivateMembers) {
  for (const Json& key : FullDocument()["keys"]) {
    for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
      EXPECT_FALSE(key.contains(member)) << member;
    }
  }
}

// BUNDLE-12: the trust domain comes from the caller, never from the document.
TEST_F(SpiffeBundleTest, ParsedBundleBelongsToTheGivenTrustDomain) {
  TrustDomain other = *TrustDomain::FromString("other.test");
  absl::StatusOr<TrustBundle> bundle = ParseSpiffeBundle(other, FullDocument().dump());
  ASSERT_TRUE(bundle.ok());
  EXPECT_EQ(bundle->trust_domain(), other);
}

// BUNDLE-14: duplicate member names are refused anywhere in the document.
TEST_F(SpiffeBundleTest, RejectsDuplicateTopLevelMember) {
  absl::StatusOr<TrustBundle> bundle =
      ParseSpiffeBundle(td_, R"({"keys": [], "spiffe_sequence": 1, "spiffe_sequence": 2})");
  EXPECT_THAT(Message(bundle.status()), HasSubstr("duplicate member name"));
}

TEST_F(SpiffeBundleTest, RejectsDuplicateMemberInsideAKey) {
  std::string doc = Json{{"keys", Json::array({JwtKey()})}}.dump();
  doc = absl::StrReplaceAll(doc, {{"\"kid\":\"ec-key\"", "\"kid\":\"ec-key\",\"kid\":\"other\""}});
  EXPECT_THAT(Message(ParseSpiffeBundle(td_, doc).status()), HasSubstr("duplicate member name"));
}

// BUNDLE-16: x509-svid keys first, then jwt-svid keys, each in the bundle's order.
TEST_F(SpiffeBundleTest, EncodesX509KeysBeforeJwtKeys) {
  TrustBundle bundle(td_);
  ASSERT_TRUE(bundle.AddJwtAuthority({"first-jwt", ec_jwt(), std::nullopt}).ok());
  bundle.AddX509Authority(rsa_ca());
  ASSERT_TRUE(bundle.AddJwtAuthority({"second-jwt", rsa_jwt(), std::nullopt}).ok());
  bundle.AddX509Authority(ec_ca());
  Json doc = Json::parse(*EncodeSpiffeBundle(bundle));
  ASSERT_EQ(doc["keys"].size(), 4u);
  EXPECT_EQ(doc["keys"][0]["x5c"][0], Base64Encode(rsa_ca().der()));
  EXPECT_EQ(doc["keys"][1]["x5c"][0], Base64Encode(ec_ca().der()));
  EXPECT_EQ(doc["keys"][2]["kid"], "first-jwt");
  EXPECT_EQ(doc["keys"][3]["kid"], "second-jwt");
}

TEST_F(SpiffeBundleTest, EncodesSequenceAndRefreshHint) {
  Json doc = FullDocument();
  EXPECT_EQ(doc["spiffe_sequence"], 42);
  EXPECT_EQ(doc["spiffe_refresh_hint"], 300);
}

TEST_F(SpiffeBundleTest, EncodingOptionsCanOmitSequenceAndRefreshHint) {
  SpiffeBundleEncoding encoding;
  encoding.include_sequence = false;
  encoding.include_refresh_hint = false;
  Json doc = Json::parse(*EncodeSpiffeBundle(FullBundle(), encoding));
  EXPECT_FALSE(doc.contains("spiffe_sequence"));
  EXPECT_FALSE(doc.contains("spiffe_refresh_hint"));
}

// BUNDLE-15: each content change comes with a higher sequence number, and old keys stay
// published next to new ones until removed.
TEST_F(SpiffeBundleTest, RotationPublishesBothAuthoritiesWithBumpedSequence) {
  TrustBundle bundle(td_);
  bundle.AddX509Authority(ec_ca());
  bundle.set_sequence_number(1);
  bundle.AddX509Authority(rsa_ca());
  bundle.set_sequence_number(2);
  absl::StatusOr<TrustBundle> parsed = ParseSpiffeBundle(td_, *EncodeSpiffeBundle(bundle));
  ASSERT_TRUE(parsed.ok());
  EXPECT_THAT(parsed->x509_authorities(), ElementsAre(ec_ca(), rsa_ca()));
  EXPECT_EQ(parsed->sequence_number(), 2u);
}

// Malformed key material rejects the document and names the key.
TEST_F(SpiffeBundleTest, RejectsWrongCoordinateLength) {
  Json doc = FullDocument();
  doc["keys"][2]["x"] = Base64UrlEncode(std::string(47, '\x05'));
  EXPECT_EQ(Message(Parse(doc).status()), "SPIFFE bundle: keys[2]: x is 47 bytes, P-384 needs 48");
}

TEST_F(SpiffeBundleTest, RejectsPointNotOnTheCurve) {
  Json doc = FullDocument();
  std::string y = *Base64UrlDecode(doc["keys"][2]["y"].get<std::string>());
  y[10] ^= 0x40;
  doc["keys"][2]["y"] = Base64UrlEncode(y);
  EXPECT_THAT(Message(Parse(doc).status()), HasSubstr("keys[2]: x and y are not a point"));
}

TEST_F(SpiffeBundleTest, RejectsRsaKeyWithoutExponent) {
  Json doc = FullDocument();
  doc["keys"][3].erase("e");
  EXPECT_EQ(Message(Parse(doc).status()), "SPIFFE bundle: keys[3]: e is missing");
}

TEST_F(SpiffeBundleTest, RejectsX509KeyWithMalformedKeyMembers) {
  Json key = X509Key();
  key["x"] = "not base64url!";
  EXPECT_THAT(Message(ParseOneKey(key).status()), HasSubstr("keys[0]: x is not valid base64url"));
}

// Size bounds.
TEST_F(SpiffeBundleTest, RejectsOversizedDocument) {
  std::string doc = R"({"keys": [], "padding": ")";
  doc.append(kMaxBundleJsonSize, 'a');
  doc.append("\"}");
  absl::StatusOr<TrustBundle> bundle = ParseSpiffeBundle(td_, doc);
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(bundle.status()), HasSubstr("more than the limit"));
}

TEST_F(SpiffeBundleTest, RejectsTooManyKeys) {
  Json keys = Json::array();
  for (size_t i = 0; i <= kMaxBundleKeys; ++i) {
    keys.push_back(Json{{"use", "enc"}});
  }
  EXPECT_THAT(Message(Parse(Json{{"keys", keys}}).status()), HasSubstr("entries, more than"));
}

TEST_F(SpiffeBundleTest, RejectsDeeplyNestedDocument) {
  std::string doc = R"({"keys": [], "x": )" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_FALSE(ParseSpiffeBundle(td_, doc).ok());
}

TEST_F(SpiffeBundleTest, RefusesToEncodeKidThatIsNotUtf8) {
  TrustBundle bundle(td_);
  ASSERT_TRUE(bundle.AddJwtAuthority({"bad\xff", ec_jwt(), std::nullopt}).ok());
  EXPECT_EQ(EncodeSpiffeBundle(bundle).status().code(), absl::StatusCode::kInvalidArgument);
}

// WAPI-33: the Workload API's JWKS.
TEST_F(SpiffeBundleTest, JwksHoldsOnlyJwtKeysWithoutUseOrSpiffeMembers) {
  absl::StatusOr<std::string> jwks = EncodeJwks(FullBundle());
  ASSERT_TRUE(jwks.ok()) << jwks.status();
  Json doc = Json::parse(*jwks);
  EXPECT_EQ(doc.size(), 1u);
  ASSERT_EQ(doc["keys"].size(), 2u);
  for (const Json& key : doc["keys"]) {
    EXPECT_FALSE(key.contains("use"));
    EXPECT_FALSE(key.contains("x5c"));
    EXPECT_TRUE(key.contains("kid"));
  }
  EXPECT_EQ(doc["keys"][0]["kid"], "ec-key");
  EXPECT_EQ(doc["keys"][1]["kty"], "RSA");
}

TEST_F(SpiffeBundleTest, JwksRoundTripGivesTheJwtAuthorities) {
  absl::StatusOr<TrustBundle> parsed = ParseJwks(td_, *EncodeJwks(FullBundle()));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->x509_authorities().empty());
  ASSERT_EQ(parsed->jwt_authorities().size(), 2u);
  EXPECT_TRUE(parsed->FindJwtAuthority("rsa-key")->public_key.Equals(rsa_jwt()));
}

TEST_F(SpiffeBundleTest, JwksParserAcceptsJwtSvidUseAndSkipsX509Keys) {
  absl::StatusOr<TrustBundle> parsed = ParseJwks(td_, FullDocument().dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->x509_authorities().empty());
  EXPECT_EQ(parsed->jwt_authorities().size(), 2u);
  EXPECT_EQ(parsed->sequence_number(), std::nullopt);
}

TEST_F(SpiffeBundleTest, JwksParserStillRequiresKid) {
  Json key = JwtKey();
  key.erase("use");
  key.erase("kid");
  absl::StatusOr<TrustBundle> parsed = ParseJwks(td_, Json{{"keys", Json::array({key})}}.dump());
  EXPECT_EQ(Message(parsed.status()),
            "JWKS: keys[0]: kid is missing (every jwt-svid key needs one)");
}

}  // namespace
}  // namespace sigil
