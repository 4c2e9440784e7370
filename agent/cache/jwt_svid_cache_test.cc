#include "agent/cache/jwt_svid_cache.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "agent/testing/test_authority.h"
#include "sigil/jwt_svid.h"

namespace sigil::agent {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

template <typename T>
T Must(absl::StatusOr<T> v) {
  EXPECT_TRUE(v.ok()) << v.status();
  return *std::move(v);
}

// Returns a fixed answer, counting calls.
class FixedSigner : public JwtSvidSigner {
 public:
  explicit FixedSigner(absl::StatusOr<SecretBytes> answer) : answer_(std::move(answer)) {}
  absl::StatusOr<SecretBytes> Sign(const AgentEntry&, absl::Span<const std::string>,
                                   absl::Time) override {
    ++calls;
    return answer_;
  }
  int calls = 0;

 private:
  absl::StatusOr<SecretBytes> answer_;
};

class JwtSvidCacheTest : public ::testing::Test {
 protected:
  JwtSvidCacheTest()
      : td_(Must(TrustDomain::FromString("example.org"))),
        authority_(Must(testing::TestAuthority::Create(td_, kNow))),
        signer_(authority_, absl::Minutes(10)),
        entry_{.entry_id = "e1",
               .spiffe_id = Must(SpiffeId::Parse("spiffe://example.org/web")),
               .selectors = {{"unix", "uid:1"}}} {}

  TrustDomain td_;
  testing::TestAuthority authority_;
  testing::LocalJwtSvidSigner signer_;
  AgentEntry entry_;
  JwtSvidCache cache_;
};

TEST_F(JwtSvidCacheTest, ReturnsATokenThatValidatesAgainstTheBundle) {
  const SecretBytes token = Must(cache_.Fetch(entry_, {"db"}, signer_, kNow));
  BundleSet bundles;
  bundles.Put(authority_.bundle());
  const JwtSvid svid = Must(ValidateJwtSvid(token.view(), bundles, {"db"}, kNow));
  EXPECT_EQ(svid.spiffe_id, entry_.spiffe_id);
  EXPECT_THAT(svid.audiences, ::testing::ElementsAre("db"));
}

TEST_F(JwtSvidCacheTest, ReusesATokenUntilHalfItsLife) {
  const SecretBytes first = Must(cache_.Fetch(entry_, {"db"}, signer_, kNow));
  const SecretBytes again =
      Must(cache_.Fetch(entry_, {"db"}, signer_, kNow + absl::Minutes(5) - absl::Seconds(1)));
  EXPECT_TRUE(first == again);
  EXPECT_EQ(signer_.calls(), 1);

  const SecretBytes renewed = Must(cache_.Fetch(entry_, {"db"}, signer_, kNow + absl::Minutes(5)));
  EXPECT_FALSE(first == renewed);
  EXPECT_EQ(signer_.calls(), 2);
}

TEST_F(JwtSvidCacheTest, SharesATokenBetweenOrderingsOfTheSameAudiences) {
  Must(cache_.Fetch(entry_, {"a", "b"}, signer_, kNow));
  Must(cache_.Fetch(entry_, {"b", "a"}, signer_, kNow));
  EXPECT_EQ(signer_.calls(), 1);
  EXPECT_EQ(cache_.stats().hits, 1u);
}

TEST_F(JwtSvidCacheTest, KeepsDifferentAudiencesApart) {
  Must(cache_.Fetch(entry_, {"a"}, signer_, kNow));
  Must(cache_.Fetch(entry_, {"a", "b"}, signer_, kNow));
  // "a:b" as one audience must not collide with "a", "b".
  Must(cache_.Fetch(entry_, {"1:a1:b"}, signer_, kNow));
  EXPECT_EQ(signer_.calls(), 3);
}

TEST_F(JwtSvidCacheTest, RequiresAnAudience) {
  auto token = cache_.Fetch(entry_, {}, signer_, kNow);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(token.status().message()), "audience must be specified");
  EXPECT_EQ(cache_.Fetch(entry_, {"a", ""}, signer_, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(signer_.calls(), 0);
}

TEST_F(JwtSvidCacheTest, PassesTheSignersErrorThrough) {
  FixedSigner down(absl::UnavailableError("server unreachable"));
  auto token = cache_.Fetch(entry_, {"db"}, down, kNow);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(cache_.stats().size, 0u);
}

TEST_F(JwtSvidCacheTest, RefusesATokenForAnotherSubject) {
  FixedSigner wrong(
      authority_.IssueJwtSvid(Must(SpiffeId::Parse("spiffe://example.org/other")), {"db"}, kNow));
  auto token = cache_.Fetch(entry_, {"db"}, wrong, kNow);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(cache_.stats().size, 0u);
}

TEST_F(JwtSvidCacheTest, RefusesSomethingThatIsNotAJwt) {
  FixedSigner garbage(SecretBytes("not-a-token"));
  EXPECT_EQ(cache_.Fetch(entry_, {"db"}, garbage, kNow).status().code(),
            absl::StatusCode::kInternal);
}

TEST_F(JwtSvidCacheTest, EvictsTheLeastRecentlyUsedTokenBeyondCapacity) {
  JwtSvidCache small(2);
  Must(small.Fetch(entry_, {"a"}, signer_, kNow));
  Must(small.Fetch(entry_, {"b"}, signer_, kNow));
  Must(small.Fetch(entry_, {"a"}, signer_, kNow));  // a is now the most recent
  Must(small.Fetch(entry_, {"c"}, signer_, kNow));  // evicts b
  EXPECT_EQ(small.stats().size, 2u);
  EXPECT_EQ(small.stats().evictions, 1u);
  Must(small.Fetch(entry_, {"a"}, signer_, kNow));
  EXPECT_EQ(signer_.calls(), 3);
}

}  // namespace
}  // namespace sigil::agent
