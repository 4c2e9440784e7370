#include "agent/manager/x509pop_attestor.h"

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "attestors/node/x509pop.h"
#include "attestors/node/x509pop_test_certs.h"

namespace sigil::agent {
namespace {

class X509PopAttestorClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "x509pop-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    now_ = absl::Now();
    ca_ = *attestors::testing::MakeTestRootCa("Node CA", now_);
    node_ = *attestors::testing::MakeTestNode(*ca_, now_);
    std::ofstream(dir_ + "/node.pem") << ConcatPem(node_->chain);
    std::ofstream(dir_ + "/node.key") << node_->key.ToPkcs8Pem().view();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  absl::Time now_;
  std::optional<attestors::testing::TestCa> ca_;
  std::optional<attestors::testing::TestNode> node_;
};

TEST_F(X509PopAttestorClientTest, ServerHalfAcceptsPayloadAndAnswer) {
  X509PopAttestorClient client(dir_ + "/node.pem", dir_ + "/node.key");
  auto payload = client.Payload();
  ASSERT_TRUE(payload.ok()) << payload.status();
  auto server =
      attestors::X509PopAttestor::Create(*TrustDomain::FromString("example.org"), {ca_->cert});
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<attestors::NodeAttestation> attestation;
  auto step = (*server)->Begin(*payload, now_, &attestation);
  ASSERT_TRUE(step.ok()) << step.status();
  auto* challenge = std::get_if<attestors::AttestationChallenge>(&*step);
  ASSERT_NE(challenge, nullptr);
  auto answer = client.AnswerChallenge(challenge->bytes);
  ASSERT_TRUE(answer.ok()) << answer.status();
  auto result = attestation->Answer(*answer, now_);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(std::holds_alternative<attestors::NodeAttestationResult>(*result));
  EXPECT_TRUE(client.CanReattest());
}

TEST_F(X509PopAttestorClientTest, RefusesKeyOfAnotherCertificate) {
  std::ofstream(dir_ + "/other.key") << PrivateKey::Generate(KeyType::kEcP256)->ToPkcs8Pem().view();
  X509PopAttestorClient client(dir_ + "/node.pem", dir_ + "/other.key");
  auto payload = client.Payload();
  EXPECT_EQ(payload.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(payload.status().message()), ::testing::HasSubstr("other.key"));
}

TEST_F(X509PopAttestorClientTest, ChallengeBeforePayloadFails) {
  X509PopAttestorClient client(dir_ + "/node.pem", dir_ + "/node.key");
  EXPECT_EQ(client.AnswerChallenge(std::string(32, 'x')).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace sigil::agent
