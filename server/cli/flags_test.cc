#include "server/cli/flags.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil::server::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string MessageOf(const absl::Status& status) { return std::string(status.message()); }

TEST(ParseDurationSecondsTest, AcceptsPlainSeconds) {
  EXPECT_EQ(*ParseDurationSeconds("--ttl", "3600"), 3600);
}

TEST(ParseDurationSecondsTest, AcceptsUnitSyntax) {
  EXPECT_EQ(*ParseDurationSeconds("--ttl", "1h30m"), 5400);
  EXPECT_EQ(*ParseDurationSeconds("--ttl", "45s"), 45);
}

TEST(ParseDurationSecondsTest, AcceptsZero) { EXPECT_EQ(*ParseDurationSeconds("--ttl", "0"), 0); }

TEST(ParseDurationSecondsTest, RejectsNegativeNamingFlag) {
  absl::StatusOr<int64_t> ttl = ParseDurationSeconds("--x509-svid-ttl", "-1h");
  ASSERT_FALSE(ttl.ok());
  EXPECT_THAT(MessageOf(ttl.status()), StartsWith("--x509-svid-ttl: negative"));
}

TEST(ParseDurationSecondsTest, RejectsNegativeSeconds) {
  EXPECT_FALSE(ParseDurationSeconds("--ttl", "-5").ok());
}

TEST(ParseDurationSecondsTest, RejectsGarbage) {
  absl::StatusOr<int64_t> ttl = ParseDurationSeconds("--ttl", "soon");
  ASSERT_FALSE(ttl.ok());
  EXPECT_THAT(MessageOf(ttl.status()), HasSubstr("is not a duration"));
}

TEST(ParseDurationSecondsTest, RejectsFractionsOfSeconds) {
  EXPECT_FALSE(ParseDurationSeconds("--ttl", "1.5s").ok());
}

TEST(ParseDurationSecondsTest, RejectsEmptyAndHuge) {
  EXPECT_FALSE(ParseDurationSeconds("--ttl", "").ok());
  EXPECT_FALSE(ParseDurationSeconds("--ttl", "99999999999999999999").ok());
  EXPECT_FALSE(ParseDurationSeconds("--ttl", "1000000h").ok());
}

TEST(ParseTimeSecondsTest, AcceptsRfc3339) {
  EXPECT_EQ(*ParseTimeSeconds("--expires-at", "2030-01-01T00:00:00Z"), 1893456000);
  EXPECT_EQ(*ParseTimeSeconds("--expires-at", "2030-01-01T01:00:00+01:00"), 1893456000);
}

TEST(ParseTimeSecondsTest, AcceptsUnixSeconds) {
  EXPECT_EQ(*ParseTimeSeconds("--expires-at", "1893456000"), 1893456000);
}

TEST(ParseTimeSecondsTest, RejectsOtherFormsNamingFlag) {
  absl::StatusOr<int64_t> t = ParseTimeSeconds("--expires-at", "2030-01-01");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(MessageOf(t.status()), StartsWith("--expires-at: "));
  EXPECT_THAT(MessageOf(t.status()), HasSubstr("RFC 3339"));
}

TEST(ParseTimeSecondsTest, RejectsTimesBefore1970) {
  EXPECT_FALSE(ParseTimeSeconds("--expires-at", "1969-12-31T23:59:59Z").ok());
}

TEST(ParseSelectorTest, SplitsAtFirstColon) {
  absl::StatusOr<sigil::admin::v1::Selector> s = ParseSelector("--selector", "unix:uid:1000");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->type(), "unix");
  EXPECT_EQ(s->value(), "uid:1000");
}

TEST(ParseSelectorTest, RejectsSelectorWithoutType) {
  for (const char* text : {"uid1000", ":uid:1000"}) {
    absl::StatusOr<sigil::admin::v1::Selector> s = ParseSelector("--selector", text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_THAT(MessageOf(s.status()), StartsWith("--selector: "));
    EXPECT_THAT(MessageOf(s.status()), HasSubstr("has no type: expected TYPE:VALUE"));
  }
}

TEST(ParseSelectorTest, RejectsSelectorWithoutValue) {
  absl::StatusOr<sigil::admin::v1::Selector> s = ParseSelector("--selector", "unix:");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(MessageOf(s.status()), HasSubstr("has no value"));
}

TEST(TimeTextTest, FormatsUtcOrNever) {
  EXPECT_EQ(TimeText(1893456000), "2030-01-01T00:00:00Z");
  EXPECT_EQ(TimeText(0), "never");
}

TEST(TtlTextTest, FormatsDurationOrDefault) {
  EXPECT_EQ(TtlText(0), "default");
  EXPECT_EQ(TtlText(3600), "1h");
  EXPECT_EQ(TtlText(330), "5m30s");
}

}  // namespace
}  // namespace sigil::server::cli
