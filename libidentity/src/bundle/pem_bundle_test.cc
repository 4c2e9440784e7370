#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "bundle_test_util.h"
#include "sigil/bundle.h"

namespace sigil {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

class PemBundleTest : public ::testing::Test {
 protected:
  const TrustDomain td_ = *TrustDomain::FromString("example.org");
  const testing::TestCa ca1_ = testing::NewCa("example.org");
  const testing::TestCa ca2_ = testing::NewCa("example.org", KeyType::kEcP384);
};

TEST_F(PemBundleTest, RoundTripKeepsCertificatesInOrder) {
  TrustBundle bundle(td_);
  bundle.AddX509Authority(ca2_.cert);
  bundle.AddX509Authority(ca1_.cert);
  absl::StatusOr<TrustBundle> parsed = ParsePemBundle(td_, EncodePemBundle(bundle));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->x509_authorities(), ElementsAre(ca2_.cert, ca1_.cert));
  EXPECT_TRUE(*parsed == bundle);
}

TEST_F(PemBundleTest, EncodesOnlyX509Authorities) {
  TrustBundle bundle(td_);
  bundle.AddX509Authority(ca1_.cert);
  ASSERT_TRUE(bundle.AddJwtAuthority({"kid", testing::NewKey().public_key(), std::nullopt}).ok());
  EXPECT_EQ(EncodePemBundle(bundle), ca1_.cert.ToPem());
}

TEST_F(PemBundleTest, EncodesEmptyBundleAsEmptyText) {
  EXPECT_EQ(EncodePemBundle(TrustBundle(td_)), "");
}

TEST_F(PemBundleTest, DropsRepeatedCertificate) {
  absl::StatusOr<TrustBundle> parsed =
      ParsePemBundle(td_, absl::StrCat(ca1_.cert.ToPem(), ca1_.cert.ToPem()));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->x509_authorities().size(), 1u);
}

TEST_F(PemBundleTest, RefusesNonCaCertificate) {
  Certificate leaf = testing::SelfSigned(testing::NewKey(), "example.org", /*is_ca=*/false);
  absl::StatusOr<TrustBundle> parsed =
      ParsePemBundle(td_, absl::StrCat(ca1_.cert.ToPem(), leaf.ToPem()));
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(parsed.status()), HasSubstr("PEM bundle: certificate 1"));
  EXPECT_THAT(Message(parsed.status()), HasSubstr("is not a CA certificate"));
}

TEST_F(PemBundleTest, RefusesPrivateKeyBlock) {
  const std::string pem =
      absl::StrCat(ca1_.cert.ToPem(), std::string(ca1_.key.ToPkcs8Pem().view()));
  absl::StatusOr<TrustBundle> parsed = ParsePemBundle(td_, pem);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(parsed.status()), HasSubstr("PEM bundle:"));
  EXPECT_THAT(Message(parsed.status()), ::testing::Not(HasSubstr("PRIVATE KEY-----\n")));
}

TEST_F(PemBundleTest, RefusesTextWithoutCertificates) {
  EXPECT_FALSE(ParsePemBundle(td_, "").ok());
  EXPECT_FALSE(ParsePemBundle(td_, "hello").ok());
}

TEST_F(PemBundleTest, RefusesDamagedBlock) {
  std::string pem = ca1_.cert.ToPem();
  pem[40] = '*';
  EXPECT_FALSE(ParsePemBundle(td_, pem).ok());
}

TEST_F(PemBundleTest, RefusesOversizedText) {
  std::string pem = ca1_.cert.ToPem();
  pem.append(4 * 1024 * 1024, '\n');
  EXPECT_FALSE(ParsePemBundle(td_, pem).ok());
}

}  // namespace
}  // namespace sigil
