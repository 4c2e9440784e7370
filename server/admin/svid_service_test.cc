// SvidService through a real server: minted SVIDs verified against the server's own bundle.
#include "server/admin/svid_service.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "admin.grpc.pb.h"
#include "server/admin/admin_test_server.h"
#include "sigil/bundle.h"
#include "sigil/jwt_svid.h"
#include "sigil/x509_verify.h"

namespace sigil::server {
namespace {

namespace v1 = sigil::admin::v1;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class SvidServiceTest : public ::testing::Test {
 protected:
  SvidServiceTest() : stub_(v1::SvidService::NewStub(server_.channel())) {}

  v1::MintX509SvidRequest X509Request(std::string id) {
    v1::MintX509SvidRequest request;
    request.set_spiffe_id(std::move(id));
    request.set_public_key(key_.public_key().ToSpkiDer());
    return request;
  }

  grpc::Status MintX509(const v1::MintX509SvidRequest& request, v1::MintX509SvidResponse* out) {
    return stub_->MintX509Svid(testing::TestServer::Context().get(), request, out);
  }

  grpc::Status MintJwt(const v1::MintJwtSvidRequest& request, v1::MintJwtSvidResponse* out) {
    return stub_->MintJwtSvid(testing::TestServer::Context().get(), request, out);
  }

  std::vector<IssuanceRecord> Ledger() {
    absl::StatusOr<Page<IssuanceRecord>> page = server_.datastore().ListIssuances({}, {});
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->items : std::vector<IssuanceRecord>{};
  }

  testing::TestServer server_;
  std::unique_ptr<v1::SvidService::Stub> stub_;
  PrivateKey key_ = *PrivateKey::Generate(KeyType::kEcP256);
};

// X509-13, X509-19: the chain validates against the bundle of the leaf's trust domain.
TEST_F(SvidServiceTest, MintedX509SvidVerifiesAgainstReturnedBundle) {
  v1::MintX509SvidResponse response;
  ASSERT_TRUE(MintX509(X509Request("spiffe://example.org/web"), &response).ok());
  std::vector<Certificate> chain;
  for (const std::string& der : response.chain()) {
    chain.push_back(*Certificate::FromDer(der));
  }
  TrustBundle bundle(*TrustDomain::FromString("example.org"));
  for (const std::string& der : response.bundle()) {
    bundle.AddX509Authority(*Certificate::FromDer(der));
  }
  absl::StatusOr<VerifiedX509Svid> verified = VerifyX509Svid(chain, bundle, absl::Now());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->spiffe_id.str(), "spiffe://example.org/web");
  EXPECT_TRUE(chain[0].public_key()->Equals(key_.public_key()));
}

TEST_F(SvidServiceTest, X509TtlDefaultsToServerDefault) {
  const absl::Time before = absl::Now();
  v1::MintX509SvidResponse response;
  ASSERT_TRUE(MintX509(X509Request("spiffe://example.org/web"), &response).ok());
  EXPECT_NEAR(response.expires_at(), absl::ToUnixSeconds(before + absl::Hours(1)), 2);
}

TEST_F(SvidServiceTest, X509CarriesRequestedTtlAndDnsNames) {
  v1::MintX509SvidRequest request = X509Request("spiffe://example.org/web");
  request.set_ttl(120);
  request.add_dns_names("web.example.org");
  const absl::Time before = absl::Now();
  v1::MintX509SvidResponse response;
  ASSERT_TRUE(MintX509(request, &response).ok());
  EXPECT_NEAR(response.expires_at(), absl::ToUnixSeconds(before + absl::Seconds(120)), 2);
  EXPECT_EQ(Certificate::FromDer(response.chain(0))->DnsSans(),
            std::vector<std::string>{"web.example.org"});
}

TEST_F(SvidServiceTest, X509MintIsInTheLedger) {
  v1::MintX509SvidResponse response;
  ASSERT_TRUE(MintX509(X509Request("spiffe://example.org/web"), &response).ok());
  std::vector<IssuanceRecord> ledger = Ledger();
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0].kind, SvidKind::kX509);
  EXPECT_EQ(ledger[0].spiffe_id.str(), "spiffe://example.org/web");
  EXPECT_EQ(ledger[0].serial, Certificate::FromDer(response.chain(0))->SerialHex());
  EXPECT_EQ(ledger[0].key_fingerprint, key_.public_key().Sha256Fingerprint());
  EXPECT_FALSE(ledger[0].agent_id.has_value());
}

TEST_F(SvidServiceTest, X509RefusesMissingPublicKey) {
  v1::MintX509SvidRequest request = X509Request("spiffe://example.org/web");
  request.clear_public_key();
  v1::MintX509SvidResponse response;
  grpc::Status status = MintX509(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("public_key is required"));
  EXPECT_TRUE(Ledger().empty());
}

TEST_F(SvidServiceTest, X509RefusesGarbagePublicKey) {
  v1::MintX509SvidRequest request = X509Request("spiffe://example.org/web");
  request.set_public_key("not a key");
  v1::MintX509SvidResponse response;
  EXPECT_THAT(MintX509(request, &response).error_message(), StartsWith("public_key: "));
}

TEST_F(SvidServiceTest, X509RefusesIdOutsideTrustDomain) {
  v1::MintX509SvidResponse response;
  grpc::Status status = MintX509(X509Request("spiffe://other.org/web"), &response);
  EXPECT_THAT(status.error_message(), HasSubstr("outside the server's trust domain"));
}

// X509-02, ID-23: a leaf's SPIFFE ID has a path.
TEST_F(SvidServiceTest, X509RefusesTrustDomainId) {
  v1::MintX509SvidResponse response;
  grpc::Status status = MintX509(X509Request("spiffe://example.org"), &response);
  EXPECT_THAT(status.error_message(), HasSubstr("needs a path"));
}

TEST_F(SvidServiceTest, X509RefusesNegativeAndOverlongTtl) {
  v1::MintX509SvidRequest request = X509Request("spiffe://example.org/web");
  v1::MintX509SvidResponse response;
  request.set_ttl(-1);
  EXPECT_EQ(MintX509(request, &response).error_message(), "ttl is negative");
  request.set_ttl(86400 * 2);
  EXPECT_THAT(MintX509(request, &response).error_message(), HasSubstr("longer than the CA TTL"));
}

TEST_F(SvidServiceTest, X509RefusesBadDnsName) {
  v1::MintX509SvidRequest request = X509Request("spiffe://example.org/web");
  request.add_dns_names("bad name");
  v1::MintX509SvidResponse response;
  EXPECT_EQ(MintX509(request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// JWT-12, JWT-18: signed with a jwt-svid key of the own bundle, sub and exp as issued.
TEST_F(SvidServiceTest, MintedJwtSvidValidatesWithOwnBundle) {
  v1::MintJwtSvidRequest request;
  request.set_spiffe_id("spiffe://example.org/web");
  request.add_audience("payments");
  v1::MintJwtSvidResponse response;
  ASSERT_TRUE(MintJwt(request, &response).ok());
  BundleSet bundles;
  bundles.Put(*server_.server().core().ca->Bundle());
  std::vector<std::string> audiences = {"payments"};
  absl::StatusOr<JwtSvid> svid = ValidateJwtSvid(response.token(), bundles, audiences, absl::Now());
  ASSERT_TRUE(svid.ok()) << svid.status();
  EXPECT_EQ(svid->spiffe_id.str(), "spiffe://example.org/web");
  EXPECT_EQ(absl::ToUnixSeconds(svid->expires_at), response.expires_at());
}

// JWT-16: short default lifetime, SPIRE's 5 minutes.
TEST_F(SvidServiceTest, JwtTtlDefaultsToFiveMinutes) {
  v1::MintJwtSvidRequest request;
  request.set_spiffe_id("spiffe://example.org/web");
  request.add_audience("payments");
  const absl::Time before = absl::Now();
  v1::MintJwtSvidResponse response;
  ASSERT_TRUE(MintJwt(request, &response).ok());
  EXPECT_NEAR(response.expires_at(), absl::ToUnixSeconds(before + absl::Minutes(5)), 2);
}

TEST_F(SvidServiceTest, JwtMintIsInTheLedgerWithAudiences) {
  v1::MintJwtSvidRequest request;
  request.set_spiffe_id("spiffe://example.org/web");
  request.add_audience("a");
  request.add_audience("b");
  v1::MintJwtSvidResponse response;
  ASSERT_TRUE(MintJwt(request, &response).ok());
  std::vector<IssuanceRecord> ledger = Ledger();
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0].kind, SvidKind::kJwt);
  EXPECT_EQ(ledger[0].audiences, (std::vector<std::string>{"a", "b"}));
}

TEST_F(SvidServiceTest, JwtRefusesMissingOrEmptyAudience) {
  v1::MintJwtSvidRequest request;
  request.set_spiffe_id("spiffe://example.org/web");
  v1::MintJwtSvidResponse response;
  EXPECT_THAT(MintJwt(request, &response).error_message(), StartsWith("audience: "));
  request.add_audience("");
  EXPECT_EQ(MintJwt(request, &response).error_message(), "audience[0] is empty");
  EXPECT_TRUE(Ledger().empty());
}

TEST_F(SvidServiceTest, JwtRefusesMalformedSpiffeId) {
  v1::MintJwtSvidRequest request;
  request.set_spiffe_id("spiffe://example.org/web/");
  request.add_audience("a");
  v1::MintJwtSvidResponse response;
  EXPECT_THAT(MintJwt(request, &response).error_message(), StartsWith("spiffe_id: "));
}

}  // namespace
}  // namespace sigil::server
