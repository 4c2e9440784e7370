#include "sigil/strict_json.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil {
namespace {

using ::testing::HasSubstr;

TEST(StrictJsonTest, ParsesNestedDocument) {
  auto json = ParseStrictJson(R"({"a": [1, {"b": "c"}], "d": null})", "doc");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ((*json)["a"][1]["b"], "c");
  EXPECT_TRUE((*json)["d"].is_null());
}

TEST(StrictJsonTest, RejectsDuplicateMemberNames) {
  auto json = ParseStrictJson(R"({"kid": "a", "kid": "b"})", "JWT header");
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(json.status().message()),
              HasSubstr("JWT header: duplicate member name \"kid\""));
}

TEST(StrictJsonTest, RejectsDuplicatesInsideNestedObjects) {
  EXPECT_FALSE(ParseStrictJson(R"({"keys": [{"use": "x", "use": "y"}]})", "bundle").ok());
}

TEST(StrictJsonTest, AllowsSameNameInSiblingObjects) {
  EXPECT_TRUE(ParseStrictJson(R"([{"a": 1}, {"a": 2}])", "doc").ok());
}

TEST(StrictJsonTest, RejectsOversizedInput) {
  std::string big = "[" + std::string(100, ' ') + "]";
  auto json = ParseStrictJson(big, "doc", JsonLimits{.max_bytes = 50});
  ASSERT_FALSE(json.ok());
  EXPECT_THAT(std::string(json.status().message()), HasSubstr("more than the limit of 50"));
}

TEST(StrictJsonTest, RejectsDeepNesting) {
  std::string deep = std::string(100, '[') + std::string(100, ']');
  auto json = ParseStrictJson(deep, "doc");
  ASSERT_FALSE(json.ok());
  EXPECT_THAT(std::string(json.status().message()), HasSubstr("nesting deeper than 32"));
}

TEST(StrictJsonTest, RejectsTrailingGarbage) {
  EXPECT_FALSE(ParseStrictJson(R"({"a": 1} x)", "doc").ok());
}

TEST(StrictJsonTest, RejectsInvalidUtf8) {
  auto json = ParseStrictJson("\"\xff\xfe\"", "doc");
  ASSERT_FALSE(json.ok());
  EXPECT_THAT(std::string(json.status().message()), HasSubstr("UTF-8"));
}

TEST(StrictJsonTest, ErrorDoesNotQuoteInput) {
  auto json = ParseStrictJson(R"({"token": eyJhbGciOiJFUzI1NiJ9})", "doc");
  ASSERT_FALSE(json.ok());
  EXPECT_THAT(std::string(json.status().message()), ::testing::Not(HasSubstr("eyJ")));
}

TEST(StrictJsonTest, RejectsEmptyInput) { EXPECT_FALSE(ParseStrictJson("", "doc").ok()); }

}  // namespace
}  // namespace sigil
