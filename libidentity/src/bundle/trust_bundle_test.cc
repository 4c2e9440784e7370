#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "bundle_test_util.h"
#include "sigil/bundle.h"

namespace sigil {
namespace {

using ::testing::ElementsAre;

class TrustBundleTest : public ::testing::Test {
 protected:
  const TrustDomain td_ = *TrustDomain::FromString("example.org");
  const testing::TestCa ca1_ = testing::NewCa("example.org");
  const testing::TestCa ca2_ = testing::NewCa("example.org");
  const PublicKey key1_ = testing::NewKey().public_key();
  const PublicKey key2_ = testing::NewKey().public_key();
};

TEST_F(TrustBundleTest, NewBundleIsEmpty) {
  TrustBundle bundle(td_);
  EXPECT_TRUE(bundle.empty());
  EXPECT_EQ(bundle.trust_domain(), td_);
  EXPECT_EQ(bundle.sequence_number(), std::nullopt);
  EXPECT_EQ(bundle.refresh_hint(), std::nullopt);
}

TEST_F(TrustBundleTest, AddsX509AuthoritiesInOrder) {
  TrustBundle bundle(td_);
  EXPECT_TRUE(bundle.AddX509Authority(ca2_.cert));
  EXPECT_TRUE(bundle.AddX509Authority(ca1_.cert));
  EXPECT_THAT(bundle.x509_authorities(), ElementsAre(ca2_.cert, ca1_.cert));
  EXPECT_FALSE(bundle.empty());
}

TEST_F(TrustBundleTest, AddingTheSameCertificateTwiceChangesNothing) {
  TrustBundle bundle(td_);
  ASSERT_TRUE(bundle.AddX509Authority(ca1_.cert));
  Certificate same_der = *Certificate::FromDer(ca1_.cert.der());
  EXPECT_FALSE(bundle.AddX509Authority(same_der));
  EXPECT_EQ(bundle.x509_authorities().size(), 1u);
}

TEST_F(TrustBundleTest, RemovesX509AuthorityByDer) {
  TrustBundle bundle(td_);
  bundle.AddX509Authority(ca1_.cert);
  bundle.AddX509Authority(ca2_.cert);
  EXPECT_TRUE(bundle.RemoveX509Authority(*Certificate::FromDer(ca1_.cert.der())));
  EXPECT_THAT(bundle.x509_authorities(), ElementsAre(ca2_.cert));
  EXPECT_FALSE(bundle.RemoveX509Authority(ca1_.cert));
}

TEST_F(TrustBundleTest, FindsJwtAuthorityByKid) {
  TrustBundle bundle(td_);
  ASSERT_TRUE(bundle.AddJwtAuthority({"kid-1", key1_, std::nullopt}).ok());
  ASSERT_TRUE(bundle.AddJwtAuthority({"kid-2", key2_, absl::FromUnixSeconds(1000)}).ok());
  const JwtAuthority* found = bundle.FindJwtAuthority("kid-2");
  ASSERT_NE(found, nullptr);
  EXPECT_TRUE(found->public_key.Equals(key2_));
  EXPECT_EQ(found->expires_at, absl::FromUnixSeconds(1000));
  EXPECT_EQ(bundle.FindJwtAuthority("kid-3"), nullptr);
}

// BUNDLE-10: a kid names one key within the bundle.
TEST_F(TrustBundleTest, RejectsSecondJwtAuthorityWithTheSameKid) {
  TrustBundle bundle(td_);
  ASSERT_TRUE(bundle.AddJwtAuthority({"kid-1", key1_, std::nullopt}).ok());
  absl::Status status = bundle.AddJwtAuthority({"kid-1", key2_, std::nullopt});
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(bundle.jwt_authorities().size(), 1u);
  EXPECT_TRUE(bundle.FindJwtAuthority("kid-1")->public_key.Equals(key1_));
}

TEST_F(TrustBundleTest, RejectsJwtAuthorityWithEmptyKid) {
  TrustBundle bundle(td_);
  EXPECT_EQ(bundle.AddJwtAuthority({"", key1_, std::nullopt}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(bundle.empty());
}

TEST_F(TrustBundleTest, RemovesJwtAuthorityByKid) {
  TrustBundle bundle(td_);
  ASSERT_TRUE(bundle.AddJwtAuthority({"kid-1", key1_, std::nullopt}).ok());
  EXPECT_TRUE(bundle.RemoveJwtAuthority("kid-1"));
  EXPECT_FALSE(bundle.RemoveJwtAuthority("kid-1"));
  EXPECT_TRUE(bundle.empty());
}

TEST_F(TrustBundleTest, EqualityIgnoresAuthorityOrder) {
  TrustBundle a(td_);
  a.AddX509Authority(ca1_.cert);
  a.AddX509Authority(ca2_.cert);
  ASSERT_TRUE(a.AddJwtAuthority({"kid-1", key1_, std::nullopt}).ok());
  ASSERT_TRUE(a.AddJwtAuthority({"kid-2", key2_, std::nullopt}).ok());
  TrustBundle b(td_);
  b.AddX509Authority(ca2_.cert);
  b.AddX509Authority(ca1_.cert);
  ASSERT_TRUE(b.AddJwtAuthority({"kid-2", key2_, std::nullopt}).ok());
  ASSERT_TRUE(b.AddJwtAuthority({"kid-1", key1_, std::nullopt}).ok());
  EXPECT_TRUE(a == b);
}

TEST_F(TrustBundleTest, BundlesWithDifferentAuthoritiesDiffer) {
  TrustBundle a(td_);
  a.AddX509Authority(ca1_.cert);
  TrustBundle b(td_);
  b.AddX509Authority(ca2_.cert);
  EXPECT_FALSE(a == b);
}

TEST_F(TrustBundleTest, SameKidWithAnotherKeyDiffers) {
  TrustBundle a(td_);
  ASSERT_TRUE(a.AddJwtAuthority({"kid-1", key1_, std::nullopt}).ok());
  TrustBundle b(td_);
  ASSERT_TRUE(b.AddJwtAuthority({"kid-1", key2_, std::nullopt}).ok());
  EXPECT_FALSE(a == b);
}

TEST_F(TrustBundleTest, SequenceNumberAndRefreshHintTakePartInEquality) {
  TrustBundle a(td_);
  TrustBundle b(td_);
  b.set_sequence_number(1);
  EXPECT_FALSE(a == b);
  a.set_sequence_number(1);
  EXPECT_TRUE(a == b);
  a.set_refresh_hint(absl::Minutes(5));
  EXPECT_FALSE(a == b);
}

// BUNDLE-12: the same content under two trust domains is two different bundles.
TEST_F(TrustBundleTest, BundlesOfDifferentTrustDomainsDiffer) {
  EXPECT_FALSE(TrustBundle(td_) == TrustBundle(*TrustDomain::FromString("other.test")));
}

TEST(BundleSetTest, FindsBundleByExactTrustDomain) {
  BundleSet set;
  TrustBundle bundle(*TrustDomain::FromString("example.org"));
  bundle.set_sequence_number(7);
  set.Put(bundle);
  const TrustBundle* found = set.Find(*TrustDomain::FromString("example.org"));
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->sequence_number(), 7u);
  // SEC-05: no suffix or parent-domain matching.
  EXPECT_EQ(set.Find(*TrustDomain::FromString("org")), nullptr);
  EXPECT_EQ(set.Find(*TrustDomain::FromString("sub.example.org")), nullptr);
}

TEST(BundleSetTest, PutReplacesTheBundleOfTheSameTrustDomain) {
  BundleSet set;
  TrustDomain td = *TrustDomain::FromString("example.org");
  TrustBundle first(td);
  first.set_sequence_number(1);
  TrustBundle second(td);
  second.set_sequence_number(2);
  set.Put(first);
  set.Put(second);
  EXPECT_EQ(set.size(), 1u);
  EXPECT_EQ(set.Find(td)->sequence_number(), 2u);
}

TEST(BundleSetTest, IteratesInNameOrder) {
  BundleSet set;
  for (const char* name : {"zeta.test", "alpha.test", "mid.test"}) {
    set.Put(TrustBundle(*TrustDomain::FromString(name)));
  }
  std::vector<std::string> names;
  for (const auto& [td, bundle] : set) {
    names.push_back(td.name());
    EXPECT_EQ(bundle.trust_domain(), td);
  }
  EXPECT_THAT(names, ElementsAre("alpha.test", "mid.test", "zeta.test"));
}

TEST(BundleSetTest, RemovesBundle) {
  BundleSet set;
  TrustDomain td = *TrustDomain::FromString("example.org");
  set.Put(TrustBundle(td));
  EXPECT_TRUE(set.Remove(td));
  EXPECT_FALSE(set.Remove(td));
  EXPECT_EQ(set.Find(td), nullptr);
  EXPECT_EQ(set.size(), 0u);
}

}  // namespace
}  // namespace sigil
