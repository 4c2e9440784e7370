// Bundle map documents (BUNDLE-13, BUNDLE-14).
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <nlohmann/json.hpp>

#include "bundle_test_util.h"
#include "sigil/bundle.h"

namespace sigil {
namespace {

using Json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

class BundleMapTest : public ::testing::Test {
 protected:
  TrustBundle Bundle(std::string_view name, const testing::TestCa& ca, uint64_t sequence) const {
    TrustBundle bundle(*TrustDomain::FromString(name));
    bundle.AddX509Authority(ca.cert);
    bundle.set_sequence_number(sequence);
    return bundle;
  }

  BundleSet TwoBundles() const {
    BundleSet set;
    set.Put(Bundle("example.org", ca1_, 3));
    TrustBundle other = Bundle("other.test", ca2_, 9);
    EXPECT_TRUE(other.AddJwtAuthority({"kid", testing::NewKey().public_key(), std::nullopt}).ok());
    set.Put(std::move(other));
    return set;
  }

  Json EntryFor(const testing::TestCa& ca) const {
    return Json::parse(*EncodeSpiffeBundle(Bundle("example.org", ca, 1)));
  }

  const testing::TestCa ca1_ = testing::NewCa("example.org");
  const testing::TestCa ca2_ = testing::NewCa("other.test");
};

TEST_F(BundleMapTest, RoundTripGivesEqualBundles) {
  BundleSet set = TwoBundles();
  absl::StatusOr<std::string> json = EncodeBundleMap(set);
  ASSERT_TRUE(json.ok()) << json.status();
  absl::StatusOr<BundleSet> parsed = ParseBundleMap(*json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  for (const auto& [td, bundle] : set) {
    const TrustBundle* other = parsed->Find(td);
    ASSERT_NE(other, nullptr) << td.name();
    EXPECT_TRUE(*other == bundle) << td.name();
  }
}

TEST_F(BundleMapTest, EncodesBareNamesInNameOrder) {
  Json doc = Json::parse(*EncodeBundleMap(TwoBundles()));
  ASSERT_TRUE(doc["trust_domains"].is_object());
  std::vector<std::string> names;
  for (const auto& [name, value] : doc["trust_domains"].items()) {
    names.push_back(name);
  }
  EXPECT_THAT(names, ElementsAre("example.org", "other.test"));
  EXPECT_EQ(doc["trust_domains"]["other.test"]["spiffe_sequence"], 9);
}

TEST_F(BundleMapTest, EncodesNoRefreshHintInsideEntries) {
  BundleSet set;
  TrustBundle bundle = Bundle("example.org", ca1_, 1);
  bundle.set_refresh_hint(absl::Minutes(5));
  set.Put(bundle);
  Json doc = Json::parse(*EncodeBundleMap(set));
  EXPECT_FALSE(doc["trust_domains"]["example.org"].contains("spiffe_refresh_hint"));
}

TEST_F(BundleMapTest, IgnoresRefreshHintInsideEntries) {
  Json entry = EntryFor(ca1_);
  entry["spiffe_refresh_hint"] = 60;
  absl::StatusOr<BundleSet> set =
      ParseBundleMap(Json{{"trust_domains", {{"example.org", entry}}}}.dump());
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->Find(*TrustDomain::FromString("example.org"))->refresh_hint(), std::nullopt);
}

TEST_F(BundleMapTest, IgnoresMalformedRefreshHintInsideEntries) {
  Json entry = EntryFor(ca1_);
  entry["spiffe_refresh_hint"] = "soon";
  EXPECT_TRUE(ParseBundleMap(Json{{"trust_domains", {{"example.org", entry}}}}.dump()).ok());
}

TEST_F(BundleMapTest, EmptyMapIsValid) {
  absl::StatusOr<BundleSet> set = ParseBundleMap(R"({"trust_domains": {}})");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->size(), 0u);
  EXPECT_EQ(*EncodeBundleMap(BundleSet()), R"({"trust_domains":{}})");
}

TEST_F(BundleMapTest, EntryWithEmptyKeysIsAnEmptyBundle) {
  absl::StatusOr<BundleSet> set = ParseBundleMap(R"({"trust_domains": {"a.test": {"keys": []}}})");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(set->Find(*TrustDomain::FromString("a.test"))->empty());
}

TEST_F(BundleMapTest, RejectsMissingTrustDomains) {
  EXPECT_EQ(Message(ParseBundleMap(R"({"keys": []})").status()),
            "bundle map: has no \"trust_domains\" member");
}

TEST_F(BundleMapTest, RejectsTrustDomainsThatIsNotAnObject) {
  EXPECT_THAT(Message(ParseBundleMap(R"({"trust_domains": []})").status()),
              HasSubstr("\"trust_domains\" is not an object"));
}

TEST_F(BundleMapTest, RejectsDocumentThatIsNotAnObject) {
  EXPECT_FALSE(ParseBundleMap("[]").ok());
  EXPECT_FALSE(ParseBundleMap("not json").ok());
}

TEST_F(BundleMapTest, RejectsDuplicateTrustDomainNames) {
  const std::string entry = Json{{"keys", Json::array()}}.dump();
  const std::string doc =
      absl::StrCat(R"({"trust_domains": {"a.test": )", entry, R"(, "a.test": )", entry, "}}");
  absl::StatusOr<BundleSet> set = ParseBundleMap(doc);
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(set.status()), HasSubstr("duplicate member name"));
}

TEST_F(BundleMapTest, RejectsNamesThatAreNotTrustDomains) {
  for (const char* name : {"Example.org", "spiffe://example.org", "", "a/b", "ex ample"}) {
    absl::StatusOr<BundleSet> set =
        ParseBundleMap(Json{{"trust_domains", {{name, {{"keys", Json::array()}}}}}}.dump());
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(Message(set.status()), HasSubstr("not a trust domain name")) << name;
  }
}

TEST_F(BundleMapTest, NamesTheEntryAndKeyOfAnError) {
  Json entry = EntryFor(ca1_);
  entry["keys"][0]["x5c"][0] = "***";
  absl::StatusOr<BundleSet> set =
      ParseBundleMap(Json{{"trust_domains", {{"example.org", entry}}}}.dump());
  EXPECT_THAT(Message(set.status()),
              HasSubstr("bundle map: trust_domains[\"example.org\"]: keys[0]: x5c[0] is not valid "
                        "base64"));
}

TEST_F(BundleMapTest, RejectsEntryWithoutKeys) {
  EXPECT_THAT(Message(ParseBundleMap(R"({"trust_domains": {"a.test": {}}})").status()),
              HasSubstr("trust_domains[\"a.test\"]: has no \"keys\" member"));
}

TEST_F(BundleMapTest, IgnoresUnknownTopLevelMembers) {
  EXPECT_TRUE(ParseBundleMap(R"({"trust_domains": {}, "version": 2})").ok());
}

TEST_F(BundleMapTest, RejectsOversizedDocument) {
  std::string doc = R"({"trust_domains": {}, "pad": ")";
  doc.append(kMaxBundleMapJsonSize, 'a');
  doc.append("\"}");
  EXPECT_THAT(Message(ParseBundleMap(doc).status()), HasSubstr("more than the limit"));
}

}  // namespace
}  // namespace sigil
