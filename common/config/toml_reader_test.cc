#include "common/config/toml_reader.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil::config {
namespace {

using ::testing::HasSubstr;

TEST(TomlReaderTest, ReadsTypedValues) {
  auto r = TomlReader::Parse(R"(
[server]
trust_domain = "example.org"
ca_ttl = "12h"
port = 8081
debug = true
names = ["a", "b"]
)",
                             "test.toml");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(**r->GetString("server.trust_domain"), "example.org");
  EXPECT_EQ(**r->GetDuration("server.ca_ttl"), absl::Hours(12));
  EXPECT_EQ(**r->GetInt("server.port"), 8081);
  EXPECT_TRUE(**r->GetBool("server.debug"));
  EXPECT_EQ((**r->GetStringArray("server.names")).size(), 2u);
  EXPECT_TRUE(r->CheckAllKeysUsed().ok());
}

TEST(TomlReaderTest, AbsentKeyIsNullopt) {
  TomlReader r = TomlReader::Empty();
  auto v = r.GetString("server.missing");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
}

TEST(TomlReaderTest, WrongTypeNamesTheKey) {
  auto r = TomlReader::Parse("[server]\nca_ttl = true\n", "s.toml");
  ASSERT_TRUE(r.ok());
  auto v = r->GetDuration("server.ca_ttl");
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(std::string(v.status().message()),
              HasSubstr("s.toml: server.ca_ttl: expected a duration"));
}

TEST(TomlReaderTest, DurationAcceptsIntegerSecondsAndRejectsNegative) {
  auto r = TomlReader::Parse("a = 90\nb = \"-5m\"\n", "t");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(**r->GetDuration("a"), absl::Seconds(90));
  EXPECT_FALSE(r->GetDuration("b").ok());
}

TEST(TomlReaderTest, ReportsUnknownKeys) {
  auto r = TomlReader::Parse("[server]\ntrust_domain = \"x\"\ntrust_domian = \"y\"\n", "t.toml");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->GetString("server.trust_domain").ok());
  absl::Status s = r->CheckAllKeysUsed();
  EXPECT_THAT(std::string(s.message()), HasSubstr("unknown key server.trust_domian"));
}

TEST(TomlReaderTest, ReportsUnknownTables) {
  auto r = TomlReader::Parse("[sever]\nx = 1\n", "t.toml");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(std::string(r->CheckAllKeysUsed().message()), HasSubstr("unknown key sever"));
}

TEST(TomlReaderTest, SyntaxErrorNamesLine) {
  auto r = TomlReader::Parse("a = 1\nb = = 2\n", "bad.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("bad.toml:2:"));
}

TEST(TomlReaderTest, ReadsATrustDomainAndNamesTheKeyOfABadOne) {
  auto r = TomlReader::Parse("good = \"example.org\"\nbad = \"Example.org\"\n", "t.toml");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((**r->GetTrustDomain("good")).name(), "example.org");
  EXPECT_FALSE(r->GetTrustDomain("absent")->has_value());
  auto bad = r->GetTrustDomain("bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("bad: trust domain has an uppercase letter at byte 0"));
}

TEST(TomlReaderTest, AssignIfSetKeepsTheDefaultForAnAbsentKey) {
  auto r = TomlReader::Parse("set = \"x\"\n", "t.toml");
  ASSERT_TRUE(r.ok());
  std::string set = "default";
  std::string unset = "default";
  ASSERT_TRUE(AssignIfSet(r->GetString("set"), set).ok());
  ASSERT_TRUE(AssignIfSet(r->GetString("unset"), unset).ok());
  EXPECT_EQ(set, "x");
  EXPECT_EQ(unset, "default");
}

TEST(TomlReaderTest, MissingFileIsNotFound) {
  auto r = TomlReader::ParseFile("/nonexistent/sigil.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace sigil::config
