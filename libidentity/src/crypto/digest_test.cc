#include "sigil/digest.h"

#include <string>

#include "gtest/gtest.h"

#include "sigil/keys.h"

namespace sigil {
namespace {

TEST(Sha256HasherTest, PiecesGiveTheOneShotDigest) {
  const std::string data(100000, 'x');
  auto hasher = Sha256Hasher::Create();
  ASSERT_TRUE(hasher.ok());
  ASSERT_TRUE(hasher->Update(std::string_view(data).substr(0, 12345)).ok());
  ASSERT_TRUE(hasher->Update(std::string_view(data).substr(12345)).ok());
  auto digest = hasher->Finish();
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(*digest, Sha256(data));
}

TEST(Sha256HasherTest, EmptyInputGivesTheKnownDigest) {
  auto hasher = Sha256Hasher::Create();
  ASSERT_TRUE(hasher.ok());
  auto digest = hasher->Finish();
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(HexEncode(*digest), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256HasherTest, RefusesUpdateAfterFinish) {
  auto hasher = Sha256Hasher::Create();
  ASSERT_TRUE(hasher.ok());
  ASSERT_TRUE(hasher->Finish().ok());
  EXPECT_EQ(hasher->Update("more").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(hasher->Finish().status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace sigil
