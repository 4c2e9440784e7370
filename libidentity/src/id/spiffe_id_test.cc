#include "sigil/spiffe_id.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil {
namespace {

using ::testing::HasSubstr;

TEST(SpiffeIdParseTest, AcceptsWorkloadId) {
  auto id = SpiffeId::Parse("spiffe://example.org/ns/prod/sa/web");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->trust_domain().name(), "example.org");
  EXPECT_EQ(id->path(), "/ns/prod/sa/web");
  EXPECT_FALSE(id->IsTrustDomainId());
}

TEST(SpiffeIdParseTest, RejectsUppercaseInTrustDomainNamingTheByte) {
  auto id = SpiffeId::Parse("spiffe://examPle.org/x");
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(std::string(id.status().message()),
              HasSubstr("trust domain has an uppercase letter at byte 13"));
}

}  // namespace
}  // namespace sigil
