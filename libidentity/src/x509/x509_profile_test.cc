#include "sigil/x509_profile.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "sigil/x509_issuer.h"
#include "x509_test_util.h"

namespace sigil {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
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

class X509ProfileTest : public ::testing::Test {
 protected:
  X509ProfileTest() : root_(NewRootCa(Td("example.org"))), key_(NewKey()) {}

  std::vector<std::string> CheckRawLeaf(const RawCertSpec& spec) {
    Certificate leaf = MakeRawCert(spec, key_.public_key(), &root_.cert, root_.key);
    return CheckX509SvidProfile(std::vector<Certificate>{leaf, root_.cert});
  }
  RawCertSpec ValidSpec() {
    RawCertSpec spec;
    spec.uris = {"spiffe://example.org/web"};
    return spec;
  }

  TestCa root_;
  PrivateKey key_;
};

TEST_F(X509ProfileTest, OurOwnChainHasNoProblems) {
  TestCa inter = NewIntermediateCa(root_, Td("example.org"));
  Certificate leaf = NewLeaf(inter, Id("spiffe://example.org/web"), key_.public_key());
  EXPECT_THAT(CheckX509SvidProfile(std::vector<Certificate>{leaf, inter.cert, root_.cert}),
              IsEmpty());
}

TEST_F(X509ProfileTest, ValidRawLeafHasNoProblems) {
  EXPECT_THAT(CheckRawLeaf(ValidSpec()), IsEmpty());
}

TEST_F(X509ProfileTest, ReportsEmptyChain) {
  EXPECT_THAT(CheckX509SvidProfile({}), Contains("chain is empty"));
}

// X509-16
TEST_F(X509ProfileTest, ReportsMissingUriSan) {
  RawCertSpec spec = ValidSpec();
  spec.uris.clear();
  spec.dns_names = {"web.example.org"};
  EXPECT_THAT(CheckRawLeaf(spec), Contains("leaf: has no URI SAN (X509-01, X509-16)"));
}

// X509-16
TEST_F(X509ProfileTest, ReportsTwoUriSans) {
  RawCertSpec spec = ValidSpec();
  spec.uris.push_back("spiffe://example.org/db");
  EXPECT_THAT(CheckRawLeaf(spec),
              Contains("leaf: has 2 URI SANs; exactly one is allowed (X509-01, X509-16)"));
}

// X509-18
TEST_F(X509ProfileTest, ReportsRootPathIdOnLeaf) {
  RawCertSpec spec = ValidSpec();
  spec.uris = {"spiffe://example.org"};
  EXPECT_THAT(CheckRawLeaf(spec), Contains(HasSubstr("has no path")));
}

// X509-14
TEST_F(X509ProfileTest, ReportsLeafThatIsACa) {
  RawCertSpec spec = ValidSpec();
  spec.ca = true;
  EXPECT_THAT(CheckRawLeaf(spec), Contains("leaf: is a CA (basicConstraints cA=true) (X509-14)"));
}

// X509-15
TEST_F(X509ProfileTest, ReportsKeyCertSignOnLeaf) {
  RawCertSpec spec = ValidSpec();
  spec.key_usage = "digitalSignature,keyCertSign";
  EXPECT_THAT(CheckRawLeaf(spec), Contains("leaf: keyUsage includes keyCertSign (X509-15)"));
}

// X509-06
TEST_F(X509ProfileTest, ReportsLeafWithoutDigitalSignature) {
  RawCertSpec spec = ValidSpec();
  spec.key_usage = "keyEncipherment";
  EXPECT_THAT(CheckRawLeaf(spec), Contains("leaf: keyUsage lacks digitalSignature (X509-06)"));
}

// X509-05
TEST_F(X509ProfileTest, ReportsNonCriticalKeyUsage) {
  RawCertSpec spec = ValidSpec();
  spec.key_usage_critical = false;
  EXPECT_THAT(CheckRawLeaf(spec), Contains("leaf: keyUsage is not critical (X509-05)"));
}

// X509-04
TEST_F(X509ProfileTest, ReportsMissingBasicConstraints) {
  RawCertSpec spec = ValidSpec();
  spec.ca.reset();
  EXPECT_THAT(CheckRawLeaf(spec), Contains("leaf: has no basicConstraints extension (X509-04)"));
}

// X509-03
TEST_F(X509ProfileTest, ReportsNonCriticalSanWithEmptySubject) {
  RawCertSpec spec = ValidSpec();
  spec.san_critical = false;
  EXPECT_THAT(CheckRawLeaf(spec),
              Contains("leaf: subject is empty but subjectAltName is not critical (X509-03)"));
}

TEST_F(X509ProfileTest, AcceptsNonCriticalSanWithASubject) {
  RawCertSpec spec = ValidSpec();
  spec.san_critical = false;
  spec.common_name = "web";
  EXPECT_THAT(CheckRawLeaf(spec), IsEmpty());
}

// X509-08
TEST_F(X509ProfileTest, ReportsExtendedKeyUsageWithoutClientAuth) {
  RawCertSpec spec = ValidSpec();
  spec.extended_key_usage = "serverAuth";
  EXPECT_THAT(CheckRawLeaf(spec),
              Contains("leaf: extKeyUsage lacks serverAuth or clientAuth (X509-08)"));
}

TEST_F(X509ProfileTest, ReportsNotAfterPastTheIssuers) {
  RawCertSpec spec = ValidSpec();
  spec.not_after = root_.cert.not_after() + absl::Hours(1);
  EXPECT_THAT(CheckRawLeaf(spec),
              Contains("leaf: notAfter is later than the notAfter of certificate 1"));
}

TEST_F(X509ProfileTest, ReportsEmptyValidityWindow) {
  RawCertSpec spec = ValidSpec();
  spec.not_before = kNow;
  spec.not_after = kNow - absl::Seconds(1);
  EXPECT_THAT(CheckRawLeaf(spec), Contains(HasSubstr("validity window is empty")));
}

TEST_F(X509ProfileTest, ReportsIssuerThatIsNotTheNextCertificate) {
  TestCa other = NewRootCa(Td("example.org"));
  Certificate leaf = NewLeaf(other, Id("spiffe://example.org/web"), key_.public_key());
  EXPECT_THAT(CheckX509SvidProfile(std::vector<Certificate>{leaf, root_.cert}),
              Contains("leaf: issuer name does not match the subject of certificate 1"));
}

TEST_F(X509ProfileTest, ReportsSignatureThatTheNextCertificateDidNotMake) {
  // Same subject as the root, different key: names match, signature does not.
  PrivateKey impostor = NewKey();
  RawCertSpec ca_spec = RawCaSpec(Td("example.org"), "root");
  Certificate root = MakeRawCert(ca_spec, impostor.public_key(), nullptr, impostor);
  Certificate real_signer = MakeRawCert(ca_spec, root_.key.public_key(), nullptr, root_.key);
  Certificate leaf = MakeRawCert(ValidSpec(), key_.public_key(), &real_signer, root_.key);
  EXPECT_THAT(CheckX509SvidProfile(std::vector<Certificate>{leaf, root}),
              Contains("leaf: signature does not verify with the key of certificate 1"));
}

// X509-09
TEST_F(X509ProfileTest, ReportsLeafOfAnotherTrustDomainThanItsCa) {
  RawCertSpec spec = ValidSpec();
  spec.uris = {"spiffe://other.org/web"};
  EXPECT_THAT(CheckRawLeaf(spec),
              Contains("leaf: trust domain other.org differs from its signing CA's example.org "
                       "(X509-09)"));
}

TEST_F(X509ProfileTest, ReportsIntermediateThatIsNotACa) {
  RawCertSpec ca_spec = RawCaSpec(Td("example.org"), "inter");
  ca_spec.ca = false;
  PrivateKey inter_key = NewKey();
  Certificate inter = MakeRawCert(ca_spec, inter_key.public_key(), &root_.cert, root_.key);
  Certificate leaf = MakeRawCert(ValidSpec(), key_.public_key(), &inter, inter_key);
  EXPECT_THAT(CheckX509SvidProfile(std::vector<Certificate>{leaf, inter, root_.cert}),
              Contains("certificate 1: is not a CA (basicConstraints cA=false) (X509-04)"));
}

// ---- signing certificates alone ----

TEST_F(X509ProfileTest, OurCaHasNoProblems) {
  EXPECT_THAT(CheckX509CaProfile(root_.cert), IsEmpty());
}

// X509-07
TEST_F(X509ProfileTest, ReportsCaWithoutKeyCertSign) {
  RawCertSpec spec = RawCaSpec(Td("example.org"), "ca");
  spec.key_usage = "cRLSign";
  EXPECT_THAT(CheckX509CaProfile(MakeRawCert(spec, key_.public_key(), nullptr, key_)),
              Contains("CA: keyUsage lacks keyCertSign (X509-07)"));
}

// X509-07
TEST_F(X509ProfileTest, ReportsCaWithDigitalSignature) {
  RawCertSpec spec = RawCaSpec(Td("example.org"), "ca");
  spec.key_usage = "keyCertSign,digitalSignature";
  EXPECT_THAT(CheckX509CaProfile(MakeRawCert(spec, key_.public_key(), nullptr, key_)),
              Contains(HasSubstr("CA: keyUsage includes digitalSignature")));
}

// X509-09
TEST_F(X509ProfileTest, ReportsCaSpiffeIdWithAPath) {
  RawCertSpec spec = RawCaSpec(Td("example.org"), "ca");
  spec.uris = {"spiffe://example.org/ca"};
  EXPECT_THAT(CheckX509CaProfile(MakeRawCert(spec, key_.public_key(), nullptr, key_)),
              Contains(HasSubstr("has a path; a signing certificate's must not (X509-09)")));
}

}  // namespace
}  // namespace sigil
