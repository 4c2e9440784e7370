#include "server/cli/print.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil::server::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

sigil::admin::v1::Entry Sample() {
  sigil::admin::v1::Entry entry;
  entry.set_id("e1");
  entry.set_spiffe_id("spiffe://example.org/web");
  entry.set_parent_id("spiffe://example.org/sigil/server");
  entry.set_revision(2);
  entry.set_x509_svid_ttl(3600);
  auto* s = entry.add_selectors();
  s->set_type("unix");
  s->set_value("uid:1000");
  return entry;
}

TEST(EntryTextTest, LaysOutFieldsLikeSpire) {
  const std::string text = EntryText(Sample());
  EXPECT_THAT(text, HasSubstr("Entry ID         : e1\n"));
  EXPECT_THAT(text, HasSubstr("SPIFFE ID        : spiffe://example.org/web\n"));
  EXPECT_THAT(text, HasSubstr("Parent ID        : spiffe://example.org/sigil/server\n"));
  EXPECT_THAT(text, HasSubstr("Revision         : 2\n"));
  EXPECT_THAT(text, HasSubstr("X509-SVID TTL    : 1h\n"));
  EXPECT_THAT(text, HasSubstr("JWT-SVID TTL     : default\n"));
  EXPECT_THAT(text, HasSubstr("Selector         : unix:uid:1000\n"));
}

TEST(EntryTextTest, OmitsUnsetOptionalFields) {
  const std::string text = EntryText(Sample());
  EXPECT_THAT(text, Not(HasSubstr("Owner")));
  EXPECT_THAT(text, Not(HasSubstr("Expires at")));
  EXPECT_THAT(text, Not(HasSubstr("Admin")));
}

TEST(EntryTextTest, EscapesControlCharacters) {
  sigil::admin::v1::Entry entry = Sample();
  entry.set_description("line\n\x1b[2J");
  EXPECT_THAT(EntryText(entry), HasSubstr("Description      : line\\x0a\\x1b[2J\n"));
}

TEST(AuthorityTextTest, NamesTypeAndState) {
  sigil::admin::v1::Authority authority;
  authority.set_id("abcd");
  authority.set_kind(sigil::admin::v1::AUTHORITY_KIND_JWT);
  authority.set_state("prepared");
  const std::string text = AuthorityText(authority);
  EXPECT_THAT(text, HasSubstr("Type             : jwt\n"));
  EXPECT_THAT(text, HasSubstr("State            : prepared\n"));
  EXPECT_EQ(AuthorityToJson(authority)["type"], "jwt");
}

}  // namespace
}  // namespace sigil::server::cli
