#include "sigil/keys.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <openssl/ec.h>
#include <openssl/pem.h>

namespace sigil {
namespace {

using ::testing::HasSubstr;

class KeyRoundTripTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(KeyRoundTripTest, Pkcs8DerRoundTripKeepsTheKey) {
  auto key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->type(), GetParam());
  SecretBytes der = key->ToPkcs8Der();
  ASSERT_FALSE(der.empty());
  auto again = PrivateKey::FromPkcs8Der(der.view());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->Matches(key->public_key()));
  EXPECT_EQ(again->type(), GetParam());
}

TEST_P(KeyRoundTripTest, SpkiPemRoundTripKeepsTheKey) {
  auto key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok());
  std::string pem = key->public_key().ToSpkiPem();
  EXPECT_THAT(pem, HasSubstr("-----BEGIN PUBLIC KEY-----"));
  auto pub = PublicKey::FromSpkiPem(pem);
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_TRUE(pub->Equals(key->public_key()));
  EXPECT_EQ(pub->Sha256Fingerprint(), key->public_key().Sha256Fingerprint());
}

INSTANTIATE_TEST_SUITE_P(AllTypes, KeyRoundTripTest,
                         ::testing::Values(KeyType::kEcP256, KeyType::kEcP384, KeyType::kEcP521,
                                           KeyType::kRsa2048));

TEST(PrivateKeyTest, PemRoundTrip) {
  auto key = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(key.ok());
  SecretBytes pem = key->ToPkcs8Pem();
  EXPECT_EQ(pem.view().substr(0, 27), "-----BEGIN PRIVATE KEY-----");
  auto again = PrivateKey::FromPkcs8Pem(pem.view());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->Matches(key->public_key()));
}

TEST(PrivateKeyTest, RejectsSec1EcKey) {
  auto key = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(key.ok());
  // SEC1 "EC PRIVATE KEY" DER is what i2d_PrivateKey writes for EC keys.
  unsigned char* out = nullptr;
  const int n = i2d_PrivateKey(key->get(), &out);
  ASSERT_GT(n, 0);
  std::string sec1(reinterpret_cast<char*>(out), n);
  OPENSSL_clear_free(out, n);
  auto parsed = PrivateKey::FromPkcs8Der(sec1);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("not unencrypted PKCS#8"));
}

TEST(PrivateKeyTest, RejectsPkcs1PemNamingTheBlock) {
  auto key = PrivateKey::Generate(KeyType::kRsa2048);
  ASSERT_TRUE(key.ok());
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(
      PEM_write_bio_PrivateKey_traditional(bio, key->get(), nullptr, nullptr, 0, nullptr, nullptr),
      1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, len);
  BIO_free(bio);
  auto parsed = PrivateKey::FromPkcs8Pem(pem);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()),
              HasSubstr("\"RSA PRIVATE KEY\", expected \"PRIVATE KEY\""));
}

TEST(PrivateKeyTest, RejectsTrailingBytes) {
  auto key = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(key.ok());
  std::string der(key->ToPkcs8Der().view());
  der.push_back('\0');
  EXPECT_FALSE(PrivateKey::FromPkcs8Der(der).ok());
}

TEST(PrivateKeyTest, RejectsGarbageAndOversizedInput) {
  EXPECT_FALSE(PrivateKey::FromPkcs8Der("").ok());
  EXPECT_FALSE(PrivateKey::FromPkcs8Der("\x30\x03\x02\x01\x00").ok());
  EXPECT_FALSE(PrivateKey::FromPkcs8Der(std::string(20000, '\x30')).ok());
  EXPECT_FALSE(PrivateKey::FromPkcs8Pem("not pem").ok());
}

TEST(PrivateKeyTest, ErrorMessagesCarryNoKeyBytes) {
  auto key = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(key.ok());
  std::string der(key->ToPkcs8Der().view());
  der[der.size() / 2] ^= 0x55;  // corrupt the middle
  der.push_back('x');
  auto parsed = PrivateKey::FromPkcs8Der(der);
  ASSERT_FALSE(parsed.ok());
  const std::string message(parsed.status().message());
  EXPECT_EQ(message.find(HexEncode(der.substr(der.size() / 2 - 4, 8))), std::string::npos);
}

TEST(PublicKeyTest, RejectsUnsupportedCurve) {
  EvpPkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"));
  ASSERT_NE(k, nullptr);
  auto pub = PublicKey::FromEvp(k.get());
  ASSERT_FALSE(pub.ok());
  EXPECT_THAT(std::string(pub.status().message()), HasSubstr("unsupported EC curve secp256k1"));
}

TEST(PublicKeyTest, RejectsEd25519) {
  EvpPkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  ASSERT_NE(k, nullptr);
  EXPECT_FALSE(PublicKey::FromEvp(k.get()).ok());
}

TEST(PublicKeyTest, RejectsSmallRsa) {
  EvpPkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}));
  ASSERT_NE(k, nullptr);
  auto pub = PublicKey::FromEvp(k.get());
  ASSERT_FALSE(pub.ok());
  EXPECT_THAT(std::string(pub.status().message()), HasSubstr("1024 bits"));
}

TEST(PublicKeyTest, FingerprintIsSha256OfSpki) {
  auto key = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(key.ok());
  const PublicKey pub = key->public_key();
  EXPECT_EQ(pub.Sha256Fingerprint(), HexEncode(Sha256(pub.ToSpkiDer())));
  EXPECT_EQ(pub.Sha256Fingerprint().size(), 64u);
}

TEST(PublicKeyTest, DifferentKeysAreNotEqual) {
  auto a = PrivateKey::Generate(KeyType::kEcP256);
  auto b = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(a->public_key().Equals(b->public_key()));
  EXPECT_FALSE(a->Matches(b->public_key()));
}

TEST(KeyTypeTest, ParsesNamesCaseInsensitively) {
  EXPECT_EQ(*ParseKeyType("ec-p256"), KeyType::kEcP256);
  EXPECT_EQ(*ParseKeyType("RSA-2048"), KeyType::kRsa2048);
  EXPECT_FALSE(ParseKeyType("dsa").ok());
  EXPECT_EQ(KeyTypeName(KeyType::kEcP384), "ec-p384");
}

TEST(HexEncodeTest, EncodesLowercase) { EXPECT_EQ(HexEncode("\x01\xab\xff"), "01abff"); }

TEST(Sha256Test, MatchesKnownVector) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(RandomBytesTest, ReturnsRequestedLengthAndVaries) {
  auto a = RandomBytes(16);
  auto b = RandomBytes(16);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 16u);
  EXPECT_NE(*a, *b);
}

}  // namespace
}  // namespace sigil
