#include "agent/workload_api/responses.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "agent/testing/test_authority.h"

namespace sigil::agent {
namespace {

using ::testing::ElementsAre;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

template <typename T>
T Must(absl::StatusOr<T> v) {
  EXPECT_TRUE(v.ok()) << v.status();
  return *std::move(v);
}

class ResponsesTest : public ::testing::Test {
 protected:
  ResponsesTest()
      : td_(Must(TrustDomain::FromString("example.org"))),
        authority_(Must(testing::TestAuthority::Create(td_, kNow))),
        cache_(IdentityCacheOptions{.trust_domain = td_}) {}

  void Add(const std::string& id, const std::string& path, const std::string& hint,
           bool with_svid = true) {
    entries_.push_back(AgentEntry{.entry_id = id,
                                  .spiffe_id = Must(SpiffeId::FromPath(td_, path)),
                                  .selectors = {{"unix", "uid:1"}},
                                  .hint = hint,
                                  .revision = 1,
                                  .created_at = kNow + absl::Seconds(entries_.size())});
    ASSERT_TRUE(cache_.ReplaceEntries(entries_).ok());
    if (with_svid) {
      ASSERT_TRUE(
          cache_
              .SetX509Svid(
                  id, 1, Must(authority_.IssueX509Svid(Must(SpiffeId::FromPath(td_, path)), kNow)))
              .ok());
    }
  }

  void SetOwnBundle() {
    BundleSet set;
    set.Put(authority_.bundle());
    cache_.SetBundles(set);
  }

  WorkloadView View() { return cache_.Lookup({{"unix", "uid:1"}}); }

  TrustDomain td_;
  testing::TestAuthority authority_;
  IdentityCache cache_;
  std::vector<AgentEntry> entries_;
};

TEST_F(ResponsesTest, DeniesAViewWithoutIdentities) {
  auto response = BuildX509SvidResponse(View());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(std::string(response.status().message()), "no identity issued");
  EXPECT_EQ(BuildX509BundlesResponse(View()).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(BuildJwtBundlesResponse(View()).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(ResponsesTest, WaitsWhileNoIdentityHasAnSvid) {
  SetOwnBundle();
  Add("a", "/a", "", /*with_svid=*/false);
  auto response = BuildX509SvidResponse(View());
  ASSERT_TRUE(response.ok());
  EXPECT_FALSE(response->has_value());
}

TEST_F(ResponsesTest, WaitsWhileTheOwnBundleIsUnknown) {
  Add("a", "/a", "");
  auto svids = BuildX509SvidResponse(View());
  ASSERT_TRUE(svids.ok());
  EXPECT_FALSE(svids->has_value());
  auto bundles = BuildX509BundlesResponse(View());
  ASSERT_TRUE(bundles.ok());
  EXPECT_FALSE(bundles->has_value());
}

TEST_F(ResponsesTest, SendsOnlyIdentitiesThatHaveAnSvid) {
  SetOwnBundle();
  Add("a", "/a", "", /*with_svid=*/false);
  Add("b", "/b", "");
  auto response = BuildX509SvidResponse(View());
  ASSERT_TRUE(response.ok() && response->has_value());
  ASSERT_EQ((*response)->svids_size(), 1);
  EXPECT_EQ((*response)->svids(0).spiffe_id(), "spiffe://example.org/b");
}

// WAPI-26.
TEST_F(ResponsesTest, KeepsTheFirstIdentityOfARepeatedHint) {
  SetOwnBundle();
  Add("a", "/a", "web");
  Add("b", "/b", "");
  Add("c", "/c", "web");
  Add("d", "/d", "");
  auto response = BuildX509SvidResponse(View());
  ASSERT_TRUE(response.ok() && response->has_value());
  std::vector<std::string> ids;
  for (const auto& svid : (*response)->svids()) {
    ids.push_back(svid.spiffe_id());
  }
  EXPECT_THAT(ids, ElementsAre("spiffe://example.org/a", "spiffe://example.org/b",
                               "spiffe://example.org/d"));
}

TEST(ClaimsToStructTest, ConvertsEveryJsonType) {
  const nlohmann::json claims = nlohmann::json::parse(
      R"({"sub":"spiffe://example.org/a","aud":["x","y"],"exp":1800000000,"ratio":0.5,
          "ok":true,"none":null,"nested":{"list":[1,"two"]}})");
  const google::protobuf::Struct s = Must(ClaimsToStruct(claims));
  const auto& f = s.fields();
  EXPECT_EQ(f.at("sub").string_value(), "spiffe://example.org/a");
  EXPECT_EQ(f.at("aud").list_value().values_size(), 2);
  EXPECT_EQ(f.at("exp").number_value(), 1800000000.0);
  EXPECT_EQ(f.at("ratio").number_value(), 0.5);
  EXPECT_TRUE(f.at("ok").bool_value());
  EXPECT_TRUE(f.at("none").has_null_value());
  const auto& list = f.at("nested").struct_value().fields().at("list").list_value();
  ASSERT_EQ(list.values_size(), 2);
  EXPECT_EQ(list.values(0).number_value(), 1.0);
  EXPECT_EQ(list.values(1).string_value(), "two");
}

// WAPI-37: aud is a list even when the token carried a single string.
TEST(ClaimsToStructTest, WrapsAStringAudienceInAList) {
  const google::protobuf::Struct s = Must(ClaimsToStruct(nlohmann::json::parse(R"({"aud":"db"})")));
  ASSERT_TRUE(s.fields().at("aud").has_list_value());
  EXPECT_EQ(s.fields().at("aud").list_value().values(0).string_value(), "db");
}

TEST(ClaimsToStructTest, RefusesANonObject) {
  EXPECT_EQ(ClaimsToStruct(nlohmann::json::array()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sigil::agent
