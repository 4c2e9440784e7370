// BundleService through a real server: the own bundle from the CA, federated bundles in SQLite.
#include "server/admin/bundle_service.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "admin.grpc.pb.h"
#include "server/admin/admin_test_server.h"
#include "sigil/bundle.h"
#include "sigil/x509_issuer.h"

namespace sigil::server {
namespace {

namespace v1 = sigil::admin::v1;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class BundleServiceTest : public ::testing::Test {
 protected:
  BundleServiceTest() : stub_(v1::BundleService::NewStub(server_.channel())) {}

  // A self-signed CA of partner.org as a PEM document.
  static std::string PartnerPem() {
    PrivateKey key = *PrivateKey::Generate(KeyType::kEcP256);
    Certificate ca = *SelfSignX509Ca({.trust_domain = Partner()}, key, absl::Now());
    return ca.ToPem();
  }
  static TrustDomain Partner() { return *TrustDomain::FromString("partner.org"); }

  grpc::Status Set(std::string td, std::string document, v1::BundleFormat format,
                   v1::Bundle* out = nullptr) {
    v1::SetBundleRequest request;
    request.mutable_bundle()->set_trust_domain(std::move(td));
    request.mutable_bundle()->set_document(std::move(document));
    request.mutable_bundle()->set_format(format);
    v1::Bundle local;
    return stub_->SetBundle(testing::TestServer::Context().get(), request,
                            out != nullptr ? out : &local);
  }

  grpc::Status Get(std::string td, v1::BundleFormat format, v1::Bundle* out) {
    v1::GetBundleRequest request;
    request.set_trust_domain(std::move(td));
    request.set_format(format);
    return stub_->GetBundle(testing::TestServer::Context().get(), request, out);
  }

  testing::TestServer server_;
  std::unique_ptr<v1::BundleService::Stub> stub_;
};

TEST_F(BundleServiceTest, OwnBundleInSpiffeFormatHoldsX509AndJwtAuthorities) {
  v1::Bundle bundle;
  ASSERT_TRUE(Get("", v1::BUNDLE_FORMAT_SPIFFE, &bundle).ok());
  EXPECT_EQ(bundle.trust_domain(), "example.org");
  absl::StatusOr<TrustBundle> parsed =
      ParseSpiffeBundle(*TrustDomain::FromString("example.org"), bundle.document());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->x509_authorities().size(), 1u);
  EXPECT_EQ(parsed->jwt_authorities().size(), 1u);
  EXPECT_GE(bundle.sequence_number(), 1u);
  EXPECT_EQ(parsed->sequence_number(), bundle.sequence_number());
}

TEST_F(BundleServiceTest, OwnBundleInPemFormatIsTheActiveCa) {
  v1::Bundle bundle;
  ASSERT_TRUE(Get("example.org", v1::BUNDLE_FORMAT_PEM, &bundle).ok());
  absl::StatusOr<TrustBundle> parsed =
      ParsePemBundle(*TrustDomain::FromString("example.org"), bundle.document());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->x509_authorities().size(), 1u);
  EXPECT_EQ(parsed->x509_authorities()[0], *server_.server().core().ca->ActiveX509Ca());
}

TEST_F(BundleServiceTest, OwnBundleMayBeNamedAsSpiffeId) {
  v1::Bundle by_id;
  v1::Bundle by_default;
  ASSERT_TRUE(Get("spiffe://example.org", v1::BUNDLE_FORMAT_PEM, &by_id).ok());
  ASSERT_TRUE(Get("", v1::BUNDLE_FORMAT_PEM, &by_default).ok());
  EXPECT_EQ(by_id.document(), by_default.document());
}

TEST_F(BundleServiceTest, UnknownFederatedBundleIsNotFound) {
  v1::Bundle bundle;
  EXPECT_EQ(Get("partner.org", v1::BUNDLE_FORMAT_SPIFFE, &bundle).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(BundleServiceTest, MalformedTrustDomainIsInvalid) {
  v1::Bundle bundle;
  grpc::Status status = Get("Partner.org", v1::BUNDLE_FORMAT_SPIFFE, &bundle);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("trust_domain: "));
}

TEST_F(BundleServiceTest, SetsPemBundleAndServesItInBothFormats) {
  const std::string pem = PartnerPem();
  ASSERT_TRUE(Set("partner.org", pem, v1::BUNDLE_FORMAT_PEM).ok());
  v1::Bundle as_pem;
  ASSERT_TRUE(Get("partner.org", v1::BUNDLE_FORMAT_PEM, &as_pem).ok());
  EXPECT_EQ(as_pem.document(), pem);
  v1::Bundle as_spiffe;
  ASSERT_TRUE(Get("partner.org", v1::BUNDLE_FORMAT_SPIFFE, &as_spiffe).ok());
  absl::StatusOr<TrustBundle> parsed = ParseSpiffeBundle(Partner(), as_spiffe.document());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->x509_authorities()[0].ToPem(), pem);
}

TEST_F(BundleServiceTest, PemBundleSequenceRisesOnEverySet) {
  v1::Bundle first;
  v1::Bundle second;
  ASSERT_TRUE(Set("partner.org", PartnerPem(), v1::BUNDLE_FORMAT_PEM, &first).ok());
  ASSERT_TRUE(Set("partner.org", PartnerPem(), v1::BUNDLE_FORMAT_PEM, &second).ok());
  EXPECT_EQ(first.sequence_number(), 1u);
  EXPECT_EQ(second.sequence_number(), 2u);
}

TEST_F(BundleServiceTest, SpiffeBundleKeepsItsSequenceNumber) {
  TrustBundle bundle(Partner());
  ASSERT_TRUE(bundle.AddX509Authority(
      *ParsePemBundle(Partner(), PartnerPem())->x509_authorities().begin()));
  bundle.set_sequence_number(42);
  v1::Bundle stored;
  ASSERT_TRUE(
      Set("partner.org", *EncodeSpiffeBundle(bundle), v1::BUNDLE_FORMAT_SPIFFE, &stored).ok());
  EXPECT_EQ(stored.sequence_number(), 42u);
}

TEST_F(BundleServiceTest, RefusesToSetOwnTrustDomain) {
  grpc::Status status = Set("example.org", PartnerPem(), v1::BUNDLE_FORMAT_PEM);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("is the server's own"));
}

TEST_F(BundleServiceTest, RefusesMalformedDocumentNamingTheRule) {
  grpc::Status status = Set("partner.org", R"({"keys": 3})", v1::BUNDLE_FORMAT_SPIFFE);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("document: "));
  EXPECT_THAT(status.error_message(), HasSubstr("keys"));
  v1::Bundle bundle;
  EXPECT_EQ(Get("partner.org", v1::BUNDLE_FORMAT_SPIFFE, &bundle).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(BundleServiceTest, RefusesBundleWithoutAuthorities) {
  grpc::Status status = Set("partner.org", R"({"keys": []})", v1::BUNDLE_FORMAT_SPIFFE);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("no usable authority"));
}

TEST_F(BundleServiceTest, ListShowsFederatedBundlesOnly) {
  ASSERT_TRUE(Set("partner.org", PartnerPem(), v1::BUNDLE_FORMAT_PEM).ok());
  v1::ListBundlesResponse list;
  ASSERT_TRUE(stub_->ListBundles(testing::TestServer::Context().get(), {}, &list).ok());
  ASSERT_EQ(list.bundles_size(), 1);
  EXPECT_EQ(list.bundles(0).trust_domain(), "partner.org");
}

TEST_F(BundleServiceTest, DeleteRemovesFederatedBundle) {
  ASSERT_TRUE(Set("partner.org", PartnerPem(), v1::BUNDLE_FORMAT_PEM).ok());
  v1::DeleteBundleRequest request;
  request.set_trust_domain("partner.org");
  v1::Empty empty;
  ASSERT_TRUE(stub_->DeleteBundle(testing::TestServer::Context().get(), request, &empty).ok());
  EXPECT_EQ(stub_->DeleteBundle(testing::TestServer::Context().get(), request, &empty).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(BundleServiceTest, RefusesToDeleteOwnBundle) {
  v1::DeleteBundleRequest request;
  request.set_trust_domain("example.org");
  v1::Empty empty;
  grpc::Status status = stub_->DeleteBundle(testing::TestServer::Context().get(), request, &empty);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::Bundle own;
  EXPECT_TRUE(Get("", v1::BUNDLE_FORMAT_PEM, &own).ok());
}

}  // namespace
}  // namespace sigil::server
