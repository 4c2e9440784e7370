#include "server/datastore/types.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil::server {
namespace {

using ::testing::HasSubstr;

SpiffeId Id(std::string_view s) { return SpiffeId::Parse(s).value(); }

RegistrationEntry ValidEntry() {
  return RegistrationEntry{
      .spiffe_id = Id("spiffe://example.org/web"),
      .parent_id = Id("spiffe://example.org/agent/a"),
      .selectors = {Selector{"unix", "uid:1000"}},
  };
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(SelectorParseTest, SplitsAtTheFirstColon) {
  absl::StatusOr<Selector> s = Selector::Parse("unix:uid:1000");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->type, "unix");
  EXPECT_EQ(s->value, "uid:1000");
  EXPECT_EQ(s->ToString(), "unix:uid:1000");
}

TEST(SelectorParseTest, RefusesTextWithoutAType) {
  absl::StatusOr<Selector> s = Selector::Parse("uid1000");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s.status()), HasSubstr("no type"));
}

TEST(SelectorParseTest, RefusesAnEmptyType) {
  EXPECT_THAT(Message(Selector::Parse(":uid:1").status()), HasSubstr("selector type is empty"));
}

TEST(SelectorParseTest, RefusesAnEmptyValue) {
  EXPECT_THAT(Message(Selector::Parse("unix:").status()), HasSubstr("selector value is empty"));
}

TEST(SelectorParseTest, RefusesUppercaseInTheType) {
  EXPECT_THAT(Message(Selector::Parse("Unix:uid:1").status()), HasSubstr("[a-z0-9_-]"));
}

TEST(SelectorParseTest, RefusesControlCharactersInTheValue) {
  EXPECT_THAT(Message(Selector::Parse("unix:uid\n1").status()),
              HasSubstr("control character at byte 3"));
}

TEST(SelectorParseTest, RefusesAnOverlongValue) {
  EXPECT_EQ(Selector::Parse("a:" + std::string(kMaxSelectorValueLength + 1, 'v')).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RegistrationEntryValidateTest, AcceptsAMinimalEntry) {
  EXPECT_TRUE(ValidateRegistrationEntry(ValidEntry()).ok());
}

TEST(RegistrationEntryValidateTest, RefusesATrustDomainAsSpiffeId) {
  RegistrationEntry e = ValidEntry();
  e.spiffe_id = Id("spiffe://example.org");
  EXPECT_THAT(Message(ValidateRegistrationEntry(e)), HasSubstr("spiffe_id"));
}

TEST(RegistrationEntryValidateTest, RefusesRepeatedSelectors) {
  RegistrationEntry e = ValidEntry();
  e.selectors.push_back(e.selectors[0]);
  EXPECT_THAT(Message(ValidateRegistrationEntry(e)), HasSubstr("selectors[1] repeats"));
}

TEST(RegistrationEntryValidateTest, RefusesTooManySelectors) {
  RegistrationEntry e = ValidEntry();
  for (size_t i = 0; i < kMaxEntrySelectors; ++i) {
    e.selectors.push_back(Selector{"k", std::to_string(i)});
  }
  EXPECT_EQ(ValidateRegistrationEntry(e).code(), absl::StatusCode::kInvalidArgument);
}

TEST(RegistrationEntryValidateTest, RefusesANegativeJwtTtl) {
  RegistrationEntry e = ValidEntry();
  e.jwt_svid_ttl_seconds = -5;
  EXPECT_THAT(Message(ValidateRegistrationEntry(e)), HasSubstr("jwt_svid_ttl is negative"));
}

TEST(RegistrationEntryValidateTest, AcceptsAWildcardFirstDnsLabel) {
  RegistrationEntry e = ValidEntry();
  e.dns_names = {"*.example.org", "Web-1.example.org"};
  EXPECT_TRUE(ValidateRegistrationEntry(e).ok());
}

TEST(RegistrationEntryValidateTest, RefusesAWildcardBelowTheFirstLabel) {
  RegistrationEntry e = ValidEntry();
  e.dns_names = {"a.*.example.org"};
  EXPECT_THAT(Message(ValidateRegistrationEntry(e)), HasSubstr("dns_names[0]"));
}

TEST(RegistrationEntryValidateTest, RefusesAnEmptyDnsLabel) {
  RegistrationEntry e = ValidEntry();
  e.dns_names = {"a..example.org"};
  EXPECT_THAT(Message(ValidateRegistrationEntry(e)), HasSubstr("empty label at byte 2"));
}

TEST(RegistrationEntryValidateTest, RefusesALabelEndingInAHyphen) {
  RegistrationEntry e = ValidEntry();
  e.dns_names = {"web-.example.org"};
  EXPECT_EQ(ValidateRegistrationEntry(e).code(), absl::StatusCode::kInvalidArgument);
}

TEST(RegistrationEntryValidateTest, RefusesRepeatedDnsNames) {
  RegistrationEntry e = ValidEntry();
  e.dns_names = {"a.example.org", "a.example.org"};
  EXPECT_THAT(Message(ValidateRegistrationEntry(e)), HasSubstr("dns_names[1] repeats"));
}

TEST(RegistrationEntryValidateTest, RefusesRepeatedFederatedTrustDomains) {
  RegistrationEntry e = ValidEntry();
  e.federates_with = {TrustDomain::FromString("a.org").value(),
                      TrustDomain::FromString("a.org").value()};
  EXPECT_THAT(Message(ValidateRegistrationEntry(e)), HasSubstr("federates_with[1] repeats"));
}

TEST(RegistrationEntryValidateTest, RefusesAnEntryIdWithASlash) {
  RegistrationEntry e = ValidEntry();
  e.entry_id = "a/b";
  EXPECT_THAT(Message(ValidateRegistrationEntry(e)), HasSubstr("entry_id has a character"));
}

TEST(RegistrationEntryValidateTest, RefusesAnOverlongDescription) {
  RegistrationEntry e = ValidEntry();
  e.description = std::string(kMaxDescriptionLength + 1, 'd');
  EXPECT_THAT(Message(ValidateRegistrationEntry(e)), HasSubstr("description"));
}

TEST(AttestedNodeValidateTest, RefusesAnEmptyAttestationType) {
  AttestedNode n{.spiffe_id = Id("spiffe://example.org/agent/x")};
  EXPECT_THAT(Message(ValidateAttestedNode(n)), HasSubstr("attestation_type is empty"));
}

TEST(JoinTokenValidateTest, RefusesAnOverlongTokenWithoutEchoingIt) {
  const std::string secret(kMaxJoinTokenLength + 1, 's');
  const absl::Status s = ValidateJoinToken(JoinToken{.token = SecretBytes(secret)});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(s).find("sss"), std::string::npos);
}

TEST(AuthorityValidateTest, RefusesAnX509AuthorityWithoutCertificate) {
  AuthorityRecord a{.kind = AuthorityKind::kX509,
                    .authority_id = "ab",
                    .public_key_der = "k",
                    .not_before = absl::UnixEpoch(),
                    .not_after = absl::UnixEpoch() + absl::Hours(1)};
  EXPECT_THAT(Message(ValidateAuthorityRecord(a)), HasSubstr("certificate_der"));
}

TEST(AuthorityValidateTest, RefusesNotAfterBeforeNotBefore) {
  AuthorityRecord a{.kind = AuthorityKind::kJwt,
                    .authority_id = "kid",
                    .public_key_der = "k",
                    .not_before = absl::UnixEpoch() + absl::Hours(1),
                    .not_after = absl::UnixEpoch()};
  EXPECT_THAT(Message(ValidateAuthorityRecord(a)), HasSubstr("not_after"));
}

TEST(FederationValidateTest, RefusesAPlainHttpEndpoint) {
  FederationRelationship r{.trust_domain = TrustDomain::FromString("a.org").value(),
                           .bundle_endpoint_url = "http://a.org/bundle"};
  EXPECT_THAT(Message(ValidateFederationRelationship(r)), HasSubstr("https://"));
}

TEST(FederationValidateTest, RefusesAnEndpointIdForHttpsWeb) {
  FederationRelationship r{.trust_domain = TrustDomain::FromString("a.org").value(),
                           .bundle_endpoint_url = "https://a.org/bundle",
                           .profile = FederationProfile::kHttpsWeb,
                           .endpoint_spiffe_id = Id("spiffe://a.org/server")};
  EXPECT_THAT(Message(ValidateFederationRelationship(r)), HasSubstr("takes no endpoint_spiffe_id"));
}

TEST(EnumNamesTest, RoundTripEveryEventKind) {
  for (int k = 0; k <= static_cast<int>(EventKind::kFederationDeleted); ++k) {
    const auto kind = static_cast<EventKind>(k);
    absl::StatusOr<EventKind> parsed = ParseEventKind(EventKindName(kind));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, kind);
  }
}

TEST(EnumNamesTest, RefusesAnUnknownName) {
  EXPECT_EQ(ParseAuthorityState("retired").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sigil::server
