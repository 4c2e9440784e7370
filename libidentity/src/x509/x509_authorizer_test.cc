#include "sigil/x509_authorizer.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "x509_test_util.h"

namespace sigil {
namespace {

using ::testing::HasSubstr;
using x509_test::Id;
using x509_test::Td;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// X509-23
TEST(AuthorizerTest, AnyAcceptsEveryId) {
  EXPECT_TRUE(AuthorizeAny()(Id("spiffe://example.org/web")).ok());
  EXPECT_TRUE(AuthorizeAny()(Id("spiffe://other.org/x")).ok());
}

// X509-23
TEST(AuthorizerTest, IdAcceptsExactlyThatId) {
  EXPECT_TRUE(AuthorizeId(Id("spiffe://example.org/web"))(Id("spiffe://example.org/web")).ok());
}

// X509-23
TEST(AuthorizerTest, IdRefusesAnotherIdNamingBoth) {
  absl::Status status = AuthorizeId(Id("spiffe://example.org/web"))(Id("spiffe://example.org/db"));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Message(status),
            "spiffe://example.org/db is not authorized: expected spiffe://example.org/web");
}

// ID-17: paths compare case-sensitively, byte for byte.
TEST(AuthorizerTest, IdComparesPathsCaseSensitively) {
  EXPECT_FALSE(AuthorizeId(Id("spiffe://example.org/web"))(Id("spiffe://example.org/Web")).ok());
}

// X509-23: the same path in another trust domain is another identity.
TEST(AuthorizerTest, IdRefusesSamePathInAnotherTrustDomain) {
  EXPECT_FALSE(AuthorizeId(Id("spiffe://example.org/web"))(Id("spiffe://evil.org/web")).ok());
}

// X509-23
TEST(AuthorizerTest, OneOfAcceptsAListedId) {
  Authorizer authorizer =
      AuthorizeOneOf({Id("spiffe://example.org/a"), Id("spiffe://example.org/b")});
  EXPECT_TRUE(authorizer(Id("spiffe://example.org/b")).ok());
}

// X509-23
TEST(AuthorizerTest, OneOfRefusesAnUnlistedIdNamingIt) {
  absl::Status status =
      AuthorizeOneOf({Id("spiffe://example.org/a")})(Id("spiffe://example.org/c"));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(Message(status), HasSubstr("spiffe://example.org/c is not authorized"));
}

TEST(AuthorizerTest, OneOfWithAnEmptyListRefusesEverything) {
  EXPECT_FALSE(AuthorizeOneOf({})(Id("spiffe://example.org/a")).ok());
}

// X509-23
TEST(AuthorizerTest, MemberOfAcceptsIdsOfTheTrustDomain) {
  EXPECT_TRUE(AuthorizeMemberOf(Td("example.org"))(Id("spiffe://example.org/any/path")).ok());
}

// X509-23, SEC-05: no suffix or prefix matching of trust domain names.
TEST(AuthorizerTest, MemberOfRefusesLookalikeTrustDomains) {
  Authorizer authorizer = AuthorizeMemberOf(Td("example.org"));
  EXPECT_FALSE(authorizer(Id("spiffe://sub.example.org/web")).ok());
  EXPECT_FALSE(authorizer(Id("spiffe://example.org.evil/web")).ok());
  absl::Status status = authorizer(Id("spiffe://example.orgx/web"));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Message(status),
            "spiffe://example.orgx/web is not authorized: not a member of trust domain "
            "example.org");
}

// X509-23
TEST(AuthorizerTest, IfAcceptsWhenThePredicateHolds) {
  Authorizer authorizer =
      AuthorizeIf([](const SpiffeId& id) { return id.path().starts_with("/ns/prod/"); });
  EXPECT_TRUE(authorizer(Id("spiffe://example.org/ns/prod/web")).ok());
}

// X509-23
TEST(AuthorizerTest, IfRefusesWithTheDescription) {
  Authorizer authorizer = AuthorizeIf(
      [](const SpiffeId& id) { return id.path().starts_with("/ns/prod/"); }, "not in prod");
  absl::Status status = authorizer(Id("spiffe://example.org/ns/dev/web"));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Message(status), "spiffe://example.org/ns/dev/web is not authorized: not in prod");
}

TEST(AuthorizerTest, IfWithANullPredicateRefusesEverything) {
  EXPECT_FALSE(AuthorizeIf(nullptr)(Id("spiffe://example.org/web")).ok());
}

}  // namespace
}  // namespace sigil
