#include "jwt/compact.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "sigil/base64.h"
#include "sigil/jwt_svid.h"
#include "sigil/status.h"
#include "sigil/strict_json.h"

namespace sigil::jwt_internal {
namespace {

// Decodes one base64url segment and prefixes any error with the segment's name.
absl::StatusOr<std::string> DecodeSegment(std::string_view segment, std::string_view what) {
  absl::StatusOr<std::string> decoded = Base64UrlDecode(segment);
  if (!decoded.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(what), ": ", decoded.status().message()));
  }
  return decoded;
}

absl::StatusOr<nlohmann::json> ParseObject(std::string_view text, std::string_view what,
                                           size_t max_bytes) {
  SIGIL_ASSIGN_OR_RETURN(nlohmann::json value,
                         ParseStrictJson(text, what, JsonLimits{.max_bytes = max_bytes}));
  if (!value.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(what), " is not a JSON object"));
  }
  return value;
}

}  // namespace

absl::StatusOr<CompactJws> DecodeCompactJws(std::string_view token) {
  if (token.empty()) {
    return absl::InvalidArgumentError("token is empty");
  }
  if (token.size() > kMaxJwtSvidSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "token is ", token.size(), " bytes, more than the limit of ", kMaxJwtSvidSize));
  }
  // JWS JSON Serialization (and anything else JSON-shaped) is refused outright (JWT-01).
  if (token.front() == '{') {
    return absl::InvalidArgumentError(
        "token is in JWS JSON serialization; only compact serialization is accepted");
  }
  const size_t first_dot = token.find('.');
  const size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  size_t segments = 1;
  for (char c : token) {
    segments += c == '.' ? 1 : 0;
  }
  if (segments != 3) {
    return absl::InvalidArgumentError(absl::StrCat("token has ", segments, " segments, expected 3",
                                                   segments == 5 ? " (JWE is not accepted)" : ""));
  }

  CompactJws jws;
  jws.signing_input = token.substr(0, second_dot);
  SIGIL_ASSIGN_OR_RETURN(std::string header,
                         DecodeSegment(token.substr(0, first_dot), "JWT header"));
  SIGIL_ASSIGN_OR_RETURN(jws.header, ParseObject(header, "JWT header", kMaxJwtHeaderSize));
  SIGIL_ASSIGN_OR_RETURN(
      std::string claims,
      DecodeSegment(token.substr(first_dot + 1, second_dot - first_dot - 1), "JWT claims"));
  SIGIL_ASSIGN_OR_RETURN(jws.claims, ParseObject(claims, "JWT claims", kMaxJwtSvidSize));
  SIGIL_ASSIGN_OR_RETURN(std::string signature,
                         DecodeSegment(token.substr(second_dot + 1), "JWT signature"));
  jws.signature = SecretBytes::Adopt(std::move(signature));
  return jws;
}

}  // namespace sigil::jwt_internal
