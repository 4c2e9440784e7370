// SignJwtSvid: builds the header and claims JSON by hand (the common case has no extra claims
// and needs no JSON DOM at all), then signs. Issuing is on the server's hot path, so nothing
// here is parsed back or copied more than once.
#include <cmath>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "jwt/jws.h"
#include "sigil/base64.h"
#include "sigil/jwt_svid.h"
#include "sigil/status.h"

namespace sigil {
namespace {

using Json = nlohmann::json;

// Appends `s` as a JSON string. Printable ASCII without quotes or backslashes (every SPIFFE
// ID, and nearly every audience and kid) is copied as is; anything else goes through nlohmann,
// which escapes it and refuses invalid UTF-8.
absl::Status AppendJsonString(std::string& out, std::string_view s, std::string_view what) {
  bool plain = true;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (plain) {
    out.push_back('"');
    out.append(s);
    out.push_back('"');
    return absl::OkStatus();
  }
  try {
    out.append(Json(std::string(s)).dump());
  } catch (const Json::exception&) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(what), " is not valid UTF-8"));
  }
  return absl::OkStatus();
}

// JWT-19: a NumericDate must be written as a plain integer. Claims that travelled through a
// google.protobuf.Struct arrive as doubles; an integral double is turned back into an integer.
absl::StatusOr<Json> IntegralTime(const Json& value, std::string_view name) {
  if (value.is_number_integer()) {
    return value;
  }
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::trunc(d) == d && std::abs(d) < 9.0e15) {
      return Json(static_cast<int64_t>(d));
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("extra claim ", AsAbsl(name), " must be an integer number of seconds"));
}

absl::Status AppendExtraClaims(std::string& out, const Json& extra) {
  if (extra.is_null()) {
    return absl::OkStatus();
  }
  if (!extra.is_object()) {
    return absl::InvalidArgumentError("extra claims must be a JSON object");
  }
  for (const auto& [name, value] : extra.items()) {
    if (name == "sub" || name == "aud" || name == "exp" || name == "iat") {
      return absl::InvalidArgumentError(
          absl::StrCat("extra claims must not set ", name, ": it is set from the SVID"));
    }
    out.push_back(',');
    SIGIL_RETURN_IF_ERROR(AppendJsonString(out, name, "extra claim name"));
    out.push_back(':');
    try {
      if (name == "nbf") {
        SIGIL_ASSIGN_OR_RETURN(Json nbf, IntegralTime(value, name));
        out.append(nbf.dump());
      } else {
        out.append(value.dump());
      }
    } catch (const Json::exception&) {
      return absl::InvalidArgumentError(
          absl::StrCat("extra claim ", name, " holds a string that is not valid UTF-8"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ClaimsJson(const JwtSvidClaims& claims, absl::Time now) {
  if (claims.audiences.empty()) {
    return absl::InvalidArgumentError("a JWT-SVID needs at least one audience");
  }
  const int64_t iat = absl::ToUnixSeconds(now);
  const int64_t exp = absl::ToUnixSeconds(claims.expires_at);
  if (exp <= iat) {
    return absl::InvalidArgumentError(
        absl::StrCat("expiry ", absl::FormatTime(claims.expires_at, absl::UTCTimeZone()),
                     " is not after the issue time ", absl::FormatTime(now, absl::UTCTimeZone())));
  }

  std::string json = "{\"sub\":";
  SIGIL_RETURN_IF_ERROR(AppendJsonString(json, claims.subject.str(), "sub"));
  json.append(",\"aud\":");
  // A single audience is a plain string, as SPIRE writes it; relying parties that only
  // understand the string form are common.
  if (claims.audiences.size() > 1) {
    json.push_back('[');
  }
  for (size_t i = 0; i < claims.audiences.size(); ++i) {
    if (claims.audiences[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("audience ", i, " is empty"));
    }
    if (i > 0) {
      json.push_back(',');
    }
    SIGIL_RETURN_IF_ERROR(AppendJsonString(json, claims.audiences[i], "audience"));
  }
  if (claims.audiences.size() > 1) {
    json.push_back(']');
  }
  absl::StrAppend(&json, ",\"exp\":", exp, ",\"iat\":", iat);
  SIGIL_RETURN_IF_ERROR(AppendExtraClaims(json, claims.extra_claims));
  json.push_back('}');
  return json;
}

}  // namespace

absl::StatusOr<SecretBytes> SignJwtSvid(const JwtSvidClaims& claims, const PrivateKey& key,
                                        std::string_view key_id, JwtAlgorithm alg, absl::Time now) {
  if (key_id.empty()) {
    return absl::InvalidArgumentError("a JWT-SVID needs a non-empty kid");
  }
  SIGIL_RETURN_IF_ERROR(CheckJwtAlgorithmKey(alg, key.type()));

  // JWT-06/JWT-18: alg, kid and typ, nothing else.
  std::string header = absl::StrCat("{\"alg\":\"", AsAbsl(JwtAlgorithmName(alg)), "\",\"kid\":");
  SIGIL_RETURN_IF_ERROR(AppendJsonString(header, key_id, "kid"));
  header.append(",\"typ\":\"JWT\"}");
  SIGIL_ASSIGN_OR_RETURN(std::string claims_json, ClaimsJson(claims, now));

  // Reserved up front so that appending the signature never reallocates and leaves a copy of
  // the finished token in freed memory. 1024 covers base64url of an RSA-4096 signature.
  std::string token;
  token.reserve((header.size() + claims_json.size()) * 4 / 3 + 8 + 1024);
  token.append(Base64UrlEncode(header));
  token.push_back('.');
  token.append(Base64UrlEncode(claims_json));

  SIGIL_ASSIGN_OR_RETURN(std::string signature, jwt_internal::SignJws(alg, key.get(), token));
  std::string encoded_signature = Base64UrlEncode(signature);
  token.push_back('.');
  token.append(encoded_signature);
  WipeString(signature);
  WipeString(encoded_signature);
  return SecretBytes::Adopt(std::move(token));
}

absl::StatusOr<SecretBytes> SignJwtSvid(const JwtSvidClaims& claims, const PrivateKey& key,
                                        std::string_view key_id, absl::Time now) {
  return SignJwtSvid(claims, key, key_id, DefaultJwtAlgorithm(key.type()), now);
}

}  // namespace sigil
