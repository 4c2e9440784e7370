// The bundle the CA publishes, checked by an independent verifier: the real `openssl verify`
// with the bundle as -CAfile, as an operator would check it.
#include <stdio.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "server/ca/ca_manager.h"
#include "server/ca/ca_manager_internal.h"
#include "server/ca/ca_test_util.h"
#include "server/ca/upstream_test_util.h"
#include "sigil/bundle.h"

namespace sigil::server {
namespace {

using ::sigil::server::testing::CaEnvironment;
using ::sigil::server::testing::SignTestLeaf;
using ::sigil::server::testing::TempDir;
using ::sigil::server::testing::UpstreamPki;
using ::testing::HasSubstr;

constexpr AuthorityKind kX509 = AuthorityKind::kX509;

struct VerifyResult {
  int exit_code = -1;
  std::string output;
};

bool OpensslAvailable() { return std::system("openssl version >/dev/null 2>&1") == 0; }

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

class CaOpensslVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!OpensslAvailable()) {
      GTEST_SKIP() << "the openssl command is not on PATH; this test runs the real openssl verify";
    }
  }

  // Writes the CA's bundle as PEM, the leaf and its intermediates, and runs
  // `openssl verify -x509_strict -attime <now> -CAfile bundle.pem [-untrusted inter.pem] leaf.pem`.
  VerifyResult Verify(const CaManager& ca, const std::vector<Certificate>& chain,
                      bool send_intermediates = true) {
    const std::string bundle = files_.File("bundle.pem");
    const std::string leaf = files_.File("leaf.pem");
    const std::string intermediates = files_.File("intermediates.pem");
    WriteFile(bundle, EncodePemBundle(*ca.Bundle()));
    WriteFile(leaf, chain.front().ToPem());
    std::string command =
        absl::StrCat("openssl verify -x509_strict -attime ",
                     absl::ToUnixSeconds(env_.clock().Now()), " -CAfile '", bundle, "'");
    if (send_intermediates && chain.size() > 1) {
      WriteFile(intermediates, ConcatPem(std::vector<Certificate>(chain.begin() + 1, chain.end())));
      absl::StrAppend(&command, " -untrusted '", intermediates, "'");
    }
    absl::StrAppend(&command, " '", leaf, "' 2>&1");

    VerifyResult result;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
      ADD_FAILURE() << "popen failed for " << command;
      return result;
    }
    char buffer[512];
    while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) {
      result.output.append(buffer, n);
    }
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }

  CaEnvironment env_;
  TempDir files_;
};

TEST_F(CaOpensslVerifyTest, LeafVerifiesAgainstSelfSignedBundle) {
  ASSERT_TRUE(env_.Start().ok());
  absl::StatusOr<std::vector<Certificate>> chain = SignTestLeaf(env_.ca());
  ASSERT_TRUE(chain.ok()) << chain.status();
  const VerifyResult result = Verify(env_.ca(), *chain);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("leaf.pem: OK"));
}

// BUNDLE-15: across an activation, SVIDs of the old and of the new CA both verify against the
// current bundle.
TEST_F(CaOpensslVerifyTest, LeavesOfOldAndNewCaVerifyAfterRotation) {
  ASSERT_TRUE(env_.Start().ok());
  CaManager& ca = env_.ca();
  const AuthorityRecord first = ca.List(kX509).front();
  env_.clock().Set(ca_internal::PrepareTime(first));
  ASSERT_TRUE(ca.Tick().ok());
  env_.clock().Set(ca_internal::ActivateTime(first) - absl::Minutes(1));
  absl::StatusOr<std::vector<Certificate>> old_leaf = SignTestLeaf(ca);
  env_.clock().Set(ca_internal::ActivateTime(first));
  ASSERT_TRUE(ca.Tick().ok());
  absl::StatusOr<std::vector<Certificate>> new_leaf = SignTestLeaf(ca);
  ASSERT_TRUE(old_leaf.ok() && new_leaf.ok());

  const VerifyResult old_result = Verify(ca, *old_leaf);
  EXPECT_EQ(old_result.exit_code, 0) << old_result.output;
  const VerifyResult new_result = Verify(ca, *new_leaf);
  EXPECT_EQ(new_result.exit_code, 0) << new_result.output;
}

TEST_F(CaOpensslVerifyTest, LeafOfRevokedCaFailsVerification) {
  ASSERT_TRUE(env_.Start().ok());
  CaManager& ca = env_.ca();
  absl::StatusOr<std::vector<Certificate>> leaf = SignTestLeaf(ca);
  ASSERT_TRUE(leaf.ok());
  ASSERT_TRUE(ca.Prepare(kX509).ok());
  ASSERT_TRUE(ca.Activate(kX509).ok());
  ASSERT_TRUE(ca.Taint(kX509).ok());
  ASSERT_TRUE(ca.Revoke(kX509).ok());

  const VerifyResult result = Verify(ca, *leaf);
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("unable to get local issuer certificate"));
}

TEST_F(CaOpensslVerifyTest, UpstreamLeafVerifiesWithIntermediatesAgainstUpstreamRoot) {
  const UpstreamPki pki = UpstreamPki::Make();
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open(pki.WriteIntermediateFiles(files_), env_.clock().Now());
  ASSERT_TRUE(upstream.ok()) << upstream.status();
  ASSERT_TRUE(env_.Start({.upstream = *std::move(upstream)}).ok());
  absl::StatusOr<std::vector<Certificate>> chain = SignTestLeaf(env_.ca());
  ASSERT_TRUE(chain.ok()) << chain.status();
  ASSERT_EQ(chain->size(), 3u);

  const VerifyResult result = Verify(env_.ca(), *chain);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("leaf.pem: OK"));
}

TEST_F(CaOpensslVerifyTest, UpstreamLeafWithoutIntermediatesFailsVerification) {
  const UpstreamPki pki = UpstreamPki::Make();
  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open(pki.WriteRootFiles(files_), env_.clock().Now());
  ASSERT_TRUE(upstream.ok()) << upstream.status();
  ASSERT_TRUE(env_.Start({.upstream = *std::move(upstream)}).ok());
  absl::StatusOr<std::vector<Certificate>> chain = SignTestLeaf(env_.ca());
  ASSERT_TRUE(chain.ok());

  EXPECT_EQ(Verify(env_.ca(), *chain).exit_code, 0);
  const VerifyResult bare = Verify(env_.ca(), *chain, /*send_intermediates=*/false);
  EXPECT_NE(bare.exit_code, 0) << bare.output;
  EXPECT_THAT(bare.output, HasSubstr("unable to get local issuer certificate"));
}

// The recipe docs/ca.md gives operators: an upstream CA made with the openssl command alone,
// an ordinary CA with no SPIFFE ID, as a corporate CA would be.
TEST_F(CaOpensslVerifyTest, UpstreamCaMadeWithOpensslCommandsIsAccepted) {
  const std::string key = files_.File("upstream.key");
  const std::string cert = files_.File("upstream.crt");
  const std::string make =
      absl::StrCat("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '", key,
                   "' >/dev/null 2>&1 && openssl req -x509 -new -key '", key,
                   "' -days 365 -subj '/O=Example/CN=Example Upstream CA'"
                   " -addext 'keyUsage=critical,keyCertSign,cRLSign' -out '",
                   cert, "' >/dev/null 2>&1");
  ASSERT_EQ(std::system(make.c_str()), 0) << make;
  // openssl stamps the real time, so this test runs at the real time too.
  env_.clock().Set(absl::Now());

  absl::StatusOr<std::unique_ptr<DiskUpstreamAuthority>> upstream =
      DiskUpstreamAuthority::Open({.cert_file = cert, .key_file = key}, env_.clock().Now());
  ASSERT_TRUE(upstream.ok()) << upstream.status();
  ASSERT_TRUE(env_.Start({.upstream = *std::move(upstream)}).ok());
  absl::StatusOr<std::vector<Certificate>> chain = SignTestLeaf(env_.ca());
  ASSERT_TRUE(chain.ok()) << chain.status();
  const VerifyResult result = Verify(env_.ca(), *chain);
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

}  // namespace
}  // namespace sigil::server
