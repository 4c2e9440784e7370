#include "agent/cli/endpoint.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sigil::agent::cli {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(std::string_view address) {
  auto target = ParseEndpointAddress(address);
  return target.ok() ? "" : std::string(target.status().message());
}

// WAPI-05: unix form.
TEST(EndpointTest, AcceptsUnixWithEmptyAuthority) {
  EXPECT_EQ(*ParseEndpointAddress("unix:///run/spire/api.sock"), "unix:/run/spire/api.sock");
}

TEST(EndpointTest, AcceptsUnixWithoutAuthority) {
  EXPECT_EQ(*ParseEndpointAddress("unix:/run/api.sock"), "unix:/run/api.sock");
}

TEST(EndpointTest, RejectsUnixWithHost) {
  EXPECT_THAT(ErrorOf("unix://host/run/api.sock"), HasSubstr("must not name a host"));
}

TEST(EndpointTest, RejectsUnixRelativePath) {
  EXPECT_THAT(ErrorOf("unix:run/api.sock"), HasSubstr("absolute path"));
}

TEST(EndpointTest, RejectsUnixQueryAndFragment) {
  EXPECT_THAT(ErrorOf("unix:///run/api.sock?x=1"), HasSubstr("query or fragment"));
  EXPECT_THAT(ErrorOf("unix:///run/api.sock#f"), HasSubstr("query or fragment"));
}

TEST(EndpointTest, RejectsUnixDirectory) {
  EXPECT_THAT(ErrorOf("unix:///"), HasSubstr("socket file"));
}

// WAPI-06: tcp form.
TEST(EndpointTest, AcceptsTcpIpv4) {
  EXPECT_EQ(*ParseEndpointAddress("tcp://127.0.0.1:8000"), "127.0.0.1:8000");
}

TEST(EndpointTest, AcceptsTcpBracketedIpv6) {
  EXPECT_EQ(*ParseEndpointAddress("tcp://[::1]:8000"), "[::1]:8000");
}

TEST(EndpointTest, RejectsTcpPathEvenSlash) {
  EXPECT_THAT(ErrorOf("tcp://127.0.0.1:8000/foo"), HasSubstr("path"));
  EXPECT_THAT(ErrorOf("tcp://127.0.0.1:8000/"), HasSubstr("path"));
}

TEST(EndpointTest, RejectsTcpHostName) {
  EXPECT_THAT(ErrorOf("tcp://localhost:8000"), HasSubstr("IP literal"));
}

TEST(EndpointTest, RejectsTcpWithoutPort) {
  EXPECT_THAT(ErrorOf("tcp://127.0.0.1"), HasSubstr("port"));
  EXPECT_THAT(ErrorOf("tcp://127.0.0.1:"), HasSubstr("port"));
  EXPECT_THAT(ErrorOf("tcp://127.0.0.1:70000"), HasSubstr("port"));
}

TEST(EndpointTest, RejectsTcpUserinfo) {
  EXPECT_THAT(ErrorOf("tcp://u@127.0.0.1:8000"), HasSubstr("userinfo"));
}

TEST(EndpointTest, RejectsTcpQuery) {
  EXPECT_THAT(ErrorOf("tcp://127.0.0.1:8000?a"), HasSubstr("query"));
}

TEST(EndpointTest, RejectsOtherSchemes) {
  EXPECT_THAT(ErrorOf("http://127.0.0.1:8000"), HasSubstr("unix or tcp"));
  EXPECT_THAT(ErrorOf("/run/api.sock"), HasSubstr("unix or tcp"));
}

// WAPI-04: the explicit address first, then the environment, then the default.
TEST(EndpointTest, FlagWinsOverEnvironment) {
  EXPECT_EQ(*ResolveEndpoint("/tmp/a.sock", "unix:///tmp/b.sock"), "unix:/tmp/a.sock");
}

TEST(EndpointTest, EnvironmentUsedWithoutFlag) {
  EXPECT_EQ(*ResolveEndpoint("", "unix:///tmp/b.sock"), "unix:/tmp/b.sock");
}

TEST(EndpointTest, BadEnvironmentNamesTheVariable) {
  auto target = ResolveEndpoint("", "unix://host/x");
  ASSERT_FALSE(target.ok());
  EXPECT_THAT(std::string(target.status().message()), HasSubstr("SPIFFE_ENDPOINT_SOCKET"));
}

TEST(EndpointTest, DefaultSocketWithoutFlagOrEnvironment) {
  EXPECT_EQ(*ResolveEndpoint("", nullptr), "unix:/tmp/sigil-agent/public/api.sock");
}

}  // namespace
}  // namespace sigil::agent::cli
