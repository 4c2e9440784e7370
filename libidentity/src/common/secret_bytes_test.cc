#include "sigil/secret_bytes.h"

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sigil {
namespace {

// Printing a secret by accident must not compile.
static_assert(!std::is_convertible_v<SecretBytes, absl::AlphaNum>);
static_assert(!std::is_convertible_v<SecretBytes, std::string_view>);
static_assert(!std::is_convertible_v<SecretBytes, std::string>);

TEST(SecretBytesTest, AdoptEmptiesTheSourceString) {
  std::string raw = "private key bytes that are long enough to live on the heap";
  SecretBytes secret = SecretBytes::Adopt(std::move(raw));
  EXPECT_TRUE(raw.empty());
  EXPECT_EQ(secret.view(), "private key bytes that are long enough to live on the heap");
}

TEST(SecretBytesTest, MovedFromObjectHoldsNothing) {
  SecretBytes a("short");
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the wipe is the behaviour tested
  EXPECT_EQ(b.view(), "short");
}

TEST(SecretBytesTest, ComparesByContent) {
  EXPECT_EQ(SecretBytes("abc"), SecretBytes("abc"));
  EXPECT_FALSE(SecretBytes("abc") == SecretBytes("abd"));
  EXPECT_FALSE(SecretBytes("abc") == SecretBytes("abcd"));
}

TEST(WipeStringTest, LeavesAnEmptyString) {
  std::string s = "sensitive";
  WipeString(s);
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace sigil
