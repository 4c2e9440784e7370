#include "server/nodeapi/rate_limiter.h"

#include "gtest/gtest.h"

namespace sigil::server {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1893456000);

TEST(KeyedRateLimiterTest, AllowsBurstThenRefuses) {
  KeyedRateLimiter limiter(10, 3);
  EXPECT_TRUE(limiter.Allow("a", 1, kT0));
  EXPECT_TRUE(limiter.Allow("a", 1, kT0));
  EXPECT_TRUE(limiter.Allow("a", 1, kT0));
  EXPECT_FALSE(limiter.Allow("a", 1, kT0));
}

TEST(KeyedRateLimiterTest, RefillsAtTheRate) {
  KeyedRateLimiter limiter(10, 1);
  EXPECT_TRUE(limiter.Allow("a", 1, kT0));
  EXPECT_FALSE(limiter.Allow("a", 1, kT0 + absl::Milliseconds(50)));
  EXPECT_TRUE(limiter.Allow("a", 1, kT0 + absl::Milliseconds(100)));
}

TEST(KeyedRateLimiterTest, KeysHaveSeparateBuckets) {
  KeyedRateLimiter limiter(1, 1);
  EXPECT_TRUE(limiter.Allow("a", 1, kT0));
  EXPECT_FALSE(limiter.Allow("a", 1, kT0));
  EXPECT_TRUE(limiter.Allow("b", 1, kT0));
}

TEST(KeyedRateLimiterTest, CostAboveBurstIsNeverAllowed) {
  KeyedRateLimiter limiter(1000, 10);
  EXPECT_FALSE(limiter.Allow("a", 11, kT0 + absl::Hours(1)));
  EXPECT_TRUE(limiter.Allow("a", 10, kT0));
}

TEST(KeyedRateLimiterTest, FailedAttemptTakesNothing) {
  KeyedRateLimiter limiter(1, 5);
  EXPECT_TRUE(limiter.Allow("a", 4, kT0));
  EXPECT_FALSE(limiter.Allow("a", 2, kT0));
  EXPECT_TRUE(limiter.Allow("a", 1, kT0));
}

TEST(KeyedRateLimiterTest, ZeroRateTurnsItOff) {
  KeyedRateLimiter limiter(0, 0);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(limiter.Allow("a", 100, kT0));
  }
  EXPECT_EQ(limiter.tracked_keys(), 0u);
}

TEST(KeyedRateLimiterTest, ClockSteppingBackDoesNotRefill) {
  KeyedRateLimiter limiter(1, 1);
  EXPECT_TRUE(limiter.Allow("a", 1, kT0));
  EXPECT_FALSE(limiter.Allow("a", 1, kT0 - absl::Hours(1)));
}

TEST(KeyedRateLimiterTest, KeyCountIsBoundedByDroppingFullBuckets) {
  KeyedRateLimiter limiter(1, 1, /*max_keys=*/2);
  EXPECT_TRUE(limiter.Allow("a", 1, kT0));
  EXPECT_TRUE(limiter.Allow("b", 1, kT0));
  // Both buckets are empty: a third key is let through untracked.
  EXPECT_TRUE(limiter.Allow("c", 1, kT0));
  EXPECT_EQ(limiter.tracked_keys(), 2u);
  // Later both have refilled and are dropped to make room.
  EXPECT_TRUE(limiter.Allow("c", 1, kT0 + absl::Seconds(5)));
  EXPECT_EQ(limiter.tracked_keys(), 1u);
  EXPECT_FALSE(limiter.Allow("c", 1, kT0 + absl::Seconds(5)));
}

}  // namespace
}  // namespace sigil::server
