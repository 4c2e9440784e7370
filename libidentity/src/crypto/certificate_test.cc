#include "sigil/certificate.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <openssl/x509v3.h>

namespace sigil {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A self-signed certificate with the given SANs, made with raw OpenSSL so these tests do not
// depend on the SVID builder.
Certificate MakeCert(const PrivateKey& key, const std::string& san, bool ca, long serial = 4660) {
  X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
  X509_set_pubkey(x.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
  X509ExtensionPtr bc(X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints,
                                          ca ? "critical,CA:TRUE" : "critical,CA:FALSE"));
  X509_add_ext(x.get(), bc.get(), -1);
  X509ExtensionPtr alt(X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str()));
  X509_add_ext(x.get(), alt.get(), -1);
  X509_sign(x.get(), key.get(), EVP_sha256());
  return *Certificate::FromX509(std::move(x));
}

class CertificateTest : public ::testing::Test {
 protected:
  PrivateKey key_ = *PrivateKey::Generate(KeyType::kEcP256);
};

TEST_F(CertificateTest, ReadsSansSerialAndValidity) {
  Certificate cert =
      MakeCert(key_, "URI:spiffe://example.org/web,DNS:web.example.org", false, 0x1234);
  EXPECT_THAT(cert.UriSans(), ElementsAre("spiffe://example.org/web"));
  EXPECT_THAT(cert.DnsSans(), ElementsAre("web.example.org"));
  EXPECT_EQ(cert.SerialHex(), "1234");
  EXPECT_FALSE(cert.IsCa());
  EXPECT_LT(cert.not_before(), cert.not_after());
  EXPECT_EQ(cert.not_after() - cert.not_before(), absl::Hours(1));
  auto pub = cert.public_key();
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(key_.Matches(*pub));
}

TEST_F(CertificateTest, DetectsCa) {
  EXPECT_TRUE(MakeCert(key_, "URI:spiffe://example.org", true).IsCa());
}

TEST_F(CertificateTest, DerChainRoundTrip) {
  Certificate a = MakeCert(key_, "URI:spiffe://example.org/a", false);
  Certificate b = MakeCert(key_, "URI:spiffe://example.org", true);
  auto chain = ParseDerCertificates(ConcatDer({a, b}));
  ASSERT_TRUE(chain.ok()) << chain.status();
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_EQ((*chain)[0], a);
  EXPECT_EQ((*chain)[1], b);
}

TEST_F(CertificateTest, PemChainRoundTrip) {
  Certificate a = MakeCert(key_, "URI:spiffe://example.org/a", false);
  Certificate b = MakeCert(key_, "URI:spiffe://example.org", true);
  auto chain = ParseCertificates("\n" + ConcatPem({a, b}));
  ASSERT_TRUE(chain.ok()) << chain.status();
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_EQ((*chain)[1], b);
}

TEST_F(CertificateTest, RejectsTruncatedDer) {
  Certificate a = MakeCert(key_, "URI:spiffe://example.org/a", false);
  std::string der = a.der();
  der.pop_back();
  auto chain = ParseDerCertificates(der);
  ASSERT_FALSE(chain.ok());
  EXPECT_THAT(std::string(chain.status().message()), HasSubstr("certificate 0 at byte 0"));
}

TEST_F(CertificateTest, RejectsGarbageBetweenDerCertificates) {
  Certificate a = MakeCert(key_, "URI:spiffe://example.org/a", false);
  EXPECT_FALSE(ParseDerCertificates(a.der() + "\x01\x02").ok());
}

TEST_F(CertificateTest, RejectsTooManyCertificates) {
  Certificate a = MakeCert(key_, "URI:spiffe://example.org/a", false);
  std::string der;
  for (int i = 0; i < 3; ++i) {
    der += a.der();
  }
  auto chain = ParseDerCertificates(der, 2);
  ASSERT_FALSE(chain.ok());
  EXPECT_THAT(std::string(chain.status().message()), HasSubstr("more than 2 certificates"));
}

TEST_F(CertificateTest, RejectsPrivateKeyBlockInPem) {
  Certificate a = MakeCert(key_, "URI:spiffe://example.org/a", false);
  std::string pem = a.ToPem() + std::string(key_.ToPkcs8Pem().view());
  auto chain = ParsePemCertificates(pem);
  ASSERT_FALSE(chain.ok());
  EXPECT_THAT(std::string(chain.status().message()), HasSubstr("PEM block 1 is \"PRIVATE KEY\""));
}

TEST_F(CertificateTest, RejectsEmptyInput) {
  EXPECT_FALSE(ParseDerCertificates("").ok());
  EXPECT_FALSE(ParsePemCertificates("").ok());
  EXPECT_FALSE(ParseCertificates("   ").ok());
}

TEST_F(CertificateTest, RejectsHugeDerLengthHeader) {
  EXPECT_FALSE(ParseDerCertificates(std::string("\x30\x84\xff\xff\xff\xff", 6)).ok());
  EXPECT_FALSE(ParseDerCertificates(std::string("\x30\x80", 2)).ok());
}

}  // namespace
}  // namespace sigil
