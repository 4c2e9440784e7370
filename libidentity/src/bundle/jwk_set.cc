#include "jwk_set.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "jwk.h"
#include "sigil/base64.h"
#include "sigil/status.h"

namespace sigil::bundle_internal {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr std::string_view kUseX509 = "x509-svid";
constexpr std::string_view kUseJwt = "jwt-svid";
constexpr std::string_view kUseWit = "wit-svid";

enum class KeyKind { kX509, kJwt, kSkip };

absl::Status Invalid(size_t index, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("keys[", index, "]: ", AsAbsl(message)));
}

absl::Status Invalid(size_t index, const absl::Status& status) {
  return WithContext(status, absl::StrCat("keys[", index, "]"));
}

// Collects what was skipped and why, for callers that log it; a no-op when nobody asked.
class SkipLog {
 public:
  explicit SkipLog(std::vector<std::string>* out) : out_(out) {}
  void Add(size_t index, std::string_view reason) {
    if (out_ != nullptr) {
      out_->push_back(absl::StrCat("keys[", index, "]: ", AsAbsl(reason)));
    }
  }

 private:
  std::vector<std::string>* out_;
};

// Decides from "use" what a key is for (BUNDLE-07), filling `reason` when it is skipped.
KeyKind ClassifyUse(const Json& jwk, KeySetFormat format, std::string* reason) {
  auto use = jwk.find("use");
  if (use == jwk.end()) {
    if (format == KeySetFormat::kJwks) {
      return KeyKind::kJwt;  // WAPI-33: SPIRE's JWKS carries no "use".
    }
    *reason = "use is missing";
    return KeyKind::kSkip;
  }
  if (!use->is_string()) {
    *reason = "use is not a string";
    return KeyKind::kSkip;
  }
  const std::string& value = use->get_ref<const std::string&>();
  if (value == kUseJwt) {
    return KeyKind::kJwt;
  }
  if (value == kUseX509 && format != KeySetFormat::kJwks) {
    return KeyKind::kX509;
  }
  if (value == kUseWit) {
    // Limitation: WIT-SVID authorities are dropped, so a bundle holding only wit-svid keys
    // parses as empty and WIT-SVIDs of that trust domain cannot be validated with it.
    *reason = "wit-svid keys are not supported";
  } else if (value == kUseX509) {
    *reason = "x509-svid keys do not belong in a JWKS";
  } else {
    *reason = "use is not x509-svid or jwt-svid";
  }
  return KeyKind::kSkip;
}

absl::StatusOr<uint64_t> ReadSequence(const Json& value) {
  if (value.is_number_unsigned()) {
    return value.get<uint64_t>();
  }
  if (value.is_number_integer() && value.get<int64_t>() >= 0) {
    return static_cast<uint64_t>(value.get<int64_t>());
  }
  // Negative numbers, fractions, 2^64 and above (which the parser turns into floating point),
  // strings and everything else.
  return absl::InvalidArgumentError(
      "spiffe_sequence is not an integer between 0 and 18446744073709551615");
}

absl::StatusOr<absl::Duration> ReadRefreshHint(const Json& value) {
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (value.is_number_unsigned() && value.get<uint64_t>() <= kMax) {
    return absl::Seconds(static_cast<int64_t>(value.get<uint64_t>()));
  }
  if (value.is_number_integer() && value.get<int64_t>() >= 0) {
    return absl::Seconds(value.get<int64_t>());
  }
  return absl::InvalidArgumentError(
      "spiffe_refresh_hint is not a whole number of seconds between 0 and 2^63-1");
}

// Returns the certificate of an x509-svid key, or nullopt with `reason` set when BUNDLE-09
// says to skip the key.
absl::StatusOr<std::optional<Certificate>> ReadX5c(const Json& jwk, std::string* reason) {
  auto x5c = jwk.find("x5c");
  if (x5c == jwk.end()) {
    *reason = "x509-svid key has no x5c";
    return std::nullopt;
  }
  if (!x5c->is_array()) {
    return absl::InvalidArgumentError("x5c is not an array");
  }
  if (x5c->empty()) {
    *reason = "x509-svid key has an empty x5c";
    return std::nullopt;
  }
  const Json& first = (*x5c)[0];
  if (!first.is_string()) {
    return absl::InvalidArgumentError("x5c[0] is not a string");
  }
  absl::StatusOr<std::string> der = Base64Decode(first.get_ref<const std::string&>());
  if (!der.ok()) {
    return WithContext(der.status(), "x5c[0] is not valid base64");
  }
  absl::StatusOr<Certificate> cert = Certificate::FromDer(*der);
  if (!cert.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("x5c[0] is not a DER certificate (", cert.status().message(), ")"));
  }
  return std::optional<Certificate>(std::move(*cert));
}

// Reads one x509-svid key into `bundle`. Returns a skip reason, or "" when the key was added.
absl::StatusOr<std::string> AddX509Key(const Json& jwk, TrustBundle& bundle) {
  std::string reason;
  SIGIL_ASSIGN_OR_RETURN(std::optional<Certificate> cert, ReadX5c(jwk, &reason));
  if (!cert.has_value()) {
    return reason;
  }
  SIGIL_ASSIGN_OR_RETURN(JwkKey members, PublicKeyFromJwk(jwk));
  if (!members.key.has_value()) {
    return members.skip_reason;
  }
  // The key members and the certificate say the same thing twice; if they disagree, one of
  // them was altered and neither can be trusted.
  absl::StatusOr<PublicKey> cert_key = cert->public_key();
  if (!cert_key.ok() || !cert_key->Equals(*members.key)) {
    return absl::InvalidArgumentError("key members do not match the key of x5c[0]");
  }
  if (bundle.x509_authorities().size() == kMaxBundleCertificates) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", kMaxBundleCertificates, " X.509 authorities"));
  }
  if (!bundle.AddX509Authority(*std::move(cert))) {
    return std::string("x5c[0] repeats an earlier x509-svid key");
  }
  return std::string();
}

absl::StatusOr<std::string> AddJwtKey(const Json& jwk, TrustBundle& bundle) {
  SIGIL_ASSIGN_OR_RETURN(JwkKey members, PublicKeyFromJwk(jwk));
  if (!members.key.has_value()) {
    return members.skip_reason;
  }
  auto kid = jwk.find("kid");
  if (kid == jwk.end()) {
    return absl::InvalidArgumentError("kid is missing (every jwt-svid key needs one)");
  }
  if (!kid->is_string() || kid->get_ref<const std::string&>().empty()) {
    return absl::InvalidArgumentError("kid is not a non-empty string");
  }
  if (bundle.jwt_authorities().size() == kMaxBundleJwtAuthorities) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", kMaxBundleJwtAuthorities, " JWT authorities"));
  }
  absl::Status added =
      bundle.AddJwtAuthority(JwtAuthority{kid->get<std::string>(), *std::move(members.key), {}});
  if (absl::IsAlreadyExists(added)) {
    // Two keys under one kid would make token validation depend on which one we kept.
    return absl::InvalidArgumentError("kid is used by an earlier jwt-svid key");
  }
  SIGIL_RETURN_IF_ERROR(added);
  return std::string();
}

absl::Status ReadSpiffeMembers(const Json& doc, KeySetFormat format, TrustBundle& bundle) {
  if (auto it = doc.find("spiffe_sequence"); it != doc.end()) {
    SIGIL_ASSIGN_OR_RETURN(uint64_t sequence, ReadSequence(*it));
    bundle.set_sequence_number(sequence);
  }
  if (format != KeySetFormat::kSpiffeBundle) {
    return absl::OkStatus();  // BUNDLE-13: map entries' refresh hints drive nothing.
  }
  if (auto it = doc.find("spiffe_refresh_hint"); it != doc.end()) {
    SIGIL_ASSIGN_OR_RETURN(absl::Duration hint, ReadRefreshHint(*it));
    bundle.set_refresh_hint(hint);
  }
  return absl::OkStatus();
}

absl::StatusOr<OrderedJson> AuthorityJwk(std::string_view use, const PublicKey& key,
                                         const std::string* kid) {
  SIGIL_ASSIGN_OR_RETURN(OrderedJson members, PublicKeyToJwk(key));
  OrderedJson jwk = OrderedJson::object();
  if (!use.empty()) {
    jwk["use"] = std::string(use);
  }
  jwk["kty"] = members["kty"];
  if (kid != nullptr) {
    jwk["kid"] = *kid;
  }
  for (auto& [name, value] : members.items()) {
    if (name != "kty") {
      jwk[name] = value;
    }
  }
  return jwk;
}

}  // namespace

absl::Status WithContext(const absl::Status& status, std::string_view prefix) {
  return absl::Status(status.code(), absl::StrCat(AsAbsl(prefix), ": ", status.message()));
}

absl::StatusOr<TrustBundle> BundleFromJson(const TrustDomain& td, const Json& doc,
                                           KeySetFormat format,
                                           std::vector<std::string>* out_skipped) {
  if (!doc.is_object()) {
    return absl::InvalidArgumentError("is not a JSON object");
  }
  auto keys = doc.find("keys");
  if (keys == doc.end()) {
    return absl::InvalidArgumentError("has no \"keys\" member");
  }
  if (!keys->is_array()) {
    return absl::InvalidArgumentError("\"keys\" is not an array");
  }
  if (keys->size() > kMaxBundleKeys) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"keys\" has ", keys->size(), " entries, more than ", kMaxBundleKeys));
  }

  TrustBundle bundle(td);
  if (format != KeySetFormat::kJwks) {
    SIGIL_RETURN_IF_ERROR(ReadSpiffeMembers(doc, format, bundle));
  }

  SkipLog skipped(out_skipped);
  for (size_t i = 0; i < keys->size(); ++i) {
    const Json& jwk = (*keys)[i];
    if (!jwk.is_object()) {
      return Invalid(i, "is not a JSON object");
    }
    // Checked before anything can skip the key: a leaked private key must stop the import.
    if (HasPrivateKeyMember(jwk)) {
      return Invalid(i, "holds private key members; a bundle publishes public keys only");
    }
    std::string reason;
    const KeyKind kind = ClassifyUse(jwk, format, &reason);
    if (kind == KeyKind::kSkip) {
      skipped.Add(i, reason);
      continue;
    }
    absl::StatusOr<std::string> result =
        kind == KeyKind::kX509 ? AddX509Key(jwk, bundle) : AddJwtKey(jwk, bundle);
    if (!result.ok()) {
      return Invalid(i, result.status());
    }
    if (!result->empty()) {
      skipped.Add(i, *result);
    }
  }
  return bundle;
}

absl::StatusOr<OrderedJson> BundleToJson(const TrustBundle& bundle, KeySetFormat format,
                                         const SpiffeBundleEncoding& encoding) {
  const bool jwks = format == KeySetFormat::kJwks;
  OrderedJson keys = OrderedJson::array();
  if (!jwks) {
    for (size_t i = 0; i < bundle.x509_authorities().size(); ++i) {
      const Certificate& cert = bundle.x509_authorities()[i];
      absl::StatusOr<PublicKey> key = cert.public_key();
      if (!key.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("X.509 authority ", i, " has a key that cannot be written as a JWK (",
                         key.status().message(), ")"));
      }
      SIGIL_ASSIGN_OR_RETURN(OrderedJson jwk, AuthorityJwk(kUseX509, *key, nullptr));
      jwk["x5c"] = OrderedJson::array({Base64Encode(cert.der())});
      keys.push_back(std::move(jwk));
    }
  }
  for (const JwtAuthority& authority : bundle.jwt_authorities()) {
    SIGIL_ASSIGN_OR_RETURN(OrderedJson jwk, AuthorityJwk(jwks ? std::string_view() : kUseJwt,
                                                         authority.public_key, &authority.key_id));
    keys.push_back(std::move(jwk));
  }

  OrderedJson doc = OrderedJson::object();
  doc["keys"] = std::move(keys);
  if (jwks) {
    return doc;
  }
  const bool map_entry = format == KeySetFormat::kBundleMapEntry;
  if (bundle.refresh_hint().has_value() && encoding.include_refresh_hint && !map_entry) {
    doc["spiffe_refresh_hint"] = absl::ToInt64Seconds(*bundle.refresh_hint());
  }
  if (bundle.sequence_number().has_value() && encoding.include_sequence) {
    doc["spiffe_sequence"] = *bundle.sequence_number();
  }
  return doc;
}

absl::StatusOr<std::string> DumpJson(const OrderedJson& doc, bool indent) {
  try {
    return doc.dump(indent ? 2 : -1);
  } catch (const nlohmann::json::exception&) {
    // Only invalid UTF-8 makes dump throw; kids are the only free-form strings we write.
    return absl::InvalidArgumentError("a key id is not valid UTF-8");
  }
}

}  // namespace sigil::bundle_internal
