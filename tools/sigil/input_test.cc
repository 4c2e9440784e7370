#include "input.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil::cli {
namespace {

using ::testing::HasSubstr;

TEST(ReadTokenArgumentTest, LiteralTokenIsTrimmed) {
  absl::StatusOr<SecretBytes> token = ReadTokenArgument("  a.b.c\n");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->view(), "a.b.c");
}

TEST(ReadTokenArgumentTest, EmptyTokenIsRefused) {
  absl::StatusOr<SecretBytes> token = ReadTokenArgument(" \n");
  ASSERT_FALSE(token.ok());
  EXPECT_THAT(std::string(token.status().message()), HasSubstr("empty"));
}

TEST(ReadTokenArgumentTest, MissingFileIsNamedNotFound) {
  absl::StatusOr<SecretBytes> token = ReadTokenArgument("@/nonexistent/token");
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(token.status().message()), HasSubstr("/nonexistent/token"));
}

TEST(ReadInputTest, RefusesInputOverTheLimit) {
  absl::StatusOr<std::string> data = ReadInput("/dev/zero", 1000);
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(std::string(data.status().message()), HasSubstr("larger than the 1000-byte limit"));
}

TEST(ReadInputTest, DirectoryIsAnError) { EXPECT_FALSE(ReadInput("/").ok()); }

TEST(InputNameTest, NamesStandardInput) { EXPECT_EQ(InputName("-"), "standard input"); }

}  // namespace
}  // namespace sigil::cli
