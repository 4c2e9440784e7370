// SPIFFE bundle and Workload API JWKS documents: the public entry points in sigil/bundle.h.
#include <string>
#include <string_view>
#include <vector>

#include "jwk_set.h"
#include "sigil/bundle.h"
#include "sigil/status.h"
#include "sigil/strict_json.h"

namespace sigil {
namespace {

using bundle_internal::KeySetFormat;

constexpr JsonLimits kBundleLimits = {kMaxBundleJsonSize, 32};

absl::StatusOr<TrustBundle> Parse(const TrustDomain& td, std::string_view json, KeySetFormat format,
                                  std::string_view what, std::vector<std::string>* out_skipped) {
  SIGIL_ASSIGN_OR_RETURN(nlohmann::json doc, ParseStrictJson(json, what, kBundleLimits));
  absl::StatusOr<TrustBundle> bundle =
      bundle_internal::BundleFromJson(td, doc, format, out_skipped);
  if (!bundle.ok()) {
    return bundle_internal::WithContext(bundle.status(), what);
  }
  return bundle;
}

absl::StatusOr<std::string> Encode(const TrustBundle& bundle, KeySetFormat format,
                                   const SpiffeBundleEncoding& encoding) {
  SIGIL_ASSIGN_OR_RETURN(nlohmann::ordered_json doc,
                         bundle_internal::BundleToJson(bundle, format, encoding));
  return bundle_internal::DumpJson(doc, encoding.indent);
}

}  // namespace

absl::StatusOr<TrustBundle> ParseSpiffeBundle(const TrustDomain& td, std::string_view json) {
  return Parse(td, json, KeySetFormat::kSpiffeBundle, "SPIFFE bundle", nullptr);
}

absl::StatusOr<TrustBundle> ParseSpiffeBundle(const TrustDomain& td, std::string_view json,
                                              std::vector<std::string>* out_skipped) {
  return Parse(td, json, KeySetFormat::kSpiffeBundle, "SPIFFE bundle", out_skipped);
}

absl::StatusOr<std::string> EncodeSpiffeBundle(const TrustBundle& bundle,
                                               const SpiffeBundleEncoding& encoding) {
  return Encode(bundle, KeySetFormat::kSpiffeBundle, encoding);
}

absl::StatusOr<std::string> EncodeJwks(const TrustBundle& bundle) {
  return Encode(bundle, KeySetFormat::kJwks, {});
}

absl::StatusOr<TrustBundle> ParseJwks(const TrustDomain& td, std::string_view json) {
  return Parse(td, json, KeySetFormat::kJwks, "JWKS", nullptr);
}

}  // namespace sigil
