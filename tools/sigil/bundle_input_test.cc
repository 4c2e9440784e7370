#include "bundle_input.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil::cli {
namespace {

using ::testing::HasSubstr;

TEST(DetectBundleFormatTest, PemAfterWhitespace) {
  EXPECT_EQ(*DetectBundleFormat("\n  -----BEGIN CERTIFICATE-----\n"), BundleFormat::kPem);
}

TEST(DetectBundleFormatTest, DerStartsWithSequence) {
  EXPECT_EQ(*DetectBundleFormat(std::string("\x30\x82\x01\x00", 4)), BundleFormat::kDer);
}

TEST(DetectBundleFormatTest, SpiffeBundleHasKeysWithUse) {
  EXPECT_EQ(*DetectBundleFormat(R"({"keys": [{"use": "x509-svid"}]})"), BundleFormat::kSpiffe);
}

TEST(DetectBundleFormatTest, EmptyKeysIsSpiffeBundle) {
  EXPECT_EQ(*DetectBundleFormat(R"({"keys": []})"), BundleFormat::kSpiffe);
}

TEST(DetectBundleFormatTest, KeysWithoutUseArePlainJwks) {
  EXPECT_EQ(*DetectBundleFormat(R"({"keys": [{"kty": "EC", "kid": "a"}]})"), BundleFormat::kJwks);
}

TEST(DetectBundleFormatTest, TrustDomainsMemberIsBundleMap) {
  EXPECT_EQ(*DetectBundleFormat(R"({"trust_domains": {}})"), BundleFormat::kMap);
}

TEST(DetectBundleFormatTest, RejectsDuplicateMembers) {
  EXPECT_FALSE(DetectBundleFormat(R"({"keys": [], "keys": []})").ok());
}

TEST(DetectBundleFormatTest, RejectsText) {
  absl::StatusOr<BundleFormat> format = DetectBundleFormat("hello");
  ASSERT_FALSE(format.ok());
  EXPECT_THAT(std::string(format.status().message()), HasSubstr("not a bundle"));
}

TEST(BundleFormatNameTest, RoundTripsEveryFormat) {
  for (BundleFormat f : {BundleFormat::kPem, BundleFormat::kDer, BundleFormat::kSpiffe,
                         BundleFormat::kJwks, BundleFormat::kMap}) {
    EXPECT_EQ(*ParseBundleFormatName(BundleFormatName(f)), f);
  }
}

TEST(BundleFormatNameTest, RejectsUnknownNameListingKnownOnes) {
  absl::StatusOr<BundleFormat> format = ParseBundleFormatName("p12");
  ASSERT_FALSE(format.ok());
  EXPECT_THAT(std::string(format.status().message()), HasSubstr("pem, der, spiffe, jwks or map"));
}

TEST(LoadBundlesTest, NonMapFileWithoutAnyTrustDomainIsRefused) {
  absl::StatusOr<LoadedBundles> loaded = LoadBundles({{std::nullopt, "/dev/null"}}, std::nullopt);
  ASSERT_FALSE(loaded.ok());
}

}  // namespace
}  // namespace sigil::cli
