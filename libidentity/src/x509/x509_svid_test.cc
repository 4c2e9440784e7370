#include "sigil/x509_svid.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <openssl/pem.h>

#include "sigil/ossl.h"
#include "x509_test_util.h"

namespace sigil {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using x509_test::Id;
using x509_test::kNow;
using x509_test::MakeRawCert;
using x509_test::Must;
using x509_test::NewIntermediateCa;
using x509_test::NewKey;
using x509_test::NewLeaf;
using x509_test::NewRootCa;
using x509_test::RawCaSpec;
using x509_test::RawCertSpec;
using x509_test::Td;
using x509_test::TestCa;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// Encodings the Workload API must refuse (X509-24).
std::string TraditionalDer(const PrivateKey& key) {  // PKCS#1 for RSA, SEC1 for EC
  unsigned char* out = nullptr;
  const int n = i2d_PrivateKey(key.get(), &out);
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return der;
}

std::string EncryptedPkcs8Der(const PrivateKey& key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  static char kPassword[] = "password";
  i2d_PKCS8PrivateKey_bio(bio.get(), key.get(), EVP_aes_256_cbc(), nullptr, 0, nullptr, kPassword);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

class X509SvidParseTest : public ::testing::Test {
 protected:
  X509SvidParseTest()
      : td_(Td("example.org")),
        root_(NewRootCa(td_)),
        key_(NewKey()),
        leaf_(NewLeaf(root_, Id("spiffe://example.org/web"), key_.public_key())) {}

  // A raw leaf signed by the root with `spec`, for the key under test.
  Certificate RawLeaf(const RawCertSpec& spec) {
    return MakeRawCert(spec, key_.public_key(), &root_.cert, root_.key);
  }
  RawCertSpec ValidSpec() {
    RawCertSpec spec;
    spec.uris = {"spiffe://example.org/web"};
    return spec;
  }
  absl::StatusOr<X509Svid> FromChain(std::vector<Certificate> chain) {
    return X509Svid::FromParts(std::move(chain), key_);
  }

  TrustDomain td_;
  TestCa root_;
  PrivateKey key_;
  Certificate leaf_;
};

// X509-24
TEST_F(X509SvidParseTest, ParsesWorkloadApiDerChainAndPkcs8Key) {
  TestCa inter = NewIntermediateCa(root_, td_);
  Certificate leaf = NewLeaf(inter, Id("spiffe://example.org/api"), key_.public_key());
  X509Svid svid = Must(X509Svid::FromWorkloadApi(ConcatDer({leaf, inter.cert}),
                                                 key_.ToPkcs8Der().view(), "internal"));
  EXPECT_EQ(svid.spiffe_id().str(), "spiffe://example.org/api");
  ASSERT_EQ(svid.chain().size(), 2u);
  EXPECT_EQ(svid.leaf(), leaf);
  EXPECT_EQ(svid.chain()[1], inter.cert);
  EXPECT_EQ(svid.hint(), "internal");
  EXPECT_EQ(svid.expires_at(), leaf.not_after());
  EXPECT_TRUE(svid.private_key().Matches(key_.public_key()));
  EXPECT_EQ(svid.ChainDer(), ConcatDer({leaf, inter.cert}));
  EXPECT_TRUE(svid.KeyPkcs8Der() == key_.ToPkcs8Der());
}

// X509-24
TEST_F(X509SvidParseTest, WorkloadApiRefusesPemChain) {
  absl::StatusOr<X509Svid> svid =
      X509Svid::FromWorkloadApi(leaf_.ToPem(), key_.ToPkcs8Der().view());
  EXPECT_EQ(svid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(svid.status()), HasSubstr("x509_svid is PEM"));
}

// X509-24
TEST_F(X509SvidParseTest, WorkloadApiRefusesPemKey) {
  absl::StatusOr<X509Svid> svid = X509Svid::FromWorkloadApi(leaf_.der(), key_.ToPkcs8Pem().view());
  EXPECT_EQ(svid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(svid.status()), HasSubstr("x509_svid_key is PEM"));
}

// X509-24
TEST_F(X509SvidParseTest, WorkloadApiRefusesSec1EcKey) {
  absl::StatusOr<X509Svid> svid = X509Svid::FromWorkloadApi(leaf_.der(), TraditionalDer(key_));
  EXPECT_EQ(svid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(svid.status()), HasSubstr("x509_svid_key"));
}

// X509-24
TEST_F(X509SvidParseTest, WorkloadApiRefusesPkcs1RsaKey) {
  PrivateKey rsa = NewKey(KeyType::kRsa2048);
  Certificate leaf = NewLeaf(root_, Id("spiffe://example.org/web"), rsa.public_key());
  ASSERT_TRUE(X509Svid::FromWorkloadApi(leaf.der(), rsa.ToPkcs8Der().view()).ok());
  absl::StatusOr<X509Svid> svid = X509Svid::FromWorkloadApi(leaf.der(), TraditionalDer(rsa));
  EXPECT_EQ(svid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(svid.status()), HasSubstr("x509_svid_key"));
}

// X509-24
TEST_F(X509SvidParseTest, WorkloadApiRefusesEncryptedPkcs8Key) {
  absl::StatusOr<X509Svid> svid = X509Svid::FromWorkloadApi(leaf_.der(), EncryptedPkcs8Der(key_));
  EXPECT_EQ(svid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(svid.status()), HasSubstr("x509_svid_key"));
}

TEST_F(X509SvidParseTest, ErrorMessagesNeverQuoteKeyBytes) {
  const SecretBytes pkcs8 = key_.ToPkcs8Der();
  absl::StatusOr<X509Svid> svid =
      X509Svid::FromWorkloadApi(leaf_.der(), std::string(pkcs8.view()) + "trailing-bytes");
  ASSERT_FALSE(svid.ok());
  EXPECT_THAT(Message(svid.status()), Not(HasSubstr(HexEncode(pkcs8.view().substr(30, 16)))));
  EXPECT_THAT(Message(svid.status()), Not(HasSubstr(std::string(pkcs8.view().substr(30, 16)))));
}

TEST_F(X509SvidParseTest, ParseAcceptsPemChainAndPemKey) {
  X509Svid svid = Must(X509Svid::Parse(leaf_.ToPem(), key_.ToPkcs8Pem().view()));
  EXPECT_EQ(svid.spiffe_id().str(), "spiffe://example.org/web");
}

TEST_F(X509SvidParseTest, ParseAcceptsDerChainAndDerKey) {
  X509Svid svid = Must(X509Svid::Parse(leaf_.der(), key_.ToPkcs8Der().view()));
  EXPECT_EQ(svid.leaf(), leaf_);
}

TEST_F(X509SvidParseTest, RefusesEmptyChain) {
  absl::StatusOr<X509Svid> svid = FromChain({});
  EXPECT_EQ(svid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(svid.status()), HasSubstr("no certificates"));
}

// X509-25
TEST_F(X509SvidParseTest, RefusesLeafWithoutDigitalSignature) {
  RawCertSpec spec = ValidSpec();
  spec.key_usage = "keyEncipherment";
  absl::StatusOr<X509Svid> svid = FromChain({RawLeaf(spec)});
  EXPECT_EQ(svid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(svid.status()), HasSubstr("lacks digitalSignature"));
}

// X509-25
TEST_F(X509SvidParseTest, RefusesLeafWithoutKeyUsage) {
  RawCertSpec spec = ValidSpec();
  spec.key_usage.clear();
  absl::StatusOr<X509Svid> svid = FromChain({RawLeaf(spec)});
  EXPECT_THAT(Message(svid.status()), HasSubstr("no keyUsage"));
}

// X509-25, X509-15
TEST_F(X509SvidParseTest, RefusesLeafWithKeyCertSign) {
  RawCertSpec spec = ValidSpec();
  spec.key_usage = "digitalSignature,keyCertSign";
  absl::StatusOr<X509Svid> svid = FromChain({RawLeaf(spec)});
  EXPECT_THAT(Message(svid.status()), HasSubstr("keyCertSign"));
}

// X509-25, X509-15
TEST_F(X509SvidParseTest, RefusesLeafWithCrlSign) {
  RawCertSpec spec = ValidSpec();
  spec.key_usage = "digitalSignature,cRLSign";
  absl::StatusOr<X509Svid> svid = FromChain({RawLeaf(spec)});
  EXPECT_THAT(Message(svid.status()), HasSubstr("cRLSign"));
}

// X509-25, X509-14
TEST_F(X509SvidParseTest, RefusesLeafMarkedAsCa) {
  RawCertSpec spec = ValidSpec();
  spec.ca = true;
  absl::StatusOr<X509Svid> svid = FromChain({RawLeaf(spec)});
  EXPECT_THAT(Message(svid.status()), HasSubstr("leaf is a CA"));
}

// X509-25, X509-16
TEST_F(X509SvidParseTest, RefusesLeafWithTwoUriSans) {
  RawCertSpec spec = ValidSpec();
  spec.uris = {"spiffe://example.org/web", "spiffe://example.org/db"};
  absl::StatusOr<X509Svid> svid = FromChain({RawLeaf(spec)});
  EXPECT_THAT(Message(svid.status()), HasSubstr("leaf has 2 URI SANs"));
}

// X509-25, X509-16
TEST_F(X509SvidParseTest, RefusesLeafWithoutUriSan) {
  RawCertSpec spec = ValidSpec();
  spec.uris.clear();
  spec.dns_names = {"web.example.org"};
  absl::StatusOr<X509Svid> svid = FromChain({RawLeaf(spec)});
  EXPECT_THAT(Message(svid.status()), HasSubstr("leaf has no URI SAN"));
}

// X509-25, X509-18
TEST_F(X509SvidParseTest, RefusesRootPathId) {
  RawCertSpec spec = ValidSpec();
  spec.uris = {"spiffe://example.org"};
  absl::StatusOr<X509Svid> svid = FromChain({RawLeaf(spec)});
  EXPECT_THAT(Message(svid.status()), HasSubstr("has no path"));
}

// X509-25
TEST_F(X509SvidParseTest, RefusesIntermediateThatIsNotACa) {
  RawCertSpec spec = RawCaSpec(td_, "not-a-ca");
  spec.ca = false;
  Certificate not_ca = MakeRawCert(spec, NewKey().public_key(), &root_.cert, root_.key);
  absl::StatusOr<X509Svid> svid = FromChain({leaf_, not_ca});
  EXPECT_THAT(Message(svid.status()), HasSubstr("certificate 1 of the SVID chain is not a CA"));
}

// X509-25
TEST_F(X509SvidParseTest, RefusesIntermediateWithoutKeyCertSign) {
  RawCertSpec spec = RawCaSpec(td_, "no-certsign");
  spec.key_usage = "cRLSign";
  Certificate inter = MakeRawCert(spec, NewKey().public_key(), &root_.cert, root_.key);
  absl::StatusOr<X509Svid> svid = FromChain({leaf_, inter});
  EXPECT_THAT(Message(svid.status()),
              HasSubstr("certificate 1 of the SVID chain lacks keyCertSign"));
}

// X509-25
TEST_F(X509SvidParseTest, RefusesKeyThatDoesNotMatchTheLeaf) {
  absl::StatusOr<X509Svid> svid = X509Svid::FromParts({leaf_}, NewKey());
  EXPECT_EQ(svid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(svid.status()), HasSubstr("does not match the leaf"));
}

TEST_F(X509SvidParseTest, RefusesOverlongHint) {
  absl::StatusOr<X509Svid> svid =
      X509Svid::FromParts({leaf_}, key_, std::string(kMaxX509SvidHintLength + 1, 'h'));
  EXPECT_THAT(Message(svid.status()), HasSubstr("hint"));
}

// ---- the shared leaf rules ----

class X509SvidLeafIdTest : public X509SvidParseTest {};

// X509-16, X509-17
TEST_F(X509SvidLeafIdTest, ReturnsTheSpiffeIdOfAValidLeaf) {
  EXPECT_EQ(Must(X509SvidLeafId(leaf_)).str(), "spiffe://example.org/web");
}

// X509-16
TEST_F(X509SvidLeafIdTest, RefusesSpiffeUriBesideAnotherUri) {
  RawCertSpec spec = ValidSpec();
  spec.uris = {"spiffe://example.org/web", "https://example.org/"};
  absl::StatusOr<SpiffeId> id = X509SvidLeafId(RawLeaf(spec));
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(id.status()), HasSubstr("2 URI SANs"));
}

// X509-17
TEST_F(X509SvidLeafIdTest, RefusesUriThatIsNotASpiffeId) {
  RawCertSpec spec = ValidSpec();
  spec.uris = {"https://example.org/web"};
  absl::StatusOr<SpiffeId> id = X509SvidLeafId(RawLeaf(spec));
  EXPECT_THAT(Message(id.status()), HasSubstr("not a SPIFFE ID"));
}

// X509-17, ID-05
TEST_F(X509SvidLeafIdTest, RefusesUppercaseTrustDomain) {
  RawCertSpec spec = ValidSpec();
  spec.uris = {"spiffe://Example.org/web"};
  absl::StatusOr<SpiffeId> id = X509SvidLeafId(RawLeaf(spec));
  EXPECT_THAT(Message(id.status()), HasSubstr("uppercase"));
}

// ID-19: a NUL inside the IA5String must not truncate the ID to a valid-looking prefix.
TEST_F(X509SvidLeafIdTest, RefusesUriWithEmbeddedNul) {
  RawCertSpec spec = ValidSpec();
  spec.uris = {std::string("spiffe://example.org/web\0/evil", 30)};
  absl::StatusOr<SpiffeId> id = X509SvidLeafId(RawLeaf(spec));
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(id.status()), HasSubstr("NUL"));
}

}  // namespace
}  // namespace sigil
