#include "output.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil::cli {
namespace {

using ::testing::HasSubstr;

TEST(PrintableTest, KeepsPrintableAscii) {
  EXPECT_EQ(Printable("spiffe://example.org/web"), "spiffe://example.org/web");
}

TEST(PrintableTest, EscapesControlBytesAndNonAscii) {
  EXPECT_EQ(Printable(std::string("a\x1b[31m\n\xc3\xa9\0", 10)), "a\\x1b[31m\\x0a\\xc3\\xa9\\x00");
}

TEST(PrintableTest, EscapesBackslashSoEscapesAreUnambiguous) {
  EXPECT_EQ(Printable("a\\x41"), "a\\x5cx41");
}

TEST(TimeTextTest, WritesRfc3339InUtc) {
  EXPECT_EQ(TimeText(absl::FromUnixSeconds(1714564800)), "2024-05-01T12:00:00Z");
}

TEST(DescribeFromNowTest, FutureTimeSaysIn) {
  const absl::Time now = absl::FromUnixSeconds(1000);
  EXPECT_EQ(DescribeFromNow(now + absl::Minutes(59) + absl::Milliseconds(900), now), "in 59m");
}

TEST(DescribeFromNowTest, PastTimeSaysAgo) {
  const absl::Time now = absl::FromUnixSeconds(1000);
  EXPECT_EQ(DescribeFromNow(now - absl::Seconds(90), now), "1m30s ago");
}

TEST(ParseTimeFlagTest, AcceptsRfc3339WithOffset) {
  absl::StatusOr<absl::Time> t = ParseTimeFlag("2024-05-01T14:00:00+02:00");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, absl::FromUnixSeconds(1714564800));
}

TEST(ParseTimeFlagTest, RejectsOtherFormsNamingTheExpectedOne) {
  absl::StatusOr<absl::Time> t = ParseTimeFlag("tomorrow");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("RFC 3339"));
}

TEST(RedactTest, ReplacesWholeSecret) {
  EXPECT_EQ(Redact("bad token aaaaaaaa.bbbbbbbb.cccccccc here", "aaaaaaaa.bbbbbbbb.cccccccc"),
            "bad token [redacted] here");
}

TEST(RedactTest, ReplacesLongSegmentsSeenAlone) {
  EXPECT_EQ(Redact("sig cccccccc", "aaaaaaaa.bbbbbbbb.cccccccc"), "sig [redacted]");
}

TEST(RedactTest, LeavesShortSegmentsAlone) {
  // Short pieces such as "e30" would match ordinary words; only long ones are secret enough.
  EXPECT_EQ(Redact("e30 stays", "e30.bbbbbbbb.cccccccc"), "e30 stays");
}

TEST(RedactTest, EmptySecretChangesNothing) { EXPECT_EQ(Redact("text", ""), "text"); }

}  // namespace
}  // namespace sigil::cli
