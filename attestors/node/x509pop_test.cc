#include "attestors/node/x509pop.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "attestors/node/x509pop_test_certs.h"

namespace sigil::attestors {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using testing::MakeTestIntermediateCa;
using testing::MakeTestNode;
using testing::MakeTestRootCa;
using testing::NodeCertOptions;
using testing::TestCa;
using testing::TestNode;

const absl::Time kNow = absl::Now();

TrustDomain Td() { return *TrustDomain::FromString("example.org"); }

class X509PopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TestCa> root = MakeTestRootCa("Node Root", kNow);
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = std::make_unique<TestCa>(*std::move(root));
    absl::StatusOr<std::unique_ptr<X509PopAttestor>> attestor =
        X509PopAttestor::Create(Td(), {root_->cert});
    ASSERT_TRUE(attestor.ok()) << attestor.status();
    attestor_ = *std::move(attestor);
  }

  TestNode Node(const NodeCertOptions& options = {}) {
    absl::StatusOr<TestNode> node = MakeTestNode(*root_, kNow, options);
    EXPECT_TRUE(node.ok()) << node.status();
    return *std::move(node);
  }

  // Runs the whole exchange as an agent would.
  absl::StatusOr<NodeAttestationResult> Run(const TestNode& node) {
    std::unique_ptr<NodeAttestation> pending;
    absl::StatusOr<AttestationStep> step =
        attestor_->Begin(MakeX509PopPayload(node.chain), kNow, &pending);
    if (!step.ok()) {
      return step.status();
    }
    const auto* challenge = std::get_if<AttestationChallenge>(&*step);
    if (challenge == nullptr) {
      return absl::InternalError("expected a challenge");
    }
    absl::StatusOr<std::string> answer = AnswerX509PopChallenge(node.key, challenge->bytes);
    if (!answer.ok()) {
      return answer.status();
    }
    step = pending->Answer(*answer, kNow);
    if (!step.ok()) {
      return step.status();
    }
    return std::get<NodeAttestationResult>(*std::move(step));
  }

  std::unique_ptr<TestCa> root_;
  std::unique_ptr<X509PopAttestor> attestor_;
};

TEST_F(X509PopTest, GoodCertificateAndAnswerAttest) {
  TestNode node = Node();
  absl::StatusOr<NodeAttestationResult> result = Run(node);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->agent_id.str(),
            "spiffe://example.org/sigil/agent/x509pop/" + node.chain[0].Sha256Fingerprint());
  EXPECT_TRUE(result->can_reattest);
}

TEST_F(X509PopTest, SelectorsNameCnDnsSansAndCaFingerprint) {
  NodeCertOptions options;
  options.common_name = "web-7";
  options.dns_names = {"web-7.example.org", "web.example.org"};
  absl::StatusOr<NodeAttestationResult> result = Run(Node(options));
  ASSERT_TRUE(result.ok()) << result.status();
  std::vector<std::string> selectors;
  for (const Selector& s : result->selectors) {
    selectors.push_back(s.ToString());
  }
  EXPECT_THAT(selectors, Contains("x509pop:subject:cn:web-7"));
  EXPECT_THAT(selectors, Contains("x509pop:san:dns:web-7.example.org"));
  EXPECT_THAT(selectors, Contains("x509pop:san:dns:web.example.org"));
  EXPECT_THAT(selectors, Contains("x509pop:ca:fingerprint:" + root_->cert.Sha256Fingerprint()));
  EXPECT_EQ(selectors.size(), 4u);
}

TEST_F(X509PopTest, ChainThroughIntermediateNamesBothCas) {
  absl::StatusOr<TestCa> intermediate = MakeTestIntermediateCa(*root_, "Node Issuing CA", kNow);
  ASSERT_TRUE(intermediate.ok()) << intermediate.status();
  absl::StatusOr<TestNode> node = MakeTestNode(*intermediate, kNow, {}, {intermediate->cert});
  ASSERT_TRUE(node.ok()) << node.status();
  absl::StatusOr<NodeAttestationResult> result = Run(*node);
  ASSERT_TRUE(result.ok()) << result.status();
  std::vector<std::string> selectors;
  for (const Selector& s : result->selectors) {
    selectors.push_back(s.ToString());
  }
  EXPECT_THAT(selectors, Contains("x509pop:ca:fingerprint:" + root_->cert.Sha256Fingerprint()));
  EXPECT_THAT(selectors,
              Contains("x509pop:ca:fingerprint:" + intermediate->cert.Sha256Fingerprint()));
}

TEST_F(X509PopTest, RsaNodeKeyAnswersWithPss) {
  NodeCertOptions options;
  options.key_type = KeyType::kRsa2048;
  EXPECT_TRUE(Run(Node(options)).ok());
}

TEST_F(X509PopTest, AnswerSignedByAnotherKeyIsRefused) {
  TestNode node = Node();
  node.key = *PrivateKey::Generate(KeyType::kEcP256);
  absl::StatusOr<NodeAttestationResult> result = Run(node);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("not a signature"));
}

TEST_F(X509PopTest, AnswerToAnotherNonceIsRefused) {
  TestNode node = Node();
  std::unique_ptr<NodeAttestation> pending;
  ASSERT_TRUE(attestor_->Begin(MakeX509PopPayload(node.chain), kNow, &pending).ok());
  absl::StatusOr<std::string> answer =
      AnswerX509PopChallenge(node.key, std::string(kX509PopNonceBytes, 'x'));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(pending->Answer(*answer, kNow).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(X509PopTest, ChallengeCannotBeAnsweredTwice) {
  TestNode node = Node();
  std::unique_ptr<NodeAttestation> pending;
  absl::StatusOr<AttestationStep> step =
      attestor_->Begin(MakeX509PopPayload(node.chain), kNow, &pending);
  ASSERT_TRUE(step.ok());
  std::string answer = *AnswerX509PopChallenge(node.key, std::get<0>(*step).bytes);
  ASSERT_TRUE(pending->Answer(answer, kNow).ok());
  EXPECT_EQ(pending->Answer(answer, kNow).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(X509PopTest, CertificateFromAnotherCaIsRefused) {
  absl::StatusOr<TestCa> other = MakeTestRootCa("Other Root", kNow);
  ASSERT_TRUE(other.ok());
  absl::StatusOr<TestNode> node = MakeTestNode(*other, kNow);
  ASSERT_TRUE(node.ok());
  std::unique_ptr<NodeAttestation> pending;
  absl::StatusOr<AttestationStep> step =
      attestor_->Begin(MakeX509PopPayload(node->chain), kNow, &pending);
  EXPECT_EQ(step.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(step.status().message()), HasSubstr("does not verify"));
}

TEST_F(X509PopTest, SelfSignedCopyOfTheRootSubjectIsRefused) {
  // Same subject name as the trusted root, different key: only the key makes trust.
  absl::StatusOr<TestCa> impostor = MakeTestRootCa("Node Root", kNow);
  ASSERT_TRUE(impostor.ok());
  absl::StatusOr<TestNode> node = MakeTestNode(*impostor, kNow, {}, {impostor->cert});
  ASSERT_TRUE(node.ok());
  std::unique_ptr<NodeAttestation> pending;
  EXPECT_EQ(attestor_->Begin(MakeX509PopPayload(node->chain), kNow, &pending).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(X509PopTest, ExpiredCertificateIsRefused) {
  TestNode node = Node();
  std::unique_ptr<NodeAttestation> pending;
  EXPECT_EQ(attestor_->Begin(MakeX509PopPayload(node.chain), kNow + absl::Hours(25), &pending)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(X509PopTest, CaLeafIsRefused) {
  NodeCertOptions options;
  options.is_ca = true;
  TestNode node = Node(options);
  std::unique_ptr<NodeAttestation> pending;
  absl::StatusOr<AttestationStep> step =
      attestor_->Begin(MakeX509PopPayload(node.chain), kNow, &pending);
  EXPECT_EQ(step.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(step.status().message()), HasSubstr("is a CA"));
}

TEST_F(X509PopTest, ServerAuthOnlyLeafIsRefused) {
  NodeCertOptions options;
  options.server_auth_only = true;
  TestNode node = Node(options);
  std::unique_ptr<NodeAttestation> pending;
  EXPECT_EQ(attestor_->Begin(MakeX509PopPayload(node.chain), kNow, &pending).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(X509PopTest, MalformedPayloadsAreInvalid) {
  std::unique_ptr<NodeAttestation> pending;
  for (const std::string& payload :
       {std::string(), std::string("not der"), std::string(kMaxNodeAttestationPayload + 1, '0')}) {
    EXPECT_EQ(attestor_->Begin(payload, kNow, &pending).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST_F(X509PopTest, OversizedAnswerIsInvalid) {
  TestNode node = Node();
  std::unique_ptr<NodeAttestation> pending;
  ASSERT_TRUE(attestor_->Begin(MakeX509PopPayload(node.chain), kNow, &pending).ok());
  EXPECT_EQ(pending->Answer(std::string(kMaxChallengeResponse + 1, 's'), kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(X509PopAnswerTest, RefusesChallengeOfWrongLength) {
  PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
  EXPECT_EQ(AnswerX509PopChallenge(key, "short").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(X509PopCreateTest, RefusesEmptyCaList) {
  EXPECT_EQ(X509PopAttestor::Create(Td(), {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(X509PopCaBundleTest, LoadsPemFileAndRefusesMissingOrEmpty) {
  absl::StatusOr<TestCa> root = MakeTestRootCa("File Root", kNow);
  ASSERT_TRUE(root.ok());
  const std::string dir = ::testing::TempDir();
  const std::string good = dir + "/x509pop_ca_good.pem";
  const std::string empty = dir + "/x509pop_ca_empty.pem";
  std::ofstream(good) << root->cert.ToPem();
  std::ofstream(empty) << "";
  absl::StatusOr<std::vector<Certificate>> loaded = LoadX509PopCaBundle(good);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ(loaded->front(), root->cert);
  EXPECT_EQ(LoadX509PopCaBundle(empty).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadX509PopCaBundle(dir + "/absent.pem").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace sigil::attestors
