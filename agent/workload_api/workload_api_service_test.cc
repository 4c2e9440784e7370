// The Workload API end to end over its Unix socket: the real service, cache, unix attestor and
// test CA; callers are this process and, through setpriv, Python clients under other uids.
// CONFORMANCE.md section 5 ids are named beside the tests that cover them.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "agent/workload_api/workload_api_test_util.h"
#include "sigil/jwt_svid.h"
#include "sigil/x509_verify.h"

namespace sigil::agent::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

Selector Unix(std::string value) { return Selector{"unix", std::move(value)}; }

std::vector<std::string> SpiffeIds(const wapi::X509SvidResponse& response) {
  std::vector<std::string> ids;
  for (const auto& svid : response.svids()) {
    ids.push_back(svid.spiffe_id());
  }
  return ids;
}

template <typename Map>
std::vector<std::string> Keys(const Map& map) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : map) {
    keys.push_back(key);
  }
  return keys;
}

class WorkloadApiTest : public WorkloadApiFixture {
 protected:
  void SetUp() override {
    WorkloadApiFixture::SetUp();
    // This test runs as root: uid 0 holds two identities, the second also federating with
    // partner.test; nobody holds one; uid 1234 one that nobody else sees.
    AddIdentity("e-root", "/root-workload", {Unix("uid:0")}, "primary");
    AddIdentity("e-root-2", "/root-second", {Unix("uid:0"), Unix("gid:0")}, "secondary",
                {partner_td_});
    AddIdentity("e-nobody", "/nobody", {Unix("uid:65534")});
    AddIdentity("e-other", "/other", {Unix("uid:1234")});
    StartServer();
  }

  // Opens FetchX509SVID and reads its first message.
  struct X509Stream {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<wapi::X509SvidResponse>> reader;
  };
  X509Stream OpenX509(wapi::Service::Stub& stub, bool header = true) {
    X509Stream stream{Context(header), nullptr};
    stream.reader = stub.FetchX509SVID(stream.context.get(), wapi::X509SvidRequest());
    return stream;
  }

  bool RunningAsRoot() const { return getuid() == 0; }
};

// ---- Endpoint (WAPI-01, WAPI-02, WAPI-10) ----

TEST_F(WorkloadApiTest, ServesOnAWorldConnectableSocketInAReadableDirectory) {
  struct stat st;
  ASSERT_EQ(stat(socket_path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0666u);
  ASSERT_EQ(stat((dir_ + "/agent/public").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  ASSERT_EQ(stat((dir_ + "/agent").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
}

// ---- Security header (WAPI-08, WAPI-09) ----

TEST_F(WorkloadApiTest, RejectsAStreamWithoutTheSecurityHeader) {
  auto stub = NewStub();
  X509Stream stream = OpenX509(*stub, /*header=*/false);
  wapi::X509SvidResponse response;
  EXPECT_FALSE(stream.reader->Read(&response));
  const grpc::Status status = stream.reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "security header missing from request");
  EXPECT_EQ(server_->stats().attestation_failures, 0u);
}

TEST_F(WorkloadApiTest, RejectsUnaryCallsWithoutTheSecurityHeader) {
  auto stub = NewStub();
  wapi::JwtSvidRequest jwt_request;
  jwt_request.add_audience("db");
  wapi::JwtSvidResponse jwt_response;
  grpc::Status status = stub->FetchJWTSVID(Context(false).get(), jwt_request, &jwt_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "security header missing from request");

  wapi::ValidateJwtSvidRequest validate_request;
  validate_request.set_audience("db");
  validate_request.set_svid("x.y.z");
  wapi::ValidateJwtSvidResponse validate_response;
  status = stub->ValidateJWTSVID(Context(false).get(), validate_request, &validate_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "security header missing from request");
}

TEST_F(WorkloadApiTest, ChecksTheHeaderBeforeTheRequestContent) {
  auto stub = NewStub();
  wapi::JwtSvidResponse response;
  // No audience either: the header is what is reported.
  const grpc::Status status =
      stub->FetchJWTSVID(Context(false).get(), wapi::JwtSvidRequest(), &response);
  EXPECT_EQ(status.error_message(), "security header missing from request");
}

TEST_F(WorkloadApiTest, RejectsAHeaderValueOtherThanLowercaseTrue) {
  auto stub = NewStub();
  for (const char* value : {"TRUE", "True", "1", ""}) {
    auto context = Context(false);
    context->AddMetadata("workload.spiffe.io", value);
    auto reader = stub->FetchX509Bundles(context.get(), wapi::X509BundlesRequest());
    wapi::X509BundlesResponse response;
    EXPECT_FALSE(reader->Read(&response)) << value;
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT) << value;
  }
}

TEST_F(WorkloadApiTest, RejectsTheHeaderSentTwice) {
  auto stub = NewStub();
  auto context = Context(true);
  context->AddMetadata("workload.spiffe.io", "true");
  auto reader = stub->FetchJWTBundles(context.get(), wapi::JwtBundlesRequest());
  wapi::JwtBundlesResponse response;
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// WAPI-09, WAPI-14: reflection answers without the header and lists the service.
TEST_F(WorkloadApiTest, ExposesServerReflectionWithoutTheSecurityHeader) {
  // ServerReflectionRequest{list_services: ""} (field 7, length 0).
  const ForeignCallResult result =
      CallAs(getuid(), getgid(), "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
             CallKind::kBidi, std::string("\x3a\x00", 2), /*header=*/false);
  ASSERT_EQ(result.code, "OK") << result.details;
  EXPECT_THAT(result.message, HasSubstr("SpiffeWorkloadAPI"));
}

// ---- FetchX509SVID (WAPI-16, -17, -24, -25, -26, -27) ----

TEST_F(WorkloadApiTest, SendsTheCallersIdentitiesAtOnceInEntryOrder) {
  auto stub = NewStub();
  X509Stream stream = OpenX509(*stub);
  wapi::X509SvidResponse response;
  ASSERT_TRUE(stream.reader->Read(&response));
  EXPECT_THAT(SpiffeIds(response), ElementsAre("spiffe://example.org/root-workload",
                                               "spiffe://example.org/root-second"));
  EXPECT_EQ(response.svids(0).hint(), "primary");
  EXPECT_EQ(response.svids(1).hint(), "secondary");
  EXPECT_THAT(Keys(response.federated_bundles()), ElementsAre("spiffe://partner.test"));
  EXPECT_EQ(response.federated_bundles().at("spiffe://partner.test"),
            partner_->ca_certificate().der());
  stream.context->TryCancel();
}

TEST_F(WorkloadApiTest, SendsAChainKeyAndBundleThatBelongTogether) {
  auto stub = NewStub();
  X509Stream stream = OpenX509(*stub);
  wapi::X509SvidResponse response;
  ASSERT_TRUE(stream.reader->Read(&response));
  stream.context->TryCancel();
  for (const auto& message : response.svids()) {
    // The key must be the leaf's (X509Svid checks it) and the chain must verify against the
    // bundle sent beside it.
    auto svid = X509Svid::FromWorkloadApi(message.x509_svid(), message.x509_svid_key());
    ASSERT_TRUE(svid.ok()) << svid.status();
    EXPECT_EQ(svid->spiffe_id().str(), message.spiffe_id());
    EXPECT_EQ(message.bundle(), authority_->ca_certificate().der());
    BundleSet bundles;
    TrustBundle own(td_);
    own.AddX509Authority(Must(Certificate::FromDer(message.bundle())));
    bundles.Put(own);
    auto verified = VerifyX509Svid(svid->chain(), bundles, absl::Now());
    EXPECT_TRUE(verified.ok()) << verified.status();
  }
}

TEST_F(WorkloadApiTest, GivesEachUidExactlyItsIdentities) {
  if (!RunningAsRoot()) {
    GTEST_SKIP() << "needs root to call as other users";
  }
  const ForeignCallResult nobody =
      CallAs(65534, 65534, "/SpiffeWorkloadAPI/FetchX509SVID", CallKind::kStream);
  ASSERT_EQ(nobody.code, "OK") << nobody.details;
  wapi::X509SvidResponse response;
  ASSERT_TRUE(response.ParseFromString(nobody.message));
  EXPECT_THAT(SpiffeIds(response), ElementsAre("spiffe://example.org/nobody"));
  EXPECT_TRUE(response.federated_bundles().empty());

  const ForeignCallResult other =
      CallAs(1234, 1234, "/SpiffeWorkloadAPI/FetchX509SVID", CallKind::kStream);
  ASSERT_EQ(other.code, "OK") << other.details;
  ASSERT_TRUE(response.ParseFromString(other.message));
  EXPECT_THAT(SpiffeIds(response), ElementsAre("spiffe://example.org/other"));
}

// WAPI-12, WAPI-28.
TEST_F(WorkloadApiTest, DeniesACallerWithoutIdentities) {
  if (!RunningAsRoot()) {
    GTEST_SKIP() << "needs root to call as other users";
  }
  const ForeignCallResult result =
      CallAs(4321, 4321, "/SpiffeWorkloadAPI/FetchX509SVID", CallKind::kStream);
  EXPECT_EQ(result.code, "PERMISSION_DENIED");
  EXPECT_EQ(result.details, "no identity issued");
}

// WAPI-29, WAPI-34: every stream, for a caller without identities.
TEST_F(WorkloadApiTest, DeniesBundleStreamsToACallerWithoutIdentities) {
  if (!RunningAsRoot()) {
    GTEST_SKIP() << "needs root to call as other users";
  }
  for (const char* method :
       {"/SpiffeWorkloadAPI/FetchX509Bundles", "/SpiffeWorkloadAPI/FetchJWTBundles"}) {
    const ForeignCallResult result = CallAs(4321, 4321, method, CallKind::kStream);
    EXPECT_EQ(result.code, "PERMISSION_DENIED") << method;
  }
}

// WAPI-26: a repeated hint is sent once.
TEST_F(WorkloadApiTest, LeavesOutASecondIdentityWithTheSameHint) {
  AddIdentity("e-root-3", "/root-third", {Unix("uid:0")}, "primary");
  auto stub = NewStub();
  X509Stream stream = OpenX509(*stub);
  wapi::X509SvidResponse response;
  ASSERT_TRUE(stream.reader->Read(&response));
  stream.context->TryCancel();
  EXPECT_THAT(SpiffeIds(response), ElementsAre("spiffe://example.org/root-workload",
                                               "spiffe://example.org/root-second"));
}

// WAPI-18: a rotation reaches an open stream, with the full state (WAPI-17).
TEST_F(WorkloadApiTest, PushesARotatedSvid) {
  auto stub = NewStub();
  X509Stream stream = OpenX509(*stub);
  wapi::X509SvidResponse first;
  ASSERT_TRUE(stream.reader->Read(&first));
  const X509Svid renewed = RenewSvid("e-root-2", "/root-second");
  wapi::X509SvidResponse second;
  ASSERT_TRUE(stream.reader->Read(&second));
  ASSERT_EQ(second.svids_size(), 2);
  EXPECT_EQ(second.svids(0).x509_svid(), first.svids(0).x509_svid());
  EXPECT_EQ(second.svids(1).x509_svid(), renewed.ChainDer());
  EXPECT_NE(second.svids(1).x509_svid(), first.svids(1).x509_svid());
  EXPECT_EQ(second.federated_bundles_size(), 1);
  stream.context->TryCancel();
}

// WAPI-18: changes that do not alter what this caller sees send nothing.
TEST_F(WorkloadApiTest, DoesNotRepeatAnUnchangedMessage) {
  auto stub = NewStub();
  X509Stream stream = OpenX509(*stub);
  wapi::X509SvidResponse first;
  ASSERT_TRUE(stream.reader->Read(&first));
  // A matching entry changes in a way the message does not show, and the bundles are set
  // again unchanged...
  AgentEntry changed = entries_[0];
  changed.dns_names = {"root.example.org"};
  changed.revision = 2;
  ASSERT_TRUE(cache_->UpdateEntries({changed}, {}).ok());
  BundleSet bundles;
  bundles.Put(authority_->bundle());
  bundles.Put(partner_->bundle());
  cache_->SetBundles(bundles);
  // ...so the next message is the one for this real change.
  const X509Svid renewed = RenewSvid("e-root", "/root-workload");
  wapi::X509SvidResponse next;
  ASSERT_TRUE(stream.reader->Read(&next));
  EXPECT_EQ(next.svids(0).x509_svid(), renewed.ChainDer());
  stream.context->TryCancel();
}

// WAPI-18: a new federated bundle is pushed.
TEST_F(WorkloadApiTest, PushesABundleChange) {
  auto stub = NewStub();
  X509Stream stream = OpenX509(*stub);
  wapi::X509SvidResponse first;
  ASSERT_TRUE(stream.reader->Read(&first));
  const auto rotated_partner = Must(TestAuthority::Create(partner_td_, now_));
  BundleSet bundles;
  bundles.Put(authority_->bundle());
  bundles.Put(rotated_partner.bundle());
  cache_->SetBundles(bundles);
  wapi::X509SvidResponse next;
  ASSERT_TRUE(stream.reader->Read(&next));
  EXPECT_EQ(next.federated_bundles().at("spiffe://partner.test"),
            rotated_partner.ca_certificate().der());
  stream.context->TryCancel();
}

// WAPI-21.
TEST_F(WorkloadApiTest, EndsTheStreamWhenTheCallerLosesEveryIdentity) {
  auto stub = NewStub();
  X509Stream stream = OpenX509(*stub);
  wapi::X509SvidResponse first;
  ASSERT_TRUE(stream.reader->Read(&first));
  ASSERT_TRUE(cache_->UpdateEntries({}, {"e-root"}).ok());
  wapi::X509SvidResponse second;
  ASSERT_TRUE(stream.reader->Read(&second));
  EXPECT_THAT(SpiffeIds(second), ElementsAre("spiffe://example.org/root-second"));
  ASSERT_TRUE(cache_->UpdateEntries({}, {"e-root-2"}).ok());
  wapi::X509SvidResponse none;
  EXPECT_FALSE(stream.reader->Read(&none));
  const grpc::Status status = stream.reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "no identity issued");
}

TEST_F(WorkloadApiTest, WaitsForTheFirstSvidOfANewIdentity) {
  // An entry with no SVID yet: the stream sends nothing until the SVID arrives.
  entries_.push_back(MakeEntry("e-late", "/late", {Unix("uid:0")}, "", {}));
  ASSERT_TRUE(cache_->ReplaceEntries({entries_.back()}).ok());
  auto stub = NewStub();
  X509Stream stream = OpenX509(*stub);
  const X509Svid svid = RenewSvid("e-late", "/late");
  wapi::X509SvidResponse first;
  ASSERT_TRUE(stream.reader->Read(&first));
  EXPECT_THAT(SpiffeIds(first), ElementsAre("spiffe://example.org/late"));
  EXPECT_EQ(first.svids(0).x509_svid(), svid.ChainDer());
  stream.context->TryCancel();
}

TEST_F(WorkloadApiTest, ServesManyStreamsAtOnce) {
  auto stub = NewStub();
  std::atomic<int> served{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      X509Stream stream = OpenX509(*stub);
      wapi::X509SvidResponse response;
      if (stream.reader->Read(&response) && response.svids_size() == 2) {
        ++served;
      }
      stream.context->TryCancel();
      stream.reader->Finish();
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(served, 20);
}

// ---- FetchX509Bundles (WAPI-29) and FetchJWTBundles (WAPI-33) ----

TEST_F(WorkloadApiTest, SendsTheOwnAndFederatedX509Bundles) {
  auto stub = NewStub();
  auto context = Context();
  auto reader = stub->FetchX509Bundles(context.get(), wapi::X509BundlesRequest());
  wapi::X509BundlesResponse response;
  ASSERT_TRUE(reader->Read(&response));
  context->TryCancel();
  EXPECT_THAT(Keys(response.bundles()),
              UnorderedElementsAre("spiffe://example.org", "spiffe://partner.test"));
  EXPECT_EQ(response.bundles().at("spiffe://example.org"), authority_->ca_certificate().der());
}

TEST_F(WorkloadApiTest, SendsJwtBundlesAsPlainJwkSets) {
  auto stub = NewStub();
  auto context = Context();
  auto reader = stub->FetchJWTBundles(context.get(), wapi::JwtBundlesRequest());
  wapi::JwtBundlesResponse response;
  ASSERT_TRUE(reader->Read(&response));
  context->TryCancel();
  EXPECT_THAT(Keys(response.bundles()),
              UnorderedElementsAre("spiffe://example.org", "spiffe://partner.test"));
  const std::string& jwks = response.bundles().at("spiffe://example.org");
  EXPECT_THAT(jwks, ::testing::Not(HasSubstr("\"use\"")));
  auto parsed = ParseJwks(td_, jwks);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->jwt_authorities().size(), 1u);
  EXPECT_EQ(parsed->jwt_authorities()[0].key_id, "example.org-jwt-1");
}

TEST_F(WorkloadApiTest, PushesAJwtBundleChange) {
  auto stub = NewStub();
  auto context = Context();
  auto reader = stub->FetchJWTBundles(context.get(), wapi::JwtBundlesRequest());
  wapi::JwtBundlesResponse first;
  ASSERT_TRUE(reader->Read(&first));
  TrustBundle own = authority_->bundle();
  const PrivateKey next_key = Must(PrivateKey::Generate(KeyType::kEcP256));
  ASSERT_TRUE(own.AddJwtAuthority({"example.org-jwt-2", next_key.public_key(), {}}).ok());
  BundleSet bundles;
  bundles.Put(own);
  bundles.Put(partner_->bundle());
  cache_->SetBundles(bundles);
  wapi::JwtBundlesResponse second;
  ASSERT_TRUE(reader->Read(&second));
  EXPECT_THAT(second.bundles().at("spiffe://example.org"), HasSubstr("example.org-jwt-2"));
  context->TryCancel();
}

// ---- FetchJWTSVID (WAPI-30, -31, -32) ----

TEST_F(WorkloadApiTest, RequiresAnAudienceForJwtSvids) {
  auto stub = NewStub();
  wapi::JwtSvidResponse response;
  const grpc::Status status =
      stub->FetchJWTSVID(Context().get(), wapi::JwtSvidRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "audience must be specified");
}

TEST_F(WorkloadApiTest, MintsOneJwtSvidPerIdentity) {
  auto stub = NewStub();
  wapi::JwtSvidRequest request;
  request.add_audience("db");
  request.add_audience("cache");
  wapi::JwtSvidResponse response;
  ASSERT_TRUE(stub->FetchJWTSVID(Context().get(), request, &response).ok());
  ASSERT_EQ(response.svids_size(), 2);
  BundleSet bundles;
  bundles.Put(authority_->bundle());
  for (const auto& svid : response.svids()) {
    auto validated = ValidateJwtSvid(svid.svid(), bundles, {"cache"}, absl::Now());
    ASSERT_TRUE(validated.ok()) << validated.status();
    EXPECT_EQ(validated->spiffe_id.str(), svid.spiffe_id());
    EXPECT_THAT(validated->audiences, ElementsAre("db", "cache"));
  }
  EXPECT_EQ(response.svids(0).spiffe_id(), "spiffe://example.org/root-workload");
  EXPECT_EQ(response.svids(0).hint(), "primary");
}

TEST_F(WorkloadApiTest, MintsOnlyTheRequestedIdentity) {
  auto stub = NewStub();
  wapi::JwtSvidRequest request;
  request.add_audience("db");
  request.set_spiffe_id("spiffe://example.org/root-second");
  wapi::JwtSvidResponse response;
  ASSERT_TRUE(stub->FetchJWTSVID(Context().get(), request, &response).ok());
  ASSERT_EQ(response.svids_size(), 1);
  EXPECT_EQ(response.svids(0).spiffe_id(), "spiffe://example.org/root-second");
}

TEST_F(WorkloadApiTest, ServesARepeatedJwtRequestFromTheCache) {
  auto stub = NewStub();
  wapi::JwtSvidRequest request;
  request.add_audience("db");
  request.set_spiffe_id("spiffe://example.org/root-workload");
  wapi::JwtSvidResponse first;
  wapi::JwtSvidResponse second;
  ASSERT_TRUE(stub->FetchJWTSVID(Context().get(), request, &first).ok());
  ASSERT_TRUE(stub->FetchJWTSVID(Context().get(), request, &second).ok());
  EXPECT_EQ(first.svids(0).svid(), second.svids(0).svid());
  EXPECT_EQ(signer_->calls(), 1);
}

TEST_F(WorkloadApiTest, RefusesAnInvalidRequestedSpiffeId) {
  auto stub = NewStub();
  wapi::JwtSvidRequest request;
  request.add_audience("db");
  request.set_spiffe_id("spiffe://Example.org/x");
  wapi::JwtSvidResponse response;
  const grpc::Status status = stub->FetchJWTSVID(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("invalid requested SPIFFE ID: "));
}

TEST_F(WorkloadApiTest, DeniesAJwtSvidForAnIdentityTheCallerLacks) {
  auto stub = NewStub();
  wapi::JwtSvidRequest request;
  request.add_audience("db");
  request.set_spiffe_id("spiffe://example.org/nobody");
  wapi::JwtSvidResponse response;
  const grpc::Status status = stub->FetchJWTSVID(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "no identity issued");
  EXPECT_EQ(signer_->calls(), 0);
}

// ---- ValidateJWTSVID (WAPI-35, -36, -37) ----

TEST_F(WorkloadApiTest, ValidatesAJwtSvidAndReturnsItsClaims) {
  const SecretBytes token = Must(authority_->IssueJwtSvid(
      Must(SpiffeId::Parse("spiffe://example.org/peer")), {"db"}, absl::Now()));
  auto stub = NewStub();
  wapi::ValidateJwtSvidRequest request;
  request.set_audience("db");
  request.set_svid(std::string(token.view()));
  wapi::ValidateJwtSvidResponse response;
  const grpc::Status status = stub->ValidateJWTSVID(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.spiffe_id(), "spiffe://example.org/peer");
  const auto& fields = response.claims().fields();
  EXPECT_EQ(fields.at("sub").string_value(), "spiffe://example.org/peer");
  // A single-string aud comes back as a list (WAPI-37).
  ASSERT_TRUE(fields.at("aud").has_list_value());
  ASSERT_EQ(fields.at("aud").list_value().values_size(), 1);
  EXPECT_EQ(fields.at("aud").list_value().values(0).string_value(), "db");
  EXPECT_GT(fields.at("exp").number_value(), static_cast<double>(absl::ToUnixSeconds(now_)));
}

TEST_F(WorkloadApiTest, RequiresAudienceAndSvidForValidation) {
  auto stub = NewStub();
  wapi::ValidateJwtSvidResponse response;
  wapi::ValidateJwtSvidRequest request;
  request.set_svid("a.b.c");
  grpc::Status status = stub->ValidateJWTSVID(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "audience must be specified");
  request.set_audience("db");
  request.clear_svid();
  status = stub->ValidateJWTSVID(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "svid must be specified");
}

TEST_F(WorkloadApiTest, RefusesAJwtSvidForAnotherAudience) {
  const SecretBytes token = Must(authority_->IssueJwtSvid(
      Must(SpiffeId::Parse("spiffe://example.org/peer")), {"db"}, absl::Now()));
  auto stub = NewStub();
  wapi::ValidateJwtSvidRequest request;
  request.set_audience("not-db");
  request.set_svid(std::string(token.view()));
  wapi::ValidateJwtSvidResponse response;
  const grpc::Status status = stub->ValidateJWTSVID(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(WorkloadApiTest, ValidatesAFederatedJwtSvidWithTheCallersFederatedBundle) {
  const SecretBytes token = Must(partner_->IssueJwtSvid(
      Must(SpiffeId::Parse("spiffe://partner.test/api")), {"db"}, absl::Now()));
  auto stub = NewStub();
  wapi::ValidateJwtSvidRequest request;
  request.set_audience("db");
  request.set_svid(std::string(token.view()));
  wapi::ValidateJwtSvidResponse response;
  const grpc::Status status = stub->ValidateJWTSVID(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.spiffe_id(), "spiffe://partner.test/api");
}

TEST_F(WorkloadApiTest, RefusesAFederatedJwtSvidToACallerThatDoesNotFederate) {
  if (!RunningAsRoot()) {
    GTEST_SKIP() << "needs root to call as other users";
  }
  const SecretBytes token = Must(partner_->IssueJwtSvid(
      Must(SpiffeId::Parse("spiffe://partner.test/api")), {"db"}, absl::Now()));
  wapi::ValidateJwtSvidRequest request;
  request.set_audience("db");
  request.set_svid(std::string(token.view()));
  const ForeignCallResult result = CallAs(65534, 65534, "/SpiffeWorkloadAPI/ValidateJWTSVID",
                                          CallKind::kUnary, request.SerializeAsString());
  EXPECT_EQ(result.code, "INVALID_ARGUMENT");
}

// ---- WIT (WAPI-15) ----

TEST_F(WorkloadApiTest, AnswersWitRpcsWithUnimplemented) {
  auto stub = NewStub();
  {
    auto context = Context();
    auto reader = stub->FetchWITSVID(context.get(), wapi::WitSvidRequest());
    wapi::WitSvidResponse response;
    EXPECT_FALSE(reader->Read(&response));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }
  {
    auto context = Context();
    auto reader = stub->FetchWITBundles(context.get(), wapi::WitBundlesRequest());
    wapi::WitBundlesResponse response;
    EXPECT_FALSE(reader->Read(&response));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }
}

// ---- Stream ends ----

TEST_F(WorkloadApiTest, EndsOpenStreamsOnShutdown) {
  auto stub = NewStub();
  X509Stream stream = OpenX509(*stub);
  wapi::X509SvidResponse first;
  ASSERT_TRUE(stream.reader->Read(&first));
  const absl::Time started = absl::Now();
  StopServer();
  // Shutdown ends streams itself rather than waiting out its 5 s grace period.
  EXPECT_LT(absl::Now() - started, absl::Seconds(4));
  wapi::X509SvidResponse none;
  EXPECT_FALSE(stream.reader->Read(&none));
  const grpc::Status status = stream.reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(WorkloadApiTest, ReleasesAStreamTheClientCancels) {
  auto stub = NewStub();
  {
    X509Stream stream = OpenX509(*stub);
    wapi::X509SvidResponse first;
    ASSERT_TRUE(stream.reader->Read(&first));
    EXPECT_EQ(server_->stats().open_streams, 1u);
    stream.context->TryCancel();
    EXPECT_EQ(stream.reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // The server learns of the cancel asynchronously: wait for it, bounded.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (server_->stats().open_streams != 0 && absl::Now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(server_->stats().open_streams, 0u);
  EXPECT_EQ(cache_->stats().subscribers, 0u);
}

// Races between pushes, client cancels and shutdown: nothing may crash or leak a stream.
TEST_F(WorkloadApiTest, SurvivesRotationsWhileStreamsComeAndGoAndShutdown) {
  auto stub = NewStub();
  std::atomic<bool> rotating{true};
  std::thread rotator([&] {
    while (rotating) {
      RenewSvid("e-root", "/root-workload");
    }
  });
  std::atomic<int> first_messages{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 15; ++i) {
        X509Stream stream = OpenX509(*stub);
        wapi::X509SvidResponse response;
        if (stream.reader->Read(&response)) {
          ++first_messages;
        }
        stream.reader->Read(&response);  // maybe a push, maybe not yet
        stream.context->TryCancel();
        stream.reader->Finish();
      }
    });
  }
  for (std::thread& t : clients) {
    t.join();
  }
  // Leave streams open, with pushes in flight, while shutting down.
  std::vector<X509Stream> open;
  for (int i = 0; i < 5; ++i) {
    open.push_back(OpenX509(*stub));
    wapi::X509SvidResponse response;
    ASSERT_TRUE(open.back().reader->Read(&response));
  }
  StopServer();
  rotating = false;
  rotator.join();
  EXPECT_EQ(first_messages, 90);
  EXPECT_EQ(cache_->stats().subscribers, 0u);
  for (X509Stream& stream : open) {
    wapi::X509SvidResponse response;
    while (stream.reader->Read(&response)) {
    }
    EXPECT_EQ(stream.reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  }
}

}  // namespace
}  // namespace sigil::agent::testing
