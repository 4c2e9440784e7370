// DiskUpstreamAuthority: reading and checking an operator's CA files, and minting through it.
#include "server/ca/upstream_authority.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "server/ca/upstream_test_util.h"
#include "server/datastore/test_temp_dir.h"
#include "sigil/x509_issuer.h"

namespace sigil::server {
namespace {

using ::sigil::server::testing::TempDir;
using ::sigil::server::testing::UpstreamPki;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

class DiskUpstreamAuthorityTest : public ::testing::Test {
 protected:
  absl::Time now() const { return pki_.now; }

  X509CaParams OurParams() const {
    return {.trust_domain = *TrustDomain::FromString("example.org"), .ttl = absl::Hours(24)};
  }

  TempDir dir_;
  UpstreamPki pki_ = UpstreamPki::Make();
};

TEST_F(DiskUpstreamAuthorityTest, SelfSignedRootNeedsNoBundleFile) {
  const DiskUpstreamAuthorityFiles files = pki_.WriteRootFiles(dir_);
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open(files, now());
  ASSERT_TRUE(upstream.ok()) << upstream.status();

  const PrivateKey ours = *PrivateKey::Generate(KeyType::kEcP256);
  absl::StatusOr<MintedX509Ca> minted =
      (*upstream)->MintX509Ca(OurParams(), ours.public_key(), now());
  ASSERT_TRUE(minted.ok()) << minted.status();
  ASSERT_THAT(minted->chain, SizeIs(1));
  EXPECT_TRUE(minted->chain[0].IsCa());
  EXPECT_TRUE(minted->chain[0].public_key()->Equals(ours.public_key()));
  EXPECT_EQ(minted->chain[0].UriSans(), std::vector<std::string>{"spiffe://example.org"});
  EXPECT_THAT(minted->upstream_roots, ElementsAre(pki_.root.cert));
}

TEST_F(DiskUpstreamAuthorityTest, IntermediateWithBundleFileChainsThroughIt) {
  const DiskUpstreamAuthorityFiles files = pki_.WriteIntermediateFiles(dir_);
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open(files, now());
  ASSERT_TRUE(upstream.ok()) << upstream.status();

  const PrivateKey ours = *PrivateKey::Generate(KeyType::kEcP256);
  absl::StatusOr<MintedX509Ca> minted =
      (*upstream)->MintX509Ca(OurParams(), ours.public_key(), now());
  ASSERT_TRUE(minted.ok()) << minted.status();
  ASSERT_THAT(minted->chain, SizeIs(2));
  EXPECT_EQ(minted->chain[1], pki_.intermediate.cert);
  EXPECT_THAT(minted->upstream_roots, ElementsAre(pki_.root.cert));
}

TEST_F(DiskUpstreamAuthorityTest, MintedCaNotAfterIsCappedAtUpstreamNotAfter) {
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open(pki_.WriteRootFiles(dir_), now());
  ASSERT_TRUE(upstream.ok());
  X509CaParams params = OurParams();
  params.ttl = absl::Hours(24 * 365 * 10);
  absl::StatusOr<MintedX509Ca> minted =
      (*upstream)->MintX509Ca(params, PrivateKey::Generate(KeyType::kEcP256)->public_key(), now());
  ASSERT_TRUE(minted.ok()) << minted.status();
  EXPECT_EQ(minted->chain[0].not_after(), pki_.root.cert.not_after());
}

TEST_F(DiskUpstreamAuthorityTest, MissingCertFileIsNotFoundAndNamesIt) {
  DiskUpstreamAuthorityFiles files = pki_.WriteRootFiles(dir_);
  files.cert_file = dir_.File("absent.pem");
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open(files, now());
  EXPECT_EQ(upstream.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(upstream.status()), HasSubstr("cert_file"));
  EXPECT_THAT(Message(upstream.status()), HasSubstr("absent.pem"));
}

TEST_F(DiskUpstreamAuthorityTest, MissingKeyFileIsNotFoundAndNamesIt) {
  DiskUpstreamAuthorityFiles files = pki_.WriteRootFiles(dir_);
  files.key_file = dir_.File("absent.key");
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open(files, now());
  EXPECT_EQ(upstream.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(upstream.status()), HasSubstr("key_file"));
}

TEST_F(DiskUpstreamAuthorityTest, KeyFileThatIsADirectoryIsRefused) {
  DiskUpstreamAuthorityFiles files = pki_.WriteRootFiles(dir_);
  files.key_file = dir_.path();
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open(files, now());
  EXPECT_EQ(upstream.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(upstream.status()), HasSubstr("not a regular file"));
}

TEST_F(DiskUpstreamAuthorityTest, KeyOfAnotherCertificateIsRefused) {
  DiskUpstreamAuthorityFiles files = pki_.WriteRootFiles(dir_);
  files.key_file = pki_.WriteKey(dir_, "other.key", *PrivateKey::Generate(KeyType::kEcP256));
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open(files, now());
  EXPECT_EQ(upstream.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(upstream.status()), HasSubstr("is not the key of the certificate"));
}

TEST_F(DiskUpstreamAuthorityTest, NonPkcs8KeyIsRefusedWithConversionHint) {
  DiskUpstreamAuthorityFiles files = pki_.WriteRootFiles(dir_);
  files.key_file = pki_.WriteText(dir_, "sec1.key",
                                  "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n"
                                  "-----END EC PRIVATE KEY-----\n");
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open(files, now());
  EXPECT_EQ(upstream.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(upstream.status()), HasSubstr("PKCS#8"));
  EXPECT_THAT(Message(upstream.status()), HasSubstr("openssl pkcs8 -topk8"));
  EXPECT_THAT(Message(upstream.status()), ::testing::Not(HasSubstr("MHcCAQEE")));
}

TEST_F(DiskUpstreamAuthorityTest, CertFileWithoutCertificateIsRefused) {
  DiskUpstreamAuthorityFiles files = pki_.WriteRootFiles(dir_);
  files.cert_file = pki_.WriteText(dir_, "empty.pem", "nothing here\n");
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open(files, now());
  EXPECT_EQ(upstream.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(upstream.status()), HasSubstr("cert_file"));
}

TEST_F(DiskUpstreamAuthorityTest, IntermediateWithoutBundleFileIsRefused) {
  DiskUpstreamAuthorityFiles files = pki_.WriteIntermediateFiles(dir_);
  files.bundle_file.clear();
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open(files, now());
  EXPECT_EQ(upstream.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(upstream.status()), HasSubstr("bundle_file must name the roots"));
}

TEST_F(DiskUpstreamAuthorityTest, BundleFileWithUnrelatedRootIsRefused) {
  DiskUpstreamAuthorityFiles files = pki_.WriteIntermediateFiles(dir_);
  const UpstreamPki other = UpstreamPki::Make();
  files.bundle_file = pki_.WriteText(dir_, "other-root.pem", other.root.cert.ToPem());
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open(files, now());
  EXPECT_EQ(upstream.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(upstream.status()), HasSubstr("does not lead to a usable path"));
}

TEST_F(DiskUpstreamAuthorityTest, UpstreamWithPathLenZeroIsRefused) {
  const UpstreamPki constrained = UpstreamPki::Make(/*intermediate_path_len=*/0);
  const DiskUpstreamAuthorityFiles files = constrained.WriteIntermediateFiles(dir_);
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open(files, constrained.now);
  EXPECT_EQ(upstream.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DiskUpstreamAuthorityTest, ExpiredUpstreamIsRefused) {
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream = DiskUpstreamAuthority::Open(
      pki_.WriteRootFiles(dir_), pki_.root.cert.not_after() + absl::Seconds(1));
  EXPECT_EQ(upstream.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(upstream.status()), HasSubstr("valid only from"));
}

TEST_F(DiskUpstreamAuthorityTest, EmptyPathsAreRefused) {
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open({}, now());
  EXPECT_EQ(upstream.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(upstream.status()), HasSubstr("cert_file and key_file"));
}

}  // namespace
}  // namespace sigil::server
