// How the Workload API answers when attestation fails (WAPI-11).
#include "gtest/gtest.h"

#include "agent/workload_api/workload_api_test_util.h"

namespace sigil::agent::testing {
namespace {

class FailingAttestor : public attestors::WorkloadAttestor {
 public:
  std::string_view name() const override { return "broken"; }
  absl::StatusOr<std::vector<Selector>> Attest(const attestors::WorkloadProcess&) const override {
    return absl::UnavailableError("runtime socket unreachable");
  }
};

class WorkloadApiAttestationTest : public WorkloadApiFixture {
 protected:
  void SetUp() override {
    WorkloadApiFixture::SetUp();
    AddIdentity("e-root", "/root-workload", {{"unix", "uid:0"}});
    std::vector<std::unique_ptr<attestors::WorkloadAttestor>> attestors;
    attestors.push_back(std::make_unique<FailingAttestor>());
    StartServer(std::move(attestors));
  }
};

TEST_F(WorkloadApiAttestationTest, AnswersUnavailableOnAStream) {
  auto stub = NewStub();
  auto context = Context();
  auto reader = stub->FetchX509SVID(context.get(), wapi::X509SvidRequest());
  wapi::X509SvidResponse response;
  EXPECT_FALSE(reader->Read(&response));
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "workload attestation failed");
  EXPECT_EQ(server_->stats().attestation_failures, 1u);
}

TEST_F(WorkloadApiAttestationTest, AnswersUnavailableOnAUnaryCall) {
  auto stub = NewStub();
  wapi::JwtSvidRequest request;
  request.add_audience("db");
  wapi::JwtSvidResponse response;
  const grpc::Status status = stub->FetchJWTSVID(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "workload attestation failed");
}

}  // namespace
}  // namespace sigil::agent::testing
