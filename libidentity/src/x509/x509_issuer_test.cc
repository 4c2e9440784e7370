#include "sigil/x509_issuer.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "sigil/ossl.h"
#include "sigil/status.h"
#include "x509_test_util.h"

namespace sigil {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using x509_test::Id;
using x509_test::kNow;
using x509_test::Must;
using x509_test::NewKey;
using x509_test::NewRootCa;
using x509_test::Td;
using x509_test::TestCa;

using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, OsslFree<&BASIC_CONSTRAINTS_free>>;
using Asn1BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, OsslFree<&ASN1_BIT_STRING_free>>;
using EkuPtr = std::unique_ptr<EXTENDED_KEY_USAGE, OsslFree<&EXTENDED_KEY_USAGE_free>>;
using AkidPtr = std::unique_ptr<AUTHORITY_KEYID, OsslFree<&AUTHORITY_KEYID_free>>;

// Extension readers written against raw OpenSSL, independent of the code under test.
bool Critical(const Certificate& cert, int nid) {
  const int index = X509_get_ext_by_NID(cert.get(), nid, -1);
  return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert.get(), index)) == 1;
}

bool HasExtension(const Certificate& cert, int nid) {
  return X509_get_ext_by_NID(cert.get(), nid, -1) >= 0;
}

BasicConstraintsPtr BasicConstraintsOf(const Certificate& cert) {
  return BasicConstraintsPtr(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert.get(), NID_basic_constraints, nullptr, nullptr)));
}

std::vector<int> KeyUsageBits(const Certificate& cert) {
  Asn1BitStringPtr usage(
      static_cast<ASN1_BIT_STRING*>(X509_get_ext_d2i(cert.get(), NID_key_usage, nullptr, nullptr)));
  std::vector<int> bits;
  for (int bit = 0; usage != nullptr && bit < 9; ++bit) {
    if (ASN1_BIT_STRING_get_bit(usage.get(), bit) == 1) {
      bits.push_back(bit);
    }
  }
  return bits;
}

std::vector<int> ExtendedKeyUsages(const Certificate& cert) {
  EkuPtr eku(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert.get(), NID_ext_key_usage, nullptr, nullptr)));
  std::vector<int> nids;
  for (int i = 0; eku != nullptr && i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    nids.push_back(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i)));
  }
  return nids;
}

std::string OctetsOf(const ASN1_OCTET_STRING* octets) {
  return octets == nullptr
             ? std::string()
             : std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(octets)),
                           static_cast<size_t>(ASN1_STRING_length(octets)));
}

std::string SubjectKeyId(const Certificate& cert) {
  return OctetsOf(X509_get0_subject_key_id(cert.get()));
}

std::string AuthorityKeyId(const Certificate& cert) {
  return OctetsOf(X509_get0_authority_key_id(cert.get()));
}

std::string SubjectText(const Certificate& cert) {
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert.get()), buf, sizeof(buf));
  return buf;
}

int SignatureNid(const Certificate& cert) { return X509_get_signature_nid(cert.get()); }

class X509IssuerTest : public ::testing::Test {
 protected:
  X509IssuerTest()
      : root_(NewRootCa(Td("example.org"))),
        issuer_(Must(X509Issuer::Create(root_.cert, root_.key))),
        leaf_key_(NewKey()) {}

  absl::StatusOr<Certificate> Sign(const X509SvidParams& params, absl::Time now = kNow) {
    SIGIL_ASSIGN_OR_RETURN(SignedCertificate signed_cert,
                           issuer_.SignSvid(params, leaf_key_.public_key(), now));
    return signed_cert.ToCertificate();
  }

  Certificate SignLeaf(std::string_view id = "spiffe://example.org/web") {
    return Must(Sign({.spiffe_id = Id(id)}));
  }

  TestCa root_;
  X509Issuer issuer_;
  PrivateKey leaf_key_;
};

// X509-01
TEST_F(X509IssuerTest, LeafHasExactlyOneUriSanEqualToTheSpiffeId) {
  EXPECT_THAT(SignLeaf().UriSans(), ElementsAre("spiffe://example.org/web"));
}

// X509-01, X509-12
TEST_F(X509IssuerTest, LeafCarriesDnsSansAndCopiesTheFirstIntoCommonName) {
  Certificate leaf = Must(Sign({.spiffe_id = Id("spiffe://example.org/web"),
                                .dns_names = {"web.example.org", "*.web.example.org"}}));
  EXPECT_THAT(leaf.DnsSans(), ElementsAre("web.example.org", "*.web.example.org"));
  EXPECT_EQ(SubjectText(leaf), "/CN=web.example.org");
  EXPECT_FALSE(Critical(leaf, NID_subject_alt_name));
}

TEST_F(X509IssuerTest, FirstDnsNameLongerThanACommonNameStaysOutOfTheSubject) {
  const std::string long_name = std::string(60, 'a') + ".example.org";
  Certificate leaf =
      Must(Sign({.spiffe_id = Id("spiffe://example.org/web"), .dns_names = {long_name}}));
  EXPECT_THAT(leaf.DnsSans(), ElementsAre(long_name));
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(leaf.get())), 0);
  EXPECT_TRUE(Critical(leaf, NID_subject_alt_name));
}

TEST_F(X509IssuerTest, RefusesMoreDnsNamesThanTheLimit) {
  absl::StatusOr<Certificate> leaf =
      Sign({.spiffe_id = Id("spiffe://example.org/web"),
            .dns_names = std::vector<std::string>(kMaxX509DnsNames + 1, "web.example.org")});
  EXPECT_EQ(leaf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(leaf.status().message()), HasSubstr("DNS names"));
}

// X509-03
TEST_F(X509IssuerTest, LeafWithoutDnsNamesHasEmptySubjectAndCriticalSan) {
  Certificate leaf = SignLeaf();
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(leaf.get())), 0);
  EXPECT_TRUE(Critical(leaf, NID_subject_alt_name));
}

// X509-03
TEST_F(X509IssuerTest, LeafWithConfiguredSubjectHasNonCriticalSan) {
  Certificate leaf = Must(
      Sign({.spiffe_id = Id("spiffe://example.org/web"), .subject = {{"C", "US"}, {"O", "Acme"}}}));
  EXPECT_EQ(SubjectText(leaf), "/C=US/O=Acme");
  EXPECT_FALSE(Critical(leaf, NID_subject_alt_name));
}

// X509-04
TEST_F(X509IssuerTest, LeafBasicConstraintsAreCriticalAndNotCa) {
  Certificate leaf = SignLeaf();
  BasicConstraintsPtr bc = BasicConstraintsOf(leaf);
  ASSERT_NE(bc, nullptr);
  EXPECT_EQ(bc->ca, 0);
  EXPECT_TRUE(Critical(leaf, NID_basic_constraints));
}

// X509-05, X509-06, X509-12
TEST_F(X509IssuerTest, LeafKeyUsageIsCriticalSignatureEnciphermentAndAgreement) {
  Certificate leaf = SignLeaf();
  EXPECT_THAT(KeyUsageBits(leaf), ElementsAre(0, 2, 4));
  EXPECT_TRUE(Critical(leaf, NID_key_usage));
}

// X509-08
TEST_F(X509IssuerTest, LeafExtendedKeyUsageIsServerAndClientAuth) {
  EXPECT_THAT(ExtendedKeyUsages(SignLeaf()), ElementsAre(NID_server_auth, NID_client_auth));
}

// X509-12
TEST_F(X509IssuerTest, LeafSerialIsRandomPositiveAnd128Bits) {
  Certificate a = SignLeaf();
  Certificate b = SignLeaf();
  EXPECT_NE(a.SerialHex(), b.SerialHex());
  const ASN1_INTEGER* serial = X509_get0_serialNumber(a.get());
  EXPECT_EQ(ASN1_STRING_type(serial), V_ASN1_INTEGER);  // not V_ASN1_NEG_INTEGER
  EXPECT_EQ(ASN1_STRING_length(serial), 16);
  EXPECT_EQ(a.SerialHex().size(), 32u);
}

// X509-12
TEST_F(X509IssuerTest, LeafNotBeforeIsTenSecondsBeforeNow) {
  EXPECT_EQ(SignLeaf().not_before(), kNow - absl::Seconds(10));
}

TEST_F(X509IssuerTest, LeafNotAfterIsNowPlusTtl) {
  Certificate leaf =
      Must(Sign({.spiffe_id = Id("spiffe://example.org/web"), .ttl = absl::Minutes(5)}));
  EXPECT_EQ(leaf.not_after(), kNow + absl::Minutes(5));
}

TEST_F(X509IssuerTest, LeafNotAfterIsCappedAtTheCaNotAfter) {
  Certificate leaf =
      Must(Sign({.spiffe_id = Id("spiffe://example.org/web"), .ttl = absl::Hours(100)}));
  EXPECT_EQ(leaf.not_after(), root_.cert.not_after());
}

// X509-12
TEST_F(X509IssuerTest, LeafSubjectKeyIdIsSha1OfKeyAndAuthorityKeyIdIsTheCas) {
  Certificate leaf = SignLeaf();
  const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(leaf.get());
  unsigned char digest[20];
  unsigned int length = 0;
  ASSERT_EQ(EVP_Digest(ASN1_STRING_get0_data(bits), static_cast<size_t>(ASN1_STRING_length(bits)),
                       digest, &length, EVP_sha1(), nullptr),
            1);
  EXPECT_EQ(SubjectKeyId(leaf), std::string(reinterpret_cast<char*>(digest), length));
  EXPECT_EQ(AuthorityKeyId(leaf), SubjectKeyId(root_.cert));
  EXPECT_FALSE(AuthorityKeyId(leaf).empty());
}

TEST_F(X509IssuerTest, LeafCarriesTheSubjectKeyAndTheCaSignature) {
  Certificate leaf = SignLeaf();
  EXPECT_TRUE(Must(leaf.public_key()).Equals(leaf_key_.public_key()));
  EXPECT_EQ(X509_verify(leaf.get(), X509_get0_pubkey(root_.cert.get())), 1);
  EXPECT_EQ(
      X509_NAME_cmp(X509_get_issuer_name(leaf.get()), X509_get_subject_name(root_.cert.get())), 0);
  EXPECT_EQ(SignatureNid(leaf), NID_ecdsa_with_SHA256);
}

TEST_F(X509IssuerTest, SignedCertificateRecordsTheFieldsAParserReads) {
  SignedCertificate signed_cert =
      Must(issuer_.SignSvid({.spiffe_id = Id("spiffe://example.org/web")}, leaf_key_.public_key(),
                            kNow + absl::Milliseconds(700)));
  Certificate leaf = Must(signed_cert.ToCertificate());
  EXPECT_EQ(signed_cert.serial_hex, leaf.SerialHex());
  EXPECT_EQ(signed_cert.not_before, leaf.not_before());
  EXPECT_EQ(signed_cert.not_after, leaf.not_after());
  EXPECT_EQ(signed_cert.der, leaf.der());
}

// X509-02, ID-23
TEST_F(X509IssuerTest, RefusesTrustDomainIdForLeaf) {
  absl::StatusOr<Certificate> leaf = Sign({.spiffe_id = Id("spiffe://example.org")});
  EXPECT_EQ(leaf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(leaf.status().message()), HasSubstr("has no path"));
}

// ID-16: IDs over 2048 bytes cannot exist as SpiffeId values, so the longest legal one must
// still be issued.
TEST_F(X509IssuerTest, IssuesIdOfExactly2048Bytes) {
  const std::string prefix = "spiffe://example.org/";
  const std::string id = prefix + std::string(kMaxSpiffeIdLength - prefix.size(), 'a');
  EXPECT_FALSE(SpiffeId::Parse(id + "a").ok());
  EXPECT_THAT(Must(Sign({.spiffe_id = Id(id)})).UriSans(), ElementsAre(id));
}

TEST_F(X509IssuerTest, RefusesIdOfAnotherTrustDomain) {
  absl::StatusOr<Certificate> leaf = Sign({.spiffe_id = Id("spiffe://other.org/web")});
  EXPECT_EQ(leaf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(leaf.status().message()),
              HasSubstr("not in the CA's trust domain example.org"));
}

TEST_F(X509IssuerTest, RefusesNonPositiveTtl) {
  absl::StatusOr<Certificate> leaf =
      Sign({.spiffe_id = Id("spiffe://example.org/web"), .ttl = absl::ZeroDuration()});
  EXPECT_EQ(leaf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(leaf.status().message()), HasSubstr("ttl must be positive"));
}

TEST_F(X509IssuerTest, RefusesUnboundedTtl) {
  absl::StatusOr<Certificate> leaf =
      Sign({.spiffe_id = Id("spiffe://example.org/web"), .ttl = absl::InfiniteDuration()});
  EXPECT_EQ(leaf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(leaf.status().message()), HasSubstr("at most 100 years"));
}

TEST_F(X509IssuerTest, SignsConcurrentlyFromManyThreads) {
  std::vector<absl::StatusOr<SignedCertificate>> results(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 25; ++n) {
        results[i] = issuer_.SignSvid({.spiffe_id = Id("spiffe://example.org/web")},
                                      leaf_key_.public_key(), kNow);
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (const absl::StatusOr<SignedCertificate>& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    Certificate leaf = Must(result->ToCertificate());
    EXPECT_EQ(X509_verify(leaf.get(), X509_get0_pubkey(root_.cert.get())), 1);
  }
}

TEST_F(X509IssuerTest, RefusesDnsNameWithInvalidCharacters) {
  absl::StatusOr<Certificate> leaf =
      Sign({.spiffe_id = Id("spiffe://example.org/web"), .dns_names = {"web example.org"}});
  EXPECT_EQ(leaf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(leaf.status().message()), HasSubstr("DNS name \"web example.org\""));
}

TEST_F(X509IssuerTest, RefusesUnknownSubjectAttribute) {
  absl::StatusOr<Certificate> leaf =
      Sign({.spiffe_id = Id("spiffe://example.org/web"), .subject = {{"NoSuchAttr", "x"}}});
  EXPECT_EQ(leaf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(leaf.status().message()), HasSubstr("subject attribute NoSuchAttr"));
}

TEST_F(X509IssuerTest, RefusesToSignWithAnExpiredCa) {
  absl::StatusOr<Certificate> leaf =
      Sign({.spiffe_id = Id("spiffe://example.org/web")}, kNow + absl::Hours(25));
  EXPECT_EQ(leaf.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(leaf.status().message()), HasSubstr("signing CA expired"));
}

TEST_F(X509IssuerTest, RefusesToSignBeforeTheCaIsValid) {
  absl::StatusOr<Certificate> leaf =
      Sign({.spiffe_id = Id("spiffe://example.org/web")}, kNow - absl::Hours(1));
  EXPECT_EQ(leaf.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(leaf.status().message()), HasSubstr("not valid until"));
}

TEST_F(X509IssuerTest, CreateRefusesACertificateThatIsNotACa) {
  Certificate leaf = SignLeaf();
  absl::StatusOr<X509Issuer> issuer = X509Issuer::Create(leaf, leaf_key_);
  EXPECT_EQ(issuer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(issuer.status().message()), HasSubstr("not a CA"));
}

TEST_F(X509IssuerTest, CreateRefusesAKeyThatIsNotTheCas) {
  absl::StatusOr<X509Issuer> issuer = X509Issuer::Create(root_.cert, NewKey());
  EXPECT_EQ(issuer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(issuer.status().message()), HasSubstr("does not match"));
}

// An operator's corporate CA has no SPIFFE ID: it may act as upstream authority and sign our
// intermediate, but it must never sign workload SVIDs itself.
TEST_F(X509IssuerTest, CaWithoutSpiffeIdSignsCasButNotSvids) {
  x509_test::RawCertSpec spec = x509_test::RawCaSpec(Td("example.org"), "no-id");
  spec.uris.clear();
  Certificate ca = x509_test::MakeRawCert(spec, root_.key.public_key(), nullptr, root_.key);
  X509Issuer issuer = Must(X509Issuer::Create(ca, root_.key));
  EXPECT_FALSE(issuer.trust_domain().has_value());

  absl::StatusOr<SignedCertificate> leaf =
      issuer.SignSvid({.spiffe_id = Id("spiffe://example.org/web")}, leaf_key_.public_key(), kNow);
  EXPECT_EQ(leaf.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(leaf.status().message()), HasSubstr("carries no SPIFFE ID"));

  PrivateKey intermediate_key = NewKey();
  Certificate intermediate =
      Must(issuer.SignCa({.trust_domain = Td("example.org")}, intermediate_key.public_key(), kNow));
  EXPECT_TRUE(intermediate.IsCa());
  EXPECT_EQ(X509_verify(intermediate.get(), X509_get0_pubkey(ca.get())), 1);
}

TEST_F(X509IssuerTest, CreateRefusesACaWithTwoUriSans) {
  x509_test::RawCertSpec spec = x509_test::RawCaSpec(Td("example.org"), "two-ids");
  spec.uris.push_back("spiffe://other.org");
  Certificate ca = x509_test::MakeRawCert(spec, root_.key.public_key(), nullptr, root_.key);
  absl::StatusOr<X509Issuer> issuer = X509Issuer::Create(ca, root_.key);
  EXPECT_EQ(issuer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(issuer.status().message()), HasSubstr("exactly one URI SAN"));
}

TEST_F(X509IssuerTest, SignsForSpkiDerLikeForAPublicKey) {
  SignedCertificate signed_cert = Must(issuer_.SignSvidForSpki(
      {.spiffe_id = Id("spiffe://example.org/web")}, leaf_key_.public_key().ToSpkiDer(), kNow));
  Certificate leaf = Must(signed_cert.ToCertificate());
  EXPECT_EQ(Must(leaf.public_key()).ToSpkiDer(), leaf_key_.public_key().ToSpkiDer());
  EXPECT_EQ(X509_verify(leaf.get(), X509_get0_pubkey(root_.cert.get())), 1);
}

TEST_F(X509IssuerTest, SignsForRsaSpkiDer) {
  PrivateKey rsa = NewKey(KeyType::kRsa2048);
  SignedCertificate signed_cert = Must(issuer_.SignSvidForSpki(
      {.spiffe_id = Id("spiffe://example.org/web")}, rsa.public_key().ToSpkiDer(), kNow));
  EXPECT_TRUE(Must(Must(signed_cert.ToCertificate()).public_key()).Equals(rsa.public_key()));
}

TEST_F(X509IssuerTest, SpkiDerWithTrailingBytesIsRefused) {
  absl::StatusOr<SignedCertificate> leaf =
      issuer_.SignSvidForSpki({.spiffe_id = Id("spiffe://example.org/web")},
                              leaf_key_.public_key().ToSpkiDer() + "x", kNow);
  EXPECT_EQ(leaf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(leaf.status().message()), HasSubstr("not a valid SubjectPublicKeyInfo"));
}

TEST_F(X509IssuerTest, SpkiDerWithCompressedPointIsRefused) {
  std::string spki = leaf_key_.public_key().ToSpkiDer();
  // The point is the last 65 bytes, starting with 0x04 (uncompressed).
  spki[spki.size() - 65] = 0x02;
  absl::StatusOr<SignedCertificate> leaf =
      issuer_.SignSvidForSpki({.spiffe_id = Id("spiffe://example.org/web")}, spki, kNow);
  EXPECT_EQ(leaf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(leaf.status().message()), HasSubstr("uncompressed point"));
}

TEST_F(X509IssuerTest, SpkiDerOfUnsupportedCurveIsRefused) {
  EvpPkeyPtr k1(EVP_EC_gen("secp256k1"));
  ASSERT_NE(k1, nullptr);
  unsigned char* out = nullptr;
  const int n = i2d_PUBKEY(k1.get(), &out);
  ASSERT_GT(n, 0);
  std::string spki(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  absl::StatusOr<SignedCertificate> leaf =
      issuer_.SignSvidForSpki({.spiffe_id = Id("spiffe://example.org/web")}, spki, kNow);
  EXPECT_EQ(leaf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(leaf.status().message()), HasSubstr("P-256, P-384 or P-521"));
}

TEST_F(X509IssuerTest, SignsRsaSubjectKey) {
  PrivateKey rsa = NewKey(KeyType::kRsa2048);
  Certificate leaf = Must(
      Must(issuer_.SignSvid({.spiffe_id = Id("spiffe://example.org/web")}, rsa.public_key(), kNow))
          .ToCertificate());
  EXPECT_TRUE(Must(leaf.public_key()).Equals(rsa.public_key()));
}

TEST(X509IssuerDigestTest, P384CaSignsWithSha384) {
  TestCa root = NewRootCa(Td("example.org"), KeyType::kEcP384);
  EXPECT_EQ(SignatureNid(root.cert), NID_ecdsa_with_SHA384);
  Certificate leaf = x509_test::NewLeaf(root, Id("spiffe://example.org/web"),
                                        NewKey(KeyType::kEcP384).public_key());
  EXPECT_EQ(SignatureNid(leaf), NID_ecdsa_with_SHA384);
}

TEST(X509IssuerDigestTest, RsaCaSignsWithSha256Rsa) {
  TestCa root = NewRootCa(Td("example.org"), KeyType::kRsa2048);
  Certificate leaf =
      x509_test::NewLeaf(root, Id("spiffe://example.org/web"), NewKey().public_key());
  EXPECT_EQ(SignatureNid(leaf), NID_sha256WithRSAEncryption);
}

// ---- signing certificates ----

class X509CaTest : public ::testing::Test {
 protected:
  X509CaTest() : key_(NewKey()) {}
  PrivateKey key_;
};

// X509-04, X509-05, X509-07, X509-09
TEST_F(X509CaTest, SelfSignedCaFollowsTheProfile) {
  Certificate ca = Must(SelfSignX509Ca({.trust_domain = Td("example.org")}, key_, kNow));
  BasicConstraintsPtr bc = BasicConstraintsOf(ca);
  ASSERT_NE(bc, nullptr);
  EXPECT_NE(bc->ca, 0);
  EXPECT_EQ(bc->pathlen, nullptr);
  EXPECT_TRUE(Critical(ca, NID_basic_constraints));
  EXPECT_THAT(KeyUsageBits(ca), ElementsAre(5, 6));  // keyCertSign, cRLSign
  EXPECT_TRUE(Critical(ca, NID_key_usage));
  EXPECT_THAT(ca.UriSans(), ElementsAre("spiffe://example.org"));
  EXPECT_FALSE(HasExtension(ca, NID_ext_key_usage));
  EXPECT_FALSE(SubjectKeyId(ca).empty());
  EXPECT_FALSE(HasExtension(ca, NID_authority_key_identifier));
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(ca.get()), X509_get_subject_name(ca.get())), 0);
  EXPECT_EQ(X509_verify(ca.get(), X509_get0_pubkey(ca.get())), 1);
}

TEST_F(X509CaTest, DefaultSubjectIsSpiffeUsWithTheSerialInDecimal) {
  Certificate ca = Must(SelfSignX509Ca({.trust_domain = Td("example.org")}, key_, kNow));
  BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(ca.get()), nullptr));
  char* dec = BN_bn2dec(serial.get());
  const std::string expected = std::string("/C=US/O=SPIFFE/serialNumber=") + dec;
  OPENSSL_free(dec);
  EXPECT_EQ(SubjectText(ca), expected);
}

TEST_F(X509CaTest, ConfiguredSubjectAndPathLenAreUsed) {
  Certificate ca = Must(SelfSignX509Ca({.trust_domain = Td("example.org"),
                                        .subject = {{"O", "Acme"}, {"CN", "Acme Root"}},
                                        .path_len = 1},
                                       key_, kNow));
  EXPECT_EQ(SubjectText(ca), "/O=Acme/CN=Acme Root");
  EXPECT_EQ(X509_get_pathlen(ca.get()), 1);
}

TEST_F(X509CaTest, ValidityRunsFromTenSecondsBackForTheTtl) {
  Certificate ca =
      Must(SelfSignX509Ca({.trust_domain = Td("example.org"), .ttl = absl::Hours(48)}, key_, kNow));
  EXPECT_EQ(ca.not_before(), kNow - absl::Seconds(10));
  EXPECT_EQ(ca.not_after(), kNow + absl::Hours(48));
}

TEST_F(X509CaTest, RefusesNegativePathLen) {
  absl::StatusOr<Certificate> ca =
      SelfSignX509Ca({.trust_domain = Td("example.org"), .path_len = -1}, key_, kNow);
  EXPECT_EQ(ca.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ca.status().message()), HasSubstr("path_len"));
}

TEST_F(X509CaTest, IntermediateIsSignedByItsParentWithCappedNotAfter) {
  TestCa root = NewRootCa(Td("example.org"));
  Certificate inter = Must(SignX509Ca({.trust_domain = Td("example.org"), .ttl = absl::Hours(100)},
                                      key_.public_key(), root.cert, root.key, kNow));
  EXPECT_EQ(X509_verify(inter.get(), X509_get0_pubkey(root.cert.get())), 1);
  EXPECT_EQ(AuthorityKeyId(inter), SubjectKeyId(root.cert));
  EXPECT_EQ(inter.not_after(), root.cert.not_after());
  EXPECT_TRUE(inter.IsCa());
  // The leaf signed by the intermediate names it as issuer.
  Certificate leaf =
      x509_test::NewLeaf({key_, inter}, Id("spiffe://example.org/w"), NewKey().public_key());
  EXPECT_EQ(AuthorityKeyId(leaf), SubjectKeyId(inter));
}

TEST_F(X509CaTest, SuccessiveCasOfOneTrustDomainHaveDistinctSubjects) {
  Certificate a = Must(SelfSignX509Ca({.trust_domain = Td("example.org")}, key_, kNow));
  Certificate b = Must(SelfSignX509Ca({.trust_domain = Td("example.org")}, key_, kNow));
  EXPECT_NE(SubjectText(a), SubjectText(b));
}

}  // namespace
}  // namespace sigil
