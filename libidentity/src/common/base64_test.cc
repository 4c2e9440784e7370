#include "sigil/base64.h"

#include <string>

#include "gtest/gtest.h"

namespace sigil {
namespace {

// RFC 4648 section 10 test vectors.
TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, DecodesRfc4648Vectors) {
  EXPECT_EQ(Base64Decode("").value(), "");
  EXPECT_EQ(Base64Decode("Zg==").value(), "f");
  EXPECT_EQ(Base64Decode("Zm8=").value(), "fo");
  EXPECT_EQ(Base64Decode("Zm9v").value(), "foo");
  EXPECT_EQ(Base64Decode("Zm9vYmE=").value(), "fooba");
}

TEST(Base64Test, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all.push_back(static_cast<char>(i));
  }
  for (size_t len = 0; len <= all.size(); len += 37) {
    std::string bytes = all.substr(0, len);
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)).value(), bytes);
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(bytes)).value(), bytes);
  }
}

TEST(Base64Test, StandardUsesPlusAndSlash) {
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(Base64Decode("+/8=").value(), "\xfb\xff");
}

TEST(Base64Test, StandardRejectsMissingPadding) {
  EXPECT_EQ(Base64Decode("Zg").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(Base64Decode("Zm8").ok());
}

TEST(Base64Test, StandardRejectsExcessPadding) {
  EXPECT_FALSE(Base64Decode("Zg===").ok());
  EXPECT_FALSE(Base64Decode("Z===").ok());
  EXPECT_FALSE(Base64Decode("====").ok());
  EXPECT_FALSE(Base64Decode("Zm9v====").ok());
}

TEST(Base64Test, StandardRejectsPaddingInTheMiddle) {
  EXPECT_FALSE(Base64Decode("Zg==Zm9v").ok());
  EXPECT_FALSE(Base64Decode("Z=9v").ok());
}

TEST(Base64Test, StandardRejectsUrlSafeAlphabet) { EXPECT_FALSE(Base64Decode("-_8=").ok()); }

TEST(Base64Test, StandardRejectsWhitespaceAndLineBreaks) {
  EXPECT_FALSE(Base64Decode("Zm9v\nYmFy").ok());
  EXPECT_FALSE(Base64Decode("Zm9v YmFy").ok());
  EXPECT_FALSE(Base64Decode(" Zm9vYmFy").ok());
  EXPECT_FALSE(Base64Decode("Zm9vYmFy\r\n").ok());
}

TEST(Base64Test, RejectsNonZeroUnusedBits) {
  // "Zh==" and "Zg==" would both decode to "f" if the low bits were ignored.
  EXPECT_FALSE(Base64Decode("Zh==").ok());
  EXPECT_FALSE(Base64Decode("Zm9=").ok());
  EXPECT_FALSE(Base64UrlDecode("Zh").ok());
}

TEST(Base64Test, ErrorNamesTheOffendingOffset) {
  absl::Status status = Base64Decode("Zm9v*mFy").status();
  EXPECT_EQ(std::string(status.message()), "base64: byte 4 is not in the alphabet");
}

TEST(Base64UrlTest, EncodesWithoutPadding) {
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(Base64UrlTest, DecodesUnpaddedText) {
  EXPECT_EQ(Base64UrlDecode("Zg").value(), "f");
  EXPECT_EQ(Base64UrlDecode("Zm8").value(), "fo");
  EXPECT_EQ(Base64UrlDecode("-_8").value(), "\xfb\xff");
}

TEST(Base64UrlTest, RejectsPadding) {
  EXPECT_FALSE(Base64UrlDecode("Zg==").ok());
  EXPECT_FALSE(Base64UrlDecode("Zm8=").ok());
}

TEST(Base64UrlTest, RejectsStandardAlphabet) { EXPECT_FALSE(Base64UrlDecode("+/8").ok()); }

TEST(Base64UrlTest, RejectsDanglingCharacter) { EXPECT_FALSE(Base64UrlDecode("Zm9vY").ok()); }

TEST(Base64UrlTest, RejectsWhitespace) {
  EXPECT_FALSE(Base64UrlDecode("Zm9v\nYmFy").ok());
  EXPECT_FALSE(Base64UrlDecode("Zm9v ").ok());
}

TEST(Base64UrlTest, RejectsNulByte) { EXPECT_FALSE(Base64UrlDecode(std::string("Zm\0v", 4)).ok()); }

}  // namespace
}  // namespace sigil
