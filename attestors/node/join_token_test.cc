#include "attestors/node/join_token.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil::attestors {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Time kNow = absl::FromUnixSeconds(1893456000);

TrustDomain Td() { return *TrustDomain::FromString("example.org"); }

// A token store with the datastore's contract: each known token works once; `expired` ones are
// consumed and reported expired.
struct FakeTokenStore {
  std::set<std::string> valid;
  std::set<std::string> expired;
  absl::Status store_error;

  JoinTokenConsumer Consumer() {
    return [this](const SecretBytes& token) -> absl::Status {
      if (!store_error.ok()) {
        return store_error;
      }
      const std::string t(token.view());
      if (valid.erase(t) == 1) {
        return absl::OkStatus();
      }
      if (expired.erase(t) == 1) {
        return absl::FailedPreconditionError("expired");
      }
      return absl::NotFoundError("unknown");
    };
  }
};

absl::StatusOr<AttestationStep> Attest(const JoinTokenAttestor& attestor, std::string_view token) {
  std::unique_ptr<NodeAttestation> pending;
  return attestor.Begin(token, kNow, &pending);
}

TEST(JoinTokenAttestorTest, ValidTokenGivesHashedAgentIdAndSelector) {
  FakeTokenStore store{.valid = {"abc123"}};
  JoinTokenAttestor attestor(Td(), store.Consumer());
  absl::StatusOr<AttestationStep> step = Attest(attestor, "abc123");
  ASSERT_TRUE(step.ok()) << step.status();
  const auto* result = std::get_if<NodeAttestationResult>(&*step);
  ASSERT_NE(result, nullptr);
  const std::string id = JoinTokenId(SecretBytes("abc123"));
  EXPECT_EQ(result->agent_id.str(), "spiffe://example.org/sigil/agent/join_token/" + id);
  ASSERT_EQ(result->selectors.size(), 1u);
  EXPECT_EQ(result->selectors[0].ToString(), "join_token:" + id);
  EXPECT_FALSE(result->can_reattest);
}

TEST(JoinTokenAttestorTest, TokenIdIsFirstSixteenBytesOfSha256InHex) {
  // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223 b00361a396177a9cb410ff61f20015ad
  EXPECT_EQ(JoinTokenId(SecretBytes("abc")), "ba7816bf8f01cfea414140de5dae2223");
}

TEST(JoinTokenAttestorTest, AgentIdDoesNotContainTheToken) {
  const std::string token = "0123456789abcdef0123456789abcdef01234567";
  EXPECT_THAT(JoinTokenAgentId(Td(), SecretBytes(token)).str(), Not(HasSubstr(token)));
}

TEST(JoinTokenAttestorTest, SecondUseIsRefused) {
  FakeTokenStore store{.valid = {"once"}};
  JoinTokenAttestor attestor(Td(), store.Consumer());
  ASSERT_TRUE(Attest(attestor, "once").ok());
  absl::StatusOr<AttestationStep> again = Attest(attestor, "once");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("already used"));
}

TEST(JoinTokenAttestorTest, ExpiredTokenIsRefused) {
  FakeTokenStore store{.expired = {"old"}};
  JoinTokenAttestor attestor(Td(), store.Consumer());
  absl::StatusOr<AttestationStep> step = Attest(attestor, "old");
  EXPECT_EQ(step.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(step.status().message()), HasSubstr("expired"));
}

TEST(JoinTokenAttestorTest, StoreFailureKeepsItsCode) {
  FakeTokenStore store{.valid = {"t"}, .store_error = absl::UnavailableError("disk")};
  JoinTokenAttestor attestor(Td(), store.Consumer());
  EXPECT_EQ(Attest(attestor, "t").status().code(), absl::StatusCode::kUnavailable);
}

TEST(JoinTokenAttestorTest, MalformedTokensAreInvalidAndNeverEchoed) {
  FakeTokenStore store;
  JoinTokenAttestor attestor(Td(), store.Consumer());
  for (const std::string& bad :
       {std::string(), std::string("has space"), std::string("tab\there"),
        std::string("caf\xc3\xa9"), std::string(kMaxJoinTokenBytes + 1, 'a')}) {
    absl::StatusOr<AttestationStep> step = Attest(attestor, bad);
    EXPECT_EQ(step.status().code(), absl::StatusCode::kInvalidArgument);
    if (!bad.empty()) {
      EXPECT_EQ(std::string(step.status().message()).find(bad), std::string::npos);
    }
  }
}

TEST(JoinTokenPayloadTest, PayloadIsTheTokenItself) {
  absl::StatusOr<SecretBytes> payload = MakeJoinTokenPayload("tok-123");
  ASSERT_TRUE(payload.ok());
  EXPECT_TRUE(*payload == SecretBytes("tok-123"));
}

TEST(JoinTokenPayloadTest, RefusesWhatTheServerWouldRefuse) {
  EXPECT_EQ(MakeJoinTokenPayload("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeJoinTokenPayload("a b").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeJoinTokenPayload(std::string(kMaxJoinTokenBytes + 1, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sigil::attestors
