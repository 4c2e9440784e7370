// SPIFFE ID and trust domain rules, one case per behaviour, named after CONFORMANCE.md
// section 1 (ID-01..ID-24). The tables hold inputs whose rule and byte offset the error must
// name; every offset below was counted by hand against the input.
#include "sigil/spiffe_id.h"

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil {
namespace {

using ::testing::HasSubstr;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TrustDomain ExampleOrg() { return *TrustDomain::FromString("example.org"); }

// ---------------------------------------------------------------------------------------------
// Inputs that must parse, and whose string form must equal the input byte for byte (ID-18).

struct AcceptCase {
  std::string name;
  std::string id;
  std::string trust_domain;
  std::string path;
};

// Test names show the case name, not a byte dump of the struct.
void PrintTo(const AcceptCase& c, std::ostream* os) { *os << c.name; }

class SpiffeIdAcceptTest : public ::testing::TestWithParam<AcceptCase> {};

TEST_P(SpiffeIdAcceptTest, ParsesIntoTrustDomainAndPathWithoutNormalising) {
  const AcceptCase& c = GetParam();
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(c.id);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->str(), c.id);  // ID-18
  EXPECT_EQ(id->trust_domain().name(), c.trust_domain);
  EXPECT_EQ(id->path(), c.path);
}

INSTANTIATE_TEST_SUITE_P(
    SpiffeIdParseTest, SpiffeIdAcceptTest,
    ::testing::Values(
        // ID-09: the path is optional; without it the ID names the trust domain.
        AcceptCase{"AcceptsIdWithoutPath", "spiffe://example.org", "example.org", ""},
        AcceptCase{"AcceptsMultiSegmentPath", "spiffe://example.org/ns/prod/sa/web", "example.org",
                   "/ns/prod/sa/web"},
        // ID-03: the whole trust-domain character set.
        AcceptCase{"AcceptsEveryTrustDomainCharacterClass", "spiffe://a-b_c.d0/x", "a-b_c.d0",
                   "/x"},
        // ID-07: no IP or DNS special-casing.
        AcceptCase{"AcceptsIpv4LikeTrustDomain", "spiffe://192.168.0.1/x", "192.168.0.1", "/x"},
        AcceptCase{"AcceptsLeadingHyphenLabel", "spiffe://-a.example/x", "-a.example", "/x"},
        AcceptCase{"AcceptsTrailingHyphenLabel", "spiffe://a-.example/x", "a-.example", "/x"},
        AcceptCase{"AcceptsEmptyDnsLabel", "spiffe://a..b/x", "a..b", "/x"},
        AcceptCase{"AcceptsTrailingDotTrustDomain", "spiffe://example.org./x", "example.org.",
                   "/x"},
        AcceptCase{"AcceptsDotAloneAsTrustDomain", "spiffe://./x", ".", "/x"},
        AcceptCase{"AcceptsLabelLongerThan63Bytes",
                   "spiffe://" + std::string(64, 'a') + ".example/x",
                   std::string(64, 'a') + ".example", "/x"},
        // ID-10: the path character set includes uppercase, digits, '.', '-', '_'.
        AcceptCase{"AcceptsEveryPathCharacterClass", "spiffe://example.org/Web/API_v1-2.0",
                   "example.org", "/Web/API_v1-2.0"},
        // ID-12: segments that merely contain dots are fine.
        AcceptCase{"AcceptsDotsInsidePathSegments", "spiffe://example.org/.a/a./..a/.../a..b",
                   "example.org", "/.a/a./..a/.../a..b"},
        // ID-24: auto-generated trust domains use a UUID to stay globally unique.
        AcceptCase{"AcceptsUuidTrustDomain",
                   "spiffe://3f2504e0-4f89-11d3-9a0c-0305e82c3301.example.org/x",
                   "3f2504e0-4f89-11d3-9a0c-0305e82c3301.example.org", "/x"}),
    [](const ::testing::TestParamInfo<AcceptCase>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// Inputs that must be refused with kInvalidArgument and a message naming rule and byte.

struct RejectCase {
  std::string name;
  std::string id;
  std::string message;
};

// Test names show the case name, not a byte dump of the struct.
void PrintTo(const RejectCase& c, std::ostream* os) { *os << c.name; }

class SpiffeIdRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(SpiffeIdRejectTest, RejectsNamingRuleAndByte) {
  const RejectCase& c = GetParam();
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(c.id);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(id.status()), HasSubstr(c.message));
}

constexpr std::string_view kSchemeMessage = "must start with the scheme \"spiffe://\"";

INSTANTIATE_TEST_SUITE_P(
    SpiffeIdParseTest, SpiffeIdRejectTest,
    ::testing::Values(
        RejectCase{"RejectsEmptyInput", "", "SPIFFE ID is empty"},
        // ID-01: the scheme is exactly "spiffe://".
        RejectCase{"RejectsMissingScheme", "example.org/x", std::string(kSchemeMessage)},
        RejectCase{"RejectsSingleSlashScheme", "spiffe:/example.org/x",
                   std::string(kSchemeMessage)},
        RejectCase{"RejectsSchemeWithoutSlashes", "spiffe:example.org",
                   std::string(kSchemeMessage)},
        RejectCase{"RejectsBareSchemeName", "spiffe:", std::string(kSchemeMessage)},
        RejectCase{"RejectsHttpScheme", "http://example.org/x", std::string(kSchemeMessage)},
        // ID-06: scheme case is not folded.
        RejectCase{"RejectsUppercaseScheme", "SPIFFE://example.org/x", std::string(kSchemeMessage)},
        RejectCase{"RejectsMixedCaseScheme", "Spiffe://example.org/x", std::string(kSchemeMessage)},
        // ID-02: the trust domain is non-empty.
        RejectCase{"RejectsSchemeAlone", "spiffe://", "trust domain is empty"},
        RejectCase{"RejectsEmptyTrustDomainBeforePath", "spiffe:///x", "trust domain is empty"},
        // ID-03: trust-domain bytes are [a-z0-9._-].
        RejectCase{"RejectsSpaceInTrustDomain", "spiffe://exa mple.org/x",
                   "trust domain has a space at byte 12"},
        RejectCase{"RejectsPlusInTrustDomain", "spiffe://exa+mple.org/x",
                   "trust domain has an invalid character '+' at byte 12"},
        RejectCase{"RejectsControlByteInTrustDomain", "spiffe://example.org\t/x",
                   "trust domain has a control byte 0x09 at byte 20"},
        RejectCase{"RejectsIpv6LiteralTrustDomain", "spiffe://[::1]/x",
                   "trust domain has an IPv6 bracket at byte 9"},
        RejectCase{"RejectsQueryAfterTrustDomain", "spiffe://example.org?",
                   "trust domain has a query ('?') at byte 20"},
        RejectCase{"RejectsFragmentAfterTrustDomain", "spiffe://example.org#frag",
                   "trust domain has a fragment ('#') at byte 20"},
        // ID-04: userinfo and port, even empty ones.
        RejectCase{"RejectsUserinfo", "spiffe://user@example.org/x",
                   "trust domain has userinfo ('@') at byte 13"},
        RejectCase{"RejectsEmptyUserinfo", "spiffe://@example.org/x",
                   "trust domain has userinfo ('@') at byte 9"},
        RejectCase{"RejectsPort", "spiffe://example.org:8443/x",
                   "trust domain has a port or colon (':') at byte 20"},
        RejectCase{"RejectsEmptyPort", "spiffe://example.org:/x",
                   "trust domain has a port or colon (':') at byte 20"},
        // ID-05: uppercase trust domains are refused, not lowercased.
        RejectCase{"RejectsUppercaseInTrustDomain", "spiffe://examPle.org/x",
                   "trust domain has an uppercase letter at byte 13"},
        RejectCase{"RejectsUppercaseTrustDomainStart", "spiffe://Example.org",
                   "trust domain has an uppercase letter at byte 9"},
        RejectCase{"RejectsUppercaseTopLevelLabel", "spiffe://example.ORG/x",
                   "trust domain has an uppercase letter at byte 17"},
        // ID-10: path bytes are [a-zA-Z0-9._-] and '/'.
        RejectCase{"RejectsSpaceInPath", "spiffe://example.org/a b", "path has a space at byte 22"},
        RejectCase{"RejectsPlusInPath", "spiffe://example.org/a+b",
                   "path has an invalid character '+' at byte 22"},
        RejectCase{"RejectsColonInPath", "spiffe://example.org/a:b",
                   "path has a port or colon (':') at byte 22"},
        RejectCase{"RejectsAtSignInPath", "spiffe://example.org/ns/a@b",
                   "path has userinfo ('@') at byte 25"},
        // ID-11: no empty segments.
        RejectCase{"RejectsEmptyLeadingSegment", "spiffe://example.org//x",
                   "path has an empty segment at byte 21"},
        RejectCase{"RejectsEmptyInnerSegment", "spiffe://example.org/a//b",
                   "path has an empty segment at byte 23"},
        // ID-12: no "." or ".." segments.
        RejectCase{"RejectsDotSegment", "spiffe://example.org/.",
                   "path has a '.' segment at byte 21"},
        RejectCase{"RejectsDotDotSegment", "spiffe://example.org/..",
                   "path has a '..' segment at byte 21"},
        RejectCase{"RejectsInnerDotDotSegment", "spiffe://example.org/a/../b",
                   "path has a '..' segment at byte 23"},
        // ID-13: no trailing slash.
        RejectCase{"RejectsSlashAfterTrustDomain", "spiffe://example.org/",
                   "path has a trailing '/' at byte 20"},
        RejectCase{"RejectsTrailingSlash", "spiffe://example.org/a/",
                   "path has a trailing '/' at byte 22"},
        // ID-14: '%' is illegal and never decoded first.
        RejectCase{"RejectsPercentEncodedDots", "spiffe://example.org/%2e%2e",
                   "path has a percent-encoded character ('%') at byte 21"},
        RejectCase{"RejectsPercentEncodedSlash", "spiffe://example.org/a%2Fb",
                   "path has a percent-encoded character ('%') at byte 22"},
        RejectCase{"RejectsPercentEncodingInTrustDomain", "spiffe://ex%41mple.org/x",
                   "trust domain has a percent-encoded character ('%') at byte 11"},
        // ID-15: no query or fragment, even empty.
        RejectCase{"RejectsEmptyQuery", "spiffe://example.org/x?",
                   "path has a query ('?') at byte 22"},
        RejectCase{"RejectsQuery", "spiffe://example.org/x?a=b",
                   "path has a query ('?') at byte 22"},
        RejectCase{"RejectsEmptyFragment", "spiffe://example.org/x#",
                   "path has a fragment ('#') at byte 22"},
        // ID-19: raw bytes, length-delimited; anything >= 0x80 rejects, UTF-8 or not.
        RejectCase{"RejectsEmbeddedNulInPath", std::string("spiffe://example.org/a\0b", 24),
                   "path has a NUL byte at byte 22"},
        RejectCase{"RejectsEmbeddedNulInTrustDomain", std::string("spiffe://exa\0mple.org/x", 23),
                   "trust domain has a NUL byte at byte 12"},
        RejectCase{"RejectsNonAsciiTrustDomainEvenIfValidUtf8", "spiffe://ex\xc3\xa4mple.org/x",
                   "trust domain has a non-ASCII byte 0xc3 at byte 11"},
        RejectCase{"RejectsNonAsciiPathEvenIfValidUtf8", "spiffe://example.org/caf\xc3\xa9",
                   "path has a non-ASCII byte 0xc3 at byte 24"},
        RejectCase{"RejectsInvalidUtf8Byte", "spiffe://example.org/\xff",
                   "path has a non-ASCII byte 0xff at byte 21"}),
    [](const ::testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// Length limits.

// ID-08
TEST(SpiffeIdParseTest, Accepts255ByteTrustDomain) {
  const std::string td(kMaxTrustDomainLength, 'a');
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse("spiffe://" + td + "/x");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->trust_domain().name(), td);
}

// ID-08
TEST(SpiffeIdParseTest, Rejects256ByteTrustDomain) {
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse("spiffe://" + std::string(256, 'a') + "/x");
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(Message(id.status()),
              HasSubstr("trust domain is 256 bytes, longer than the 255-byte maximum"));
}

// The longest legal ID: 9 scheme bytes, a 255-byte trust domain and a path filling the rest.
std::string IdOfLength(size_t length) {
  const std::string prefix = "spiffe://" + std::string(kMaxTrustDomainLength, 'a') + "/";
  return prefix + std::string(length - prefix.size(), 'p');
}

// ID-16
TEST(SpiffeIdParseTest, Accepts2048ByteId) {
  const std::string input = IdOfLength(kMaxSpiffeIdLength);
  ASSERT_EQ(input.size(), 2048u);
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(input);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->str(), input);
}

// ID-16
TEST(SpiffeIdParseTest, Rejects2049ByteId) {
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(IdOfLength(kMaxSpiffeIdLength + 1));
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(Message(id.status()),
              HasSubstr("SPIFFE ID is 2049 bytes, longer than the 2048-byte maximum"));
}

// ID-16: far longer input is refused by its length alone, without scanning it.
TEST(SpiffeIdParseTest, RejectsMegabyteInputWithoutCrashing) {
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse("spiffe://" + std::string(1 << 20, '\xff'));
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(Message(id.status()), HasSubstr("longer than the 2048-byte maximum"));
}

// ---------------------------------------------------------------------------------------------
// Equality and string form.

// ID-17
TEST(SpiffeIdParseTest, ComparesPathsCaseSensitively) {
  EXPECT_NE(*SpiffeId::Parse("spiffe://example.org/Web"),
            *SpiffeId::Parse("spiffe://example.org/web"));
}

// ID-17
TEST(SpiffeIdParseTest, EqualsIdParsedFromSameBytes) {
  EXPECT_EQ(*SpiffeId::Parse("spiffe://example.org/web"),
            *SpiffeId::Parse("spiffe://example.org/web"));
}

// ID-18
TEST(SpiffeIdParseTest, StringFormEqualsInput) {
  const std::string input = "spiffe://example.org/A/b.c/..d/_-";
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse(input);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->str(), input);
}

// ---------------------------------------------------------------------------------------------
// Trust-domain IDs versus workload IDs.

// ID-20: the signing authority's ID is the trust domain's own, pathless ID.
TEST(TrustDomainTest, IdHasNoPathAndBelongsToTheTrustDomain) {
  const TrustDomain td = ExampleOrg();
  const SpiffeId id = td.Id();
  EXPECT_EQ(id.str(), "spiffe://example.org");
  EXPECT_EQ(td.IdString(), "spiffe://example.org");
  EXPECT_EQ(id.path(), "");
  EXPECT_TRUE(id.MemberOf(td));
}

// ID-23
TEST(SpiffeIdParseTest, MarksPathlessIdAsTrustDomainId) {
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse("spiffe://example.org");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(id->IsTrustDomainId());
}

// ID-23
TEST(SpiffeIdParseTest, DoesNotMarkWorkloadIdAsTrustDomainId) {
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse("spiffe://example.org/web");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_FALSE(id->IsTrustDomainId());
}

// SEC-05: membership is exact trust-domain equality, never a suffix match.
TEST(SpiffeIdParseTest, IsNotMemberOfParentDomain) {
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse("spiffe://prod.example.org/web");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_FALSE(id->MemberOf(ExampleOrg()));
}

// ---------------------------------------------------------------------------------------------
// TrustDomain::FromString (ID-21) and ValidateTrustDomainName.

// ID-21
TEST(TrustDomainTest, FromStringAcceptsBareName) {
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString("example.org");
  ASSERT_TRUE(td.ok()) << td.status();
  EXPECT_EQ(td->name(), "example.org");
}

// ID-21
TEST(TrustDomainTest, FromStringAcceptsFullId) {
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString("spiffe://example.org/ns/web");
  ASSERT_TRUE(td.ok()) << td.status();
  EXPECT_EQ(td->name(), "example.org");
}

// ID-21
TEST(TrustDomainTest, FromStringAcceptsTrustDomainId) {
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString("spiffe://example.org");
  ASSERT_TRUE(td.ok()) << td.status();
  EXPECT_EQ(td->name(), "example.org");
}

// ID-21: a full ID is validated whole, path included.
TEST(TrustDomainTest, FromStringRejectsFullIdWithInvalidPath) {
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString("spiffe://example.org/a/");
  ASSERT_FALSE(td.ok());
  EXPECT_THAT(Message(td.status()), HasSubstr("path has a trailing '/' at byte 22"));
}

// ID-21 with ID-06: ":/" selects ID parsing, so a wrong scheme is named as such.
TEST(TrustDomainTest, FromStringRejectsFullIdWithUppercaseScheme) {
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString("SPIFFE://example.org");
  ASSERT_FALSE(td.ok());
  EXPECT_THAT(Message(td.status()), HasSubstr(std::string(kSchemeMessage)));
}

// ID-21: a bare name may not carry a path.
TEST(TrustDomainTest, FromStringRejectsSlashInBareName) {
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString("example.org/x");
  ASSERT_FALSE(td.ok());
  EXPECT_THAT(Message(td.status()), HasSubstr("trust domain has a slash at byte 11"));
}

// ID-21: a bare name may not carry a port.
TEST(TrustDomainTest, FromStringRejectsColonInBareName) {
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString("example.org:8443");
  ASSERT_FALSE(td.ok());
  EXPECT_THAT(Message(td.status()), HasSubstr("trust domain has a port or colon (':') at byte 11"));
}

// ID-05 through the trust-domain API.
TEST(TrustDomainTest, FromStringRejectsUppercaseName) {
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString("example.Org");
  ASSERT_FALSE(td.ok());
  EXPECT_THAT(Message(td.status()), HasSubstr("trust domain has an uppercase letter at byte 8"));
}

// ID-02
TEST(TrustDomainTest, FromStringRejectsEmptyName) {
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString("");
  ASSERT_FALSE(td.ok());
  EXPECT_THAT(Message(td.status()), HasSubstr("trust domain is empty"));
}

// ID-08
TEST(TrustDomainTest, FromStringAccepts255ByteName) {
  EXPECT_TRUE(TrustDomain::FromString(std::string(255, 'a')).ok());
}

// ID-08
TEST(TrustDomainTest, FromStringRejects256ByteName) {
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString(std::string(256, 'a'));
  ASSERT_FALSE(td.ok());
  EXPECT_THAT(Message(td.status()), HasSubstr("256 bytes, longer than the 255-byte maximum"));
}

// ID-19
TEST(TrustDomainTest, FromStringRejectsEmbeddedNul) {
  absl::StatusOr<TrustDomain> td = TrustDomain::FromString(std::string_view("exa\0mple.org", 12));
  ASSERT_FALSE(td.ok());
  EXPECT_THAT(Message(td.status()), HasSubstr("a NUL byte at byte 3"));
}

// ID-07
TEST(TrustDomainTest, ValidateTrustDomainNameAcceptsIpv4LikeName) {
  EXPECT_TRUE(ValidateTrustDomainName("10.0.0.1").ok());
}

// ID-03
TEST(TrustDomainTest, ValidateTrustDomainNameRejectsAsterisk) {
  absl::Status status = ValidateTrustDomainName("a*b");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(Message(status), HasSubstr("trust domain has an invalid character '*' at byte 1"));
}

// SEC-05: trust domains compare by exact name.
TEST(TrustDomainTest, EqualsOnlySameName) {
  EXPECT_EQ(ExampleOrg(), *TrustDomain::FromString("spiffe://example.org/x"));
  EXPECT_NE(ExampleOrg(), *TrustDomain::FromString("example.org."));
}

// ---------------------------------------------------------------------------------------------
// Building IDs from a path or from segments (ID-22).

// ID-22
TEST(SpiffeIdFromSegmentsTest, JoinsSegmentsWithSlashes) {
  const std::vector<std::string_view> segments = {"ns", "prod", "sa", "web"};
  absl::StatusOr<SpiffeId> id = SpiffeId::FromSegments(ExampleOrg(), segments);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->str(), "spiffe://example.org/ns/prod/sa/web");
  EXPECT_EQ(id->path(), "/ns/prod/sa/web");
}

// ID-22
TEST(SpiffeIdFromSegmentsTest, NoSegmentsGiveTrustDomainId) {
  absl::StatusOr<SpiffeId> id = SpiffeId::FromSegments(ExampleOrg(), {});
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(id->IsTrustDomainId());
  EXPECT_EQ(id->str(), "spiffe://example.org");
}

// ID-22: each bad segment is named; positions are within the segment.
struct SegmentCase {
  std::string name;
  std::string segment;
  std::string message;
};

// Test names show the case name, not a byte dump of the struct.
void PrintTo(const SegmentCase& c, std::ostream* os) { *os << c.name; }

class SpiffeIdBadSegmentTest : public ::testing::TestWithParam<SegmentCase> {};

TEST_P(SpiffeIdBadSegmentTest, RejectsSegment) {
  const SegmentCase& c = GetParam();
  const std::vector<std::string_view> segments = {"ok", c.segment};
  absl::StatusOr<SpiffeId> id = SpiffeId::FromSegments(ExampleOrg(), segments);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(id.status()), HasSubstr(c.message));
}

INSTANTIATE_TEST_SUITE_P(
    SpiffeIdFromSegmentsTest, SpiffeIdBadSegmentTest,
    ::testing::Values(SegmentCase{"RejectsEmptySegment", "", "path segment is empty"},
                      SegmentCase{"RejectsDotSegment", ".", "path segment '.' is not allowed"},
                      SegmentCase{"RejectsDotDotSegment", "..", "path segment '..' is not allowed"},
                      SegmentCase{"RejectsSlashInsideSegment", "a/b",
                                  "path segment has a slash at byte 1"},
                      SegmentCase{"RejectsPercentInSegment", "a%2F",
                                  "path segment has a percent-encoded character ('%') at byte 1"},
                      SegmentCase{"RejectsNonAsciiSegment", "\xc3\xa9",
                                  "path segment has a non-ASCII byte 0xc3 at byte 0"}),
    [](const ::testing::TestParamInfo<SegmentCase>& info) { return info.param.name; });

// ID-22 with ID-16: segments that together exceed 2048 bytes are refused.
TEST(SpiffeIdFromSegmentsTest, RejectsResultLongerThan2048Bytes) {
  const std::string big(1500, 'a');
  const std::vector<std::string_view> segments = {big, big};
  absl::StatusOr<SpiffeId> id = SpiffeId::FromSegments(ExampleOrg(), segments);
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(Message(id.status()), HasSubstr("longer than the 2048-byte maximum"));
}

// ID-22
TEST(SpiffeIdFromPathTest, AcceptsEmptyPath) {
  absl::StatusOr<SpiffeId> id = SpiffeId::FromPath(ExampleOrg(), "");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(id->IsTrustDomainId());
}

// ID-22
TEST(SpiffeIdFromPathTest, AcceptsSlashPrefixedPath) {
  absl::StatusOr<SpiffeId> id = SpiffeId::FromPath(ExampleOrg(), "/a/b");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->str(), "spiffe://example.org/a/b");
  EXPECT_EQ(id->trust_domain(), ExampleOrg());
}

// ID-22
TEST(SpiffeIdFromPathTest, RejectsPathWithoutLeadingSlash) {
  absl::StatusOr<SpiffeId> id = SpiffeId::FromPath(ExampleOrg(), "a/b");
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(Message(id.status()), HasSubstr("path must start with '/' at byte 0"));
}

// ID-13 through the path API; the offset is within the path.
TEST(SpiffeIdFromPathTest, RejectsTrailingSlash) {
  absl::StatusOr<SpiffeId> id = SpiffeId::FromPath(ExampleOrg(), "/a/");
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(Message(id.status()), HasSubstr("path has a trailing '/' at byte 2"));
}

// ID-12 through the path API.
TEST(SpiffeIdFromPathTest, RejectsDotDotSegment) {
  absl::StatusOr<SpiffeId> id = SpiffeId::FromPath(ExampleOrg(), "/a/..");
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(Message(id.status()), HasSubstr("path has a '..' segment at byte 3"));
}

// ID-22
TEST(SpiffeIdFromPathTest, ValidatePathAcceptsEmptyString) { EXPECT_TRUE(ValidatePath("").ok()); }

// ID-22
TEST(SpiffeIdFromPathTest, ValidatePathSegmentAcceptsDottedName) {
  EXPECT_TRUE(ValidatePathSegment("..a").ok());
}

}  // namespace
}  // namespace sigil
