#include "agent/cli/endpoint.h"

#include <arpa/inet.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "agent/config/agent_config.h"
#include "sigil/status.h"

namespace sigil::agent::cli {
namespace {

constexpr size_t kMaxAddressLength = 4096;

absl::Status Bad(std::string_view address, std::string_view rule) {
  return absl::InvalidArgumentError(
      absl::StrCat("workload endpoint \"", AsAbsl(address), "\": ", AsAbsl(rule)));
}

absl::StatusOr<std::string> ParseUnix(std::string_view address, std::string_view rest) {
  // rest follows "unix:"; "//" introduces an authority, which must be empty.
  if (rest.starts_with("//")) {
    rest.remove_prefix(2);
    if (!rest.starts_with("/")) {
      return Bad(address, "a unix address must not name a host (use unix:///path)");
    }
  }
  if (!rest.starts_with("/")) {
    return Bad(address, "a unix address needs an absolute path (unix:///path)");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Bad(address, "a unix address must not have a query or fragment");
  }
  if (rest.size() == 1 || rest.ends_with("/")) {
    return Bad(address, "a unix address must name a socket file, not a directory");
  }
  return absl::StrCat("unix:", AsAbsl(rest));
}

absl::StatusOr<std::string> ParseTcp(std::string_view address, std::string_view rest) {
  if (!rest.starts_with("//")) {
    return Bad(address, "a tcp address is tcp://IP:PORT");
  }
  rest.remove_prefix(2);
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    return Bad(address, "a tcp address must not have a path, query or fragment");
  }
  if (rest.find('@') != std::string_view::npos) {
    return Bad(address, "a tcp address must not have userinfo");
  }
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    return Bad(address, "a tcp address needs a port");
  }
  std::string_view host = rest.substr(0, colon);
  std::string_view port_text = rest.substr(colon + 1);
  int port = 0;
  if (port_text.empty() || !absl::SimpleAtoi(AsAbsl(port_text), &port) || port < 1 ||
      port > 65535 || port_text.find_first_not_of("0123456789") != std::string_view::npos) {
    return Bad(address, "a tcp address needs a port from 1 to 65535");
  }
  unsigned char buf[16];
  if (host.starts_with("[") && host.ends_with("]") && host.size() > 2) {
    const std::string v6(host.substr(1, host.size() - 2));
    if (inet_pton(AF_INET6, v6.c_str(), buf) == 1) {
      return absl::StrCat(AsAbsl(host), ":", port);
    }
  } else if (inet_pton(AF_INET, std::string(host).c_str(), buf) == 1) {
    return absl::StrCat(AsAbsl(host), ":", port);
  }
  return Bad(address, "a tcp address needs an IP literal host (IPv6 in brackets), not a name");
}

}  // namespace

absl::StatusOr<std::string> ParseEndpointAddress(std::string_view address) {
  if (address.size() > kMaxAddressLength) {
    return absl::InvalidArgumentError("workload endpoint address is longer than 4096 bytes");
  }
  if (address.starts_with("unix:")) {
    return ParseUnix(address, address.substr(5));
  }
  if (address.starts_with("tcp:")) {
    return ParseTcp(address, address.substr(4));
  }
  return Bad(address, "the scheme must be unix or tcp");
}

absl::StatusOr<std::string> ResolveEndpoint(std::string_view flag, const char* env) {
  if (!flag.empty()) {
    if (flag.starts_with("unix:") || flag.starts_with("tcp:")) {
      return ParseEndpointAddress(flag);
    }
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(std::string(flag), ec);
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat("--socket: ", ec.message()));
    }
    return absl::StrCat("unix:", absolute.string());
  }
  if (env != nullptr && *env != '\0') {
    absl::StatusOr<std::string> target = ParseEndpointAddress(env);
    if (!target.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(kEndpointEnvVar, ": ", target.status().message()));
    }
    return target;
  }
  return absl::StrCat("unix:", kDefaultWorkloadSocketPath);
}

}  // namespace sigil::agent::cli
