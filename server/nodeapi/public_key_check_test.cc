#include "server/nodeapi/public_key_check.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "sigil/keys.h"

namespace sigil::server {
namespace {

using ::testing::HasSubstr;

std::string Spki(KeyType type) { return PrivateKey::Generate(type)->public_key().ToSpkiDer(); }

TEST(CheckSubjectPublicKeyTest, AcceptsEveryKeyTypeTheCaSigns) {
  for (KeyType type : {KeyType::kEcP256, KeyType::kEcP384, KeyType::kEcP521, KeyType::kRsa2048}) {
    EXPECT_TRUE(CheckSubjectPublicKey(Spki(type)).ok()) << KeyTypeName(type);
  }
}

TEST(CheckSubjectPublicKeyTest, RefusesPointOffTheCurve) {
  std::string spki = Spki(KeyType::kEcP256);
  spki.back() ^= 0x01;  // last byte of Y: almost surely off the curve now
  absl::Status status = CheckSubjectPublicKey(spki);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("not on the curve"));
  // The full decoder agrees.
  EXPECT_FALSE(PublicKey::FromSpkiDer(spki).ok());
}

TEST(CheckSubjectPublicKeyTest, RefusesCompressedPoint) {
  std::string spki = Spki(KeyType::kEcP256);
  spki[spki.size() - 65] = '\x02';
  EXPECT_THAT(std::string(CheckSubjectPublicKey(spki).message()), HasSubstr("uncompressed"));
}

TEST(CheckSubjectPublicKeyTest, RefusesTrailingBytesAndTruncation) {
  const std::string spki = Spki(KeyType::kEcP256);
  EXPECT_FALSE(CheckSubjectPublicKey(spki + "x").ok());
  for (size_t n = 0; n < spki.size(); ++n) {
    EXPECT_FALSE(CheckSubjectPublicKey(spki.substr(0, n)).ok()) << n;
  }
}

TEST(CheckSubjectPublicKeyTest, RefusesGarbageAndOversizedInput) {
  EXPECT_FALSE(CheckSubjectPublicKey("").ok());
  EXPECT_FALSE(CheckSubjectPublicKey("hello").ok());
  EXPECT_FALSE(CheckSubjectPublicKey(std::string(kMaxSubjectPublicKeyInfo + 1, '\x30')).ok());
}

TEST(CheckSubjectPublicKeyTest, RefusesUnknownCurve) {
  std::string spki = Spki(KeyType::kEcP256);
  // The curve OID's last byte (prime256v1 = ...03 01 07) changed to another arc.
  const size_t at = spki.find(std::string("\x2a\x86\x48\xce\x3d\x03\x01\x07", 8));
  ASSERT_NE(at, std::string::npos);
  spki[at + 7] = '\x06';
  EXPECT_THAT(std::string(CheckSubjectPublicKey(spki).message()), HasSubstr("curve"));
}

}  // namespace
}  // namespace sigil::server
