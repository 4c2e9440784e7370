#include "sigil/x509_verify.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "sigil/x509_issuer.h"
#include "x509_test_util.h"

namespace sigil {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using x509_test::BundlesOf;
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

class X509SvidVerifyTest : public ::testing::Test {
 protected:
  X509SvidVerifyTest()
      : td_(Td("example.org")),
        root_(NewRootCa(td_)),
        key_(NewKey()),
        leaf_(NewLeaf(root_, Id("spiffe://example.org/web"), key_.public_key())),
        bundles_(BundlesOf({{td_, {root_.cert}}})) {}

  absl::StatusOr<VerifiedX509Svid> Verify(std::vector<Certificate> chain, absl::Time now = kNow) {
    return VerifyX509Svid(chain, bundles_, now);
  }
  Certificate RawLeaf(const RawCertSpec& spec, const TestCa& ca) {
    return MakeRawCert(spec, key_.public_key(), &ca.cert, ca.key);
  }
  RawCertSpec ValidSpec() {
    RawCertSpec spec;
    spec.uris = {"spiffe://example.org/web"};
    return spec;
  }
  void ExpectUntrusted(const absl::StatusOr<VerifiedX509Svid>& result, std::string_view reason) {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated) << result.status();
    EXPECT_THAT(Message(result.status()), HasSubstr(std::string(reason)));
  }
  void ExpectMalformed(const absl::StatusOr<VerifiedX509Svid>& result, std::string_view reason) {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
    EXPECT_THAT(Message(result.status()), HasSubstr(std::string(reason)));
  }

  TrustDomain td_;
  TestCa root_;
  PrivateKey key_;
  Certificate leaf_;
  BundleSet bundles_;
};

// X509-13
TEST_F(X509SvidVerifyTest, AcceptsLeafSignedByABundleRoot) {
  VerifiedX509Svid verified = Must(Verify({leaf_}));
  EXPECT_EQ(verified.spiffe_id.str(), "spiffe://example.org/web");
  EXPECT_THAT(verified.path, ElementsAre(leaf_, root_.cert));
}

// X509-13
TEST_F(X509SvidVerifyTest, AcceptsChainThroughAnIntermediate) {
  TestCa inter = NewIntermediateCa(root_, td_);
  Certificate leaf = NewLeaf(inter, Id("spiffe://example.org/api"), key_.public_key());
  VerifiedX509Svid verified = Must(Verify({leaf, inter.cert}));
  EXPECT_THAT(verified.path, ElementsAre(leaf, inter.cert, root_.cert));
}

TEST_F(X509SvidVerifyTest, AcceptsIntermediatesInAnyOrder) {
  TestCa inter1 = NewIntermediateCa(root_, td_);
  TestCa inter2 = NewIntermediateCa(inter1, td_);
  Certificate leaf = NewLeaf(inter2, Id("spiffe://example.org/api"), key_.public_key());
  VerifiedX509Svid verified = Must(Verify({leaf, inter1.cert, inter2.cert}));
  EXPECT_THAT(verified.path, ElementsAre(leaf, inter2.cert, inter1.cert, root_.cert));
}

// Bundle entries are trust anchors even when not self-signed.
TEST_F(X509SvidVerifyTest, AcceptsBundleAuthorityThatIsAnIntermediate) {
  TestCa inter = NewIntermediateCa(root_, td_);
  Certificate leaf = NewLeaf(inter, Id("spiffe://example.org/api"), key_.public_key());
  BundleSet bundles = BundlesOf({{td_, {inter.cert}}});
  VerifiedX509Svid verified = Must(VerifyX509Svid({leaf}, bundles, kNow));
  EXPECT_THAT(verified.path, ElementsAre(leaf, inter.cert));
}

// X509-14
TEST_F(X509SvidVerifyTest, RejectsLeafMarkedAsCa) {
  RawCertSpec spec = ValidSpec();
  spec.ca = true;
  ExpectMalformed(Verify({RawLeaf(spec, root_)}), "leaf is a CA");
}

// X509-15
TEST_F(X509SvidVerifyTest, RejectsLeafWithKeyCertSign) {
  RawCertSpec spec = ValidSpec();
  spec.key_usage = "digitalSignature,keyCertSign";
  ExpectMalformed(Verify({RawLeaf(spec, root_)}), "keyCertSign");
}

// X509-15
TEST_F(X509SvidVerifyTest, RejectsLeafWithCrlSign) {
  RawCertSpec spec = ValidSpec();
  spec.key_usage = "digitalSignature,cRLSign";
  ExpectMalformed(Verify({RawLeaf(spec, root_)}), "cRLSign");
}

// X509-16
TEST_F(X509SvidVerifyTest, RejectsLeafWithTwoUriSans) {
  RawCertSpec spec = ValidSpec();
  spec.uris = {"spiffe://example.org/web", "spiffe://example.org/db"};
  ExpectMalformed(Verify({RawLeaf(spec, root_)}), "leaf has 2 URI SANs");
}

// X509-16
TEST_F(X509SvidVerifyTest, RejectsLeafWithSpiffeAndHttpsUris) {
  RawCertSpec spec = ValidSpec();
  spec.uris = {"spiffe://example.org/web", "https://web.example.org"};
  ExpectMalformed(Verify({RawLeaf(spec, root_)}), "leaf has 2 URI SANs");
}

// X509-16
TEST_F(X509SvidVerifyTest, RejectsLeafWithoutUriSan) {
  RawCertSpec spec = ValidSpec();
  spec.uris.clear();
  spec.dns_names = {"web.example.org"};
  ExpectMalformed(Verify({RawLeaf(spec, root_)}), "leaf has no URI SAN");
}

// X509-17
TEST_F(X509SvidVerifyTest, RejectsUriThatIsNotASpiffeId) {
  RawCertSpec spec = ValidSpec();
  spec.uris = {"spiffe://example.org/a/../b"};
  ExpectMalformed(Verify({RawLeaf(spec, root_)}), "not a SPIFFE ID");
}

// X509-18
TEST_F(X509SvidVerifyTest, RejectsRootPathId) {
  RawCertSpec spec = ValidSpec();
  spec.uris = {"spiffe://example.org"};
  ExpectMalformed(Verify({RawLeaf(spec, root_)}), "has no path");
}

// X509-13
TEST_F(X509SvidVerifyTest, RejectsExpiredLeaf) {
  ExpectUntrusted(Verify({leaf_}, kNow + absl::Hours(2)), "certificate has expired (depth 0)");
}

// X509-13
TEST_F(X509SvidVerifyTest, RejectsLeafThatIsNotYetValid) {
  RawCertSpec spec = ValidSpec();
  spec.not_before = kNow + absl::Minutes(5);
  ExpectUntrusted(Verify({RawLeaf(spec, root_)}), "certificate is not yet valid");
}

// X509-13
TEST_F(X509SvidVerifyTest, RejectsExpiredIntermediate) {
  RawCertSpec inter_spec = RawCaSpec(td_, "short-lived");
  inter_spec.not_after = kNow - absl::Minutes(1);
  PrivateKey inter_key = NewKey();
  Certificate inter = MakeRawCert(inter_spec, inter_key.public_key(), &root_.cert, root_.key);
  RawCertSpec spec = ValidSpec();
  Certificate leaf = MakeRawCert(spec, key_.public_key(), &inter, inter_key);
  ExpectUntrusted(Verify({leaf, inter}), "certificate has expired (depth 1)");
}

TEST_F(X509SvidVerifyTest, UsesThePassedInTimeNotTheClock) {
  RawCertSpec spec = ValidSpec();
  spec.not_before = absl::FromUnixSeconds(0) + absl::Hours(24 * 365 * 40);  // 2009-12
  spec.not_after = spec.not_before + absl::Hours(1);
  Certificate leaf = RawLeaf(spec, root_);
  EXPECT_FALSE(Verify({leaf}).ok());
  // Still rejected at that time, but because the root did not exist yet, not for expiry.
  ExpectUntrusted(Verify({leaf}, spec.not_before + absl::Minutes(1)), "(depth 1)");
}

// X509-13
TEST_F(X509SvidVerifyTest, RejectsLeafFromAnotherCaOfTheSameTrustDomain) {
  TestCa other = NewRootCa(td_);
  ExpectUntrusted(Verify({NewLeaf(other, Id("spiffe://example.org/web"), key_.public_key())}),
                  "unable to get local issuer certificate");
}

// X509-13
TEST_F(X509SvidVerifyTest, RejectsTamperedSignature) {
  ExpectUntrusted(Verify({x509_test::TamperSignature(leaf_)}), "signature failure");
}

// X509-19
TEST_F(X509SvidVerifyTest, RejectsTrustDomainWithoutABundle) {
  TestCa other = NewRootCa(Td("other.org"));
  Certificate leaf = NewLeaf(other, Id("spiffe://other.org/web"), key_.public_key());
  ExpectUntrusted(Verify({leaf}), "no bundle for trust domain other.org");
}

// X509-19: a leaf of other.org signed by example.org's root must not verify through
// example.org's bundle, even though that bundle holds the signer.
TEST_F(X509SvidVerifyTest, NeverUsesAnotherTrustDomainsBundle) {
  TestCa other_root = NewRootCa(Td("other.org"));
  RawCertSpec spec = ValidSpec();
  spec.uris = {"spiffe://other.org/web"};
  Certificate leaf = RawLeaf(spec, root_);
  BundleSet bundles = BundlesOf({{td_, {root_.cert}}, {Td("other.org"), {other_root.cert}}});
  absl::StatusOr<VerifiedX509Svid> result = VerifyX509Svid({leaf}, bundles, kNow);
  ExpectUntrusted(result, "against the bundle of other.org");
}

// X509-20
TEST_F(X509SvidVerifyTest, RejectsEverythingWhenTheBundleIsEmpty) {
  BundleSet bundles = BundlesOf({{td_, {}}});
  ExpectUntrusted(VerifyX509Svid({leaf_}, bundles, kNow),
                  "bundle for trust domain example.org has no X.509 authorities");
}

// X509-13
TEST_F(X509SvidVerifyTest, RejectsIntermediateWithoutKeyCertSign) {
  RawCertSpec inter_spec = RawCaSpec(td_, "no-certsign");
  inter_spec.key_usage = "cRLSign";
  PrivateKey inter_key = NewKey();
  Certificate inter = MakeRawCert(inter_spec, inter_key.public_key(), &root_.cert, root_.key);
  Certificate leaf = MakeRawCert(ValidSpec(), key_.public_key(), &inter, inter_key);
  // OpenSSL counts a keyUsage without keyCertSign as "not a CA".
  ExpectUntrusted(Verify({leaf, inter}), "invalid CA certificate (depth 1)");
}

// X509-13
TEST_F(X509SvidVerifyTest, RejectsIntermediateThatIsNotACa) {
  RawCertSpec inter_spec = RawCaSpec(td_, "not-ca");
  inter_spec.ca = false;
  inter_spec.key_usage = "digitalSignature,keyCertSign";
  PrivateKey inter_key = NewKey();
  Certificate inter = MakeRawCert(inter_spec, inter_key.public_key(), &root_.cert, root_.key);
  Certificate leaf = MakeRawCert(ValidSpec(), key_.public_key(), &inter, inter_key);
  ExpectUntrusted(Verify({leaf, inter}), "invalid CA certificate (depth 1)");
}

// X509-13
TEST_F(X509SvidVerifyTest, RejectsPathLongerThanTheRootsPathLen) {
  PrivateKey root_key = NewKey();
  Certificate root = Must(SelfSignX509Ca({.trust_domain = td_, .path_len = 0}, root_key, kNow));
  TestCa inter = NewIntermediateCa({root_key, root}, td_);
  Certificate leaf = NewLeaf(inter, Id("spiffe://example.org/api"), key_.public_key());
  BundleSet bundles = BundlesOf({{td_, {root}}});
  ExpectUntrusted(VerifyX509Svid({leaf, inter.cert}, bundles, kNow), "path length");
}

// X509-13
TEST_F(X509SvidVerifyTest, RejectsUnknownCriticalExtension) {
  RawCertSpec spec = ValidSpec();
  spec.unknown_critical_extension = true;
  ExpectUntrusted(Verify({RawLeaf(spec, root_)}), "unhandled critical extension");
}

// X509-21
TEST_F(X509SvidVerifyTest, AcceptsLeafWithoutExtendedKeyUsage) {
  RawCertSpec spec = ValidSpec();
  spec.extended_key_usage.clear();
  EXPECT_TRUE(Verify({RawLeaf(spec, root_)}).ok());
}

// X509-21
TEST_F(X509SvidVerifyTest, AcceptsLeafWithOnlyAnUnrelatedExtendedKeyUsage) {
  RawCertSpec spec = ValidSpec();
  spec.extended_key_usage = "codeSigning";
  EXPECT_TRUE(Verify({RawLeaf(spec, root_)}).ok());
}

TEST_F(X509SvidVerifyTest, VerifiesConcurrentlyWithSharedCertificatesAndBundles) {
  TestCa inter = NewIntermediateCa(root_, td_);
  const std::vector<Certificate> chain = {
      NewLeaf(inter, Id("spiffe://example.org/api"), key_.public_key()), inter.cert};
  std::vector<int> verified(8, 0);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < verified.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 50; ++n) {
        verified[i] += VerifyX509Svid(chain, bundles_, kNow).ok() ? 1 : 0;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_THAT(verified, ::testing::Each(50));
}

TEST_F(X509SvidVerifyTest, RejectsEmptyChain) { ExpectMalformed(Verify({}), "no certificates"); }

TEST_F(X509SvidVerifyTest, RejectsChainLongerThanTheLimit) {
  std::vector<Certificate> chain(kMaxChainLength + 1, root_.cert);
  chain.front() = leaf_;
  ExpectMalformed(Verify(chain), "more than the limit");
}

TEST_F(X509SvidVerifyTest, BundleOverloadAcceptsTheLeafsOwnBundle) {
  EXPECT_TRUE(VerifyX509Svid({leaf_}, *bundles_.Find(td_), kNow).ok());
}

TEST_F(X509SvidVerifyTest, BundleOverloadRejectsAnotherTrustDomainsBundle) {
  TrustBundle other(Td("other.org"));
  other.AddX509Authority(root_.cert);
  ExpectUntrusted(VerifyX509Svid({leaf_}, other, kNow),
                  "leaf trust domain example.org does not match bundle trust domain other.org");
}

}  // namespace
}  // namespace sigil
