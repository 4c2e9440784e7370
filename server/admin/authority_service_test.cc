// AuthorityService through a real server: the CA's manual controls over the admin socket.
#include "server/admin/authority_service.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "admin.grpc.pb.h"
#include "server/admin/admin_test_server.h"

namespace sigil::server {
namespace {

namespace v1 = sigil::admin::v1;

class AuthorityServiceTest : public ::testing::Test {
 protected:
  AuthorityServiceTest() : stub_(v1::AuthorityService::NewStub(server_.channel())) {}

  static v1::AuthorityRequest Request(v1::AuthorityKind kind, std::string id = "") {
    v1::AuthorityRequest request;
    request.set_kind(kind);
    request.set_id(std::move(id));
    return request;
  }

  v1::ListAuthoritiesResponse List(v1::AuthorityKind kind) {
    v1::ListAuthoritiesResponse response;
    EXPECT_TRUE(
        stub_->ListAuthorities(testing::TestServer::Context().get(), Request(kind), &response)
            .ok());
    return response;
  }

  grpc::Status Prepare(v1::AuthorityKind kind, v1::Authority* out) {
    return stub_->PrepareAuthority(testing::TestServer::Context().get(), Request(kind), out);
  }
  grpc::Status Activate(v1::AuthorityKind kind, v1::Authority* out, std::string id = "") {
    return stub_->ActivateAuthority(testing::TestServer::Context().get(), Request(kind, id), out);
  }
  grpc::Status Taint(v1::AuthorityKind kind, v1::Authority* out, std::string id = "") {
    return stub_->TaintAuthority(testing::TestServer::Context().get(), Request(kind, id), out);
  }
  grpc::Status Revoke(v1::AuthorityKind kind, v1::Authority* out, std::string id = "") {
    return stub_->RevokeAuthority(testing::TestServer::Context().get(), Request(kind, id), out);
  }

  testing::TestServer server_;
  std::unique_ptr<v1::AuthorityService::Stub> stub_;
};

TEST_F(AuthorityServiceTest, FreshServerHasOneActiveAuthorityOfEachKind) {
  for (v1::AuthorityKind kind : {v1::AUTHORITY_KIND_X509, v1::AUTHORITY_KIND_JWT}) {
    v1::ListAuthoritiesResponse list = List(kind);
    ASSERT_EQ(list.authorities_size(), 1);
    EXPECT_EQ(list.authorities(0).state(), "active");
    EXPECT_EQ(list.authorities(0).kind(), kind);
    EXPECT_FALSE(list.authorities(0).id().empty());
    EXPECT_GT(list.authorities(0).not_after(), list.authorities(0).not_before());
  }
}

TEST_F(AuthorityServiceTest, X509AuthorityCarriesItsCertificatePem) {
  v1::ListAuthoritiesResponse list = List(v1::AUTHORITY_KIND_X509);
  ASSERT_EQ(list.authorities_size(), 1);
  EXPECT_EQ(list.authorities(0).pem(), server_.server().core().ca->ActiveX509Ca()->ToPem());
}

TEST_F(AuthorityServiceTest, JwtAuthorityCarriesItsPublicKeyPem) {
  v1::ListAuthoritiesResponse list = List(v1::AUTHORITY_KIND_JWT);
  ASSERT_EQ(list.authorities_size(), 1);
  EXPECT_THAT(list.authorities(0).pem(), ::testing::StartsWith("-----BEGIN PUBLIC KEY-----"));
}

TEST_F(AuthorityServiceTest, PrepareThenActivateRotates) {
  const std::string first = List(v1::AUTHORITY_KIND_X509).authorities(0).id();
  v1::Authority prepared;
  ASSERT_TRUE(Prepare(v1::AUTHORITY_KIND_X509, &prepared).ok());
  EXPECT_EQ(prepared.state(), "prepared");
  v1::Authority activated;
  ASSERT_TRUE(Activate(v1::AUTHORITY_KIND_X509, &activated).ok());
  EXPECT_EQ(activated.id(), prepared.id());
  EXPECT_EQ(activated.state(), "active");
  v1::ListAuthoritiesResponse list = List(v1::AUTHORITY_KIND_X509);
  ASSERT_EQ(list.authorities_size(), 2);
  EXPECT_EQ(list.authorities(0).id(), first);
  EXPECT_EQ(list.authorities(0).state(), "old");
}

TEST_F(AuthorityServiceTest, PrepareTwiceIsRefused) {
  v1::Authority prepared;
  ASSERT_TRUE(Prepare(v1::AUTHORITY_KIND_JWT, &prepared).ok());
  EXPECT_EQ(Prepare(v1::AUTHORITY_KIND_JWT, &prepared).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(AuthorityServiceTest, ActivateWithoutPreparedIsRefused) {
  v1::Authority activated;
  EXPECT_EQ(Activate(v1::AUTHORITY_KIND_X509, &activated).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(AuthorityServiceTest, TaintAndRevokeOldX509Authority) {
  v1::Authority step;
  ASSERT_TRUE(Prepare(v1::AUTHORITY_KIND_X509, &step).ok());
  ASSERT_TRUE(Activate(v1::AUTHORITY_KIND_X509, &step).ok());
  v1::Authority tainted;
  ASSERT_TRUE(Taint(v1::AUTHORITY_KIND_X509, &tainted).ok());
  EXPECT_TRUE(tainted.tainted());
  EXPECT_EQ(tainted.state(), "old");
  v1::Authority revoked;
  ASSERT_TRUE(Revoke(v1::AUTHORITY_KIND_X509, &revoked, tainted.id()).ok());
  EXPECT_EQ(revoked.id(), tainted.id());
  EXPECT_EQ(List(v1::AUTHORITY_KIND_X509).authorities_size(), 1);
}

TEST_F(AuthorityServiceTest, RevokingActiveAuthorityIsRefused) {
  const std::string active = List(v1::AUTHORITY_KIND_JWT).authorities(0).id();
  v1::Authority revoked;
  EXPECT_EQ(Revoke(v1::AUTHORITY_KIND_JWT, &revoked, active).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(AuthorityServiceTest, UnknownIdIsNotFound) {
  v1::Authority out;
  EXPECT_EQ(Taint(v1::AUTHORITY_KIND_X509, &out, "00ff").error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(AuthorityServiceTest, PrepareRefusesAnId) {
  v1::Authority out;
  grpc::Status status = stub_->PrepareAuthority(testing::TestServer::Context().get(),
                                                Request(v1::AUTHORITY_KIND_X509, "abc"), &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace sigil::server
