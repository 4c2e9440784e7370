#include "server/cli/entry_json.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil::server::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string MessageOf(const absl::Status& status) { return std::string(status.message()); }

TEST(ParseEntryFileTest, ReadsSpireShape) {
  absl::StatusOr<std::vector<sigil::admin::v1::Entry>> entries = ParseEntryFile(R"({
    "entries": [{
      "spiffe_id": "spiffe://example.org/web",
      "parent_id": "spiffe://example.org/sigil/server",
      "selectors": [{"type": "unix", "value": "uid:1000"}, "unix:gid:50"],
      "x509_svid_ttl": 600, "jwt_svid_ttl": "5m",
      "dns_names": ["web.example.org"], "federates_with": ["partner.org"],
      "admin": true, "downstream": false, "hint": "h",
      "expires_at": "2030-01-01T00:00:00Z", "owner": "o", "description": "d",
      "entry_id": "web-1"
    }]})");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 1u);
  const sigil::admin::v1::Entry& e = (*entries)[0];
  EXPECT_EQ(e.id(), "web-1");
  EXPECT_EQ(e.spiffe_id(), "spiffe://example.org/web");
  ASSERT_EQ(e.selectors_size(), 2);
  EXPECT_EQ(e.selectors(1).type(), "unix");
  EXPECT_EQ(e.selectors(1).value(), "gid:50");
  EXPECT_EQ(e.x509_svid_ttl(), 600);
  EXPECT_EQ(e.jwt_svid_ttl(), 300);
  EXPECT_EQ(e.dns_names(0), "web.example.org");
  EXPECT_EQ(e.federates_with(0), "partner.org");
  EXPECT_TRUE(e.admin());
  EXPECT_EQ(e.expires_at(), 1893456000);
  EXPECT_EQ(e.owner(), "o");
  EXPECT_EQ(e.description(), "d");
  EXPECT_EQ(e.hint(), "h");
}

TEST(ParseEntryFileTest, ShowOutputRoundTrips) {
  sigil::admin::v1::Entry entry;
  entry.set_id("abc");
  entry.set_spiffe_id("spiffe://example.org/web");
  entry.set_parent_id("spiffe://example.org/sigil/server");
  auto* s = entry.add_selectors();
  s->set_type("unix");
  s->set_value("uid:1");
  entry.set_revision(4);
  entry.set_created_at(100);
  nlohmann::json doc = {{"entries", {EntryToJson(entry)}}};
  absl::StatusOr<std::vector<sigil::admin::v1::Entry>> parsed = ParseEntryFile(doc.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].id(), "abc");
  EXPECT_EQ((*parsed)[0].revision(), 0) << "server-owned fields are ignored on input";
  EXPECT_EQ((*parsed)[0].selectors(0).value(), "uid:1");
}

TEST(ParseEntryFileTest, RejectsUnknownKeyNamingEntry) {
  absl::StatusOr<std::vector<sigil::admin::v1::Entry>> entries =
      ParseEntryFile(R"({"entries": [{"spiffe_id": "spiffe://a/b"}, {"spiffeid": "x"}]})");
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(MessageOf(entries.status()), "entries[1]: unknown key \"spiffeid\"");
}

TEST(ParseEntryFileTest, RejectsSelectorWithoutTypeNamingPlace) {
  absl::StatusOr<std::vector<sigil::admin::v1::Entry>> entries =
      ParseEntryFile(R"({"entries": [{"selectors": ["uid1000"]}]})");
  ASSERT_FALSE(entries.ok());
  EXPECT_THAT(MessageOf(entries.status()), StartsWith("entries[0].selectors[0]: "));
  EXPECT_THAT(MessageOf(entries.status()), HasSubstr("no type"));
}

TEST(ParseEntryFileTest, RejectsNegativeTtl) {
  absl::StatusOr<std::vector<sigil::admin::v1::Entry>> entries =
      ParseEntryFile(R"({"entries": [{"x509_svid_ttl": -1}]})");
  ASSERT_FALSE(entries.ok());
  EXPECT_THAT(MessageOf(entries.status()), StartsWith("entries[0].x509_svid_ttl: negative"));
}

TEST(ParseEntryFileTest, RejectsWrongTypes) {
  EXPECT_FALSE(ParseEntryFile(R"({"entries": [{"admin": "yes"}]})").ok());
  EXPECT_FALSE(ParseEntryFile(R"({"entries": [{"dns_names": "a"}]})").ok());
  EXPECT_FALSE(ParseEntryFile(R"({"entries": [{"spiffe_id": 3}]})").ok());
  EXPECT_FALSE(ParseEntryFile(R"({"entries": [3]})").ok());
}

TEST(ParseEntryFileTest, RejectsDuplicateKeys) {
  EXPECT_FALSE(ParseEntryFile(R"({"entries": [{"owner": "a", "owner": "b"}]})").ok());
}

TEST(ParseEntryFileTest, RejectsEmptyOrMissingEntries) {
  EXPECT_FALSE(ParseEntryFile(R"({"entries": []})").ok());
  EXPECT_FALSE(ParseEntryFile(R"({})").ok());
  EXPECT_FALSE(ParseEntryFile(R"([])").ok());
  EXPECT_FALSE(ParseEntryFile(R"({"entries": [], "extra": 1})").ok());
}

TEST(ParseEntryFileTest, RejectsMalformedJson) {
  absl::StatusOr<std::vector<sigil::admin::v1::Entry>> entries = ParseEntryFile("{\"entries\": [");
  ASSERT_FALSE(entries.ok());
  EXPECT_THAT(MessageOf(entries.status()), HasSubstr("entry file"));
}

TEST(ParseEntryFileTest, RejectsBothIdKeys) {
  EXPECT_FALSE(ParseEntryFile(R"({"entries": [{"id": "a", "entry_id": "b"}]})").ok());
}

}  // namespace
}  // namespace sigil::server::cli
