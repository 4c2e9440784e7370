// ValidateJwtSvid and ParseJwtSvidInsecure. Validation runs in a fixed order: token shape,
// alg against the allowlist (before anything else looks at the header, JWT-03), the rest of the
// header, the claims' presence and types, the signature with a key of sub's trust domain, and
// last the time and audience checks, so that an "expired" or "wrong audience" error always
// speaks of a genuine token.
//
// Limitation: jti is not tracked, so a token replayed within its lifetime validates again;
// JWT-15 leaves replay detection to the relying party.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "jwt/compact.h"
#include "jwt/jws.h"
#include "sigil/jwt_svid.h"
#include "sigil/status.h"

namespace sigil {
namespace {

using Json = nlohmann::json;

// Values taken from the token are echoed in errors only when short and printable, so that an
// error line can neither grow without bound nor carry control characters.
std::string Describe(std::string_view untrusted) {
  bool printable = untrusted.size() <= 64;
  for (char c : untrusted) {
    printable = printable && c >= 0x20 && c < 0x7f;
  }
  if (printable) {
    return absl::StrCat("\"", AsAbsl(untrusted), "\"");
  }
  return absl::StrCat("(", untrusted.size(), " bytes, not shown)");
}

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

struct CheckedHeader {
  JwtAlgorithm alg;
  std::string kid;
};

absl::StatusOr<CheckedHeader> CheckHeader(const Json& header) {
  auto alg_it = header.find("alg");
  if (alg_it == header.end()) {
    return absl::InvalidArgumentError("JWT header has no alg");
  }
  if (!alg_it->is_string()) {
    return absl::InvalidArgumentError("JWT header alg is not a string");
  }
  CheckedHeader checked;
  SIGIL_ASSIGN_OR_RETURN(checked.alg, ParseJwtAlgorithm(alg_it->get_ref<const std::string&>()));

  // JWT-05: typ is optional; WIT-SVIDs ("wit+jwt") and access tokens must never pass here.
  if (auto typ = header.find("typ"); typ != header.end()) {
    if (!typ->is_string() || (*typ != "JWT" && *typ != "JOSE")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "JWT header typ ",
          typ->is_string() ? Describe(typ->get_ref<const std::string&>()) : "(not a string)",
          " is not JWT or JOSE"));
    }
  }
  // JWT-06: no JOSE extension is understood, so any critical one makes the token unusable.
  if (header.contains("crit")) {
    return absl::InvalidArgumentError("JWT header has crit: critical extensions are not supported");
  }
  // jwk, jku, x5c and x5u are deliberately never read: keys come from the bundle only.
  if (auto kid = header.find("kid"); kid != header.end()) {
    if (!kid->is_string() || kid->get_ref<const std::string&>().empty()) {
      return absl::InvalidArgumentError("JWT header kid is not a non-empty string");
    }
    checked.kid = kid->get<std::string>();
  }
  return checked;
}

// JWT-10/11/19: NumericDates must be JSON integers. A float or exponent form ("1.7e9") is
// refused: it would be rounded differently by different relying parties.
absl::StatusOr<std::optional<absl::Time>> NumericDate(const Json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) {
    return std::nullopt;
  }
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return absl::InvalidArgumentError(absl::StrCat("claim ", name, " is out of range"));
    }
    return absl::FromUnixSeconds(static_cast<int64_t>(v));
  }
  if (it->is_number_integer()) {
    return absl::FromUnixSeconds(it->get<int64_t>());
  }
  return absl::InvalidArgumentError(
      absl::StrCat("claim ", name,
                   it->is_number() ? " is not an integer (fractions and exponents are refused)"
                                   : " is not a JSON number"));
}

absl::StatusOr<std::vector<std::string>> Audiences(const Json& claims) {
  auto it = claims.find("aud");
  if (it == claims.end()) {
    return absl::InvalidArgumentError("claim aud is missing");
  }
  std::vector<std::string> audiences;
  if (it->is_string()) {
    audiences.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    for (const Json& element : *it) {
      if (!element.is_string()) {
        return absl::InvalidArgumentError("claim aud holds a value that is not a string");
      }
      audiences.push_back(element.get<std::string>());
    }
  } else {
    return absl::InvalidArgumentError("claim aud is neither a string nor an array");
  }
  if (audiences.empty() || (audiences.size() == 1 && audiences[0].empty())) {
    return absl::InvalidArgumentError("claim aud is empty");
  }
  return audiences;
}

// Returns OK when the signature verifies with exactly one usable key (JWT-04, JWT-12).
absl::Status VerifySignature(const jwt_internal::CompactJws& jws, const CheckedHeader& header,
                             const TrustBundle& bundle, absl::Time now) {
  const std::string& td = bundle.trust_domain().name();
  const auto usable = [&](const JwtAuthority& authority) -> absl::Status {
    if (authority.expires_at.has_value() && *authority.expires_at <= now) {
      return absl::PermissionDeniedError(absl::StrCat("JWT authority ", Describe(authority.key_id),
                                                      " expired at ",
                                                      FormatUtc(*authority.expires_at)));
    }
    absl::Status fits = CheckJwtAlgorithmKey(header.alg, authority.public_key.type());
    if (!fits.ok()) {
      return absl::PermissionDeniedError(absl::StrCat("JWT authority ", Describe(authority.key_id),
                                                      " cannot verify: ", fits.message()));
    }
    return absl::OkStatus();
  };
  const auto verifies = [&](const JwtAuthority& authority) {
    return jwt_internal::VerifyJws(header.alg, authority.public_key.get(), jws.signing_input,
                                   jws.signature.view());
  };

  if (!header.kid.empty()) {
    const JwtAuthority* authority = bundle.FindJwtAuthority(header.kid);
    if (authority == nullptr) {
      return absl::PermissionDeniedError(absl::StrCat(
          "kid ", Describe(header.kid), " is not a JWT authority of trust domain ", td));
    }
    SIGIL_RETURN_IF_ERROR(usable(*authority));
    if (!verifies(*authority)) {
      return absl::PermissionDeniedError(
          absl::StrCat("signature does not verify with kid ", Describe(header.kid)));
    }
    return absl::OkStatus();
  }

  // No kid: the spec makes it optional, so try every key that could have made this signature
  // and demand exactly one match, never "the first that works" (JWT-04).
  size_t candidates = 0;
  size_t matches = 0;
  for (const JwtAuthority& authority : bundle.jwt_authorities()) {
    if (!usable(authority).ok()) {
      continue;
    }
    ++candidates;
    matches += verifies(authority) ? 1 : 0;
  }
  if (candidates == 0) {
    return absl::PermissionDeniedError(absl::StrCat("trust domain ", td,
                                                    " has no JWT authority usable with ",
                                                    AsAbsl(JwtAlgorithmName(header.alg))));
  }
  if (matches == 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "token has no kid and no JWT authority of trust domain ", td, " verifies its signature"));
  }
  if (matches > 1) {
    return absl::PermissionDeniedError(absl::StrCat("token has no kid and ", matches,
                                                    " JWT authorities of trust domain ", td,
                                                    " verify its signature"));
  }
  return absl::OkStatus();
}

absl::Status CheckTimes(absl::Time expires_at, std::optional<absl::Time> not_before,
                        std::optional<absl::Time> issued_at, absl::Time now,
                        absl::Duration leeway) {
  if (expires_at + leeway <= now) {
    return absl::PermissionDeniedError(absl::StrCat("token expired at ", FormatUtc(expires_at)));
  }
  if (not_before.has_value() && *not_before > now + leeway) {
    return absl::PermissionDeniedError(
        absl::StrCat("token is not valid before ", FormatUtc(*not_before)));
  }
  if (issued_at.has_value() && *issued_at > now + leeway) {
    return absl::PermissionDeniedError(
        absl::StrCat("token is issued in the future, at ", FormatUtc(*issued_at)));
  }
  return absl::OkStatus();
}

absl::Status CheckAudience(const std::vector<std::string>& audiences,
                           absl::Span<const std::string> expected) {
  for (const std::string& want : expected) {
    for (const std::string& have : audiences) {
      if (want == have) {
        return absl::OkStatus();
      }
    }
  }
  if (expected.size() == 1) {
    return absl::PermissionDeniedError(absl::StrCat("audience ", expected[0], " not in token"));
  }
  return absl::PermissionDeniedError(absl::StrCat("none of the expected audiences (",
                                                  absl::StrJoin(expected, ", "), ") is in token"));
}

}  // namespace

absl::StatusOr<JwtSvid> ValidateJwtSvid(std::string_view token, const BundleSet& bundles,
                                        absl::Span<const std::string> expected_audiences,
                                        absl::Time now, const JwtValidationOptions& options) {
  if (expected_audiences.empty()) {
    return absl::InvalidArgumentError(
        "no expected audience given: a JWT-SVID is only valid for a stated audience");
  }
  if (options.leeway < absl::ZeroDuration() || options.leeway > kMaxJwtLeeway) {
    return absl::InvalidArgumentError(absl::StrCat("leeway ", absl::FormatDuration(options.leeway),
                                                   " is outside [0, ",
                                                   absl::FormatDuration(kMaxJwtLeeway), "]"));
  }

  SIGIL_ASSIGN_OR_RETURN(jwt_internal::CompactJws jws, jwt_internal::DecodeCompactJws(token));
  SIGIL_ASSIGN_OR_RETURN(CheckedHeader header, CheckHeader(jws.header));

  // ES signatures have one valid length; checking it here names a DER signature for what it is.
  const jwt_internal::JwsAlgorithmInfo& info = jwt_internal::AlgorithmInfo(header.alg);
  if (info.family == jwt_internal::JwsFamily::kEcdsa &&
      jws.signature.size() != 2 * info.ec_coordinate_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(info.name), " signature is ", jws.signature.size(), " bytes, expected ",
                     2 * info.ec_coordinate_size, " (JOSE R||S form; DER is not accepted)"));
  }

  auto sub = jws.claims.find("sub");
  if (sub == jws.claims.end() || !sub->is_string()) {
    return absl::InvalidArgumentError("claim sub is missing or not a string");
  }
  absl::StatusOr<SpiffeId> subject = SpiffeId::Parse(sub->get_ref<const std::string&>());
  if (!subject.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("claim sub is not a SPIFFE ID: ", subject.status().message()));
  }
  SIGIL_ASSIGN_OR_RETURN(std::vector<std::string> audiences, Audiences(jws.claims));
  SIGIL_ASSIGN_OR_RETURN(std::optional<absl::Time> expires_at, NumericDate(jws.claims, "exp"));
  if (!expires_at.has_value()) {
    return absl::InvalidArgumentError("claim exp is missing");
  }
  SIGIL_ASSIGN_OR_RETURN(std::optional<absl::Time> not_before, NumericDate(jws.claims, "nbf"));
  SIGIL_ASSIGN_OR_RETURN(std::optional<absl::Time> issued_at, NumericDate(jws.claims, "iat"));

  // JWT-12: the bundle is chosen by sub's trust domain and nothing else.
  const TrustBundle* bundle = bundles.Find(subject->trust_domain());
  if (bundle == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("no bundle for trust domain ", subject->trust_domain().name()));
  }
  SIGIL_RETURN_IF_ERROR(VerifySignature(jws, header, *bundle, now));
  SIGIL_RETURN_IF_ERROR(CheckTimes(*expires_at, not_before, issued_at, now, options.leeway));
  SIGIL_RETURN_IF_ERROR(CheckAudience(audiences, expected_audiences));

  return JwtSvid{
      .spiffe_id = *std::move(subject),
      .audiences = std::move(audiences),
      .expires_at = *expires_at,
      .issued_at = issued_at,
      .claims = std::move(jws.claims),
      .token = SecretBytes(token),
      .key_id = std::move(header.kid),
      .algorithm = header.alg,
  };
}

absl::StatusOr<UnverifiedJwt> ParseJwtSvidInsecure(std::string_view token) {
  SIGIL_ASSIGN_OR_RETURN(jwt_internal::CompactJws jws, jwt_internal::DecodeCompactJws(token));
  return UnverifiedJwt{
      .header = std::move(jws.header),
      .claims = std::move(jws.claims),
      .signature_size = jws.signature.size(),
  };
}

}  // namespace sigil
